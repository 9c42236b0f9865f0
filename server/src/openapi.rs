//! The sync contract as an OpenAPI 3.1 document, generated from the wire types and the
//! handlers' annotations, so the document cannot drift from the server. Served at
//! `/v1/openapi.json`, committed as `docs/openapi.json` (CI checks it is current), and
//! exercised by schemathesis in `make test`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Waybill sync contract", version = "1",
        description = "Orders, actions, change feed, consent receipts and rights requests between the Waybill core and its backend. Every mutating request is idempotent (Idempotency-Key header or a device-made id)."),
    paths(
        crate::account_api::request_code, crate::account_api::register,
        crate::account_api::account, crate::account_api::sign_out_device,
        crate::account_api::sign_out, crate::account_api::request_step_up_code,
        crate::account_api::real_name_status, crate::account_api::verify_real_name,
        crate::account_api::delete_real_name, crate::account_api::update_age,
        crate::account_api::guest_offers, crate::api::open_orders, crate::api::accept, crate::api::events,
        crate::api::apply_actions, crate::api::changes, crate::api::create_errand,
        crate::api::cancel_errand, crate::api::store_receipts, crate::api::list_receipts,
        crate::api::file_rights_request, crate::api::list_rights_requests,
        crate::api::upload_trajectory, crate::api::get_trajectory,
        crate::service_log::store_events, crate::courier::follow,
        crate::push::register, crate::push::unregister, crate::notices::list, crate::notices::control,
        crate::waybills::query, crate::waybills::followed, crate::waybills::follow,
        crate::waybills::replace, crate::marketing::list,
    ),
    modifiers(&BearerAuth)
)]
struct Contract;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document, pretty JSON.
pub fn document() -> String {
    Contract::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}
