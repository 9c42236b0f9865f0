//! Waybill's client core: the engines behind the driver and shipper apps, in plain Rust.
//! The FFI crate (`waybill-ffi`) wraps this API for Kotlin and Swift and adds no rules.
//!
//! Five engines, each a folder that owns its handle, state, rules, storage and network
//! step: `account` (the session), `orders` (cache, outbox, change feed), `track` (fix
//! filter, legs, group commit, trajectory upload), `proof` (intake, sealed files, tus
//! upload) and `privacy` (manifest, ledger, gate, purge, retention, rights). `client`
//! composes them over the shared `services`; `sync` schedules their steps
//! (docs/architecture.md).
#![forbid(unsafe_code)]

mod account;
mod client;
mod config;
mod convenience;
pub mod db;
mod embedded;
mod error;
pub mod logging;
mod marketing;
pub mod mask;
mod media;
pub mod net;
mod notices;
mod observe;
pub mod orders;
mod origin;
mod pins;
pub mod privacy;
pub mod proof;
mod purpose;
mod push;
pub mod secrets;
mod service_log;
mod services;
mod session;
mod sync;
mod tasks;
#[cfg(test)]
mod test_support;
mod ticket;
#[cfg(feature = "reqwest")]
pub mod tls;
pub mod track;
mod waybills;

pub use account::real_name::RealNameState;
pub use account::{AccountState, SignedIn};
pub use client::PushRefresh;
pub use client::{DELIVERY_GEOFENCE_M, Waybill};
pub use config::Config;
pub use convenience::{LastSender, SavedAddress};
pub use error::{Error, Result, Unavailable};
pub use notices::NoticesPulled;
pub use observe::{ChangeListener, ListenerId, Topic};
pub use orders::courier::CourierTrack;
pub use orders::engine::MAX_RADIUS_M;
pub use orders::entry::PickedContact;
pub use orders::history::{ActionState, HistoryEntry};
pub use orders::outbox::OutboxEntry;
pub use orders::parties::OrderContact;
pub use orders::rejections::{Rejection, RejectionReason, Resolution};
pub use orders::scan::{ParcelCheck, ScanMatch};
pub use orders::{Order, OrderList, SyncState};
pub use privacy::ledger::{DecisionKind, Receipt};
pub use privacy::manifest::{Permission, PolicyChange};
pub use privacy::permissions::{PermissionAsk, PermissionState};
pub use privacy::policy_text::PolicyText;
pub use privacy::rights::{RequestStatus, RightsRequest};
pub use privacy::settings::{HeldRow, PermissionRow, PurposeRow, SdkRow, SettingsView};
pub use privacy::transparency::{DataAction, DataEvent};
pub use privacy::{PolicyStatus, PurposeState};
pub use proof::rules::{ProofCheck, ProofRule, Requirement};
pub use proof::{Capture, Proof, ProofKind, ProofSource};
pub use purpose::Purpose;
pub use push::PushState;
pub use secrets::{KeyFile, SecretStore, SecretStoreError};
pub use sync::SyncReport;
pub use sync::{BackgroundSync, Network};
pub use tasks::CallToken;
pub use ticket::Ticket;
pub use track::Fix;
pub use track::events::{GapReason, TrackEvent, TrackEventKind};
pub use track::plan::{Accuracy, Idle, TrackingPlan};
pub use track::tracker::TrackingDiagnostics;
/// The wire types, for callers that build requests' bodies (an errand's parties).
pub use waybill_protocol as protocol;
pub use waybill_protocol::notices::{MarketingMessage, Notice, NoticeKind};
pub use waybill_protocol::push::{PushPlatform, PushTopic};
pub use waybill_protocol::waybills::{Milestone, MilestoneKind, WaybillStatus};
pub use waybill_protocol::{LatLon, NewErrand, OrderStatus, RightKind, Role, Stop, StopKind};
pub use waybills::KeptWaybill;
