//! Waybill query (seed 000's core function) and the convenience data it makes (P-39):
//! anyone with a waybill number sees its status and public milestones and never a person's
//! data; a signed-in user follows a number and is pushed its changes; what was looked up,
//! followed or typed into an errand is kept only under the `convenience` consent, cleared
//! at once, and swept after 90 days.

use std::path::Path;

use chrono::{Duration, Utc};
use waybill_core::protocol::waybills::is_waybill_number;
use waybill_core::{
    Error, MilestoneKind, OrderStatus, PushPlatform, ScanMatch, SyncReport, Waybill,
};
use waybill_e2e::{
    ServerProcess, allow_push, consenting_driver, consenting_shipper, sample_errand, sign_in,
};
use waybill_server::push::DevPushSender;

/// A placed errand and its waybill number, accepted and picked up by a driver.
async fn carried_errand(dir: &Path, url: &str) -> (Waybill, Waybill, String, String) {
    let shipper = consenting_shipper(&dir.join("s"), url);
    sign_in(&shipper).await;
    let placed = shipper.place_errand(&sample_errand(7), true).unwrap();
    shipper.sync().await.unwrap();
    let order = shipper.order(&placed.id).unwrap();
    let number = order
        .waybill_no
        .clone()
        .expect("the server numbers every order");
    assert!(is_waybill_number(&number), "{number}");
    let driver = consenting_driver(&dir.join("d"), url);
    sign_in(&driver).await;
    let offers = driver
        .refresh_open_orders(waybill_e2e::SHANGHAI, 60_000)
        .await
        .unwrap();
    let offer = offers.iter().find(|o| o.id == placed.id).unwrap();
    assert_eq!(offer.waybill_no, None, "an offer does not carry the number");
    driver.accept_order(&placed.id).unwrap();
    driver.sync().await.unwrap();
    (shipper, driver, placed.id, number)
}

/// How many follows the server holds.
fn server_follows(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM waybill_follows", [], |r| r.get(0))
        .unwrap()
}

fn allow_convenience(client: &Waybill) {
    client
        .decide("convenience", true, "settings_switch")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_with_the_number_sees_status_and_milestones_and_never_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let url = server.base_url.clone();
    let (_shipper, driver, order_id, number) = carried_errand(dir.path(), &url).await;
    // The holder's label names the order: the scan finds it by its number.
    assert_eq!(
        driver.order(&order_id).unwrap().waybill_no.as_deref(),
        Some(number.as_str())
    );
    assert!(matches!(
        driver.find_by_code(&number).unwrap(),
        ScanMatch::Mine(ref o) if o.id == order_id
    ));
    driver.pick_up(&order_id).unwrap();
    driver.sync().await.unwrap();

    // The public endpoint, with no credential at all.
    let body = reqwest::get(format!("{url}/v1/waybills/{number}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "picked_up");
    let kinds: Vec<&str> = json["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["placed", "accepted", "picked_up"]);
    let errand = sample_errand(7);
    let conn = rusqlite::Connection::open(dir.path().join("server.sqlite3")).unwrap();
    let accounts: Vec<String> = conn
        .prepare("SELECT id FROM accounts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for secret in [
        errand.contact.consignor_name.as_str(),
        &errand.contact.consignor_phone,
        &errand.contact.consignee_name,
        &errand.contact.consignee_phone,
        &errand.contact.consignee_address,
        &errand.pickup_label,
        &errand.dropoff_label,
        &errand.goods,
        &order_id,
    ]
    .into_iter()
    .chain(accounts.iter().map(String::as_str))
    {
        assert!(
            !body.contains(secret),
            "{secret:?} in the public reply {body}"
        );
    }

    // A phone signed out, every optional purpose refused: the query works, nothing stays.
    let guest =
        Waybill::open_with_key_file(waybill_e2e::shipper_config(&dir.path().join("g"), &url))
            .unwrap();
    let seen = guest.query_waybill(&number).await.unwrap().unwrap();
    assert_eq!(seen.status, OrderStatus::PickedUp);
    assert_eq!(
        seen.milestones.iter().map(|m| m.kind).collect::<Vec<_>>(),
        [
            MilestoneKind::Placed,
            MilestoneKind::Accepted,
            MilestoneKind::PickedUp
        ]
    );
    assert!(guest.kept_waybills().unwrap().is_empty());
    assert!(!waybill_e2e::contains(
        &waybill_e2e::raw_database_bytes(&dir.path().join("g")),
        number.as_bytes()
    ));
    // A label URL around the number is read; a number of no order is an answer.
    let url_label = format!("https://wb.example/w/{number}?src=label");
    assert!(guest.query_waybill(&url_label).await.unwrap().is_some());
    let unknown = waybill_core::protocol::waybills::waybill_number_from(42);
    assert_eq!(guest.query_waybill(&unknown).await.unwrap(), None);
    // A mistyped digit fails the check digit before any request.
    let mut typo = number.clone().into_bytes();
    typo[3] = b'0' + (typo[3] - b'0' + 1) % 10;
    let typo = String::from_utf8(typo).unwrap();
    assert!(matches!(
        guest.query_waybill(&typo).await,
        Err(Error::InvalidInput { .. })
    ));
    // Following needs the account and the consent.
    assert!(guest.follow_waybill(&number).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_waybill_is_pushed_once_per_change_and_forgetting_it_reaches_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let (_shipper, driver, order_id, number) = carried_errand(dir.path(), &url).await;

    // The consignee, given the number, follows it from their own shipper app.
    let consignee = consenting_shipper(&dir.path().join("c"), &url);
    sign_in(&consignee).await;
    assert!(
        matches!(
            consignee.follow_waybill(&number).await,
            Err(Error::ConsentRequired { ref purpose }) if purpose == "convenience"
        ),
        "following keeps the number: its consent first"
    );
    allow_convenience(&consignee);
    allow_push(&consignee);
    consignee
        .set_push_token("fcm-consignee", PushPlatform::Fcm)
        .unwrap();
    let followed = consignee.follow_waybill(&number).await.unwrap();
    assert_eq!(followed.status, OrderStatus::Accepted);
    consignee.sync().await.unwrap();
    // A stranger with a token who follows nothing.
    let stranger = consenting_shipper(&dir.path().join("t"), &url);
    sign_in(&stranger).await;
    allow_push(&stranger);
    stranger
        .set_push_token("fcm-stranger", PushPlatform::Fcm)
        .unwrap();
    stranger.sync().await.unwrap();

    let before = DevPushSender::sent(&db).len();
    driver.pick_up(&order_id).unwrap();
    driver.sync().await.unwrap();
    let sent = DevPushSender::sent(&db)[before..].to_vec();
    assert_eq!(
        sent,
        [(
            "fcm-consignee".to_string(),
            serde_json::json!({"v": 1, "refresh": "waybills"})
        )],
        "one push, to the follower, naming only the topic"
    );
    let refreshed = consignee.handle_push(&sent[0].1.to_string()).await.unwrap();
    assert_eq!(refreshed.pulled, 1);
    let kept = consignee.kept_waybills().unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].followed);
    assert_eq!(kept[0].status, OrderStatus::PickedUp);

    // Forgotten on the phone, offline as far as it knows: the next sync drops the follow
    // on the server, and the delivery pushes nothing to the consignee.
    assert!(consignee.forget_waybill(&number).unwrap());
    assert!(consignee.kept_waybills().unwrap().is_empty());
    let report: SyncReport = consignee.sync().await.unwrap();
    assert_eq!(report.waybills_refreshed, 0);
    let follows = server_follows(&db);
    assert_eq!(follows, 0, "the server forgot the follow");
    let before = DevPushSender::sent(&db).len();
    driver.deliver(&order_id).unwrap();
    driver.sync().await.unwrap();
    assert!(
        DevPushSender::sent(&db)[before..]
            .iter()
            .all(|(token, _)| token != "fcm-consignee"),
        "nothing more to the former follower"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn convenience_data_is_kept_only_under_its_consent_cleared_at_once_and_swept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = ServerProcess::start_fresh(&db);
    let url = server.base_url.clone();
    let (_s, _d, _order, number) = carried_errand(dir.path(), &url).await;
    let data = dir.path().join("me");
    let me = consenting_shipper(&data, &url);
    sign_in(&me).await;

    // Refused (the default): the errand and the query work, nothing is remembered.
    me.place_errand(&sample_errand(1), true).unwrap();
    me.query_waybill(&number).await.unwrap().unwrap();
    assert!(me.saved_addresses().unwrap().is_empty());
    assert_eq!(me.last_sender().unwrap(), None);
    assert!(me.kept_waybills().unwrap().is_empty());

    allow_convenience(&me);
    me.place_errand(&sample_errand(2), true).unwrap();
    me.place_errand(&sample_errand(3), true).unwrap();
    me.query_waybill(&number).await.unwrap().unwrap();
    me.follow_waybill(&number).await.unwrap();
    let labels: Vec<String> = me
        .saved_addresses()
        .unwrap()
        .into_iter()
        .map(|a| a.label)
        .collect();
    assert_eq!(
        labels,
        ["Jing'an, shop 3", "Pudong, Lujiazui", "Jing'an, shop 2"],
        "most recent first (an errand's pickup after its drop-off), each once"
    );
    let sender = me.last_sender().unwrap().unwrap();
    assert_eq!(
        (sender.name.as_str(), sender.goods.as_str()),
        ("陈静", "documents")
    );
    assert_eq!(me.kept_waybills().unwrap().len(), 1);
    let raw = waybill_e2e::raw_database_bytes(&data);
    assert!(
        !waybill_e2e::contains(&raw, number.as_bytes()),
        "the number is sealed at rest"
    );

    // Cleared at once: every table of the purpose, the consent unchanged; the follow ends
    // on the server at the next sync.
    let removed = me.clear_convenience().unwrap();
    assert_eq!(removed, 5, "3 addresses, 1 sender, 1 waybill");
    assert!(me.saved_addresses().unwrap().is_empty());
    assert_eq!(me.last_sender().unwrap(), None);
    assert!(me.kept_waybills().unwrap().is_empty());
    me.sync().await.unwrap();
    let follows = server_follows(&db);
    assert_eq!(follows, 0);
    assert!(
        me.transparency_log(50)
            .unwrap()
            .iter()
            .any(|e| e.action == waybill_core::DataAction::Erased && e.purpose == "convenience"),
        "the clearing is in the log"
    );

    // Kept again, then swept 90 days after the last use (a day before, still there).
    me.query_waybill(&number).await.unwrap().unwrap();
    me.place_errand(&sample_errand(4), true).unwrap();
    me.sweep_retention_as_of(Utc::now() + Duration::days(89))
        .unwrap();
    assert_eq!(me.kept_waybills().unwrap().len(), 1);
    me.sweep_retention_as_of(Utc::now() + Duration::days(91))
        .unwrap();
    assert!(me.kept_waybills().unwrap().is_empty());
    assert!(me.saved_addresses().unwrap().is_empty());
    assert_eq!(me.last_sender().unwrap(), None);

    // A withdrawal purges as well.
    me.query_waybill(&number).await.unwrap().unwrap();
    me.decide("convenience", false, "settings_switch").unwrap();
    assert!(me.kept_waybills().unwrap().is_empty());
}
