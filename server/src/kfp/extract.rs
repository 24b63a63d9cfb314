//! Extractors whose rejections answer in KFP's error shape.

use axum::extract::{
    FromRequest, FromRequestParts,
    rejection::{JsonRejection, QueryRejection},
};
use serde::Deserialize;

use crate::ApiError;

/// A JSON body; a malformed one is a 400 naming the problem.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// A query string; a malformed one is a 400 naming the problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Params<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            return Self::TooLarge(format!("the request body is larger than {} bytes", super::MAX_UPLOAD_BYTES));
        }
        Self::BadRequest(format!("invalid request body: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(format!("invalid query: {}", rejection.body_text()))
    }
}

/// The list parameters every KFP list takes.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    pub namespace: String,
    pub experiment_id: String,
    pub page_size: u32,
    pub page_token: String,
    pub sort_by: String,
    pub filter: String,
}

impl ListParams {
    pub fn options(&self) -> engine::listing::ListOptions {
        engine::listing::ListOptions {
            page_size: self.page_size,
            page_token: self.page_token.clone(),
            sort_by: self.sort_by.clone(),
            filter: self.filter.clone(),
        }
    }

    pub fn namespace(&self) -> &str {
        super::namespace_or_default(&self.namespace)
    }

    pub fn experiment(&self) -> Option<&str> {
        Some(self.experiment_id.as_str()).filter(|e| !e.is_empty())
    }
}
