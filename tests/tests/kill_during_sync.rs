//! Kill the client process (SIGKILL) at random points while it queues actions and syncs,
//! 100 times: every action it acknowledged reaches the server, and none twice.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use waybill_e2e::{SHANGHAI, ServerProbe, ServerProcess, consenting_driver};

const KILLS: u32 = 100;

/// A small deterministic generator for the kill delays (xorshift), seeded per run.
fn delays(seed: u64) -> impl Iterator<Item = Duration> {
    let mut x = seed | 1;
    std::iter::repeat_with(move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Duration::from_millis(20 + x % 180)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_client_anywhere_loses_nothing_acknowledged_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let shipper = ServerProbe::connect(&server.base_url).await;
    let mut orders = vec![];
    for i in 0..5 {
        orders.push(shipper.create_errand(SHANGHAI, i).await);
    }
    {
        let client = consenting_driver(&data, &server.base_url);
        waybill_e2e::sign_in(&client).await;
        client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
        for id in &orders {
            client.accept_order(id).unwrap();
            client.pick_up(id).unwrap();
        }
        client.sync().await.unwrap();
    }

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("kill delays seeded with {seed}");
    let mut acknowledged: Vec<(String, String)> = vec![];
    for (run, delay) in delays(seed).take(KILLS as usize).enumerate() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sync_child"))
            .arg(&data)
            .arg(&server.base_url)
            .arg(run.to_string())
            .args(&orders)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let stdout = child.stdout.take().unwrap();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut parts = line.split(' ');
            if let (Some("ack"), Some(order), Some(note)) =
                (parts.next(), parts.next(), parts.next())
            {
                acknowledged.push((order.to_string(), note.to_string()));
            }
        }
    }
    assert!(
        acknowledged.len() > KILLS as usize,
        "the child got work done between kills ({})",
        acknowledged.len()
    );

    // A last, calm sync delivers what the kills interrupted.
    let client = waybill_core::Waybill::open_with_key_file(waybill_e2e::driver_config(
        &data,
        &server.base_url,
    ))
    .unwrap();
    let report = client.sync().await.unwrap();
    assert_eq!(report.remaining, 0);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);

    let mut on_server: HashMap<String, u32> = HashMap::new();
    for id in &orders {
        let notes = shipper.event_notes(id).await;
        // Per order, notes arrive in the order they were taken.
        let ns: Vec<(u32, u32)> = notes
            .iter()
            .map(|n| {
                let (r, k) = n.trim_start_matches("run").split_once("-n").unwrap();
                (r.parse().unwrap(), k.parse().unwrap())
            })
            .collect();
        assert!(ns.windows(2).all(|w| w[0] < w[1]), "in order for {id}");
        for note in notes {
            *on_server.entry(note).or_default() += 1;
        }
    }
    let duplicated: Vec<_> = on_server.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "applied twice: {duplicated:?}");
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|(_, note)| !on_server.contains_key(note))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged but lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    println!(
        "{KILLS} kills, {} acknowledged actions, {} on the server",
        acknowledged.len(),
        on_server.len()
    );
}
