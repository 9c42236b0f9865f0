//! The order engine's handle: the cache for both roles, the driver's and the shipper's
//! actions (each durable with its outbox entry when the call returns), the refusals the
//! UI shows, and the parties' contact. Its network steps are in `sync`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use waybill_protocol::{ActionKind, LatLon, NewErrand, Role};

use super::courier::{CourierTrack, Followed};
use super::history::{self, ActionState, HistoryEntry};
use super::outbox::{self, Extras, OutboxEntry};
use super::parties::{self, OrderContact};
use super::rejections::{self, Rejection, Resolution};
use super::scan::{self, ParcelCheck, ScanMatch};
use super::{Order, OrderList, actions};
use crate::account::Account;
use crate::error::{Error, Result};
use crate::privacy::gate::Gate;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::service_log::ServiceLog;
use crate::services::Services;
use waybill_protocol::service_log::ServiceEventKind;

/// Largest search radius for nearby offers.
pub const MAX_RADIUS_M: u32 = 200_000;

/// The order engine.
pub(crate) struct Orders {
    pub(super) services: Arc<Services>,
    pub(super) gate: Arc<Gate>,
    pub(super) account: Arc<Account>,
    /// Each action is logged with its own write, if the person allowed service logs.
    service_log: Arc<ServiceLog>,
    /// The couriers this shipper follows (memory only).
    followed: Followed,
}

impl Orders {
    /// The engine; actions need the account (`NotSignedIn` without one).
    pub(crate) fn new(
        services: Arc<Services>,
        gate: Arc<Gate>,
        account: Arc<Account>,
        service_log: Arc<ServiceLog>,
    ) -> Orders {
        Orders {
            services,
            gate,
            account,
            service_log,
            followed: Followed::default(),
        }
    }

    /// The purpose order data is processed for in this app.
    pub(crate) fn purpose(&self) -> Purpose {
        Purpose::for_orders(self.services.config.role)
    }

    /// Orders from the cache.
    /// Whether this driver carries an order now (one held and not closed).
    pub(crate) fn carrying(&self) -> Result<bool> {
        Ok(self.services.db.read(super::holds_open_order)?)
    }

    pub(crate) fn list(&self, which: OrderList) -> Result<Vec<Order>> {
        Ok(self.services.db.read(|c| super::list(c, which))?)
    }

    /// One order from the cache, or `OrderNotFound`.
    pub(crate) fn get(&self, order_id: &str) -> Result<Order> {
        self.services
            .db
            .read(|c| super::get(c, order_id))?
            .ok_or_else(|| Error::OrderNotFound {
                order_id: order_id.to_string(),
            })
    }

    /// Orders whose id, places or goods contain `text`.
    pub(crate) fn search(&self, text: &str) -> Result<Vec<Order>> {
        Ok(self.services.db.read(|c| super::search(c, text))?)
    }

    /// The order a scanned waybill code names in the cache (offline).
    pub(crate) fn find_by_code(&self, scanned: &str) -> Result<ScanMatch> {
        self.services.db.read(|c| scan::find(c, scanned))
    }

    /// Whether the scanned parcel is the one `order_id` names (offline).
    pub(crate) fn check_parcel(&self, order_id: &str, scanned: &str) -> Result<ParcelCheck> {
        self.services.db.read(|c| scan::check(c, order_id, scanned))
    }

    /// An order's history as this device saw it.
    pub(crate) fn history(&self, order_id: &str) -> Result<Vec<HistoryEntry>> {
        Ok(self.services.db.read(|c| history::list(c, order_id))?)
    }

    /// When the last delivery this device saw happened (its own or an errand's).
    pub(crate) fn last_delivery(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self.services.db.read(super::history::last_delivery)?)
    }

    /// Queued actions, in push order.
    pub(crate) fn pending(&self) -> Result<Vec<OutboxEntry>> {
        Ok(self.services.db.read(outbox::all)?)
    }

    /// When the first queued action that can be sent is due again (`None`: nothing
    /// queued). An order's later actions wait behind its first (`outbox::due` sends none of
    /// them while it backs off), so only each order's first counts: a follower's earlier
    /// backoff would wake the job for a run that sends nothing.
    pub(crate) fn next_attempt_at(pending: &[OutboxEntry]) -> Option<DateTime<Utc>> {
        // Owned ids: the same set type `outbox::sendable` uses, so no second copy of
        // the hash set's code ships in the library.
        let mut orders = std::collections::HashSet::<String>::new();
        pending
            .iter()
            .filter(|e| orders.insert(e.order_id.clone()))
            .map(|e| e.next_attempt_at.unwrap_or_else(Utc::now))
            .min()
    }

    /// Queues `kind` on `order_id` (legal from the effective status, or refused at once).
    pub(crate) fn take(
        &self,
        order_id: &str,
        kind: ActionKind,
        note: Option<&str>,
        extras: Option<Extras>,
    ) -> Result<Order> {
        self.account.require_signed_in()?;
        let basis = self.gate.check(self.purpose())?;
        let log = self.service_log.basis();
        let order = self.services.db.write(|tx| {
            let order = actions::take(tx, &basis, order_id, kind, note, extras)?;
            if let Some(log) = &log {
                let event = ServiceEventKind::Action(kind);
                self.service_log.record_in(tx, log, event, Some(order_id))?;
            }
            Ok::<_, Error>(order)
        })?;
        tracing::info!(order_id, action = kind.as_str(), "action queued");
        Ok(order)
    }

    /// The driver reached stop `stop_index` (reported, or `note`d as detected).
    pub(crate) fn arrive(
        &self,
        order_id: &str,
        stop_index: u32,
        note: Option<&str>,
    ) -> Result<Order> {
        let extras = Extras {
            stop: Some(stop_index),
            ..Extras::default()
        };
        self.take(order_id, ActionKind::Arrive, note, Some(extras))
    }

    /// An arrival the trajectory detected becomes an `arrive` action, unless the driver
    /// already reported one on this order (their own report wins).
    pub(crate) fn offer_detected_arrival(&self, order_id: &str, stop: u32) {
        let reported = self
            .history(order_id)
            .is_ok_and(|h| h.iter().any(|a| a.by_me && a.event == "arrive"));
        if reported {
            return;
        }
        if let Err(err) = self.arrive(order_id, stop, Some("detected at the stop's geofence")) {
            tracing::warn!(error = %err, stop, "could not record a detected arrival");
        }
    }

    /// The driver agreed a delivery time with the consignee.
    pub(crate) fn set_appointment(&self, order_id: &str, at: DateTime<Utc>) -> Result<Order> {
        let extras = Extras {
            appointment_at: Some(at),
            ..Extras::default()
        };
        self.take(order_id, ActionKind::Appoint, None, Some(extras))
    }

    /// Reports a problem; the status stays.
    pub(crate) fn report_exception(&self, order_id: &str, note: &str) -> Result<Order> {
        if note.trim().is_empty() {
            return Err(Error::InvalidInput {
                reason: "an exception needs a note saying what happened".into(),
            });
        }
        self.take(order_id, ActionKind::ReportException, Some(note), None)
    }

    /// `InvalidInput` saying `why` in the driver's app.
    fn require_shipper(&self, why: &str) -> Result<()> {
        if self.services.config.role == Role::Shipper {
            Ok(())
        } else {
            Err(Error::InvalidInput { reason: why.into() })
        }
    }

    /// A shipper places an errand offline (the order id is made here).
    pub(crate) fn place_errand(
        &self,
        errand: &NewErrand,
        may_share_parties: bool,
    ) -> Result<Order> {
        self.require_shipper("only the shipper app places errands")?;
        if !may_share_parties {
            return Err(Error::ThirdPartyConfirmationRequired);
        }
        if !errand.is_valid() {
            return Err(Error::InvalidInput {
                reason: waybill_protocol::ERRAND_RULES.into(),
            });
        }
        self.account.require_signed_in()?;
        let basis = self.gate.check(Purpose::ErrandPlacement)?;
        let order = self
            .services
            .db
            .write(|tx| super::place_errand(tx, &basis, errand))?;
        tracing::info!(order_id = %order.id, "errand queued");
        Ok(order)
    }

    /// Withdraws a queued action with the later ones of its order that build on it.
    pub(crate) fn cancel_pending(&self, seq: i64) -> Result<u32> {
        let removed = self.services.db.write(|tx| {
            let removed = outbox::remove_with_followers(tx, seq)?;
            for entry in &removed {
                history::settle(tx, &entry.idempotency_key, ActionState::Withdrawn)?;
            }
            Ok::<_, Error>(removed)
        })?;
        Ok(u32::try_from(removed.len()).unwrap_or(u32::MAX))
    }

    /// Edits the note of a queued exception report; false once it was sent.
    pub(crate) fn edit_pending_note(&self, seq: i64, note: &str) -> Result<bool> {
        actions::check_note(note)?;
        Ok(self
            .services
            .db
            .write(|tx| outbox::edit_note(tx, seq, note))?)
    }

    /// Refusals the UI has not dismissed yet.
    pub(crate) fn rejections(&self) -> Result<Vec<Rejection>> {
        Ok(self.services.db.read(rejections::list)?)
    }

    /// Forgets a refusal the user has seen.
    pub(crate) fn dismiss_rejection(&self, id: i64) -> Result<()> {
        Ok(self.services.db.write(|tx| rejections::dismiss(tx, id))?)
    }

    /// Settles a refusal: dismiss it, or take the same action again first.
    pub(crate) fn resolve_rejection(&self, id: i64, resolution: Resolution) -> Result<()> {
        let rejection = self
            .rejections()?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::InvalidInput {
                reason: format!("no rejection {id}"),
            })?;
        if resolution == Resolution::Retry {
            let kind = ActionKind::parse(&rejection.action).ok_or_else(|| Error::Internal {
                reason: format!("unknown action {:?}", rejection.action),
            })?;
            self.take(&rejection.order_id, kind, None, None)?;
        }
        self.dismiss_rejection(id)
    }

    /// The parties' contact of an order, in full only while it is held and open.
    pub(crate) fn contact(&self, order_id: &str, reveal: bool) -> Result<Option<OrderContact>> {
        Ok(self
            .services
            .db
            .read(|c| parties::for_display(c, order_id, reveal))?)
    }

    /// Downloads the open offers near `near` into the cache and returns the open list. The
    /// position sent is rounded to about a kilometre: a nearby search needs no more.
    /// The courier of this shipper's errand: the route since pickup (a page after the last
    /// one is fetched), the latest position, the distances; nothing before pickup or after
    /// delivery. Drivers follow no one.
    pub(crate) async fn follow_courier(&self, order_id: &str) -> Result<CourierTrack> {
        self.require_shipper("only an errand's shipper follows its courier")?;
        let session = self.account.session().await?;
        let basis = self.gate.ticket(Purpose::ErrandPlacement).await?;
        let after = self.followed.after(order_id);
        let view = self
            .services
            .api
            .follow_courier(&basis, &session.token, order_id, after)
            .await?;
        Ok(self.followed.merge(order_id, view))
    }

    /// Forgets the followed routes (they live in memory only).
    pub(crate) fn forget_followed(&self) {
        self.followed.clear();
    }

    pub(crate) async fn refresh_open_offers(
        &self,
        near: LatLon,
        radius_m: u32,
    ) -> Result<Vec<Order>> {
        let session = self.account.session().await?;
        let basis = self.gate.ticket(Purpose::NearbyOrders).await?;
        let offers = self
            .services
            .api
            .open_orders(&basis, &session.token, coarsen(near), radius_m)
            .await?;
        let count = offers.orders.len();
        let gate = Arc::clone(&self.gate);
        let list = self
            .services
            .blocking(move |s| {
                s.db.write(|tx| {
                    super::replace_open_offers(tx, &offers.orders, &session.account_id)?;
                    gate.record(tx, DataAction::Sent, &basis, &["approximate_location"], 1)
                })?;
                Ok(s.db.read(|c| super::list(c, OrderList::Open))?)
            })
            .await?;
        tracing::info!(count, "open offers refreshed");
        Ok(list)
    }

    /// Offers near `near` for a guest: sent without credentials, coarsened, not stored.
    pub(crate) async fn guest_offers(&self, near: LatLon) -> Result<Vec<Order>> {
        let basis = self.gate.ticket(Purpose::NearbyOrders).await?;
        let offers = self
            .services
            .api
            .guest_offers(&basis, coarsen(near))
            .await?;
        let gate = Arc::clone(&self.gate);
        self.services
            .blocking(move |s| {
                Ok(s.db.write(|tx| {
                    gate.record(tx, DataAction::Sent, &basis, &["approximate_location"], 1)
                })?)
            })
            .await?;
        Ok(offers.orders.iter().map(Order::from_offer).collect())
    }
}

/// Checks a nearby search before anything is sent.
pub(crate) fn check_search(near: LatLon, radius_m: u32) -> Result<()> {
    if !near.is_on_earth() {
        return Err(Error::InvalidInput {
            reason: "position must be finite, latitude within ±90 and longitude within ±180".into(),
        });
    }
    if radius_m == 0 || radius_m > MAX_RADIUS_M {
        return Err(Error::InvalidInput {
            reason: format!("radius_m must be within 1..={MAX_RADIUS_M}"),
        });
    }
    Ok(())
}

/// Rounds to 0.01° (about 1.1 km of latitude): enough for "offers near me".
fn coarsen(p: LatLon) -> LatLon {
    LatLon {
        lat: (p.lat * 100.0).round() / 100.0,
        lon: (p.lon * 100.0).round() / 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_coarsened_to_about_a_kilometre() {
        let p = coarsen(LatLon {
            lat: 31.230_416,
            lon: 121.473_701,
        });
        assert_eq!(
            p,
            LatLon {
                lat: 31.23,
                lon: 121.47
            }
        );
    }

    #[test]
    fn the_next_attempt_is_the_due_time_of_an_orders_first_action_not_of_one_waiting_behind_it() {
        let at = |order: &str, seq: i64, due: i64| OutboxEntry {
            seq,
            order_id: order.into(),
            action: ActionKind::Accept,
            idempotency_key: format!("k{seq}"),
            created_at: Utc::now(),
            attempts: 1,
            last_error: None,
            next_attempt_at: Some(DateTime::from_timestamp(due, 0).unwrap()),
            note: None,
            payload: None,
        };
        // The follower (seq 2) backs off less than its order's first action: it cannot go first.
        let one_order = [at("a", 1, 1_000), at("a", 2, 900)];
        assert_eq!(
            Orders::next_attempt_at(&one_order),
            DateTime::from_timestamp(1_000, 0)
        );
        let two_orders = [at("a", 1, 1_000), at("a", 2, 900), at("b", 3, 950)];
        assert_eq!(
            Orders::next_attempt_at(&two_orders),
            DateTime::from_timestamp(950, 0)
        );
        assert_eq!(Orders::next_attempt_at(&[]), None);
    }

    #[test]
    fn bad_searches_are_rejected() {
        for (lat, lon) in [
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
            (91.0, 0.0),
            (0.0, -181.0),
        ] {
            assert!(matches!(
                check_search(LatLon { lat, lon }, 1_000),
                Err(Error::InvalidInput { .. })
            ));
        }
        let edge = LatLon {
            lat: -90.0,
            lon: 180.0,
        };
        assert!(check_search(edge, MAX_RADIUS_M).is_ok());
        assert!(check_search(edge, MAX_RADIUS_M + 1).is_err());
        assert!(check_search(edge, 0).is_err());
    }
}
