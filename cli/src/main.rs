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

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum AppRole {
    Driver,
    Shipper,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Store {
    /// `PrivacyInfo.xcprivacy` (plist).
    Apple,
    /// Play data-safety answers (JSON).
    Play,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the app-store privacy disclosures generated from a policy manifest.
    Disclosures {
        /// Which app's shipped manifest to use.
        #[arg(long, value_enum)]
        role: AppRole,
        /// Which store's format.
        #[arg(long, value_enum)]
        store: Store,
        /// Use this manifest file instead of the shipped one.
        #[arg(long)]
        manifest: Option<std::path::PathBuf>,
    },
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
        Command::Demo { data_dir } => demo::run(data_dir).await.map_err(|e| e.to_string()),
        Command::Disclosures {
            role,
            store,
            manifest,
        } => disclosures(role, store, manifest),
    };
    if let Err(e) = result {
        eprintln!("waybill: {e}");
        std::process::exit(1);
    }
}

fn disclosures(
    role: AppRole,
    store: Store,
    path: Option<std::path::PathBuf>,
) -> Result<(), String> {
    use waybill_core::privacy::{disclosures, manifest};
    let role = match role {
        AppRole::Driver => waybill_core::Role::Driver,
        AppRole::Shipper => waybill_core::Role::Shipper,
    };
    let document = match path {
        Some(p) => std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => manifest::builtin(role).to_string(),
    };
    let parsed = manifest::Manifest::parse(&document).map_err(|e| e.to_string())?;
    match store {
        Store::Apple => print!("{}", disclosures::apple_privacy_info(&parsed)),
        Store::Play => println!(
            "{}",
            serde_json::to_string_pretty(&disclosures::play_data_safety(&parsed))
                .map_err(|e| e.to_string())?
        ),
    }
    Ok(())
}
