//! Following the courier (issue 22; seed 003 records the errand's "行踪轨迹", 001 offers
//! "cargo location query"): the errand's shipper sees the courier's positions between
//! pickup and delivery, and nothing before or after; no one else sees them at all (the
//! driver reads their own trajectory through `/v1/orders/{id}/trajectory`). The courier's
//! identity is not part of the view.

use geo::{Distance, Geodesic, Haversine, Length, Point};
use rusqlite::{Connection, params};
use waybill_protocol::{CourierState, CourierView, OrderStatus, StopKind, TrackPoint};

use axum::extract::{Extension, Path, Query, State};
use axum::{Json, Router};

#[allow(unused_imports)] // named in the OpenAPI annotations
use waybill_protocol::ApiError;

use crate::access::{self, Caller, Standing};
use crate::api::{AppState, Failure, order_id_param, query_params};
use crate::store::StoreResult;

/// Routes of the signed-in account.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/errands/{id}/courier", axum::routing::get(follow))
}

/// The cursor of a follow call.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct After {
    #[serde(default)]
    after: i64,
}

#[utoipa::path(get, path = "/v1/errands/{id}/courier", tag = "orders", security(("bearer" = [])),
    description = "The courier of the caller's own errand, for its shipper only: positions recorded between pickup and delivery, after `after` (ms, the previous reply's `next_after`), the distance covered since pickup and left to the drop-off. Before pickup, after delivery and for a cancelled errand the state alone, no position. Anyone else (the driver, another shipper, a stranger) gets the reply a missing order gets.",
    params(("id" = String, Path, description = "order id", max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$"),
        ("after" = Option<i64>, Query, description = "cursor: positions after this time (ms)")),
    responses((status = 200, body = CourierView), (status = 400, body = ApiError),
        (status = 401, body = ApiError), (status = 404, body = ApiError)))]
pub(crate) async fn follow(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(order_id): Path<String>,
    query: Result<Query<After>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CourierView>, Failure> {
    let order_id = order_id_param(order_id)?;
    let after = query_params(query)?.after;
    let view = state
        .with_db(move |c| self::view(c, &caller.account, &order_id, after))
        .await?;
    Ok(Json(view))
}

/// Most positions in one reply.
pub const MAX_POINTS: usize = 1_000;

/// The courier view of `order_id` for `account`, positions after `after` (ms).
pub fn view(
    conn: &Connection,
    account: &str,
    order_id: &str,
    after: i64,
) -> StoreResult<CourierView> {
    let Some(a) = access::order_access(conn, account, order_id)? else {
        return Err(access::not_yours());
    };
    if a.standing != Standing::Shipper {
        return Err(access::not_yours());
    }
    let empty = |state| CourierView {
        state,
        points: vec![],
        latest: None,
        covered_m: 0.0,
        left_m: None,
        next_after: after,
    };
    let state = match a.status {
        OrderStatus::Open | OrderStatus::Accepted => CourierState::NotPickedUp,
        OrderStatus::PickedUp => CourierState::InTransit,
        OrderStatus::Delivered => CourierState::Delivered,
        OrderStatus::Cancelled => CourierState::Cancelled,
    };
    if state != CourierState::InTransit {
        return Ok(empty(state));
    }
    // Only what was recorded since the pickup: the driver's way to the pickup is theirs.
    let picked_up_ms: i64 = conn
        .query_row(
            "SELECT max(at) FROM order_events WHERE order_id = ?1 AND kind = 'picked_up'",
            params![order_id],
            |r| r.get::<_, Option<String>>(0),
        )?
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok())
        .map_or(i64::MAX, |t| t.timestamp_millis());
    let mut stmt = conn.prepare_cached(
        "SELECT t_ms, lat, lon FROM trajectory_points WHERE order_id = ?1 AND t_ms >= ?2
         ORDER BY t_ms",
    )?;
    let all: Vec<TrackPoint> = stmt
        .query_map(params![order_id, picked_up_ms], |r| {
            Ok(TrackPoint {
                t_ms: r.get(0)?,
                lat: r.get(1)?,
                lon: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let line: geo::LineString<f64> = all.iter().map(|p| (p.lon, p.lat)).collect();
    let covered_m = Geodesic.length(&line);
    let latest = all.last().copied();
    let dropoff = crate::store::get_order(conn, order_id)?.and_then(|o| {
        o.stops
            .iter()
            .rev()
            .find(|s| s.kind == StopKind::Dropoff)
            .and_then(|s| s.point)
    });
    let left_m = latest
        .zip(dropoff)
        .map(|(p, d)| Haversine.distance(Point::new(p.lon, p.lat), Point::new(d.lon, d.lat)));
    let points: Vec<TrackPoint> = all
        .into_iter()
        .filter(|p| p.t_ms > after)
        .take(MAX_POINTS)
        .collect();
    let next_after = points.last().map_or(after, |p| p.t_ms);
    Ok(CourierView {
        state,
        points,
        latest,
        covered_m,
        left_m,
        next_after,
    })
}
