#!/usr/bin/env bash
# ringway's whole test suite, as run by CI (.ci/run) and by developers:
#   formatting, lints, then every unit, integration and black-box test of the workspace, in both io modes.
# It installs what it needs that is missing, and fails (never skips) when a required piece is absent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Reuse builds between runs (CI clones afresh each time; the target dir outlives the clone).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/ringway/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
mkdir -p "$CARGO_TARGET_DIR"

step() { printf '\n=== %s (%s)\n' "$*" "$(date +%T)"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

apt_updated=0
apt_install() {
    command -v apt-get >/dev/null || die "cannot install $* (no apt-get): install it by hand"
    if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step "prerequisites"
command -v cargo >/dev/null || die "cargo is required (a Rust toolchain >= 1.94)"
cargo fmt --version >/dev/null 2>&1 || die "rustfmt is required (rustup component add rustfmt)"
cargo clippy --version >/dev/null 2>&1 || die "clippy is required (rustup component add clippy)"
command -v cc >/dev/null || apt_install build-essential   # bundled SQLite and mimalloc build C code
command -v cc >/dev/null || die "a C compiler is required"
# Both file-I/O modes are tested; io_uring must be allowed for that.
if [ -r /proc/sys/kernel/io_uring_disabled ] && [ "$(cat /proc/sys/kernel/io_uring_disabled)" != 0 ]; then
    die "io_uring is disabled (kernel.io_uring_disabled=$(cat /proc/sys/kernel/io_uring_disabled)); the suite tests it"
fi
printf 'rustc %s, kernel %s, %s cores, target dir %s\n' \
    "$(rustc --version | cut -d' ' -f2)" "$(uname -r)" "$(nproc)" "$CARGO_TARGET_DIR"

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build the ringway binary for the black-box tests"
cargo build -p ringway --locked

step "cargo test (unit, integration, black-box; criterion benches run once in test mode)"
cargo test --workspace --all-targets --locked

step "cargo test --doc"
cargo test --workspace --doc --locked

step "all tests passed"
