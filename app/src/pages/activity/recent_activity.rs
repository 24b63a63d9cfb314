use leptos::prelude::*;
use model::Event;

use crate::error::AppError;

/// The newest `limit` events the caller may see in `namespace`.
#[server(RecentActivity, "/api/ui", endpoint = "recent_activity")]
pub async fn recent_activity(namespace: String, limit: u32) -> Result<Vec<Event>, AppError> {
    use crate::error::ssr::{engine, principal};
    Ok(engine()?.recent_activity(&principal()?, &namespace, limit).await?)
}
