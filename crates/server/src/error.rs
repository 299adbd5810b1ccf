//! Errors as the API returns them: `{"error":{"code","message","field"?}}` with a status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

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
        ApiError::bad_request("query", error.to_string())
    }
}

impl From<embudo_reports::ReportError> for ApiError {
    fn from(error: embudo_reports::ReportError) -> ApiError {
        match error {
            embudo_reports::ReportError::Invalid(message) => {
                ApiError::bad_request("query", message)
            }
            embudo_reports::ReportError::Metric(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}
