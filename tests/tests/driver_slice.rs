//! The walking skeleton's slice, end to end: the core against the real server process on
//! loopback. Sign in, download nearby offers, lose the network, restart, accept offline,
//! restart again, come back online through a link that loses the first reply, and check
//! the server applied the acceptance exactly once.

use waybill_core::{
    Error, OrderList, OrderStatus, RejectionReason, SyncState, Unavailable, Waybill,
};
use waybill_e2e::{
    LossyProxy, SHANGHAI, ServerProbe, ServerProcess, consenting_driver, driver_config,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_acceptance_survives_restart_and_applies_once_despite_a_lost_reply() {
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.sqlite3");
    let device_dir = dir.path().join("device");
    let server = ServerProcess::start_fresh(&server_db);
    let proxy = LossyProxy::start(server.addr).await;
    let config = driver_config(&device_dir, &proxy.base_url());

    // Online: accept the policy, sign in and download the offers near the driver.
    let client = Waybill::open_with_key_file(config.clone()).unwrap();
    client.accept_policy("first_run_dialog").unwrap();
    let account = waybill_e2e::sign_in(&client).await;
    let offers = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    assert!(offers.len() >= 3, "seeded offers near Shanghai: {offers:?}");
    let target = offers[0].id.clone();
    drop(client);

    // The network goes away (the server dies), and the app restarts.
    let addr = server.kill();
    let client = Waybill::open_with_key_file(config.clone()).unwrap();
    assert_eq!(
        client.account_id().unwrap().as_deref(),
        Some(account.as_str())
    );
    let cached = client.orders(OrderList::Open).unwrap();
    assert_eq!(
        cached.iter().map(|o| &o.id).collect::<Vec<_>>(),
        offers.iter().map(|o| &o.id).collect::<Vec<_>>(),
        "the open list comes from the cache after a restart"
    );
    let refresh = client.refresh_open_orders(SHANGHAI, 60_000).await;
    assert!(matches!(refresh, Err(Error::Offline { .. })), "{refresh:?}");

    // Accept offline: durable and visible at once, queued for the server.
    let accepted = client.accept_order(&target).unwrap();
    assert_eq!(accepted.status, OrderStatus::Accepted);
    assert_eq!(accepted.sync_state, SyncState::Pending);
    assert!(matches!(client.sync().await, Err(Error::Offline { .. })));
    drop(client);

    // Restart again: the acceptance is still queued.
    let client = Waybill::open_with_key_file(config.clone()).unwrap();
    assert_eq!(client.pending_actions().unwrap(), 1);
    let mine = client.orders(OrderList::Mine).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, target);
    assert!(
        client
            .orders(OrderList::Open)
            .unwrap()
            .iter()
            .all(|o| o.id != target)
    );

    // Back online, but the first reply is lost after the server committed it.
    let server = ServerProcess::start(&server_db, &addr.to_string());
    let probe = ServerProbe::connect(&server.base_url).await;
    proxy.drop_next_replies(1);
    let lost = client.sync().await;
    assert!(matches!(lost, Err(Error::Offline { .. })), "{lost:?}");
    assert_eq!(proxy.replies_left_to_drop(), 0, "the reply was dropped");
    assert_eq!(
        probe.event_kinds(&target).await,
        ["accepted"],
        "the server applied it"
    );
    assert_eq!(
        client.pending_actions().unwrap(),
        1,
        "the client could not know"
    );

    // The retry carries the same idempotency key: the server replays, applies nothing new.
    let report = client.sync().await.unwrap();
    assert_eq!(report.pushed, 1);
    assert!(report.rejected.is_empty());
    assert_eq!(client.pending_actions().unwrap(), 0);
    assert_eq!(
        probe.event_kinds(&target).await,
        ["accepted"],
        "exactly one acceptance"
    );
    let order = client.order(&target).unwrap();
    assert_eq!(order.status, OrderStatus::Accepted);
    assert_eq!(order.sync_state, SyncState::Synced);
    assert!(order.assigned_to_me);

    // A further sync has nothing to do and changes nothing on the server.
    assert_eq!(client.sync().await.unwrap().pushed, 0);
    assert_eq!(probe.event_kinds(&target).await, ["accepted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_acceptance_of_an_order_taken_meanwhile_is_rolled_back_and_surfaced() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let first = consenting_driver(&dir.path().join("a"), &server.base_url);
    let late = consenting_driver(&dir.path().join("b"), &server.base_url);
    waybill_e2e::sign_in(&first).await;
    waybill_e2e::sign_in(&late).await;
    let target = first.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0]
        .id
        .clone();
    late.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();

    // The first driver takes it; the late one, from a stale cache, accepts it too.
    first.accept_order(&target).unwrap();
    assert_eq!(first.sync().await.unwrap().pushed, 1);
    assert_eq!(
        late.accept_order(&target).unwrap().sync_state,
        SyncState::Pending
    );

    let report = late.sync().await.unwrap();
    assert_eq!(report.pushed, 0);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(
        report.rejected[0].reason,
        RejectionReason::TakenByAnotherDriver
    );
    assert_eq!(late.pending_actions().unwrap(), 0);
    assert!(
        late.orders(OrderList::Mine).unwrap().is_empty(),
        "rolled back"
    );
    assert!(
        late.orders(OrderList::Open)
            .unwrap()
            .iter()
            .all(|o| o.id != target)
    );

    // Surfaced until dismissed, and a new attempt fails at once with a typed reason.
    let rejections = late.rejections().unwrap();
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].order_id, target);
    assert_eq!(
        late.accept_order(&target),
        Err(Error::OrderNotAvailable {
            order_id: target.clone(),
            reason: Unavailable::TakenByAnotherDriver
        })
    );
    late.dismiss_rejection(rejections[0].id).unwrap();
    assert!(late.rejections().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_twice_keeps_one_account_and_bad_calls_get_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let client = consenting_driver(&dir.path().join("d"), &server.base_url);

    assert_eq!(
        client.refresh_open_orders(SHANGHAI, 1_000).await,
        Err(Error::NotSignedIn)
    );
    assert_eq!(client.accept_order("ord-sh-0001"), Err(Error::NotSignedIn));
    let account = waybill_e2e::sign_in(&client).await;
    assert_eq!(client.sign_in().await.unwrap(), account, "held: no traffic");

    let nan = waybill_core::LatLon {
        lat: f64::NAN,
        lon: 0.0,
    };
    assert!(matches!(
        client.refresh_open_orders(nan, 1_000).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        client.refresh_open_orders(SHANGHAI, 0).await,
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(
        client.accept_order("no-such-order"),
        Err(Error::OrderNotFound {
            order_id: "no-such-order".into()
        })
    );
    // Far from every offer: an empty list, not an error.
    let nowhere = waybill_core::LatLon {
        lat: -45.0,
        lon: -120.0,
    };
    assert!(
        client
            .refresh_open_orders(nowhere, 10_000)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_server_lost_asks_for_a_code_and_the_queue_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server-1.sqlite3"));
    let client = consenting_driver(&dir.path().join("d"), &server.base_url);
    let phone = waybill_e2e::fresh_phone();
    let old_account = waybill_e2e::sign_in_as(&client, &phone).await;
    let target = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0]
        .id
        .clone();
    client.accept_order(&target).unwrap();

    // The backend loses every session (a fresh database on the same address).
    let addr = server.kill();
    let server = ServerProcess::start(&dir.path().join("server-2.sqlite3"), &addr.to_string());
    assert_eq!(client.pending_actions().unwrap(), 1);
    // The key alone does not sign in to a server that does not know the device: no
    // silent registration, a typed state, the queue kept.
    assert_eq!(client.sync().await, Err(Error::SignInRequired));
    assert!(matches!(
        client.account_state().unwrap(),
        waybill_core::AccountState::SignedOut { .. }
    ));
    assert_eq!(client.pending_actions().unwrap(), 1);
    // The same person (the same number): their queue resumes.
    let new_account = waybill_e2e::sign_in_as(&client, &phone).await;
    assert_eq!(client.sync().await.unwrap().pushed, 1, "the queue resumes");
    assert_ne!(new_account, old_account, "a new account on the new backend");
    assert_eq!(client.pending_actions().unwrap(), 0);
    let probe = ServerProbe::connect(&server.base_url).await;
    assert_eq!(probe.event_kinds(&target).await, ["accepted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_follows_the_route_arrives_at_stops_and_agrees_an_appointment() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let client = consenting_driver(&dir.path().join("d"), &server.base_url);
    waybill_e2e::sign_in(&client).await;
    let offer = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap()[0].clone();
    // The route: load within a morning window, deliver within an afternoon one.
    assert_eq!(offer.stops.len(), 2);
    assert_eq!(offer.stops[0].kind, waybill_core::StopKind::Pickup);
    assert!(offer.stops[0].window_start < offer.stops[0].window_end);
    assert!(offer.stops[0].window_end < offer.stops[1].window_start);

    assert!(
        matches!(
            client.arrive(&offer.id, 0),
            Err(Error::InvalidTransition { .. })
        ),
        "only the driver holding the order arrives"
    );
    client.accept_order(&offer.id).unwrap();
    client.arrive(&offer.id, 0).unwrap();
    assert!(
        matches!(client.arrive(&offer.id, 7), Err(Error::InvalidInput { .. })),
        "no such stop"
    );
    let at = chrono::Utc::now() + chrono::Duration::days(1);
    client.set_appointment(&offer.id, at).unwrap();
    client.pick_up(&offer.id).unwrap();
    client.arrive(&offer.id, 1).unwrap();
    client.deliver(&offer.id).unwrap();
    assert_eq!(client.sync().await.unwrap().pushed, 6);

    let probe = ServerProbe::connect(&server.base_url).await;
    assert_eq!(
        probe.event_kinds(&offer.id).await,
        [
            "accepted",
            "arrived",
            "appointment",
            "picked_up",
            "arrived",
            "delivered"
        ]
    );
    let notes = probe.event_notes(&offer.id).await;
    assert!(notes[0].starts_with("pickup: "), "{notes:?}");
    assert!(notes[2].starts_with("drop-off: "), "{notes:?}");
    let order = client.order(&offer.id).unwrap();
    assert_eq!(
        order.appointment_at.map(|t| t.timestamp()),
        Some(at.timestamp()),
        "the appointment came back with the server's order"
    );
}
