//! `waybill-server --db PATH --listen 127.0.0.1:0 [--seed-demo]`,
//! `waybill-server --db PATH --suspend ACCOUNT` (or `--reinstate`), or
//! `waybill-server --print-openapi` (the contract's OpenAPI 3.1 document on stdout).
//!
//! The first line on stdout is the base URL it listens on (`http://127.0.0.1:PORT`), so a
//! test or script can start it on a free port and read where it went. Logs go to stderr.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Waybill reference server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// SQLite database file (created if missing).
    #[arg(long, required_unless_present = "print_openapi")]
    db: Option<PathBuf>,
    /// Print the OpenAPI 3.1 document of the contract and exit.
    #[arg(long)]
    print_openapi: bool,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Insert the demo offers if the database has no orders.
    #[arg(long)]
    seed_demo: bool,
    /// Open connections served at once; one more is answered 503 and closed.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Seconds to receive a request's headers (also ends idle keep-alive connections).
    #[arg(long, default_value_t = 10.0)]
    header_timeout_secs: f64,
    /// Seconds to receive and answer a whole request, body included.
    #[arg(long, default_value_t = 90.0)]
    request_timeout_secs: f64,
    /// Operator: suspend this account (every request refused `account_suspended`,
    /// nothing deleted) in `--db`, then exit.
    #[arg(long, value_name = "ACCOUNT_ID")]
    suspend: Option<String>,
    /// Operator: lift a suspension in `--db`, then exit.
    #[arg(long, value_name = "ACCOUNT_ID")]
    reinstate: Option<String>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();
    if args.print_openapi {
        println!("{}", waybill_server::openapi::document());
        return;
    }
    let Some(db) = args.db else {
        eprintln!("waybill-server: --db is required");
        std::process::exit(2);
    };
    if let Some((account, suspend)) = args
        .suspend
        .as_ref()
        .map(|a| (a, true))
        .or(args.reinstate.as_ref().map(|a| (a, false)))
    {
        let changed = waybill_server::store::open(&db)
            .and_then(|c| waybill_server::devices::set_suspended(&c, account, suspend));
        match changed {
            Ok(true) => return,
            Ok(false) => {
                eprintln!("waybill-server: no open account {account}");
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("waybill-server: {e}");
                std::process::exit(1);
            }
        }
    }
    let secs = |s: f64| std::time::Duration::from_secs_f64(s.clamp(0.01, 86_400.0));
    let limits = waybill_server::serve::Limits {
        max_connections: args.max_connections.max(1),
        header_timeout: secs(args.header_timeout_secs),
        request_timeout: secs(args.request_timeout_secs),
    };
    let server = match waybill_server::start_with(&db, args.listen, args.seed_demo, limits).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("waybill-server: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", server.base_url());
    let _ = out.flush();
    drop(out);
    tracing::info!(addr = %server.addr, "listening");
    let _ = tokio::signal::ctrl_c().await;
    if let Err(e) = server.stop().await {
        eprintln!("waybill-server: {e}");
        std::process::exit(1);
    }
}
