//! Sign-in (password and TOTP code), sign-out, first-time setup (password
//! change, TOTP enrolment with a QR code rendered here as SVG), and the
//! home page that sends each role to its first page.

use crate::layout::{self, csrf, notice, page, respond};
use crate::{
    APPROVERS, CSRF_FIELD, ConsoleState, EMPLOYEE, Form, PRE_COOKIE, QUEUE, SESSION_COOKIE, Viewer,
    client_address, cookie, set_cookie,
};
use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use countersign_accounts::signin::Stage;
use countersign_service::ServiceError;
use countersign_service::accounts::SignInStep;
use maud::{Markup, PreEscaped, html};

fn signin_form(pre: &str, username: &str, error: Option<&str>) -> Markup {
    page(
        None,
        "Sign in",
        html! {
            @if let Some(e) = error { (notice(e, true)) }
            form.card method="post" action="/console/signin" {
                input type="hidden" name=(CSRF_FIELD) value=(pre);
                div.field {
                    label for="username" { "Username" }
                    input #username name="username" type="text" autocomplete="username" required value=(username);
                }
                div.field {
                    label for="password" { "Password" }
                    input #password name="password" type="password" autocomplete="current-password" required;
                }
                button type="submit" { "Sign in" }
                p.help { "If your account has an authenticator app, its code is asked next." }
            }
        },
    )
}

/// The second step: the authenticator code, on its own page.
fn totp_form(pre: &str, error: Option<&str>) -> Markup {
    page(
        None,
        "Authenticator code",
        html! {
            @if let Some(e) = error { (notice(e, true)) }
            form.card method="post" action="/console/signin/totp" {
                input type="hidden" name=(CSRF_FIELD) value=(pre);
                p { "Your password is right. Now the six digits your authenticator app shows for Countersign." }
                div.field {
                    label for="totp" { "Authenticator code" }
                    input #totp name="totp" type="text" inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9]{6}" maxlength="6" required autofocus aria-describedby="totp-help";
                    p.help #totp-help { "The code changes every 30 seconds; a code is accepted once." }
                }
                button type="submit" { "Verify and sign in" }
            }
            p { a href="/console/signin" { "Start again with your password" } }
        },
    )
}

/// The cookie carrying the sign-in challenge between password and code.
pub const MFA_COOKIE: &str = "cs_mfa";

fn signed_in(state: &ConsoleState, signed: countersign_service::accounts::SignedIn) -> Response {
    let max_age = state.services.settings().session_absolute.whole_seconds();
    let to = if signed.stage == Stage::Full {
        "/console"
    } else {
        "/console/setup"
    };
    let resp = with_cookie(
        Redirect::to(to).into_response(),
        set_cookie(&state.config, SESSION_COOKIE, &signed.token, max_age),
    );
    let resp = with_cookie(resp, set_cookie(&state.config, PRE_COOKIE, "", 0));
    with_cookie(resp, set_cookie(&state.config, MFA_COOKIE, "", 0))
}

fn with_cookie(mut resp: Response, value: String) -> Response {
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The sign-in form; sets the pre-sign-in CSRF cookie.
pub async fn signin_page(State(state): State<ConsoleState>, req: Request) -> Response {
    let pre = cookie(req.headers(), PRE_COOKIE)
        .unwrap_or_else(|| countersign_accounts::token::random_token("pre"));
    with_cookie(
        respond(StatusCode::OK, signin_form(&pre, "", None)),
        set_cookie(&state.config, PRE_COOKIE, &pre, 3600),
    )
}

/// Signs in through the same use case as the API.
pub async fn signin(
    State(state): State<ConsoleState>,
    Extension(form): Extension<Form>,
    req: Request,
) -> Response {
    let address = client_address(&req);
    let pre = cookie(req.headers(), PRE_COOKIE).unwrap_or_default();
    let (username, password) = (form.get("username"), form.get("password"));
    if username.len() > 256 || password.len() > 1024 {
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            signin_form(&pre, "", Some("credentials too long")),
        );
    }
    match state
        .services
        .sign_in_password(username, password, &address)
        .await
    {
        Ok(SignInStep::Done(signed)) => signed_in(&state, signed),
        Ok(SignInStep::Totp {
            challenge,
            expires_at,
        }) => {
            let max_age = (expires_at - time::OffsetDateTime::now_utc())
                .whole_seconds()
                .max(1);
            with_cookie(
                respond(StatusCode::OK, totp_form(&pre, None)),
                set_cookie(&state.config, MFA_COOKIE, &challenge, max_age),
            )
        }
        Err(err) => respond(
            layout::status_of(&err),
            signin_form(&pre, username, Some(&err.to_string())),
        ),
    }
}

/// The TOTP step: the code for the challenge the password step opened.
pub async fn signin_totp(
    State(state): State<ConsoleState>,
    Extension(form): Extension<Form>,
    req: Request,
) -> Response {
    let address = client_address(&req);
    let pre = cookie(req.headers(), PRE_COOKIE).unwrap_or_default();
    let Some(challenge) = cookie(req.headers(), MFA_COOKIE) else {
        return respond(
            StatusCode::UNAUTHORIZED,
            signin_form(
                &pre,
                "",
                Some("this sign-in has expired or ended; sign in again with your password"),
            ),
        );
    };
    let code = form.get("totp");
    if code.len() > 16 {
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            totp_form(&pre, Some("a code is six digits")),
        );
    }
    match state
        .services
        .sign_in_totp(&challenge, code, &address)
        .await
    {
        Ok(signed) => signed_in(&state, signed),
        Err(err) => {
            // Still open: ask again; ended (expired, too many wrong codes):
            // back to the password.
            let still_open = state
                .services
                .sign_in_challenge_open(&challenge)
                .await
                .unwrap_or(false);
            if still_open {
                respond(
                    layout::status_of(&err),
                    totp_form(&pre, Some(&err.to_string())),
                )
            } else {
                with_cookie(
                    respond(
                        layout::status_of(&err),
                        signin_form(&pre, "", Some(&err.to_string())),
                    ),
                    set_cookie(&state.config, MFA_COOKIE, "", 0),
                )
            }
        }
    }
}

/// Ends the session and clears the cookie.
pub async fn signout(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
) -> Response {
    if let Err(err) = state.services.sign_out(&v.principal).await {
        return layout::service_error(Some(&v), err);
    }
    with_cookie(
        Redirect::to("/console/signin").into_response(),
        set_cookie(&state.config, SESSION_COOKIE, "", 0),
    )
}

/// Sends each person to the first page of their role.
pub async fn home(Extension(v): Extension<Viewer>) -> Response {
    let to = if v.principal.stage != Stage::Full {
        "/console/setup"
    } else if v.can(QUEUE) {
        "/console/queue"
    } else if v.can(APPROVERS) {
        "/console/approvals"
    } else if v.can(EMPLOYEE) {
        "/console/it"
    } else {
        return layout::error_page(
            Some(&v),
            StatusCode::FORBIDDEN,
            "No console pages for your role",
            "API accounts use the API.",
        );
    };
    Redirect::to(to).into_response()
}

fn setup_body(v: &Viewer, message: Option<(&str, bool)>, totp: Option<(&str, &str)>) -> Markup {
    let account = &v.principal.account;
    let totp_confirmed = account.totp.as_ref().is_some_and(|t| t.confirmed);
    html! {
        @if let Some((text, error)) = message { (notice(text, error)) }
        @if v.principal.stage == Stage::Full {
            p { "Your account is set up. " a href="/console" { "Go to the console" } }
        }
        @if account.must_change_password {
            section.card aria-labelledby="pw-h" {
                h2 #pw-h { "Choose your password" }
                p { "Replace the one-time password you were given (at least 12 characters)." }
                form method="post" action="/console/setup/password" {
                    (csrf(v))
                    div.field {
                        label for="current" { "One-time password" }
                        input #current name="current_password" type="password" autocomplete="current-password" required;
                    }
                    div.field {
                        label for="new" { "New password" }
                        input #new name="new_password" type="password" autocomplete="new-password" minlength="12" required;
                    }
                    button type="submit" { "Change password" }
                }
            }
        }
        @if !totp_confirmed {
            section.card aria-labelledby="totp-h" {
                h2 #totp-h { "Authenticator app" }
                @if let Some((uri, secret)) = totp {
                    p { "Scan this code with your authenticator app, or type the key by hand." }
                    figure.qr {
                        (PreEscaped(qr_svg(uri)))
                        figcaption { "Key: " code.secret { (secret) } }
                    }
                    form method="post" action="/console/setup/totp/confirm" {
                        (csrf(v))
                        div.field {
                            label for="code" { "First code from the app" }
                            input #code name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required;
                        }
                        button type="submit" { "Confirm" }
                    }
                } @else {
                    p {
                        @if v.principal.roles.requires_mfa() {
                            "Your role needs a second factor: enrol an authenticator app."
                        } @else {
                            "Add an authenticator app as a second factor."
                        }
                    }
                    form method="post" action="/console/setup/totp" {
                        (csrf(v))
                        button type="submit" { "Enrol an authenticator app" }
                    }
                }
            }
        }
    }
}

/// The otpauth URI as an SVG QR code with a text alternative.
fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            // Drop the XML declaration; label the image.
            let start = svg.find("<svg").unwrap_or(0);
            svg[start..].replacen(
                "<svg",
                "<svg role=\"img\" aria-label=\"QR code of the authenticator key\"",
                1,
            )
        }
        Err(_) => String::from("<p>The key is too long for a QR code: type it by hand.</p>"),
    }
}

/// First-time setup: what is still missing.
pub async fn setup_page(Extension(v): Extension<Viewer>) -> Response {
    respond(
        StatusCode::OK,
        page(Some(&v), "Set up your account", setup_body(&v, None, None)),
    )
}

/// Changes the password (the session's account is re-read on the next request).
pub async fn change_password(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    match state
        .services
        .change_password(
            &v.principal,
            form.get("current_password"),
            form.get("new_password"),
        )
        .await
    {
        // Home sends on to the role's page, or back here if TOTP is still missing.
        Ok(()) => Redirect::to("/console").into_response(),
        Err(err) => setup_failed(&v, &err, &err.to_string()),
    }
}

/// The account set-up page again, saying what went wrong.
fn setup_failed(v: &Viewer, err: &ServiceError, message: &str) -> Response {
    respond(
        layout::status_of(err),
        page(
            Some(v),
            "Set up your account",
            setup_body(v, Some((message, true)), None),
        ),
    )
}

/// Starts TOTP enrolment and shows the QR code once.
pub async fn start_totp(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
) -> Response {
    match state.services.start_totp(&v.principal).await {
        Ok(setup) => respond(
            StatusCode::OK,
            page(
                Some(&v),
                "Set up your account",
                setup_body(&v, None, Some((&setup.otpauth_uri, &setup.secret_base32))),
            ),
        ),
        Err(err) => setup_failed(&v, &err, &err.to_string()),
    }
}

/// Confirms TOTP enrolment with a first code.
pub async fn confirm_totp(
    State(state): State<ConsoleState>,
    Extension(v): Extension<Viewer>,
    Extension(form): Extension<Form>,
) -> Response {
    match state
        .services
        .confirm_totp(&v.principal, form.get("code").trim())
        .await
    {
        Ok(()) => Redirect::to("/console").into_response(),
        Err(err) => setup_failed(&v, &err, &format!("{err}. Enrol again to get a new key.")),
    }
}
