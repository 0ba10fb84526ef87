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
command -v curl >/dev/null || apt_install curl          # the REST black-box tests (tests/rest.rs) drive curl
command -v curl >/dev/null || die "curl is required"
# The SSH black-box tests (tests/ssh.rs) drive the OpenSSH client, and sshpass for password logins.
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null && command -v ssh-keyscan >/dev/null \
    || apt_install openssh-client
command -v ssh-keyscan >/dev/null || die "the OpenSSH client (ssh, ssh-keygen, ssh-keyscan) is required"
command -v sshpass >/dev/null || apt_install sshpass
command -v sshpass >/dev/null || die "sshpass is required"
# tests/sftp_clients.rs drives rclone, lftp and Python paramiko (tests/clients/paramiko_client.py).
command -v rclone >/dev/null || apt_install rclone
command -v rclone >/dev/null || die "rclone is required"
# The perf harness (run once in quick mode below) starts OpenSSH's sshd as a peer.
[ -x /usr/sbin/sshd ] || apt_install openssh-server
[ -x /usr/sbin/sshd ] || die "openssh-server is required (the perf harness's OpenSSH peer)"
command -v lftp >/dev/null || apt_install lftp
command -v lftp >/dev/null || die "lftp is required"
command -v python3 >/dev/null || apt_install python3 python3-pip
python3 -c "import paramiko" 2>/dev/null || python3 -m pip install -q paramiko \
    || python3 -m pip install -q --break-system-packages paramiko || apt_install python3-paramiko
python3 -c "import paramiko" 2>/dev/null || die "Python paramiko is required (python3 -m pip install paramiko)"
# Both file-I/O modes are tested; io_uring must be allowed for that.
if [ -r /proc/sys/kernel/io_uring_disabled ] && [ "$(cat /proc/sys/kernel/io_uring_disabled)" != 0 ]; then
    die "io_uring is disabled (kernel.io_uring_disabled=$(cat /proc/sys/kernel/io_uring_disabled)); the suite tests it"
fi
printf 'rustc %s, kernel %s, %s cores, target dir %s\n' \
    "$(rustc --version | cut -d' ' -f2)" "$(uname -r)" "$(nproc)" "$CARGO_TARGET_DIR"

step "database servers (PostgreSQL 127.0.0.1:5432, MariaDB 127.0.0.1:3306) for the provider suite"
# The provider conformance suite and the REST tests create a throwaway database per test on each server.
ensure_postgres() {
    if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then return; fi
    local fresh=0
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fresh=1; fi
    local v; v="$(ls /etc/postgresql | sort -V | tail -1)"
    if [ "$fresh" = 1 ]; then
        # Local test server: trust connections from loopback, as the CI machine's server does.
        sed -i 's/^\(host.*127.0.0.1\/32 *\)[a-z0-9-]*$/\1trust/; s/^\(host.*::1\/128 *\)[a-z0-9-]*$/\1trust/' \
            "/etc/postgresql/$v/main/pg_hba.conf"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 1; done
    die "PostgreSQL does not answer on 127.0.0.1:5432"
}
ensure_mariadb() {
    if command -v mariadb-admin >/dev/null && mariadb-admin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; then return; fi
    local fresh=0
    if [ ! -x /usr/sbin/mariadbd ]; then apt_install mariadb-server; fresh=1; fi
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql || true
    for _ in $(seq 30); do mariadb-admin -uroot ping >/dev/null 2>&1 && break; sleep 1; done
    if [ "$fresh" = 1 ]; then
        # Local test server: root over TCP with an empty password, as the CI machine's server has.
        mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD(''); \
            CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; \
            GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"
    fi
    mariadb-admin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1 || die "MariaDB does not answer on 127.0.0.1:3306 as root"
}
ensure_postgres
ensure_mariadb
printf 'PostgreSQL and MariaDB are up\n'

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

step "perf harness, quick mode: every SFTP case against OpenSSH and rclone (checks that it runs, not speed)"
cargo run -p ringway-perf --locked -- sftp --quick --work-dir "${RINGWAY_PERF_WORK_DIR:-/var/tmp/ringway-perf-quick}"

step "all tests passed"
