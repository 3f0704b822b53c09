//! The web dashboard: server-rendered HTML with inline SVG plots from `bo_core::plot`.
//!
//! Pages: `/dashboard` (studies), `/dashboard/study?name=NAME` (summary, optimization
//! history, intermediate values, parameter importance, parallel coordinates, trials table),
//! `/dashboard/plot?name=NAME&kind=KIND` (one plot as `image/svg+xml`). Login: open
//! `/dashboard?token=TOKEN` once, or post the form of `/dashboard/login`; both set an
//! `HttpOnly` cookie `bo_token`. A server without auth needs no login.

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bo_core::importance::FanovaEvaluator;
use bo_core::plot::{ImageFormat, PlotKind, escape_html as escape};
use bo_core::{FrozenTrial, History, TrialState};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::request::blocking;
use crate::state::{AppState, Owner};

/// The routes of the dashboard.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/dashboard") }))
        .route("/dashboard", get(studies_page))
        .route("/dashboard/login", get(login_page).post(login))
        .route("/dashboard/study", get(study_page))
        .route("/dashboard/plot", get(plot_svg))
}

const COOKIE: &str = "bo_token";

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}td.l{text-align:left}\
figure{display:inline-block;margin:0.5em;vertical-align:top}.empty{color:#888}nav a{margin-right:1em}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t} · bo</title><style>{STYLE}</style></head>\
         <body><nav><a href=\"/dashboard\">Studies</a></nav><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    )
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn html_error(e: &Error) -> Response {
    let (status, _) = e.status_and_kind();
    html(status, page("Error", &format!("<p class=\"error\">{}</p>", escape(&e.to_string()))))
}

fn login_form(message: &str) -> String {
    page(
        "Log in",
        &format!(
            "{}<form method=\"post\" action=\"/dashboard/login\"><label>API token \
             <input type=\"password\" name=\"token\" autocomplete=\"off\"></label> \
             <button type=\"submit\">Log in</button></form>\
             <p>Create a token with <code>bo token new USER</code>.</p>",
            if message.is_empty() { String::new() } else { format!("<p class=\"error\">{}</p>", escape(message)) }
        ),
    )
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
struct StudyQuery {
    name: String,
    token: Option<String>,
}

#[derive(Deserialize)]
struct PlotQuery {
    name: String,
    kind: String,
    token: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(COOKIE).and_then(|r| r.strip_prefix('=')).map(str::to_string))
}

fn set_cookie(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")).ok()
}

/// The owner of a dashboard request: `?token=` first (then also set as cookie), else the
/// cookie. `Ok(None)` means "show the login form".
async fn dashboard_owner(st: &AppState, headers: &HeaderMap, query: Option<String>) -> Result<Option<(Owner, Option<String>)>> {
    let from_query = query.is_some();
    let token = query.or_else(|| cookie_token(headers));
    let st = st.clone();
    blocking(move || match st.owner_of_token(token.as_deref()) {
        Ok(o) => Ok(Some((o, token.filter(|_| from_query)))),
        Err(Error::Unauthorized) => Ok(None),
        Err(e) => Err(e),
    })
    .await
}

fn with_cookie(mut r: Response, token: Option<String>) -> Response {
    if let Some(v) = token.as_deref().and_then(set_cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn login_page() -> Response {
    html(StatusCode::OK, login_form(""))
}

async fn login(State(st): State<AppState>, Form(f): Form<LoginForm>) -> Response {
    let token = f.token.trim().to_string();
    let check = {
        let st = st.clone();
        let token = token.clone();
        blocking(move || st.owner_of_token(Some(&token))).await
    };
    match check {
        Ok(_) => {
            let r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/dashboard")]).into_response();
            with_cookie(r, Some(token))
        }
        Err(Error::Unauthorized) => html(StatusCode::UNAUTHORIZED, login_form("Unknown token.")),
        Err(e) => html_error(&e),
    }
}

fn fmt_value(v: Option<f64>) -> String {
    match v {
        Some(x) => format!("{x:.6}"),
        None => "–".into(),
    }
}

async fn studies_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    let (owner, new_token) = match dashboard_owner(&st, &headers, q.token).await {
        Ok(Some(o)) => o,
        Ok(None) => return html(StatusCode::UNAUTHORIZED, login_form("")),
        Err(e) => return html_error(&e),
    };
    let rows = blocking(move || {
        let mut rows = String::new();
        for r in st.inner.storage.studies()? {
            let Some(r) = owner.view(r) else { continue };
            let (_, h) = st.history(&owner, &r.name)?;
            let best = h.best().and_then(|t| t.value);
            let count = |s: TrialState| h.trials().iter().filter(|t| t.state == s).count();
            rows.push_str(&format!(
                "<tr class=\"study\"><td class=\"l\"><a href=\"/dashboard/study?name={}\">{}</a></td><td class=\"l\">{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                url_encode(&r.name),
                escape(&r.name),
                r.direction,
                r.n_trials,
                count(TrialState::Complete),
                count(TrialState::Pruned),
                count(TrialState::Running),
                fmt_value(best)
            ));
        }
        Ok(rows)
    })
    .await;
    match rows {
        Ok(rows) => {
            let body = format!(
                "<table id=\"studies\"><tr><th>Study</th><th>Direction</th><th>Trials</th><th>Complete</th>\
                 <th>Pruned</th><th>Running</th><th>Best value</th></tr>{rows}</table>"
            );
            with_cookie(html(StatusCode::OK, page("Studies", &body)), new_token)
        }
        Err(e) => html_error(&e),
    }
}

/// The plots a study page shows, in order.
const PLOTS: [(PlotKind, &str); 4] = [
    (PlotKind::History, "Optimization history"),
    (PlotKind::Intermediate, "Intermediate values"),
    (PlotKind::Importance, "Parameter importance"),
    (PlotKind::Parallel, "Parallel coordinates"),
];

/// Plot `kind` of `h` as SVG text (importance: fANOVA over 32 trees).
fn svg(h: &History, kind: PlotKind) -> Result<String> {
    let ev = FanovaEvaluator::builder().n_trees(32).seed(0).build()?;
    let bytes = kind.figure(h, &[], &ev)?.render(ImageFormat::Svg)?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))
}

fn trials_table(h: &History) -> String {
    let mut names: Vec<&String> = h.trials().iter().flat_map(|t| t.params.keys()).collect();
    names.sort();
    names.dedup();
    let mut s = String::from("<table id=\"trials\"><tr><th>#</th><th>State</th><th>Value</th><th>Duration (s)</th><th>Steps</th>");
    for n in &names {
        s.push_str(&format!("<th>{}</th>", escape(n)));
    }
    s.push_str("</tr>");
    let row = |t: &FrozenTrial| {
        let mut r = format!(
            "<tr class=\"trial\" data-number=\"{n}\"><td>{n}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td>",
            t.state,
            fmt_value(t.value),
            t.duration_secs().map(|d| format!("{d:.2}")).unwrap_or_else(|| "–".into()),
            t.intermediate_values.len(),
            n = t.number
        );
        for n in &names {
            r.push_str(&format!("<td>{}</td>", t.params.get(*n).map(|v| escape(&v.to_string())).unwrap_or_default()));
        }
        r.push_str("</tr>");
        r
    };
    for t in h.trials() {
        s.push_str(&row(t));
    }
    s.push_str("</table>");
    s
}

async fn study_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<StudyQuery>) -> Response {
    let (owner, new_token) = match dashboard_owner(&st, &headers, q.token).await {
        Ok(Some(o)) => o,
        Ok(None) => return html(StatusCode::UNAUTHORIZED, login_form("")),
        Err(e) => return html_error(&e),
    };
    let name = q.name;
    let result = blocking(move || {
        let (rec, h) = st.history(&owner, &name)?;
        let mut body = format!("<p>Direction: {} · trials: {}", rec.direction, rec.n_trials);
        if let Some(b) = h.best() {
            body.push_str(&format!(" · best: trial {} with value {}", b.number, fmt_value(b.value)));
        }
        body.push_str("</p>");
        for (kind, title) in PLOTS {
            let content = match svg(&h, kind) {
                Ok(s) => s,
                Err(e) => format!("<p class=\"empty\">{}</p>", escape(&e.to_string())),
            };
            body.push_str(&format!("<figure id=\"plot-{kind}\"><figcaption>{title}</figcaption>{content}</figure>"));
        }
        body.push_str("<h2>Trials</h2>");
        body.push_str(&trials_table(&h));
        Ok(page(&name, &body))
    })
    .await;
    match result {
        Ok(p) => with_cookie(html(StatusCode::OK, p), new_token),
        Err(e) => html_error(&e),
    }
}

async fn plot_svg(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<PlotQuery>) -> Response {
    let owner = match dashboard_owner(&st, &headers, q.token).await {
        Ok(Some((o, _))) => o,
        Ok(None) => return Error::Unauthorized.into_response(),
        Err(e) => return e.into_response(),
    };
    let result = blocking(move || {
        let (_, h) = st.history(&owner, &q.name)?;
        svg(&h, q.kind.parse()?)
    })
    .await;
    match result {
        Ok(s) => ([(header::CONTENT_TYPE, "image/svg+xml")], s).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_percent_encoded() {
        assert_eq!(url_encode("a b/ü"), "a%20b%2F%C3%BC");
    }
}
