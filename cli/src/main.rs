//! `waybill`: developer CLI. `waybill demo` runs the driver slice against a reference
//! server it starts on loopback with a temporary SQLite database, and prints what happens.

mod demo;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Waybill developer CLI.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Show the core's and the server's logs (info level) on stderr.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the driver slice end to end against a loopback reference server.
    Demo {
        /// Keep the demo's databases in this directory instead of a temporary one.
        #[arg(long)]
        data_dir: Option<std::path::PathBuf>,
    },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cli = Cli::parse();
    let level = if cli.verbose { "info" } else { "error" };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Demo { data_dir } => demo::run(data_dir).await,
    };
    if let Err(e) = result {
        eprintln!("waybill: {e}");
        std::process::exit(1);
    }
}
