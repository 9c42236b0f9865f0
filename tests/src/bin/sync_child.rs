//! Child process for the kill test: takes actions and syncs in a loop until it is killed.
//! Prints `ack <order> <note>` (flushed) only after the action is durable, so the parent
//! knows what was acknowledged. Usage: `sync_child DATA_DIR SERVER_URL RUN ORDER_ID...`.

use std::io::Write;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, data_dir, server_url, run, orders @ ..] = args.as_slice() else {
        eprintln!("usage: sync_child DATA_DIR SERVER_URL RUN ORDER_ID...");
        std::process::exit(2);
    };
    let client = waybill_core::Waybill::open_with_key_file(waybill_e2e::driver_config(
        std::path::Path::new(data_dir),
        server_url,
    ))
    .expect("open");
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        let order = &orders[n % orders.len()];
        let note = format!("run{run}-n{n}");
        client.report_exception(order, &note).expect("queue");
        writeln!(out, "ack {order} {note}").expect("stdout");
        out.flush().expect("flush");
        if n % 7 == 6 {
            // Sync errors are fine here (the parent may kill mid-request).
            let _ = client.sync().await;
        }
    }
}
