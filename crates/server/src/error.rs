//! Errors as the API returns them: `{"error":{"code","message","field"?}}` with a status.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The longest framework message kept when an answer is rewritten as a JSON error.
const MESSAGE_BYTES: usize = 4096;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable machine-readable word: `bad_request`, `unauthorized`, `forbidden`…
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, for validation errors.
    pub field: Option<String>,
}

impl ApiError {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn too_many(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
    }

    /// The server runs but cannot do its work now (its database does not answer).
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::plain(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// A failure of ours: logged in full, answered without detail.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "request failed");
        ApiError::plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; it has been logged",
        )
    }

    fn plain(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = json!(field);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

impl From<embudo_access::AccessError> for ApiError {
    fn from(error: embudo_access::AccessError) -> ApiError {
        match error {
            embudo_access::AccessError::Invalid { field, message } => {
                ApiError::bad_request(field, message)
            }
            embudo_access::AccessError::NotFound(message) => ApiError::not_found(message),
            embudo_access::AccessError::Forbidden(message) => ApiError::forbidden(message),
            other => ApiError::internal(other),
        }
    }
}

impl From<embudo_store::StoreError> for ApiError {
    fn from(error: embudo_store::StoreError) -> ApiError {
        ApiError::internal(error)
    }
}

/// A query parameter that is not valid: its name and why.
impl From<embudo_metrics::MetricError> for ApiError {
    fn from(error: embudo_metrics::MetricError) -> ApiError {
        match error {
            embudo_metrics::MetricError::NotYours(message) => ApiError::forbidden(message),
            embudo_metrics::MetricError::Store(e) => ApiError::internal(e),
            other => ApiError::bad_request("query", other.to_string()),
        }
    }
}

impl From<embudo_reports::ReportError> for ApiError {
    fn from(error: embudo_reports::ReportError) -> ApiError {
        match error {
            embudo_reports::ReportError::Invalid(message) => {
                ApiError::bad_request("query", message)
            }
            embudo_reports::ReportError::Forbidden(message) => ApiError::forbidden(message),
            embudo_reports::ReportError::NotFound(message) => ApiError::not_found(message),
            embudo_reports::ReportError::Metric(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

/// Every error answer in the API's shape: the framework's own rejections (a malformed path
/// or query, a wrong method, a body too large, a time-out) come as plain text or nothing,
/// and are rewritten here; answers that are already JSON or an HTML page pass untouched.
pub async fn as_json(response: Response) -> Response {
    let status = response.status();
    let typed = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || typed {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MESSAGE_BYTES)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = match (status, text.is_empty()) {
        (StatusCode::REQUEST_TIMEOUT, _) => {
            "the request took too long and was stopped: narrow the range or ask for less".into()
        }
        (StatusCode::PAYLOAD_TOO_LARGE, _) => {
            "the request body is larger than the server accepts".into()
        }
        (StatusCode::METHOD_NOT_ALLOWED, true) => "this path does not take that method".into(),
        (_, true) => status.canonical_reason().unwrap_or("error").to_owned(),
        (_, false) => text,
    };
    let mut answer = ApiError {
        status,
        code,
        message,
        field: None,
    }
    .into_response();
    // Headers set by the framework (Allow on a 405, say) stay.
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}
