//! The order engine against the real server: 1,000 actions taken offline across 50 orders
//! reach the server exactly once and in order per order, also through a proxy that loses
//! replies after the server committed, answers 500 and is slow; a shipper's cancellation
//! while the driver is offline surfaces as a rejection, never silently.

use waybill_core::{
    ActionState, Error, OrderList, OrderStatus, RejectionReason, Resolution, SyncState, Waybill,
};
use waybill_e2e::{LossyProxy, SHANGHAI, ServerProbe, ServerProcess, consenting_driver};

const ORDERS: u32 = 50;
const EXCEPTIONS_PER_ORDER: u32 = 17; // accept + pick up + 17 + deliver = 20 per order

/// Places 50 errands, lets the driver see them, and returns the client and the ids.
async fn driver_with_offers(
    dir: &std::path::Path,
    server_url: &str,
    direct_url: &str,
) -> (Waybill, Vec<String>) {
    let shipper = ServerProbe::connect(direct_url).await;
    let mut ids = vec![];
    for i in 0..ORDERS {
        ids.push(shipper.create_errand(SHANGHAI, i).await);
    }
    let client = consenting_driver(dir, server_url);
    waybill_e2e::sign_in(&client).await;
    let offers = client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    for id in &ids {
        assert!(offers.iter().any(|o| &o.id == id), "offer {id} is listed");
    }
    (client, ids)
}

/// 1,000 actions, interleaved across orders as a day of work would be.
fn take_a_thousand_actions(client: &Waybill, ids: &[String]) {
    for id in ids {
        client.accept_order(id).unwrap();
    }
    for id in ids {
        client.pick_up(id).unwrap();
    }
    for n in 0..EXCEPTIONS_PER_ORDER {
        for id in ids {
            client
                .report_exception(id, &format!("delay #{n}: traffic at the toll gate"))
                .unwrap();
        }
    }
    for id in ids {
        assert_eq!(client.deliver(id).unwrap().status, OrderStatus::Delivered);
    }
    assert_eq!(client.pending_actions().unwrap(), 1_000);
}

async fn assert_applied_once_in_order(server_url: &str, client: &Waybill, ids: &[String]) {
    let probe = ServerProbe::connect(server_url).await;
    let mut expected = vec![
        "placed".to_string(),
        "accepted".to_string(),
        "picked_up".to_string(),
    ];
    expected.extend((0..EXCEPTIONS_PER_ORDER).map(|_| "exception".to_string()));
    expected.push("delivered".into());
    for id in ids {
        assert_eq!(probe.event_kinds(id).await, expected, "history of {id}");
    }
    assert_eq!(client.pending_actions().unwrap(), 0);
    let mine = client.orders(OrderList::Mine).unwrap();
    assert_eq!(mine.len(), ids.len());
    assert!(
        mine.iter()
            .all(|o| o.status == OrderStatus::Delivered && o.sync_state == SyncState::Synced)
    );
    assert!(client.rejections().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_offline_actions_across_fifty_orders_apply_exactly_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let (client, ids) = driver_with_offers(&dir.path().join("d"), &url, &url).await;

    // Offline: the server is gone while the driver works.
    let addr = server.kill();
    take_a_thousand_actions(&client, &ids);
    assert!(matches!(client.sync().await, Err(Error::Offline { .. })));
    assert_eq!(client.pending_actions().unwrap(), 1_000, "nothing lost");

    let _server = ServerProcess::start(&db, &addr.to_string());
    let report = client.sync().await.unwrap();
    assert_eq!(report.pushed, 1_000);
    assert!(report.rejected.is_empty());
    assert!(
        report.push_requests <= 10,
        "{} requests for 1,000 actions",
        report.push_requests
    );
    assert_applied_once_in_order(&url, &client, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_replies_500s_and_delays_still_apply_every_action_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let (client, ids) =
        driver_with_offers(&dir.path().join("d"), &proxy.base_url(), &server.base_url).await;
    take_a_thousand_actions(&client, &ids);

    proxy.set_delay_ms(5);
    let mut failures = 0;
    for round in 0..40 {
        // Alternate the faults: a reply lost after the server committed, then 500s.
        match round % 3 {
            0 => proxy.drop_next_replies(1),
            1 => proxy.fail_next_connections(1),
            _ => {}
        }
        match client.sync().await {
            Ok(report) if report.remaining == 0 => break,
            Ok(_) => {}
            Err(Error::Offline { .. } | Error::Server { .. }) => failures += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert!(failures >= 2, "the faults were hit ({failures})");
    assert_applied_once_in_order(&server.base_url, &client, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_while_offline_rolls_back_and_is_shown_never_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let url = server.base_url.clone();
    let shipper = ServerProbe::connect(&url).await;
    let order = shipper.create_errand(SHANGHAI, 7).await;
    let other = shipper.create_errand(SHANGHAI, 8).await;
    let client = consenting_driver(&dir.path().join("d"), &url);
    waybill_e2e::sign_in(&client).await;
    client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
    client.accept_order(&order).unwrap();
    client.accept_order(&other).unwrap();
    client.sync().await.unwrap();

    // The driver picks up and delivers without signal; meanwhile the shipper cancels.
    client.pick_up(&order).unwrap();
    client.deliver(&order).unwrap();
    client.pick_up(&other).unwrap();
    shipper.cancel(&order).await;

    let report = client.sync().await.unwrap();
    assert_eq!(report.pushed, 1, "the other order is not held up");
    let reasons: Vec<_> = report
        .rejected
        .iter()
        .map(|r| (r.action.as_str(), r.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            ("pick_up", RejectionReason::OrderCancelled),
            ("deliver", RejectionReason::EarlierActionRefused)
        ]
    );
    assert_eq!(client.order(&order).unwrap().status, OrderStatus::Cancelled);
    assert_eq!(client.order(&other).unwrap().status, OrderStatus::PickedUp);
    let kept = client.rejections().unwrap();
    assert_eq!(kept.len(), 2, "kept until dismissed");
    // Both facts: when the driver picked up, and what the server says now.
    assert!(kept[0].taken_at.is_some());
    assert_eq!(kept[0].order_status, Some(OrderStatus::Cancelled));
    assert_eq!(
        kept[0].choices,
        [Resolution::Dismiss],
        "no retry on a cancelled order"
    );
    let history = client.order_history(&order).unwrap();
    let mine: Vec<_> = history
        .iter()
        .filter(|h| h.by_me)
        .map(|h| (h.event.as_str(), h.state))
        .collect();
    assert_eq!(
        mine,
        [
            ("accept", Some(ActionState::Confirmed)),
            ("pick_up", Some(ActionState::Refused)),
            ("deliver", Some(ActionState::Refused)),
        ]
    );
    assert!(
        history.iter().any(|h| !h.by_me && h.event == "cancelled"),
        "{history:?}"
    );
    client
        .resolve_rejection(kept[0].id, Resolution::Dismiss)
        .unwrap();
    assert_eq!(client.rejections().unwrap().len(), 1);
    // Illegal transitions are typed errors at once, offline or not.
    assert!(matches!(
        client.deliver(&order),
        Err(Error::InvalidTransition { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_job_respects_network_budget_and_backoff_and_says_when_to_return() {
    use std::time::Duration;
    use waybill_core::Network;

    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let (client, ids) =
        driver_with_offers(&dir.path().join("d"), &proxy.base_url(), &server.base_url).await;
    for id in &ids[..3] {
        client.accept_order(id).unwrap();
    }

    // Offline: not one connection, and the shell learns what waits.
    let before = proxy.connections();
    let offline = client
        .sync_in_background(Duration::from_secs(5), Network::Offline)
        .await
        .unwrap();
    assert_eq!(proxy.connections(), before);
    assert_eq!(offline.pending, 3);
    assert!(offline.next_attempt_at.is_some());

    // No budget: nothing starts; the run says it is not complete.
    let none = client
        .sync_in_background(Duration::ZERO, Network::Unmetered)
        .await
        .unwrap();
    assert!(!none.report.completed);
    assert_eq!(none.pending, 3);

    // A failed attempt (the reply is lost) sets a backoff that the background job honours...
    proxy.drop_next_replies(1);
    let failed = client
        .sync_in_background(Duration::from_secs(5), Network::Metered)
        .await
        .unwrap();
    assert!(failed.last_error.is_some());
    let retry_at = failed.next_attempt_at.unwrap();
    assert!(
        retry_at > chrono::Utc::now(),
        "backing off until {retry_at}"
    );
    let waiting = client
        .sync_in_background(Duration::from_secs(5), Network::Unmetered)
        .await
        .unwrap();
    assert_eq!(waiting.report.pushed, 0, "the backoff holds");
    assert_eq!(waiting.pending, 3);
    // ...while a sync the user (or regained connectivity) triggers goes at once.
    assert_eq!(client.sync().await.unwrap().pushed, 3);
    let done = client
        .sync_in_background(Duration::from_secs(5), Network::Unmetered)
        .await
        .unwrap();
    assert!(done.report.completed);
    assert_eq!((done.pending, done.next_attempt_at), (0, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsent_actions_can_be_edited_or_withdrawn_and_orders_searched_offline() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let url = server.base_url.clone();
    let (client, ids) = driver_with_offers(&dir.path().join("d"), &url, &url).await;
    let id = &ids[3];
    client.accept_order(id).unwrap();
    client.report_exception(id, "gate closd").unwrap();
    client.report_exception(id, "sent by mistake").unwrap();
    let pending = client.pending().unwrap();
    assert!(
        client
            .edit_pending_note(pending[1].seq, "gate closed until 14:00")
            .unwrap()
    );
    assert_eq!(client.cancel_pending(pending[2].seq).unwrap(), 1);
    assert!(
        !client.edit_pending_note(pending[0].seq, "x").unwrap(),
        "only exception notes are editable"
    );

    // Search works on the cache, offline (the goods of errand 3 are "13 cartons").
    let found = client.search_orders("13 cart").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(&found[0].id, id);
    assert!(
        client.search_orders("%").unwrap().is_empty(),
        "wildcards are literal"
    );

    client.sync().await.unwrap();
    let shipper = ServerProbe::connect(&url).await;
    assert_eq!(shipper.event_notes(id).await, ["gate closed until 14:00"]);
    let states: Vec<_> = client
        .order_history(id)
        .unwrap()
        .into_iter()
        .filter(|h| h.by_me)
        .map(|h| h.state)
        .collect();
    assert_eq!(
        states,
        [
            Some(ActionState::Confirmed),
            Some(ActionState::Confirmed),
            Some(ActionState::Withdrawn)
        ]
    );
}
