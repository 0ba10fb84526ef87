//! Command-line interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// ringway: a storage gateway serving SFTP, FTP/FTPS and WebDAV from local disk and object stores.
#[derive(Debug, Parser)]
#[command(name = "ringway", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Start the server and run until SIGTERM or SIGINT.
    Serve(CommonArgs),
    /// Create the data provider's database (if needed) and apply pending schema migrations, then exit.
    Initprovider(CommonArgs),
    /// Drop every table of the data provider and recreate an empty schema: all users, groups, folders,
    /// admins and API keys are lost. Refuses to run without --force.
    Resetprovider(ResetArgs),
}

/// Options of `resetprovider`.
#[derive(Debug, Args)]
pub(crate) struct ResetArgs {
    /// Really delete everything.
    #[arg(long)]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// Options shared by every subcommand.
#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    /// Directory holding the configuration file, the SQLite database and the host keys.
    #[arg(long, short = 'c', default_value = ".", env = "RINGWAY_CONFIG_DIR")]
    pub(crate) config_dir: PathBuf,
    /// Configuration file (.toml, .yaml, .yml or .json), relative to the config dir unless absolute. Without it,
    /// ringway.toml, ringway.yaml, ringway.yml and ringway.json are looked up in the config dir, and defaults
    /// apply if none exists.
    #[arg(long)]
    pub(crate) config_file: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace (or a tracing filter such as `info,ringway_engine=debug`).
    #[arg(long, short = 'l', default_value = "info", env = "RINGWAY_LOG_LEVEL")]
    pub(crate) log_level: String,
    /// Append JSON log lines to this file (relative to the config dir unless absolute) instead of stderr.
    #[arg(long)]
    pub(crate) log_file: Option<PathBuf>,
}

impl CommonArgs {
    /// `p` resolved against the config dir.
    pub(crate) fn in_config_dir(&self, p: &std::path::Path) -> PathBuf {
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.config_dir.join(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
