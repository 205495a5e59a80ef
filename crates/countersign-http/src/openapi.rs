//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! types (utoipa), with each operation's roles added from [`crate::ROUTES`]
//! as `x-roles` and its security requirement.

use crate::{Access, ROUTES, api, employees_api, problem::Problem};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Countersign API", description = "Help-desk protection against quid pro quo social engineering: verdicts on messages, verification cases (callback, one-time code, vendor signature, dual approval), the IT identification reference, caller verification, employees' reports and campaigns, accounts, tokens and webhooks."),
    paths(
        api::healthz, api::readyz, api::metrics, api::openapi_json,
        api::sign_in, api::sign_out, api::me, api::change_password, api::start_totp, api::confirm_totp,
        api::post_message, api::get_message,
        api::list_quarantine, api::release_quarantined, api::delete_quarantined,
        api::list_cases, api::open_case, api::get_case, api::case_timeline, api::callback,
        api::send_code, api::verify_code, api::challenge, api::signature, api::approve, api::deny,
        api::release,
        api::list_accounts, api::create_account, api::unlock_account, api::disable_account,
        api::list_tokens, api::create_token, api::revoke_token,
        api::list_webhooks, api::create_webhook, api::disable_webhook, api::webhook_deliveries,
        api::posture_domains, api::posture_sources, api::upload_posture_reports,
        employees_api::staff_lookup, employees_api::staff_photo, employees_api::upload_staff_photo,
        employees_api::verify_caller, employees_api::get_verification, employees_api::submit_caller_code,
        employees_api::push_ticket, employees_api::submit_report, employees_api::my_reports,
        employees_api::all_reports, employees_api::get_report, employees_api::triage_report,
        employees_api::campaigns, employees_api::campaign, employees_api::campaign_status,
    ),
    components(schemas(Problem)),
    tags(
        (name = "messages", description = "Verdicts on messages"),
        (name = "cases", description = "Verification before action"),
        (name = "session", description = "Signing in"),
        (name = "accounts", description = "Accounts and API tokens"),
        (name = "webhooks", description = "Case events for help-desk tools"),
        (name = "posture", description = "Our own domains: who sends as us, from DMARC reports"),
        (name = "operations", description = "Health, metrics, this document"),
        (name = "employees", description = "The IT reference, caller verification, reports and campaigns"),
    )
)]
struct Doc;

/// The document served at `/api/v1/openapi.json`.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(Doc::openapi()).unwrap_or_default();
    doc["info"]["version"] = serde_json::Value::String(env!("CARGO_PKG_VERSION").to_owned());
    doc["components"]["securitySchemes"] = serde_json::json!({
        "bearer": { "type": "http", "scheme": "bearer",
                    "description": "A session token from POST /api/v1/session, or an API token" }
    });
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                let Some(spec) = ROUTES
                    .iter()
                    .find(|r| r.path == path && r.method.eq_ignore_ascii_case(method))
                else {
                    continue;
                };
                let (roles, security) = match spec.access {
                    Access::Public => (serde_json::json!("public"), serde_json::json!([])),
                    Access::SignedIn => (
                        serde_json::json!("signed-in"),
                        serde_json::json!([{ "bearer": [] }]),
                    ),
                    Access::Roles(roles) => (
                        serde_json::json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()),
                        serde_json::json!([{ "bearer": [] }]),
                    ),
                };
                op["x-roles"] = roles;
                op["security"] = security;
            }
        }
    }
    doc
}
