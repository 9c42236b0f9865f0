//! Marketing messages (P-64; seed 003: "可以根据信息中提供的退订方式予以退订"): offers reach
//! only a person who opted in, each carries an unsubscribe, and unsubscribing withdraws
//! the consent on the device at once and on the server with the next sync, after which no
//! offer is asked for or served.

use std::path::Path;

use chrono::Utc;
use waybill_core::DecisionKind;
use waybill_core::protocol::notices::MarketingMessage;
use waybill_e2e::{ServerProcess, consenting_shipper, sign_in};

/// When every offer here was published: a day before the test, so a time the device
/// noted itself (its receipt) cannot pass for it.
fn published_at() -> chrono::DateTime<Utc> {
    use chrono::{SubsecRound, TimeDelta};
    (Utc::now() - TimeDelta::days(1)).trunc_subsecs(0)
}

fn publish(db: &Path, id: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    assert!(
        waybill_server::marketing::publish(
            &conn,
            &MarketingMessage {
                id: id.into(),
                title: "Half-price errands this weekend".into(),
                body: "Any errand under 5 km, Saturday and Sunday.".into(),
                published_at: published_at(),
            },
        )
        .unwrap()
    );
}

/// What the server would serve each shipper account now.
fn served(db: &Path) -> Vec<usize> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let accounts: Vec<String> = conn
        .prepare("SELECT id FROM accounts WHERE role = 'shipper' ORDER BY created_at")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    accounts
        .iter()
        .map(|a| {
            waybill_server::marketing::for_account(&conn, a, Utc::now())
                .unwrap()
                .len()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_reaches_only_an_opted_in_person_and_its_unsubscribe_withdraws_the_consent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let opted_in = consenting_shipper(&dir.path().join("a"), &url);
    sign_in(&opted_in).await;
    let declined = consenting_shipper(&dir.path().join("b"), &url);
    sign_in(&declined).await;
    opted_in
        .decide("marketing", true, "marketing_opt_in")
        .unwrap();
    publish(&db, "offer-1");

    for client in [&opted_in, &declined] {
        client.sync().await.unwrap();
    }
    assert_eq!(opted_in.marketing_messages().unwrap().len(), 1);
    assert!(
        declined.marketing_messages().unwrap().is_empty(),
        "off by default: nothing asked for, nothing shown"
    );
    assert_eq!(
        served(&db),
        [1, 0],
        "the server serves the opted-in account only"
    );

    let message = &opted_in.marketing_messages().unwrap()[0];
    assert_eq!(
        message.published_at.date_naive(),
        published_at().date_naive(),
        "the publisher's time is shown, not the receipt's"
    );
    let receipt = opted_in.unsubscribe_marketing(&message.id).unwrap();
    assert_eq!(receipt.kind, DecisionKind::Withdrawn);
    assert_eq!(receipt.purpose.as_deref(), Some("marketing"));
    assert!(
        opted_in.marketing_messages().unwrap().is_empty(),
        "kept offers go at once"
    );
    assert!(
        opted_in.unsubscribe_marketing("offer-1").is_err(),
        "an unsubscribe names a message still held"
    );
    publish(&db, "offer-2");
    let report = opted_in.sync().await.unwrap();
    assert_eq!(report.marketing_kept, 0, "no offer asked for after it");
    assert!(opted_in.marketing_messages().unwrap().is_empty());
    assert_eq!(
        served(&db),
        [0, 0],
        "the withdrawal's receipt ends the offers on the server too"
    );

    // Opting back in is the person's own step.
    opted_in
        .decide("marketing", true, "marketing_opt_in")
        .unwrap();
    let report = opted_in.sync().await.unwrap();
    assert_eq!(report.marketing_kept, 2);
}
