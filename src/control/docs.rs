//! The admin plane documents itself: `/_sim/openapi.json` (built from the
//! route table in [`super::openapi`]) and an offline Swagger UI under
//! `/_sim/docs`, its assets embedded in the binary.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::ApiError;

pub async fn openapi_json() -> Response {
    let doc = super::openapi::document();
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_json().unwrap_or_else(|_| "{}".into()),
    )
        .into_response()
}

const SWAGGER_JS: &[u8] = include_bytes!("swagger/swagger-ui-bundle.js");

const SWAGGER_CSS: &[u8] = include_bytes!("swagger/swagger-ui.css");

const SWAGGER_ICON: &[u8] = include_bytes!("swagger/favicon-32x32.png");

const SWAGGER_HTML: &str = r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>carrier-sim admin API</title>
<link rel="stylesheet" href="/_sim/docs/swagger-ui.css"><link rel="icon" href="/_sim/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div><script src="/_sim/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/_sim/openapi.json", dom_id: "#swagger-ui",
  requestInterceptor: (r) => { r.headers["X-Requested-With"] = "swagger-ui"; return r; }});</script></body></html>"##;

pub async fn docs_index() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        SWAGGER_HTML,
    )
        .into_response()
}

pub async fn docs_asset(Path(file): Path<String>) -> Response {
    let (ctype, bytes) = match file.as_str() {
        "swagger-ui-bundle.js" => ("application/javascript", SWAGGER_JS),
        "swagger-ui.css" => ("text/css", SWAGGER_CSS),
        "favicon-32x32.png" => ("image/png", SWAGGER_ICON),
        "index.html" => return docs_index().await,
        _ => return ApiError(StatusCode::NOT_FOUND, format!("no asset {file}")).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}
