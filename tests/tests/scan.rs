//! Scan to find (seed 002: "扫码用于查询订单信息"): a parcel's scanned waybill code finds its
//! order in the cache offline, and a pickup can be checked against the parcel in hand. A
//! code of no order of this device is an answer; the scanned text is neither stored nor sent.

use waybill_core::{Error, ParcelCheck, ScanMatch};
use waybill_e2e::{SHANGHAI, ServerProcess, carrying_driver, contains, raw_database_bytes};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_label_finds_its_order_offline_and_checks_the_parcel_in_hand() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_fresh(&dir.path().join("server.sqlite3"));
    let data = dir.path().join("d");
    let (client, carried) = carrying_driver(&data, &server.base_url).await;
    let offer = client
        .refresh_open_orders(SHANGHAI, 60_000)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.id != carried)
        .expect("another offer")
        .id;
    server.kill(); // everything below is offline

    let mine = |m: ScanMatch| matches!(m, ScanMatch::Mine(o) if o.id == carried);
    assert!(mine(client.find_by_code(&carried).unwrap()));
    assert!(mine(
        client.find_by_code(&format!("  {carried}\r\n")).unwrap()
    ));
    assert!(mine(
        client
            .find_by_code(&format!("https://wb.example/w/{carried}?src=qr"))
            .unwrap()
    ));
    assert!(matches!(client.find_by_code(&offer).unwrap(), ScanMatch::Offer(o) if o.id == offer));
    assert_eq!(
        client.find_by_code("SCANNED-NOWHERE-4711").unwrap(),
        ScanMatch::NoOrder {
            number: "SCANNED-NOWHERE-4711".into()
        }
    );

    assert_eq!(
        client.check_parcel(&carried, &carried).unwrap(),
        ParcelCheck::Matches
    );
    assert_eq!(
        client.check_parcel(&carried, &offer).unwrap(),
        ParcelCheck::NoOrder {
            number: offer.clone()
        },
        "an offer not taken is not this driver's parcel"
    );
    client.accept_order(&offer).unwrap();
    assert_eq!(
        client.check_parcel(&carried, &offer).unwrap(),
        ParcelCheck::OtherOrder {
            order_id: offer.clone()
        },
        "two parcels of this driver mixed up"
    );

    for hostile in [
        "x".repeat(10_000),
        "ord\u{0}".into(),
        "   ".into(),
        "https://wb.example/".into(),
    ] {
        assert!(
            matches!(
                client.find_by_code(&hostile),
                Err(Error::InvalidInput { .. })
            ),
            "{hostile:?}"
        );
    }
    drop(client);
    assert!(
        !contains(&raw_database_bytes(&data), b"SCANNED-NOWHERE-4711"),
        "a scanned code is not stored"
    );
}
