//! Waybill's reference backend: speaks the `/v1` sync contract over HTTP with SQLite
//! storage. It exists for development, the demo and the end-to-end tests; production
//! backends implement the same contract (docs/sync-contract.md).
#![forbid(unsafe_code)]

pub mod access;
pub mod account_api;
pub mod actions;
pub mod api;
pub mod closing;
pub mod control;
pub mod courier;
pub mod devices;
pub mod marketing;
pub mod notices;
pub mod openapi;
pub mod push;
pub mod real_name;
pub mod rights;
pub mod schema;
pub mod seed;
pub mod serve;
pub mod service_log;
pub mod sign_in;
pub mod store;
pub mod trajectory;
pub mod tus;
pub mod waybills;

use std::net::SocketAddr;
use std::path::Path;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use startup::{Error as StartError, Result as StartResult};

/// A server running on the current tokio runtime.
#[derive(Debug)]
pub struct RunningServer {
    /// Address it is bound to.
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Base URL clients use, e.g. `http://127.0.0.1:54321`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Opens (creating) the store at `db`, seeds demo offers if asked and the store is empty,
/// binds `listen` (port 0 picks a free port) and serves until stopped, with the default
/// [`serve::Limits`].
pub async fn start(db: &Path, listen: SocketAddr, seed_demo: bool) -> StartResult<RunningServer> {
    start_with(db, listen, seed_demo, serve::Limits::default()).await
}

/// How often expired uploads and old idempotency entries are swept.
pub const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// [`start`] with explicit connection and time limits.
pub async fn start_with(
    db: &Path,
    listen: SocketAddr,
    seed_demo: bool,
    limits: serve::Limits,
) -> StartResult<RunningServer> {
    let conn = store::open(db)?;
    if seed_demo {
        let added = seed::seed_demo(&conn)?;
        tracing::info!(added, "seeded demo offers");
    }
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    // Proof uploads next to the database: `server.sqlite3` → `server.sqlite3.uploads/`.
    let uploads = db.with_extension(db.extension().map_or("uploads".into(), |e| {
        format!("{}.uploads", e.to_string_lossy())
    }));
    let codes = std::sync::Arc::new(sign_in::DevFileSender::new(
        sign_in::DevFileSender::path_for(db),
    ));
    let state = api::AppState::new(conn, uploads, codes)
        .with_push_sender(std::sync::Arc::new(push::DevPushSender::for_db(db)));
    let sweeper = tokio::spawn(sweep_every(state.clone(), SWEEP_INTERVAL));
    let app = api::router(state);
    let task = tokio::spawn(async move {
        let served = serve::serve(listener, app, limits, async {
            let _ = rx.await;
        })
        .await;
        sweeper.abort();
        served
    });
    Ok(RunningServer {
        addr,
        shutdown: Some(tx),
        task,
    })
}

async fn sweep_every(state: api::AppState, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        // Pushes a failed request left queued go with the next tick at the latest.
        state.send_pushes().await;
        let dir = state.uploads_dir().to_path_buf();
        let swept = state
            .with_conn(move |c| store::sweep(c, &dir, chrono::Utc::now()))
            .await;
        match swept {
            Ok(s) if s.uploads + s.ledger + s.codes > 0 => {
                tracing::info!(
                    uploads = s.uploads,
                    ledger = s.ledger,
                    codes = s.codes,
                    "swept"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweep failed"),
        }
    }
}

/// Start-up errors.
pub mod startup {
    /// Why the server could not start.
    #[derive(Debug, thiserror::Error)]
    pub enum Error {
        /// The store could not be opened or seeded.
        #[error(transparent)]
        Store(#[from] crate::store::StoreError),
        /// The address could not be bound.
        #[error("bind: {0}")]
        Io(#[from] std::io::Error),
    }
    /// Result of start-up.
    pub type Result<T> = std::result::Result<T, Error>;
}
