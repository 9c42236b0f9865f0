//! Mixed crash trials: a child app records fixes, accepts offers, takes photo proofs and
//! syncs with the real server, and is SIGKILLed at a random instant, again and again.
//! After each kill the database passes `integrity_check` and holds everything the child
//! acknowledged; at the end every acknowledged action and proof is on the server exactly
//! once and the trajectory arrived whole. `WAYBILL_CRASH_TRIALS` sets the count (CI: 20;
//! the long run: `WAYBILL_CRASH_TRIALS=1000 cargo test -p waybill-e2e --test crash_trials
//! -- --nocapture`).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use waybill_e2e::{
    SHANGHAI, ServerProbe, ServerProcess, allow_trajectory, assert_whole_trajectory, driver_config,
    photographing_driver, proofs_linked, server_upload_hashes, session_token,
};

/// Seconds of synthetic drive a child may record (10 steps of 10 fixes).
const SECONDS_PER_CHILD: u64 = 100;

fn trials() -> u64 {
    std::env::var("WAYBILL_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// What a child said it made durable before it died.
#[derive(Default)]
struct Acks {
    fixes: u64,
    actions: Vec<String>,
    proofs: Vec<String>,
    done: bool,
}

fn run_child(
    data: &Path,
    url: &str,
    carried: &str,
    trial: u64,
    kill_after: Option<Duration>,
) -> Acks {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash_child"))
        .arg(data)
        .args([
            url,
            carried,
            &(trial * SECONDS_PER_CHILD).to_string(),
            &trial.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("crash_child runs");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut acks = Acks::default();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match line.split_once(' ') {
                Some(("fixes", n)) => acks.fixes = n.parse().unwrap_or(acks.fixes),
                Some(("action", id)) => acks.actions.push(id.to_string()),
                Some(("proof", sha)) => acks.proofs.push(sha.to_string()),
                _ if line == "done" => acks.done = true,
                _ => {}
            }
        }
        acks
    });
    if let Some(delay) = kill_after {
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
    }
    let _ = child.wait();
    reader.join().expect("reader")
}

fn count(conn: &Connection, sql: &str, arg: &str) -> u64 {
    conn.query_row(sql, [arg], |r| r.get::<_, i64>(0)).unwrap() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_app_keeps_everything_it_acknowledged_and_sends_it_once() {
    let trials = trials();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let data = dir.path().join("d");
    let shipper = ServerProbe::connect(&server.base_url).await;
    for n in 0..(trials * 2 + 10) as u32 {
        shipper.create_errand(SHANGHAI, 1000 + n).await;
    }
    let carried = {
        let (client, carried) = photographing_driver(&data, &server.base_url).await;
        allow_trajectory(&client);
        client.refresh_open_orders(SHANGHAI, 60_000).await.unwrap();
        client.sync().await.unwrap();
        carried
    };
    let file = data.join(waybill_core::db::DB_FILE_NAME);
    let fixes_sql = "SELECT COUNT(*) FROM track_fixes WHERE order_id = ?1";

    // One uninterrupted run tells how long a child lives here: kills land within it.
    let started = Instant::now();
    let warm = run_child(&data, &server.base_url, &carried, 0, None);
    assert!(warm.done, "an uninterrupted child finishes");
    let span_ms = started.elapsed().as_millis().max(50) as u64;

    let mut x = 0x9E37_79B9_7F4A_7C15_u64 ^ span_ms;
    let (mut actions, mut proofs) = (BTreeSet::new(), BTreeSet::new());
    actions.extend(warm.actions);
    proofs.extend(warm.proofs);
    let (mut killed_early, mut acknowledged_fixes) = (0, 0);
    for trial in 1..=trials {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let delay = Duration::from_millis(5 + x % span_ms);
        let before = count(&Connection::open(&file).unwrap(), fixes_sql, &carried);
        let acks = run_child(&data, &server.base_url, &carried, trial, Some(delay));
        killed_early += u32::from(!acks.done);
        acknowledged_fixes += acks.fixes;

        let conn = Connection::open(&file).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "trial {trial}");
        let after = count(&conn, fixes_sql, &carried);
        assert!(
            after >= before + acks.fixes,
            "trial {trial}: {} fixes acknowledged, {} stored",
            acks.fixes,
            after - before
        );
        for sha in &acks.proofs {
            assert_eq!(
                count(&conn, "SELECT COUNT(*) FROM proofs WHERE sha256 = ?1", sha),
                1,
                "trial {trial}: proof {sha}"
            );
        }
        for id in &acks.actions {
            let local = count(
                &conn,
                "SELECT (SELECT COUNT(*) FROM outbox WHERE order_id = ?1) \
                 + (SELECT COUNT(*) FROM orders WHERE id = ?1 AND assigned_to_me = 1)",
                id,
            );
            assert!(local > 0, "trial {trial}: acceptance of {id}");
        }
        actions.extend(acks.actions);
        proofs.extend(acks.proofs);
    }

    // The app opens once more, syncs, signs off: everything reaches the server once.
    let client =
        waybill_core::Waybill::open_with_key_file(driver_config(&data, &server.base_url)).unwrap();
    for _ in 0..5 {
        if client.sync().await.is_ok_and(|r| r.remaining == 0)
            && client
                .proofs(&carried)
                .unwrap()
                .iter()
                .all(|p| p.uploaded_at.is_some())
        {
            break;
        }
    }
    client.deliver(&carried).unwrap();
    client.sync().await.unwrap();
    let probe = ServerProbe::with_token(&server.base_url, &session_token(&data));
    for id in &actions {
        let kinds = probe.event_kinds(id).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "accepted").count(),
            1,
            "{id}: {kinds:?}"
        );
    }
    assert_eq!(
        proofs_linked(&server.base_url, &data, &carried).await,
        client.proofs(&carried).unwrap().len(),
        "each proof linked once"
    );
    let held_files = server_upload_hashes(&db);
    for sha in &proofs {
        assert!(
            held_files.contains(sha),
            "{sha} byte-identical on the server"
        );
    }
    assert_whole_trajectory(&server.base_url, &data, &client, &carried).await;
    println!(
        "{trials} crash trials (child run {span_ms} ms, {killed_early} killed before the end): \
         {acknowledged_fixes} fixes, {} acceptances, {} proofs acknowledged — none lost, none \
         doubled, integrity_check ok every time",
        actions.len(),
        proofs.len()
    );
}
