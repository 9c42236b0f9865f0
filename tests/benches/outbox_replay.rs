//! Outbox replay benchmark: 1,000 actions queued offline across 50 orders, then one sync
//! against the real server on loopback. Prints queueing rate, replay time, ops/s and
//! requests per 100 ops. Run with `make bench`.

use std::time::Instant;

use waybill_e2e::{SHANGHAI, ServerProbe, ServerProcess, consenting_driver};

const ORDERS: u32 = 50;
const RUNS: usize = 3;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("outbox replay: 1,000 actions over {ORDERS} orders, loopback, {RUNS} runs");
    let mut replay_ms = vec![];
    for run in 0..RUNS {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
        let shipper = ServerProbe::connect(&server.base_url).await;
        let mut ids = vec![];
        for i in 0..ORDERS {
            ids.push(shipper.create_errand(SHANGHAI, i).await);
        }
        let client = consenting_driver(&dir.path().join("d"), &server.base_url);
        waybill_e2e::sign_in(&client).await;
        client
            .refresh_open_orders(SHANGHAI, 60_000)
            .await
            .expect("offers");

        let queued = Instant::now();
        for id in &ids {
            client.accept_order(id).expect("accept");
            client.pick_up(id).expect("pick up");
        }
        for n in 0..17 {
            for id in &ids {
                client
                    .report_exception(id, &format!("delay #{n}"))
                    .expect("exception");
            }
        }
        for id in &ids {
            client.deliver(id).expect("deliver");
        }
        let queue_s = queued.elapsed().as_secs_f64();
        let ops = client.pending_actions().expect("pending");

        let started = Instant::now();
        let report = client.sync().await.expect("sync");
        let replay = started.elapsed();
        assert_eq!(report.pushed, ops, "every action applied");
        replay_ms.push(replay.as_secs_f64() * 1e3);
        println!(
            "run {}: queued {ops} actions in {:.0} ms ({:.0} actions/s, one durable transaction each); \
             replayed in {:.0} ms = {:.0} ops/s; {} push requests = {:.2} requests per 100 ops; {} orders pulled",
            run + 1,
            queue_s * 1e3,
            f64::from(ops) / queue_s,
            replay.as_secs_f64() * 1e3,
            f64::from(ops) / replay.as_secs_f64(),
            report.push_requests,
            f64::from(report.push_requests) * 100.0 / f64::from(ops),
            report.pulled,
        );
    }
    replay_ms.sort_by(f64::total_cmp);
    println!(
        "median replay of 1,000 ops: {:.0} ms (goal ≤ 2,000 ms, ≤ 1 request per 100 ops)",
        replay_ms[RUNS / 2]
    );
}
