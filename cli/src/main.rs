//! `waybill`: developer CLI. `waybill demo` plays a shipper's and a driver's day against a
//! reference server it starts on loopback; `inspect` dumps a device database; `replay`
//! runs a recorded trace through the trajectory pipeline; `disclosures` prints the store
//! privacy forms generated from a policy manifest.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use waybill_cli::{demo, inspect, replay, trace_file};

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
    /// Both apps at once: the Swift package's own PrivacyInfo.xcprivacy (Apple only).
    Both,
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
    /// A shipper's and a driver's day end to end on a loopback server, with faults; writes
    /// a report folder (map.svg, day.gpx, export.json, summary.json).
    Demo {
        /// Keep the databases in this directory instead of a temporary one.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Where the report goes.
        #[arg(long, default_value = "waybill-report")]
        report_dir: PathBuf,
        /// Drive this trace (GPX, CSV, NMEA, barefoot JSON) instead of the embedded one.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Hours local time is ahead of UTC in a CSV trace without a zone.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        utc_offset_hours: i32,
        /// Trace seconds per real second (0: as fast as the machine goes).
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
    },
    /// A readable dump of a device database (a data directory or its database file).
    Inspect {
        /// The data directory or `waybill.sqlite3`.
        db: PathBuf,
        /// Show personal fields as stored instead of masked.
        #[arg(long)]
        unmasked: bool,
    },
    /// A recorded trace through the trajectory pipeline, with filter and encoding figures.
    Replay {
        /// GPX, CSV (header naming lat/lon/time), NMEA or barefoot JSON.
        trace: PathBuf,
        /// Hours local time is ahead of UTC in a CSV trace without a zone.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        utc_offset_hours: i32,
        /// Deviation bound of the simplified track, metres.
        #[arg(long, default_value_t = waybill_core::track::DEFAULT_EPSILON_M)]
        epsilon_m: f64,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
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
        manifest: Option<PathBuf>,
    },
    /// The app process the demo SIGKILLs (internal).
    #[command(hide = true)]
    DriveChild {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        server: String,
        #[arg(long)]
        order: String,
        #[arg(long)]
        trace: Option<PathBuf>,
        #[arg(long, allow_negative_numbers = true)]
        utc_offset_hours: i32,
        #[arg(long)]
        from: usize,
        #[arg(long, allow_negative_numbers = true)]
        shift_s: i64,
    },
}

/// Environment variable naming a file that receives every log record as an app's log sink
/// would (scrubbed), instead of the developer's formatted stderr log.
const CAPTURE_LOGS: &str = "WAYBILL_CAPTURE_LOGS";

/// A log sink writing one line per record.
struct FileSink(std::sync::Mutex<std::fs::File>);

impl waybill_core::logging::LogSink for FileSink {
    fn log(&self, record: waybill_core::logging::LogRecord) {
        use std::io::Write;
        let mut file = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(
            file,
            "{:?} {} {}",
            record.level, record.target, record.message
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cli = Cli::parse();
    if let Some(path) = std::env::var_os(CAPTURE_LOGS) {
        // What an app's log sink receives, every level, appended to a file (the log test
        // of the privacy promises reads it): the core's sink path, not a Rust formatter.
        let sink = std::sync::Arc::new(FileSink(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("the log capture file opens"),
        )));
        waybill_core::logging::set_log_sink(sink, waybill_core::logging::LogLevel::Trace);
    } else {
        let level = if cli.verbose { "info" } else { "error" };
        tracing_subscriber::fmt()
            .with_env_filter(
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level)),
            )
            .with_writer(std::io::stderr)
            .init();
    }
    let result = match cli.command {
        Command::Demo {
            data_dir,
            report_dir,
            trace,
            utc_offset_hours,
            speed,
        } => demo::run(demo::DemoOptions {
            data_dir,
            report_dir,
            trace,
            utc_offset_hours,
            speed,
        })
        .await
        .map(drop)
        .map_err(|e| e.to_string()),
        Command::Inspect { db, unmasked } => inspect::inspect(&db, unmasked)
            .map(|text| print!("{text}"))
            .map_err(|e| e.to_string()),
        Command::Replay {
            trace,
            utc_offset_hours,
            epsilon_m,
            json,
        } => replay_trace(&trace, utc_offset_hours, epsilon_m, json),
        Command::Disclosures {
            role,
            store,
            manifest,
        } => disclosures(role, store, manifest),
        Command::DriveChild {
            data_dir,
            server,
            order,
            trace,
            utc_offset_hours,
            from,
            shift_s,
        } => demo::drive_child(
            demo::driver_config(&data_dir, &server),
            &order,
            trace.as_deref(),
            utc_offset_hours,
            from,
            shift_s,
        )
        .map_err(|e| e.to_string()),
    };
    if let Err(e) = result {
        eprintln!("waybill: {e}");
        std::process::exit(1);
    }
}

fn replay_trace(
    path: &std::path::Path,
    utc_offset_hours: i32,
    epsilon_m: f64,
    json: bool,
) -> Result<(), String> {
    let fixes = trace_file::read_path(path, utc_offset_hours).map_err(|e| e.to_string())?;
    if fixes.is_empty() {
        return Err(format!("{}: no fixes with a time", path.display()));
    }
    let figures = replay::replay(&fixes, epsilon_m);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&figures).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", replay::render(&path.display().to_string(), &figures));
    }
    Ok(())
}

fn disclosures(role: AppRole, store: Store, path: Option<PathBuf>) -> Result<(), String> {
    use waybill_core::privacy::{disclosures, manifest};
    let role = match (role, store) {
        (AppRole::Driver, _) => waybill_core::Role::Driver,
        (AppRole::Shipper, _) => waybill_core::Role::Shipper,
        (AppRole::Both, Store::Apple) if path.is_none() => {
            let [driver, shipper] =
                [waybill_core::Role::Driver, waybill_core::Role::Shipper].map(|r| {
                    manifest::Manifest::parse(manifest::builtin(r)).map_err(|e| e.to_string())
                });
            print!(
                "{}",
                disclosures::apple_privacy_info_of(&[&driver?, &shipper?])
            );
            return Ok(());
        }
        (AppRole::Both, _) => {
            return Err(
                "--role both is for Apple's package manifest with the built-in \
                        manifests; the Play form and a manifest file are per app"
                    .into(),
            );
        }
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
