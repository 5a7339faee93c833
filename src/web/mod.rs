//! The web dashboard at `/_sim/ui`: a small single-page app (plain HTML,
//! vanilla JavaScript and CSS, charts drawn as inline SVG) embedded in the
//! binary, so it works offline with no build step. The page only talks to the
//! public admin API (`/_sim/cards`, `/_sim/clock`, `/_sim/events`,
//! `/_sim/handsets/..`, and the fault and request-journal endpoints when the
//! server has them); this module only serves the static files, from routes
//! in the admin route table (`control::openapi`).
//! Documented in `docs/dashboard.md`.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;

/// One embedded file: its name under `/_sim/ui/`, MIME type and bytes.
struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

/// Everything the dashboard needs; `index.html` is also served at `/_sim/ui`.
static ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        mime: "text/html; charset=utf-8",
        body: include_bytes!("assets/index.html"),
    },
    Asset {
        name: "zh-CN.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/zh-CN.js"),
    },
    Asset {
        name: "app.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/app.js"),
    },
    Asset {
        name: "app.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("assets/app.css"),
    },
    Asset {
        name: "favicon.svg",
        mime: "image/svg+xml",
        body: include_bytes!("assets/favicon.svg"),
    },
];

/// `GET /_sim/ui`: the page.
pub async fn index() -> Response {
    serve(&ASSETS[0])
}

/// `GET /_sim/ui/`: the page lives at `/_sim/ui`. The target is relative,
/// so that a world's dashboard (`/w/{id}/_sim/ui/`) stays in its world.
pub async fn to_index() -> Redirect {
    Redirect::permanent("../ui")
}

/// `GET /_sim/ui/{file}`: one embedded file, or a JSON 404.
pub async fn asset(Path(file): Path<String>) -> Response {
    match find(&file) {
        Some(a) => serve(a),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no dashboard file named '{file}'")})),
        )
            .into_response(),
    }
}

/// Looks an embedded file up by name.
fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

fn serve(a: &'static Asset) -> Response {
    let mut r = a.body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    // Assets change with the binary; revalidation is cheap on loopback.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Everything is same-origin: no CDN, no inline script.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        ),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_found_by_name_and_not_empty() {
        for a in ASSETS {
            assert!(std::ptr::eq(find(a.name).unwrap(), a));
            assert!(!a.body.is_empty(), "{} is empty", a.name);
        }
        assert!(find("../Cargo.toml").is_none());
    }

    #[test]
    fn index_links_only_embedded_same_origin_assets() {
        let html = std::str::from_utf8(ASSETS[0].body).unwrap();
        // Relative to the page (`/_sim/ui` or a world's `/w/{id}/_sim/ui`).
        for needed in [
            "\"ui/zh-CN.js\"",
            "\"ui/app.js\"",
            "\"ui/app.css\"",
            "\"ui/favicon.svg\"",
        ] {
            assert!(html.contains(needed), "index.html misses {needed}");
        }
        assert!(
            !html.contains("\"/_sim/"),
            "an absolute path leaves a world"
        );
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
