//! A real trace replayed through the core to the real server, with the client killed in
//! the middle and an upload whose reply is lost: the server ends with a simplified
//! trajectory within the bound of every kept fix, every point once, no gap left
//! unexplained.

use waybill_core::track::filter::{FilterConfig, FixFilter};
use waybill_core::track::{DEFAULT_EPSILON_M, encode_batch};
use waybill_core::{Error, Fix, Waybill};
use waybill_e2e::{
    LossyProxy, ServerProcess, allow_trajectory, carrying_driver, driver_config, held_trajectory,
    traces,
};
use waybill_protocol::TrajectoryEventKind;
use waybill_protocol::trajectory::{self, GapReason};

/// What the filter keeps of one run of the app (a restart starts a fresh filter).
fn kept(fixes: &[Fix]) -> Vec<Fix> {
    let mut filter = FixFilter::new(FilterConfig::default());
    fixes.iter().flat_map(|f| filter.push(*f)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_reaches_the_server_once_across_a_kill_and_a_lost_reply() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let proxy = LossyProxy::start(server.addr).await;
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &proxy.base_url()).await;
    allow_trajectory(&client);
    client.sync().await.unwrap(); // the receipts go now, not in the upload's sync

    let trace = traces::load("x0001-001.json");
    let (first, second) = trace.split_at(trace.len() / 2);
    for chunk in first.chunks(10) {
        client.record_fixes(&order_id, chunk).unwrap();
    }
    let diagnostics = client.tracking_diagnostics(&order_id).unwrap();
    assert!(
        diagnostics.rejections.stationary > 0,
        "the filter ran: {diagnostics:?}"
    );
    assert!(diagnostics.distance_m > 1_000.0, "{diagnostics:?}");
    // Ten minutes of fixes are due (5-minute cadence); the upload reaches the server, its
    // reply does not.
    proxy.drop_next_replies(1);
    assert!(matches!(client.sync().await, Err(Error::Offline { .. })));
    drop(client); // the app is killed

    let client = Waybill::open_with_key_file(driver_config(&data, &proxy.base_url())).unwrap();
    for chunk in second.chunks(10) {
        client.record_fixes(&order_id, chunk).unwrap();
    }
    let report = client.sync().await.unwrap();
    assert_eq!(
        report.trajectory_batches, 2,
        "the retried batch, then the next one continuing from it; the tail waits"
    );
    assert_eq!(
        client.sync().await.unwrap().trajectory_batches,
        0,
        "nothing due yet"
    );
    // Sign-off ends the leg: what remains goes at once.
    client.deliver(&order_id).unwrap();
    let last = client.sync().await.unwrap();
    assert_eq!(last.trajectory_batches, 1);

    let (held, got) = held_trajectory(&server.base_url, &data, &order_id).await;
    let mut all_kept = kept(first);
    all_kept.extend(kept(second));
    assert!(
        got.windows(2).all(|w| w[0].t_ms < w[1].t_ms),
        "every point once"
    );
    assert_eq!(got.first().unwrap().t_ms, all_kept[0].at.timestamp_millis());
    assert_eq!(
        got.last().unwrap().t_ms,
        all_kept.last().unwrap().at.timestamp_millis()
    );
    let deviation = traces::decoded_deviation(&all_kept, &got);
    assert!(
        deviation <= DEFAULT_EPSILON_M,
        "{deviation} m from a kept fix"
    );
    // Continuing batches cost few points over simplifying the whole drive at once.
    let whole = trajectory::decode(&encode_batch(&all_kept, &[], DEFAULT_EPSILON_M).0).unwrap();
    assert!(
        got.len() <= whole.len() + 4,
        "{} vs {}",
        got.len(),
        whole.len()
    );
    // The kill is an explained gap, from the last fix kept before it to the first after.
    let restart: Vec<_> = held
        .events
        .iter()
        .filter(|e| e.kind == TrajectoryEventKind::Gap && e.reason == Some(GapReason::AppRestarted))
        .collect();
    assert_eq!(restart.len(), 1, "{:?}", held.events);
    assert_eq!(restart[0].to_ms, kept(second)[0].at.timestamp_millis());
    assert!(
        held.distance_m > 5_000.0,
        "geodesic length {}",
        held.distance_m
    );
    println!(
        "{} fixes → {} points on the server ({} for the whole drive at once), {:.1} m max \
         deviation, {:.0} m, events {:?}",
        trace.len(),
        got.len(),
        whole.len(),
        deviation,
        held.distance_m,
        held.events
            .iter()
            .map(|e| (e.kind, e.reason))
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_tells_the_shell_when_and_how_to_track() {
    use waybill_core::{Accuracy, Idle, Permission, TrackingPlan};

    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &server.base_url).await;
    assert_eq!(
        client.tracking_plan().unwrap(),
        TrackingPlan::Off(Idle::NoConsent)
    );
    client
        .decide("trajectory_upload", true, "order_start_dialog")
        .unwrap();
    assert_eq!(
        client.tracking_plan().unwrap(),
        TrackingPlan::Off(Idle::NeedsPermission(Permission::LocationPrecise))
    );
    allow_trajectory(&client);
    assert_eq!(
        client.tracking_plan().unwrap(),
        TrackingPlan::Track {
            order_id: order_id.clone(),
            accuracy: Accuracy::High,
            interval_ms: 1_000
        }
    );
    // Standing still at a light: less precision, fewer fixes.
    let trace = traces::load("x0001-001.json");
    client.record_fixes(&order_id, &trace[..40]).unwrap();
    let standing: Vec<Fix> = (1..4)
        .map(|s| Fix {
            at: trace[39].at + chrono::Duration::seconds(s),
            ..trace[39]
        })
        .collect();
    client.record_fixes(&order_id, &standing).unwrap();
    assert!(matches!(
        client.tracking_plan().unwrap(),
        TrackingPlan::Track {
            accuracy: Accuracy::Balanced,
            interval_ms: 10_000,
            ..
        }
    ));
    // Sign-off ends the leg: the fixes are flushed first, then nothing more is taken.
    client.deliver(&order_id).unwrap();
    assert!(!client.fixes(&order_id).unwrap().is_empty());
    assert_eq!(
        client.tracking_plan().unwrap(),
        TrackingPlan::Off(Idle::NoJob)
    );
    assert!(matches!(
        client.record_fixes(&order_id, &trace[40..50]),
        Err(Error::NotInJob { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrival_is_offered_to_the_order_engine_and_pauses_are_explained() {
    use waybill_core::{LatLon, TrackEventKind};
    use waybill_e2e::{SHANGHAI, ServerProbe};

    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let trace = traces::load("x0001-001.json");
    let end = *trace.last().unwrap();
    // A shipper's errand whose drop-off is where the recorded drive ends.
    let shipper = ServerProbe::connect(&server.base_url).await;
    let errand = shipper
        .create_errand_to(
            SHANGHAI,
            0,
            Some(LatLon {
                lat: end.lat,
                lon: end.lon,
            }),
        )
        .await;
    let data = dir.path().join("d");
    let (client, order_id) = carrying_driver(&data, &server.base_url).await;
    assert_eq!(order_id, errand, "the nearest offer is the errand");
    allow_trajectory(&client);

    let (a, rest) = trace.split_at(trace.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    client.record_fixes(&order_id, a).unwrap();
    // The driver withdraws the trajectory consent for a while: nothing is taken, and the
    // pause is explained when tracking resumes.
    client
        .decide("trajectory_upload", false, "privacy_settings")
        .unwrap();
    assert!(matches!(
        client.record_fixes(&order_id, b),
        Err(Error::ConsentRequired { .. })
    ));
    client
        .decide("trajectory_upload", true, "privacy_settings")
        .unwrap();
    client.record_fixes(&order_id, c).unwrap();
    client.flush_fixes().unwrap();

    let diagnostics = client.tracking_diagnostics(&order_id).unwrap();
    let kinds: Vec<TrackEventKind> = diagnostics.events.iter().map(|e| e.kind).collect();
    assert!(
        kinds.contains(&TrackEventKind::Gap(GapReason::ConsentWithdrawn)),
        "{kinds:?}"
    );
    let arrivals: Vec<_> = kinds
        .iter()
        .filter(|k| matches!(k, TrackEventKind::Arrival { stop: 1, .. }))
        .collect();
    assert_eq!(arrivals.len(), 1, "{kinds:?}");
    // The order engine took the arrival as the driver's `arrive` action, and it reached
    // the server with the sync.
    let history = client.order_history(&order_id).unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.by_me && h.event == "arrive")
            .count(),
        1
    );
    client.sync().await.unwrap();
    assert!(
        shipper
            .event_kinds(&order_id)
            .await
            .contains(&"arrived".to_string())
    );
    assert!(
        shipper
            .event_notes(&order_id)
            .await
            .iter()
            .any(|n| n.contains("geofence"))
    );
    // The provider switched off: the next fix closes a gap saying so.
    client.location_provider_off();
    let later: Vec<Fix> = (1..=3)
        .map(|s| Fix {
            at: end.at + chrono::Duration::minutes(10) + chrono::Duration::seconds(s),
            lat: end.lat + 0.01 + s as f64 * 1e-4,
            elapsed_ms: None,
            ..end
        })
        .collect();
    client.record_fixes(&order_id, &later).unwrap();
    let events = client.tracking_diagnostics(&order_id).unwrap().events;
    assert_eq!(
        events.last().map(|e| e.kind),
        Some(TrackEventKind::Gap(GapReason::ProviderOff)),
        "{events:?}"
    );
}
