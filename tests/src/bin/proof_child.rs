//! Child process for the proof kill trials: takes a photo proof (idempotent: the same
//! file is the same proof) and syncs until every proof of the order is uploaded, then
//! prints `done` and exits. The parent kills it at random instants.
//! Usage: `proof_child DATA_DIR SERVER_URL ORDER_ID PHOTO`.

use std::io::Write;

use waybill_core::protocol::ActionKind;
use waybill_core::{Capture, ProofKind, ProofSource};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, data_dir, server_url, order, photo] = args.as_slice() else {
        eprintln!("usage: proof_child DATA_DIR SERVER_URL ORDER_ID PHOTO");
        std::process::exit(2);
    };
    let client = waybill_core::Waybill::open_with_key_file(waybill_e2e::driver_config(
        std::path::Path::new(data_dir),
        server_url,
    ))
    .expect("open");
    let proof = client
        .take_proof(
            order,
            ProofKind::Damage,
            ActionKind::ReportException,
            &ProofSource::File(photo.into()),
            Capture {
                at: chrono::Utc::now(),
                elapsed_ms: None,
            },
        )
        .expect("take proof");
    let mut out = std::io::stdout().lock();
    writeln!(out, "ack {}", proof.sha256).expect("stdout");
    out.flush().expect("flush");
    for _ in 0..20 {
        let _ = client.sync().await;
        let proofs = client.proofs(order).expect("proofs");
        if proofs.iter().all(|p| p.uploaded_at.is_some()) {
            writeln!(out, "done").expect("stdout");
            return;
        }
    }
    eprintln!("proof_child: not uploaded after 20 syncs");
    std::process::exit(1);
}
