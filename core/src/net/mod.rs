//! The HTTP client of the sync contract: typed requests and replies from
//! `waybill-protocol` over a [`Transport`] (the app's HTTP stack, or reqwest), and a
//! classification of every failure into transient (retry later) or permanent (the server
//! said no).

pub mod http;
#[cfg(feature = "reqwest")]
pub mod reqwest_transport;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use http::{HttpReply, HttpRequest, Method, Transport, TransportError};

use crate::ticket::Ticket;
use waybill_protocol::account;
use waybill_protocol::waybills::{FollowedNumbers, FollowedWaybills, WaybillStatus};
use waybill_protocol::{
    ApiError, DeviceRegistered, IDEMPOTENCY_KEY_HEADER, LatLon, OpenOrders, RegisterDevice,
};

/// Network failures, internal to the core.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// No reply: DNS, connect, TLS, reset, timeout, or a body cut short. Retry later.
    #[error("transport: {0}")]
    Transport(String),
    /// 401: the token is missing or unknown.
    #[error("unauthorized")]
    Unauthorized,
    /// A 4xx reply with a contract error body: the server refused this request for good.
    #[error("rejected with HTTP {status}: {body:?}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's error body.
        body: ApiError,
    },
    /// Any other non-success status (5xx, or a 4xx without a contract body).
    #[error("HTTP {status}: {reason}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Short explanation.
        reason: String,
    },
    /// A success reply whose body does not match the contract.
    #[error("decode: {0}")]
    Decode(String),
    /// 429 `rate_limited`: too many codes asked; ask again after `retry_after_s`.
    #[error("rate limited for {retry_after_s} s")]
    RateLimited {
        /// Seconds the server asks to wait.
        retry_after_s: u64,
    },
}

impl NetError {
    /// True when the same request may succeed later unchanged.
    pub fn is_transient(&self) -> bool {
        match self {
            NetError::Transport(_) => true,
            NetError::Status { status, .. } => *status >= 500 || is_retry_later(*status),
            NetError::RateLimited { .. } => true,
            NetError::Unauthorized | NetError::Rejected { .. } | NetError::Decode(_) => false,
        }
    }
}

pub(crate) type NetResult<T> = Result<T, NetError>;

/// Whole-request deadline: a mobile request that has not finished in this time is
/// better retried than waited on, because the OS's background window is short.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// What the core waits beyond a request's own deadline before it gives up on a transport
/// that does not keep it.
const DEADLINE_GRACE: Duration = Duration::from_secs(5);

/// Typed client of the `/v1` sync contract.
#[derive(Debug, Clone)]
pub struct ApiClient {
    transport: Arc<dyn Transport>,
    base_url: String,
    user_agent: String,
    /// Server time minus device time (ms), from the `Date` of the latest reply: the time
    /// the trajectory engine anchors fixes on when the device clock is wrong.
    server_offset_ms: std::sync::Arc<std::sync::Mutex<Option<i64>>>,
}

/// A request being built (reqwest's builder names, so endpoints read the same).
pub(crate) struct Request<'a> {
    api: &'a ApiClient,
    inner: HttpRequest,
}

impl Request<'_> {
    /// Adds a header.
    pub(crate) fn header(mut self, name: &str, value: impl ToString) -> Self {
        self.inner
            .headers
            .push((name.to_string(), value.to_string()));
        self
    }

    /// `Authorization: Bearer`.
    pub(crate) fn bearer_auth(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    /// A JSON body.
    pub(crate) fn json(mut self, body: &impl Serialize) -> Self {
        self.inner.body = serde_json::to_vec(body).expect("request bodies serialize");
        self.header("Content-Type", "application/json")
    }

    /// A raw body.
    pub(crate) fn body(mut self, body: Vec<u8>) -> Self {
        self.inner.body = body;
        self
    }

    /// Sends it; the reply whatever its status (a failure to get one is `Transport`).
    pub(crate) async fn exchange(self) -> NetResult<HttpReply> {
        self.api.exchange(self.inner).await
    }
}

impl ApiClient {
    /// The client of the server at `base_url` (no trailing slash) over `transport`.
    pub fn new(base_url: String, user_agent: &str, transport: Arc<dyn Transport>) -> ApiClient {
        ApiClient {
            transport,
            base_url,
            user_agent: user_agent.to_string(),
            server_offset_ms: std::sync::Arc::default(),
        }
    }

    /// A request to `url_or_path` (a path is on the server's base URL).
    pub(crate) fn request(&self, method: Method, url_or_path: &str) -> Request<'_> {
        let url = if url_or_path.starts_with('/') {
            format!("{}{url_or_path}", self.base_url)
        } else {
            url_or_path.to_string()
        };
        Request {
            api: self,
            inner: HttpRequest {
                method,
                url,
                headers: vec![("User-Agent".into(), self.user_agent.clone())],
                body: vec![],
                timeout_ms: REQUEST_TIMEOUT.as_millis() as u64,
                max_reply_bytes: MAX_REPLY_BYTES as u64,
            },
        }
    }

    /// One exchange through the transport, held to the request's deadline and reply cap
    /// whatever the transport does, and the server's clock noted.
    async fn exchange(&self, request: HttpRequest) -> NetResult<HttpReply> {
        let deadline = Duration::from_millis(request.timeout_ms) + DEADLINE_GRACE;
        let max = request.max_reply_bytes;
        let reply = match tokio::time::timeout(deadline, self.transport.send(request)).await {
            Err(_) | Ok(Err(TransportError::TimedOut)) => {
                return Err(NetError::Transport("timeout".into()));
            }
            Ok(Err(TransportError::Failed { reason })) => {
                return Err(NetError::Transport(reason));
            }
            Ok(Err(TransportError::ReplyTooLarge)) => return Err(too_big(max)),
            Ok(Ok(reply)) => reply,
        };
        if reply.body.len() as u64 > max {
            return Err(too_big(max));
        }
        if !(100..=599).contains(&reply.status) {
            return Err(NetError::Decode(format!("HTTP status {}", reply.status)));
        }
        self.note_server_date(&reply);
        Ok(reply)
    }

    /// Server time minus device time (ms) at the latest reply, if one came with a
    /// plausible `Date` (1 s resolution).
    pub(crate) fn server_offset_ms(&self) -> Option<i64> {
        *self
            .server_offset_ms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Notes the offset a reply's `Date` header shows. A date before
    /// [`plausible_from`](waybill_protocol::plausible_from) is no server's.
    fn note_server_date(&self, reply: &HttpReply) {
        let Some(date) = reply
            .header("Date")
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        else {
            return;
        };
        let date = date.with_timezone(&chrono::Utc);
        if date < waybill_protocol::plausible_from() {
            return;
        }
        let offset = (date - chrono::Utc::now()).num_milliseconds();
        *self
            .server_offset_ms
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(offset);
    }

    /// The server's base URL (no trailing slash).
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST /v1/devices`. Idempotent on the installation id. Sends device data: needs a
    /// ticket for the account purpose.
    pub async fn register(
        &self,
        _basis: &Ticket,
        body: &RegisterDevice,
    ) -> NetResult<DeviceRegistered> {
        self.send(Method::Post, "/v1/devices", None, None, Some(body))
            .await
    }

    /// `POST /v1/sign-in/codes`: a code sent to `phone` for this installation. Sends the
    /// number: needs a ticket for the account purpose.
    pub async fn request_code(
        &self,
        _basis: &Ticket,
        body: &account::CodeRequest,
    ) -> NetResult<account::CodeSent> {
        self.send(Method::Post, "/v1/sign-in/codes", None, None, Some(body))
            .await
    }

    /// `POST /v1/account/step-up-codes`: a step-up code sent to the account's number.
    pub async fn request_step_up_code(
        &self,
        _basis: &Ticket,
        token: &str,
    ) -> NetResult<account::CodeSent> {
        self.send(
            Method::Post,
            "/v1/account/step-up-codes",
            Some(token),
            None,
            NO_BODY,
        )
        .await
    }

    /// `GET /v1/account`: the account and its devices.
    pub async fn account(&self, _basis: &Ticket, token: &str) -> NetResult<account::AccountInfo> {
        self.send(Method::Get, "/v1/account", Some(token), None, NO_BODY)
            .await
    }

    /// `POST /v1/account/sign-out`: this device, or every device of the account.
    pub async fn sign_out(&self, _basis: &Ticket, token: &str, everywhere: bool) -> NetResult<()> {
        let request = self
            .request(Method::Post, "/v1/account/sign-out")
            .bearer_auth(token)
            .json(&account::SignOut { everywhere });
        self.execute_empty(request).await
    }

    /// `DELETE /v1/account/devices/{id}`: signs one device of the account out.
    pub async fn sign_out_device(&self, _basis: &Ticket, token: &str, id: &str) -> NetResult<()> {
        let request = self
            .request(
                Method::Delete,
                &format!("/v1/account/devices/{}", segment(id)?),
            )
            .bearer_auth(token);
        self.execute_empty(request).await
    }

    /// `POST /v1/account/real-name`: the two images of a real-name check. Sends identity
    /// documents: needs a ticket for the real-name purpose.
    pub async fn verify_real_name(
        &self,
        _basis: &Ticket,
        token: &str,
        body: &account::RealNameSubmission,
    ) -> NetResult<account::RealNameStatus> {
        self.send(
            Method::Post,
            "/v1/account/real-name",
            Some(token),
            None,
            Some(body),
        )
        .await
    }

    /// `POST /v1/account/age`: the age declared after sign-up (a minor without a guardian
    /// closes the account).
    pub async fn update_age(
        &self,
        _basis: &Ticket,
        token: &str,
        body: &account::AgeUpdate,
    ) -> NetResult<account::AgeRecorded> {
        self.send(
            Method::Post,
            "/v1/account/age",
            Some(token),
            None,
            Some(body),
        )
        .await
    }

    /// `POST /v1/service-events`: the server holds the events (idempotent by event id).
    pub async fn send_service_events(
        &self,
        _basis: &Ticket,
        token: &str,
        body: &waybill_protocol::service_log::ServiceEvents,
    ) -> NetResult<waybill_protocol::service_log::ServiceEventsHeld> {
        self.send(
            Method::Post,
            "/v1/service-events",
            Some(token),
            None,
            Some(body),
        )
        .await
    }

    /// `GET /v1/notices?after=`: the controller's signed notices, without any credential
    /// (announcements: nothing personal is sent or needed).
    pub async fn notices(&self, after: i64) -> NetResult<waybill_protocol::notices::Notices> {
        let path = format!("/v1/notices?after={after}");
        self.send(Method::Get, &path, None, None, NO_BODY).await
    }

    /// `GET /v1/control?app=`: the controller's signed manifest and SDK switch for this
    /// app, without any credential.
    pub async fn control(&self, app: &str) -> NetResult<waybill_protocol::notices::Control> {
        let path = format!("/v1/control?app={app}");
        self.send(Method::Get, &path, None, None, NO_BODY).await
    }

    /// `GET /v1/waybills/{number}`: a waybill's public status, without any credential
    /// (the number is the key; nothing personal is sent or returned).
    pub async fn waybill(&self, number: &str) -> NetResult<WaybillStatus> {
        let path = format!("/v1/waybills/{}", segment(number)?);
        self.send(Method::Get, &path, None, None, NO_BODY).await
    }

    /// `PUT /v1/waybill-follows/{number}`: the account follows a waybill (idempotent).
    pub async fn follow_waybill(
        &self,
        _basis: &Ticket,
        token: &str,
        number: &str,
    ) -> NetResult<WaybillStatus> {
        let path = format!("/v1/waybill-follows/{}", segment(number)?);
        self.send(Method::Put, &path, Some(token), None, NO_BODY)
            .await
    }

    /// `PUT /v1/waybill-follows`: the account follows exactly `numbers` from now on
    /// (idempotent); the statuses of those followed. Needs no basis when it only drops
    /// numbers: `numbers` is what the device still holds under its own.
    pub async fn set_followed_waybills(
        &self,
        token: &str,
        numbers: &FollowedNumbers,
    ) -> NetResult<FollowedWaybills> {
        self.send(
            Method::Put,
            "/v1/waybill-follows",
            Some(token),
            None,
            Some(numbers),
        )
        .await
    }

    /// `GET /v1/marketing`: the operator's offers, asked only under the `marketing`
    /// consent (P-64).
    pub async fn marketing(
        &self,
        _basis: &Ticket,
        token: &str,
    ) -> NetResult<waybill_protocol::notices::MarketingMessages> {
        self.send(Method::Get, "/v1/marketing", Some(token), None, NO_BODY)
            .await
    }

    /// `PUT /v1/push-token`: the server pushes to this device's token (P-23).
    pub async fn put_push_token(
        &self,
        _basis: &Ticket,
        token: &str,
        body: &waybill_protocol::push::PushToken,
    ) -> NetResult<()> {
        let request = self
            .request(Method::Put, "/v1/push-token")
            .bearer_auth(token)
            .json(body);
        self.execute_empty(request).await
    }

    /// `DELETE /v1/push-token`: the server forgets this device's token (idempotent). Needs
    /// no basis: it withdraws a datum, it sends none.
    pub async fn delete_push_token(&self, token: &str) -> NetResult<()> {
        let request = self
            .request(Method::Delete, "/v1/push-token")
            .bearer_auth(token);
        self.execute_empty(request).await
    }

    /// `DELETE /v1/account/real-name`: the server forgets the outcome (refused with
    /// `RecentDelivery` while a delivery is under seven days old).
    pub async fn delete_real_name(&self, _basis: &Ticket, token: &str) -> NetResult<()> {
        let request = self
            .request(Method::Delete, "/v1/account/real-name")
            .bearer_auth(token);
        self.execute_empty(request).await
    }

    /// `GET /v1/guest/offers`: offers near a coarse position, without any credential.
    pub async fn guest_offers(&self, _basis: &Ticket, near: LatLon) -> NetResult<OpenOrders> {
        let path = format!("/v1/guest/offers?lat={}&lon={}", near.lat, near.lon);
        self.send(Method::Get, &path, None, None, NO_BODY).await
    }

    /// `GET /v1/errands/{id}/courier`: the courier's positions after `after` (ms), for the
    /// errand's shipper while it is in transit.
    pub async fn follow_courier(
        &self,
        _basis: &Ticket,
        token: &str,
        order_id: &str,
        after: i64,
    ) -> NetResult<waybill_protocol::CourierView> {
        let path = format!("/v1/errands/{}/courier?after={after}", segment(order_id)?);
        self.send(Method::Get, &path, Some(token), None, NO_BODY)
            .await
    }

    /// `GET /v1/orders/open` near a point. Sends a location: needs a ticket.
    pub async fn open_orders(
        &self,
        _basis: &Ticket,
        token: &str,
        near: LatLon,
        radius_m: u32,
    ) -> NetResult<OpenOrders> {
        let path = format!(
            "/v1/orders/open?lat={}&lon={}&radius_m={radius_m}",
            near.lat, near.lon
        );
        self.send(Method::Get, &path, Some(token), None, NO_BODY)
            .await
    }

    /// `POST /v1/consent-receipts`: idempotent on each receipt's hash.
    pub async fn send_receipts(
        &self,
        _basis: &Ticket,
        token: &str,
        receipts: &waybill_protocol::consent::ConsentReceipts,
    ) -> NetResult<waybill_protocol::consent::ReceiptsStored> {
        self.send(
            Method::Post,
            "/v1/consent-receipts",
            Some(token),
            None,
            Some(receipts),
        )
        .await
    }

    /// `POST /v1/actions`: a batch of queued actions, each idempotent on its key.
    pub async fn push_actions(
        &self,
        _basis: &Ticket,
        token: &str,
        batch: &waybill_protocol::ActionBatch,
    ) -> NetResult<waybill_protocol::ActionResults> {
        self.send(Method::Post, "/v1/actions", Some(token), None, Some(batch))
            .await
    }

    /// `GET /v1/changes?after=`: this account's orders changed since the cursor.
    pub async fn changes(
        &self,
        _basis: &Ticket,
        token: &str,
        after: i64,
    ) -> NetResult<waybill_protocol::Changes> {
        let path = format!("/v1/changes?after={after}");
        self.send(Method::Get, &path, Some(token), None, NO_BODY)
            .await
    }

    /// `POST /v1/rights-requests`: idempotent on the request's id.
    pub async fn file_rights_request(
        &self,
        _basis: &Ticket,
        token: &str,
        request: &waybill_protocol::RightsRequestFiled,
    ) -> NetResult<waybill_protocol::RightsRequestState> {
        self.send(
            Method::Post,
            "/v1/rights-requests",
            Some(token),
            Some(&request.id),
            Some(request),
        )
        .await
    }

    /// `GET /v1/rights-requests`: the account's requests with their status.
    pub async fn rights_requests(
        &self,
        _basis: &Ticket,
        token: &str,
    ) -> NetResult<waybill_protocol::RightsRequests> {
        self.send(
            Method::Get,
            "/v1/rights-requests",
            Some(token),
            None,
            NO_BODY,
        )
        .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        idempotency_key: Option<&str>,
        body: Option<&impl Serialize>,
    ) -> NetResult<T> {
        let mut request = self.request(method, path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = idempotency_key {
            request = request.header(IDEMPOTENCY_KEY_HEADER, key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.execute(request).await
    }

    /// `POST /v1/orders/{id}/trajectory`: one encoded batch; the key makes a retry
    /// idempotent and the server deduplicates points on (order, time) as well.
    pub async fn upload_trajectory(
        &self,
        _basis: &Ticket,
        token: &str,
        order_id: &str,
        key: &str,
        batch: Vec<u8>,
    ) -> NetResult<waybill_protocol::TrajectoryStored> {
        let path = format!("/v1/orders/{}/trajectory", segment(order_id)?);
        let request = self
            .request(Method::Post, &path)
            .bearer_auth(token)
            .header(IDEMPOTENCY_KEY_HEADER, key)
            .header("Content-Type", "application/octet-stream")
            .body(batch);
        self.execute(request).await
    }

    async fn execute<T: DeserializeOwned>(&self, request: Request<'_>) -> NetResult<T> {
        let bytes = self.execute_raw(request).await?;
        serde_json::from_slice(&bytes).map_err(|e| NetError::Decode(e.to_string()))
    }

    /// Sends and turns a failure into its [`NetError`]; the successful body's bytes. Not
    /// generic: the request and reply machinery is compiled once for every endpoint, not
    /// once per reply type (tens of KB each).
    async fn execute_raw(&self, request: Request<'_>) -> NetResult<Vec<u8>> {
        let reply = request.exchange().await?;
        let status = reply.status;
        if reply.is_success() {
            return Ok(reply.body);
        }
        if status == 401 {
            return Err(NetError::Unauthorized);
        }
        let retry_after_s = reply
            .header("Retry-After")
            .and_then(|v| v.trim().parse::<u64>().ok());
        match serde_json::from_slice::<ApiError>(&reply.body) {
            Ok(body) if body.code == waybill_protocol::ErrorCode::RateLimited => {
                Err(NetError::RateLimited {
                    retry_after_s: retry_after_s.unwrap_or(60).min(86_400),
                })
            }
            // 408 and 429 are the server asking to come back later, not a refusal.
            Ok(body) if (400..500).contains(&status) && !is_retry_later(status) => {
                Err(NetError::Rejected { status, body })
            }
            Ok(body) => Err(NetError::Status {
                status,
                reason: body.message,
            }),
            Err(_) => Err(NetError::Status {
                status,
                reason: format!("HTTP {status}"),
            }),
        }
    }
}

const NO_BODY: Option<&()> = None;

impl ApiClient {
    /// [`ApiClient::execute`] for replies without a body (204).
    async fn execute_empty(&self, request: Request<'_>) -> NetResult<()> {
        // A 204 has no JSON to decode; any success is enough.
        self.execute_raw(request).await.map(drop)
    }
}

/// Largest reply body read, bytes: a full change-feed page (1,000 orders) is well under
/// 2 MiB; a server that sends more is not believed.
pub const MAX_REPLY_BYTES: usize = 8 << 20;

fn too_big(max: u64) -> NetError {
    NetError::Decode(format!("a reply body over {max} bytes"))
}

fn is_retry_later(status: u16) -> bool {
    status == 408 || status == 429
}

/// An order id as one path segment. Ids are opaque but shaped ([`limits::is_valid_id`]:
/// URL-safe characters, never `.` or `..`, which URL parsers resolve as "this" or "the
/// parent" path even percent-encoded): a server that sends anything else gets no
/// request built from it.
pub(crate) fn segment(id: &str) -> NetResult<String> {
    if waybill_protocol::limits::is_valid_id(id) {
        Ok(id.to_string())
    } else {
        Err(NetError::Decode(
            "an order id that cannot be a path segment".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(date: &str) -> HttpReply {
        HttpReply {
            status: 200,
            headers: vec![("date".into(), date.into())],
            body: vec![],
        }
    }

    #[derive(Debug)]
    struct Nowhere;

    impl Transport for Nowhere {
        fn send(&self, _: HttpRequest) -> http::BoxFuture<'_, Result<HttpReply, TransportError>> {
            Box::pin(async {
                Err(TransportError::Failed {
                    reason: "nowhere".into(),
                })
            })
        }
    }

    #[test]
    fn the_servers_date_gives_the_clock_offset_and_an_implausible_one_is_ignored() {
        let api = ApiClient::new("http://127.0.0.1:1".into(), "test", Arc::new(Nowhere));
        assert_eq!(api.server_offset_ms(), None);
        api.note_server_date(&headers("Thu, 01 Jan 1970 00:00:00 GMT"));
        assert_eq!(api.server_offset_ms(), None, "no server's clock reads 1970");
        let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        api.note_server_date(&headers(&in_an_hour));
        let offset = api.server_offset_ms().unwrap();
        assert!((3_598_000..=3_600_000).contains(&offset), "{offset}");
        assert!(segment("..").is_err() && segment(".").is_err() && segment("a/b").is_err());
        assert_eq!(segment("ord-sh-0001").unwrap(), "ord-sh-0001");
    }

    /// A transport that answers whatever it was built with, or never.
    #[derive(Debug)]
    struct Lying(Option<HttpReply>);

    impl Transport for Lying {
        fn send(&self, _: HttpRequest) -> http::BoxFuture<'_, Result<HttpReply, TransportError>> {
            let reply = self.0.clone();
            Box::pin(async move {
                match reply {
                    Some(reply) => Ok(reply),
                    None => std::future::pending().await,
                }
            })
        }
    }

    fn api(reply: Option<HttpReply>) -> ApiClient {
        ApiClient::new("https://api.example".into(), "test", Arc::new(Lying(reply)))
    }

    #[tokio::test(start_paused = true)]
    async fn a_transport_is_believed_no_more_than_a_server() {
        // A body past the cap the core asked for: refused, whatever the transport says.
        let huge = HttpReply {
            status: 200,
            headers: vec![],
            body: vec![b' '; MAX_REPLY_BYTES + 1],
        };
        let err = api(Some(huge)).account_for_test().await.unwrap_err();
        assert!(
            matches!(err, NetError::Decode(ref m) if m.contains("over")),
            "{err}"
        );
        // A status no HTTP server sends.
        let odd = HttpReply {
            status: 999,
            headers: vec![],
            body: b"{}".to_vec(),
        };
        let err = api(Some(odd)).account_for_test().await.unwrap_err();
        assert!(matches!(err, NetError::Decode(_)), "{err}");
        // A transport that never answers: the core's own deadline ends the call, typed
        // transient (the paused clock runs the 25 s at once).
        let started = tokio::time::Instant::now();
        let err = api(None).account_for_test().await.unwrap_err();
        assert!(
            matches!(err, NetError::Transport(_)) && err.is_transient(),
            "{err}"
        );
        assert_eq!(started.elapsed(), REQUEST_TIMEOUT + DEADLINE_GRACE);
        // A redirect comes back as a status, never followed: permanent, not a success.
        let moved = HttpReply {
            status: 302,
            headers: vec![("Location".into(), "https://evil.example/".into())],
            body: vec![],
        };
        let err = api(Some(moved)).account_for_test().await.unwrap_err();
        assert!(
            matches!(err, NetError::Status { status: 302, .. }) && !err.is_transient(),
            "{err}"
        );
    }

    impl ApiClient {
        /// One typed request, for the tests above.
        async fn account_for_test(&self) -> NetResult<waybill_protocol::account::AccountInfo> {
            self.send(Method::Get, "/v1/account", Some("t"), None, NO_BODY)
                .await
        }
    }
}
