//! A real trace replayed through the core to the real server, with the client killed in
//! the middle and an upload whose reply is lost: the server ends with exactly the
//! simplified trajectory, every point once.

use waybill_core::track::filter::{FilterConfig, FixFilter};
use waybill_core::track::{DEFAULT_EPSILON_M, encode_batch};
use waybill_core::{Error, Fix, Waybill};
use waybill_e2e::{
    LossyProxy, ServerProcess, allow_trajectory, carrying_driver, driver_config, session_token,
    traces,
};
use waybill_protocol::{Trajectory, trajectory};

/// What the server should hold for one run of the app: the fixes the filter keeps, as the
/// simplified, encoded, decoded batch.
fn expected(fixes: &[Fix]) -> Vec<trajectory::Point> {
    let mut filter = FixFilter::new(FilterConfig::default());
    let kept: Vec<Fix> = fixes.iter().flat_map(|f| filter.push(*f)).collect();
    trajectory::decode(&encode_batch(&kept, &[], DEFAULT_EPSILON_M).0).unwrap()
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
    let (counts, _) = client.tracking_diagnostics(&order_id);
    assert!(counts.stationary > 0, "the filter ran: {counts:?}");
    // The upload reaches the server, its reply does not.
    proxy.drop_next_replies(1);
    assert!(matches!(client.sync().await, Err(Error::Offline { .. })));
    drop(client); // the app is killed

    let client = Waybill::open(driver_config(&data, &proxy.base_url())).unwrap();
    for chunk in second.chunks(10) {
        client.record_fixes(&order_id, chunk).unwrap();
    }
    let report = client.sync().await.unwrap();
    assert_eq!(
        report.trajectory_batches, 2,
        "the retried batch and the new one"
    );

    let held: Trajectory = reqwest::Client::new()
        .get(format!(
            "{}/v1/orders/{order_id}/trajectory",
            server.base_url
        ))
        .bearer_auth(session_token(&data))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut want = expected(first);
    want.extend(expected(second));
    let got: Vec<(i64, f64, f64)> = held.points.iter().map(|p| (p.t_ms, p.lat, p.lon)).collect();
    let want: Vec<(i64, f64, f64)> = want.iter().map(|p| (p.t_ms, p.lat, p.lon)).collect();
    assert_eq!(
        got, want,
        "exactly the simplified trajectory, every point once"
    );
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0));
    println!(
        "{} fixes → {} points on the server, {} bytes in the last sync",
        trace.len(),
        got.len(),
        report.trajectory_bytes
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
