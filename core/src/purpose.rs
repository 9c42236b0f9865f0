//! The purposes the core's own collection paths serve, as a type: a path names its purpose
//! once, and a typo is a compile error instead of a gate that never opens. The manifest
//! declares each of them by this id (`every_core_purpose_is_declared` checks both apps).

use waybill_protocol::Role;

/// A purpose of the policy manifest that a collection path of the core serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Registering and keeping the account (device info, receipts, rights requests).
    Account,
    /// Offers near the driver (approximate location).
    NearbyOrders,
    /// Carrying an order (the driver app's order records and parties).
    OrderFulfilment,
    /// The trajectory of a leg, under its own consent.
    Trajectory,
    /// Photo proofs (camera).
    ProofPhotos,
    /// Placing errands (the shipper app's order records and parties).
    ErrandPlacement,
    /// The shipper's optional real-name check (ID card photo and face image).
    RealNameVerification,
    /// The driver's map and navigation (positions to the map SDK, nothing stored).
    Navigation,
    /// One photo the driver picks from the album for a proof (the photos permission).
    AlbumUpload,
    /// The driver's service log (what was done when), kept until the server has it.
    ServiceLogs,
    /// Pushes of order changes and notices (the device's push token, P-23).
    PushNotifications,
    /// The shipper's "use my location" for the pickup point (P-13).
    LocateMe,
    /// One contact picked in the OS picker for a sender or recipient (P-21).
    ContactPick,
    /// The shipper's convenience data: waybills looked up or followed, recent addresses,
    /// the last sender (P-39).
    Convenience,
    /// Offers from the operator, each with its unsubscribe (P-64).
    Marketing,
}

impl Purpose {
    /// Every purpose, for checks against a manifest.
    pub const ALL: [Purpose; 15] = [
        Purpose::Account,
        Purpose::NearbyOrders,
        Purpose::OrderFulfilment,
        Purpose::Trajectory,
        Purpose::ProofPhotos,
        Purpose::ErrandPlacement,
        Purpose::RealNameVerification,
        Purpose::Navigation,
        Purpose::AlbumUpload,
        Purpose::ServiceLogs,
        Purpose::PushNotifications,
        Purpose::LocateMe,
        Purpose::ContactPick,
        Purpose::Convenience,
        Purpose::Marketing,
    ];

    /// The manifest's id of the purpose.
    pub const fn id(self) -> &'static str {
        match self {
            Purpose::Account => "account",
            Purpose::NearbyOrders => "nearby_orders",
            Purpose::OrderFulfilment => "order_fulfilment",
            Purpose::Trajectory => "trajectory_upload",
            Purpose::ProofPhotos => "proof_photos",
            Purpose::ErrandPlacement => "errand_placement",
            Purpose::RealNameVerification => "real_name_verification",
            Purpose::Navigation => "navigation",
            Purpose::AlbumUpload => "album_upload",
            Purpose::ServiceLogs => "service_logs",
            Purpose::PushNotifications => "push_notifications",
            Purpose::LocateMe => "locate_me",
            Purpose::ContactPick => "contact_pick",
            Purpose::Convenience => "convenience",
            Purpose::Marketing => "marketing",
        }
    }

    /// The purpose order data is processed for in an app of `role`.
    pub const fn for_orders(role: Role) -> Purpose {
        match role {
            Role::Driver => Purpose::OrderFulfilment,
            Role::Shipper => Purpose::ErrandPlacement,
        }
    }
}

impl std::fmt::Display for Purpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
