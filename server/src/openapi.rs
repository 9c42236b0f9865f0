//! The sync contract as an OpenAPI 3.1 document, generated from the wire types and the
//! handlers' annotations, so the document cannot drift from the server. Served at
//! `/v1/openapi.json`, committed as `docs/openapi.json` (CI checks it is current), and
//! exercised by schemathesis in `make test`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
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
        // Every bearer route passes the same credential check, whose refusals any of them
        // may answer: a handler's annotation lists only what is its own.
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    for (status, meaning) in CREDENTIAL_REFUSALS {
                        operation
                            .responses
                            .responses
                            .entry(status.to_string())
                            .or_insert_with(|| api_error(meaning));
                    }
                }
            }
        }
    }
}

/// What the credential check answers before any handler runs (`devices::caller_for_token`).
const CREDENTIAL_REFUSALS: [(&str, &str); 3] = [
    ("401", "`unauthorized`: no live session for this token"),
    ("403", "`account_suspended`: the account is suspended"),
    ("410", "`account_closed`: the token's account was closed"),
];

fn api_error(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ApiError")))
                    .build(),
            )
            .build(),
    )
}

/// The document, pretty JSON.
pub fn document() -> String {
    Contract::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}
