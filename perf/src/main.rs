//! ringway-perf: starts ringway and its peers on loopback, runs the same client work against each, interleaved,
//! and reports medians and ringway/peer ratios as a markdown table, a JSON file and an SVG chart.
//!
//! `cargo run --release -p ringway-perf -- sftp` runs every SFTP case against OpenSSH and rclone serve sftp;
//! `--quick` shrinks the files and runs once (the test suite runs it so the harness cannot rot). Run it as root:
//! the OpenSSH peer logs in a system user the harness creates.

mod cases;
mod idle;
mod procfs;
mod report;
mod servers;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use cases::{Case, Data, Sizes};
use report::{Report, Row};
use servers::{Ctx, Protocol};

#[derive(Debug, Parser)]
#[command(
    name = "ringway-perf",
    version,
    about = "ringway side by side with its peers, as ratios"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// SFTP and SCP: ringway against OpenSSH (sshd + sftp-server) and rclone serve sftp.
    Sftp(Options),
    /// Lists the cases with their default sizes.
    List,
}

#[derive(Debug, clap::Args)]
struct Options {
    /// Small files (64 MiB), fewer logins and sessions, one run: checks the harness works, not speed.
    #[arg(long)]
    quick: bool,
    /// Runs per case and server (servers interleave: A B C A B C ...). Default 3, or 1 with --quick.
    #[arg(long)]
    runs: Option<usize>,
    /// Comma-separated cases (see `list`); all by default.
    #[arg(long, value_delimiter = ',')]
    cases: Vec<String>,
    /// Comma-separated servers: ringway, openssh, rclone; all by default.
    #[arg(long, value_delimiter = ',')]
    servers: Vec<String>,
    /// Size of the single-file transfers in MiB (overrides the default 1024, or 64 with --quick).
    #[arg(long)]
    size_mib: Option<u64>,
    /// Scratch directory: test data (kept between runs), server directories and logs.
    #[arg(long, default_value = "/var/tmp/ringway-perf")]
    work_dir: PathBuf,
    /// Where the report goes (sftp.md, sftp.json, sftp.svg). Default perf/results, or the work dir with --quick.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The ringway binary. By default the `ringway` next to this program, built first with cargo (same
    /// profile).
    #[arg(long)]
    ringway_bin: Option<PathBuf>,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("ringway-perf: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::List => {
            let full = Sizes::full();
            for c in Case::ALL {
                println!("{:<22} {}", c.id(), c.describe(&full));
            }
            Ok(())
        }
        Cmd::Sftp(opts) => bench(Protocol::Sftp, "sftp", &opts),
    }
}

/// The ringway binary: the given one, or the one beside this program after `cargo build` brings it up to date.
fn ringway_bin(opts: &Options) -> Result<PathBuf> {
    if let Some(p) = &opts.ringway_bin {
        if !p.exists() {
            bail!("--ringway-bin {} does not exist", p.display());
        }
        return Ok(p.clone());
    }
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("no directory for this program")?;
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let release = dir.file_name().is_some_and(|n| n == "release");
    if workspace.join("Cargo.toml").exists() {
        let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cargo
            .current_dir(&workspace)
            .args(["build", "-q", "-p", "ringway"]);
        if release {
            cargo.arg("--release");
        }
        // Build into the directory this program runs from.
        if let Some(target) = dir.parent() {
            cargo.env("CARGO_TARGET_DIR", target);
        }
        let status = cargo.status().context("run cargo build -p ringway")?;
        if !status.success() {
            bail!("cargo build -p ringway failed");
        }
    }
    let bin = dir.join("ringway");
    if !bin.exists() {
        bail!(
            "{} not found: build it (cargo build --release -p ringway) or pass --ringway-bin",
            bin.display()
        );
    }
    Ok(bin)
}

fn bench(protocol: Protocol, name: &'static str, opts: &Options) -> Result<()> {
    let mut sizes = if opts.quick {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    if let Some(mib) = opts.size_mib {
        sizes.file_mib = mib;
    }
    let runs = opts.runs.unwrap_or(if opts.quick { 1 } else { 3 }).max(1);
    let cases: Vec<Case> = if opts.cases.is_empty() {
        Case::ALL.to_vec()
    } else {
        opts.cases
            .iter()
            .map(|id| {
                Case::parse(id)
                    .with_context(|| format!("unknown case {id:?} (see `ringway-perf list`)"))
            })
            .collect::<Result<_>>()?
    };
    let mut peers = servers::peers(protocol);
    if !opts.servers.is_empty() {
        for s in &opts.servers {
            if !peers.iter().any(|p| p.name() == s) {
                bail!("unknown server {s:?}: choose among ringway, openssh, rclone");
            }
        }
        peers.retain(|p| opts.servers.iter().any(|s| s == p.name()));
    }
    procfs::raise_nofile();
    std::fs::create_dir_all(&opts.work_dir)?;
    servers::fresh_dir(&opts.work_dir.join("data").join("downloads")).ok();
    let (key, public_key) = servers::client_key(&opts.work_dir)?;
    let ctx = Ctx {
        work: opts.work_dir.clone(),
        ringway_bin: ringway_bin(opts)?,
        key,
        public_key,
    };
    eprintln!(
        "preparing test data in {}",
        opts.work_dir.join("data").display()
    );
    let data = Data::make(&opts.work_dir, &ctx.key, sizes)?;
    let versions: Vec<(&'static str, String)> =
        peers.iter().map(|p| (p.name(), p.version(&ctx))).collect();
    let load_before = procfs::load1();
    let mut running = Vec::new();
    for p in &peers {
        eprintln!("starting {}", p.name());
        running.push(
            p.start(&ctx)
                .with_context(|| format!("start {}", p.name()))?,
        );
    }
    let cpu_sources: Vec<(&'static str, &'static str)> = running
        .iter()
        .map(|r| (r.name, r.meter.describe()))
        .collect();
    let mut rows: Vec<Row> = Vec::new();
    for c in &cases {
        for p in &peers {
            rows.push(Row {
                case: c.id(),
                description: c.describe(&sizes),
                unit: c.unit(),
                cipher: c.cipher(),
                server: p.name(),
                samples: Vec::new(),
                median: None,
                not_supported: !p.supports(c),
            });
        }
    }
    let steps: usize = cases.len() * runs * peers.len();
    let bar = ProgressBar::new(steps as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")?
            .progress_chars("=> "),
    );
    for c in &cases {
        for run in 0..runs {
            for (p, server) in peers.iter().zip(&running) {
                bar.set_message(format!(
                    "{} on {} (run {}/{runs})",
                    c.id(),
                    p.name(),
                    run + 1
                ));
                if p.supports(c) {
                    c.prepare(server, &data)
                        .with_context(|| format!("{} on {}: prepare", c.id(), p.name()))?;
                    let sample = c
                        .run(server, &data)
                        .with_context(|| format!("{} on {}", c.id(), p.name()))?;
                    let row = rows
                        .iter_mut()
                        .find(|r| r.case == c.id() && r.server == p.name())
                        .context("row")?;
                    row.samples.push(sample);
                }
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    drop(running);
    for r in &mut rows {
        r.summarise();
    }
    let command = std::env::args()
        .map(|a| if a.contains(' ') { format!("{a:?}") } else { a })
        .collect::<Vec<_>>();
    let report = Report {
        protocol: name,
        command: format!("ringway-perf {}", command[1..].join(" ")),
        started: Command::new("date")
            .arg("-u")
            .arg("+%Y-%m-%dT%H:%M:%SZ")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default(),
        runs,
        quick: opts.quick,
        sizes,
        machine: procfs::machine(),
        load_before,
        load_after: procfs::load1(),
        versions,
        cpu_sources,
        rows,
    };
    let md = report.markdown();
    println!("{md}");
    let out = opts.out.clone().unwrap_or_else(|| {
        if opts.quick {
            opts.work_dir.join("report")
        } else {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results")
        }
    });
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join(format!("{name}.md")), &md)?;
    std::fs::write(
        out.join(format!("{name}.json")),
        serde_json::to_string_pretty(&report)?,
    )?;
    report.chart(&out.join(format!("{name}.svg")))?;
    eprintln!(
        "report: {}",
        out.join(format!("{name}.{{md,json,svg}}")).display()
    );
    Ok(())
}
