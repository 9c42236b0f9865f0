//! What every engine needs and none owns: the database, the data key, the HTTP client, the
//! configuration and the change listeners. One small type, shared by `Arc`; engines hold
//! it next to the gate, and nothing in it knows an engine.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::task::JoinError;

use crate::config::Config;
use crate::db::{DataKey, Database};
use crate::error::{Error, Result};
use crate::net::ApiClient;
use crate::observe::Listeners;

/// The shared services of one client.
pub(crate) struct Services {
    /// The database (one writer, one reader).
    pub(crate) db: Database,
    /// Seals proof files (the database's columns have it registered already).
    pub(crate) key: DataKey,
    /// The HTTP client of the sync contract.
    pub(crate) api: ApiClient,
    /// The app's configuration.
    pub(crate) config: Config,
    /// The validated server URL (stored with the session).
    pub(crate) server_url: String,
    /// Who is told about changes.
    pub(crate) listeners: Listeners,
}

impl Services {
    /// Opens the database in `config.data_dir` with `key` and builds the HTTP client. No
    /// network traffic happens here.
    pub(crate) fn open(
        config: Config,
        key: DataKey,
        transport: Option<Arc<dyn crate::net::Transport>>,
    ) -> Result<Arc<Services>> {
        let server_url = config.validated_server_url()?;
        let db = Database::open(&config.data_dir, &key)?;
        let user_agent = format!(
            "waybill/{} {}/{}",
            env!("CARGO_PKG_VERSION"),
            config.app_id,
            config.app_version
        );
        let transport = match transport {
            Some(_) if !config.pinned_keys.is_empty() => {
                return Err(Error::InvalidConfig {
                    reason: "pinned_keys apply to the built-in transport; with the app's HTTP \
                             stack, pin there (OkHttp CertificatePinner, network_security_config \
                             pin-set, NSPinnedDomains)"
                        .into(),
                });
            }
            Some(transport) => transport,
            None => builtin_transport(&config)?,
        };
        let api = ApiClient::new(server_url.clone(), &user_agent, transport);
        Ok(Arc::new(Services {
            db,
            key,
            api,
            config,
            server_url,
            listeners: Listeners::default(),
        }))
    }

    /// Runs blocking SQLite work off the async workers.
    pub(crate) async fn blocking<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        F: FnOnce(&Services) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let job: BlockingJob = Box::new(move |s| Box::new(f(s)) as Erased);
        unerase::<Result<T>>(self.run_blocking(job).await?)?
    }

    /// [`Services::blocking`] without its type: one instance of tokio's blocking-task code
    /// for every call site.
    async fn run_blocking(self: &Arc<Self>, job: BlockingJob) -> Result<Erased> {
        let services = Arc::clone(self);
        tokio::task::spawn_blocking(move || job(&services))
            .await
            .map_err(join_error)
    }

    /// The app-private folder of proof files.
    pub(crate) fn proofs_dir(&self) -> PathBuf {
        self.config.data_dir.join("proofs")
    }
}

/// A task's result with its type erased ([`Services::blocking`], `Tasks::run`).
pub(crate) type Erased = Box<dyn std::any::Any + Send>;

/// The typed value back from an erased one; a mismatch cannot happen (each call unerases
/// what it erased) and is an internal error rather than a panic if it ever did.
pub(crate) fn unerase<T: 'static>(value: Erased) -> Result<T> {
    value
        .downcast::<T>()
        .map(|b| *b)
        .map_err(|_| Error::Internal {
            reason: "a task returned a value of another type".into(),
        })
}

/// Blocking work with its type erased.
type BlockingJob = Box<dyn FnOnce(&Services) -> Erased + Send>;

/// A task that did not finish: the runtime shut down, or the task panicked.
pub(crate) fn join_error(e: JoinError) -> Error {
    if e.is_cancelled() {
        Error::Shutdown
    } else {
        Error::Internal {
            reason: "a core task panicked".into(),
        }
    }
}

/// Services on a fresh data directory, for the engines' unit tests (the server URL is
/// never dialled).
#[cfg(test)]
pub(crate) fn for_test(dir: &std::path::Path, role: waybill_protocol::Role) -> Arc<Services> {
    let config = Config {
        data_dir: dir.to_path_buf(),
        server_url: "http://127.0.0.1:9".into(),
        app_id: "com.example.waybill.test".into(),
        app_version: "0.1.0-test".into(),
        role,
        pinned_keys: vec![],
        control_key: None,
    };
    Services::open(config, crate::db::test_key(), None).expect("services open")
}

/// The built-in transport: reqwest with the core's TLS policy and `pinned_keys`.
#[cfg(feature = "reqwest")]
fn builtin_transport(config: &Config) -> Result<Arc<dyn crate::net::Transport>> {
    let pins = crate::pins::parse_pins(&config.pinned_keys)
        .map_err(|reason| Error::InvalidConfig { reason })?;
    let transport = crate::net::reqwest_transport::ReqwestTransport::new(pins)
        .map_err(|reason| Error::Offline { reason })?;
    Ok(Arc::new(transport))
}

/// A build without the built-in transport (the mobile library) needs the app's.
#[cfg(not(feature = "reqwest"))]
fn builtin_transport(_: &Config) -> Result<Arc<dyn crate::net::Transport>> {
    Err(Error::InvalidConfig {
        reason: "this build has no HTTP stack of its own: open the client with the app's \
                 transport"
            .into(),
    })
}
