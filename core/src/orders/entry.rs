//! Address entry for errands (P-13, P-21): a typed address needs nothing; one contact the
//! person picked in the OS picker fills a sender or recipient, under the `contact_pick`
//! consent with the contacts permission, and is kept nowhere but as the errand's party
//! once placed (no call takes a list: the address book is never read in bulk); "use my
//! location" fills the pickup point under `locate_me` with the location permission
//! granted, rounded to what an address needs (about 100 m), and is not kept.

use chrono::Utc;
use waybill_protocol::LatLon;

use super::engine::Orders;
use crate::error::{Error, Result};
use crate::privacy::PurposeState;
use crate::privacy::transparency::{DataAction, DataEvent, record};
use crate::purpose::Purpose;

/// One contact the person picked in the OS contact picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickedContact {
    /// The contact's name as the picker gave it.
    pub name: String,
    /// One of its numbers, the one the person chose.
    pub phone: String,
}

impl Orders {
    /// Checks one picked contact for a sender or recipient field, under the `contact_pick`
    /// consent and the contacts permission (`ConsentRequired` / `PermissionRequired`
    /// otherwise: the person types the party instead). Returns it trimmed; it is stored
    /// only as the errand's party when the errand is placed. Logged as collected.
    pub(crate) fn pick_contact(&self, contact: &PickedContact) -> Result<PickedContact> {
        let name = contact.name.trim();
        let phone = contact.phone.trim();
        let phone_ok = (5..=20).contains(&phone.len())
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
        if name.is_empty() || name.chars().count() > 500 || name.chars().any(char::is_control) {
            return Err(Error::InvalidInput {
                reason: "contact name: 1..=500 characters, no control characters".into(),
            });
        }
        if !phone_ok {
            return Err(Error::InvalidInput {
                reason: "contact phone: 5..=20 of 0-9, +, - and space".into(),
            });
        }
        let basis = self.gate.check(Purpose::ContactPick)?;
        self.services.db.write(|tx| {
            let event = DataEvent::new(
                DataAction::Collected,
                basis.purpose(),
                &["picked_contact"],
                None,
                1,
                Utc::now(),
            );
            record(tx, &event)?;
            Ok::<_, Error>(())
        })?;
        Ok(PickedContact {
            name: name.to_string(),
            phone: phone.to_string(),
        })
    }

    /// The person's position for the pickup point (P-13), only under the `locate_me`
    /// consent with the location permission granted (a missing permission is
    /// `PermissionRequired`: the person types the address). Rounded to about 100 m and
    /// not kept.
    pub(crate) fn locate_me(&self, at: LatLon) -> Result<LatLon> {
        if !at.is_on_earth() {
            return Err(Error::InvalidInput {
                reason: "position must be finite, latitude within ±90 and longitude within ±180"
                    .into(),
            });
        }
        let manifest = self.gate.manifest();
        let state = self
            .services
            .db
            .read(|c| crate::privacy::purpose_state(c, &manifest, Purpose::LocateMe.id()))?;
        if let PurposeState::Degraded { permission } = state {
            return Err(Error::PermissionRequired {
                purpose: Purpose::LocateMe.id().into(),
                permission: permission.as_str().into(),
            });
        }
        let basis = self.gate.check(Purpose::LocateMe)?;
        self.services.db.write(|tx| {
            let event = DataEvent::new(
                DataAction::Collected,
                basis.purpose(),
                &["approximate_location"],
                None,
                1,
                Utc::now(),
            );
            record(tx, &event)?;
            Ok::<_, Error>(())
        })?;
        Ok(LatLon {
            lat: (at.lat * 1_000.0).round() / 1_000.0,
            lon: (at.lon * 1_000.0).round() / 1_000.0,
        })
    }
}
