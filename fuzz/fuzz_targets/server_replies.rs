//! Replies the client parses come from the network: any bytes must deserialize into the
//! contract's types or fail, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waybill_protocol as p;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<p::DeviceRegistered>(data);
    let _ = serde_json::from_slice::<p::OpenOrders>(data);
    let _ = serde_json::from_slice::<p::Accepted>(data);
    let _ = serde_json::from_slice::<p::ActionResults>(data);
    let _ = serde_json::from_slice::<p::Changes>(data);
    let _ = serde_json::from_slice::<p::TrajectoryStored>(data);
    let _ = serde_json::from_slice::<p::Trajectory>(data);
    let _ = serde_json::from_slice::<p::RightsRequestState>(data);
    let _ = serde_json::from_slice::<p::ApiError>(data);
    let _ = serde_json::from_slice::<p::consent::ReceiptsStored>(data);
});
