//! The `ringway` binary: the composition root. It parses the command line, loads the configuration, sets up
//! logging, and wires the control plane (admin HTTP, data provider) to the data plane (per-core workers).
//! Only this crate names concrete backends and protocols.
#![forbid(unsafe_code)]

mod cli;
mod logging;
mod serve;
mod storage;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::serve(&args),
        cli::Command::Initprovider(args) => serve::init_provider(&args),
        cli::Command::Resetprovider(args) => serve::reset_provider(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // Logging may not be set up yet (a config error): say it on stderr in plain words.
            eprintln!("ringway: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
