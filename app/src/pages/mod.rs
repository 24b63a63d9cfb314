//! One module per page, each with the server functions it calls.

mod activity;
mod home;
mod not_found;
mod pipelines;
mod runs;
mod upcoming;

pub use activity::ActivityPage;
pub use home::HomePage;
pub use not_found::NotFound;
pub use pipelines::{PipelineDetailPage, PipelinesPage};
pub use runs::{RunDetailPage, RunsPage};
pub use upcoming::{ArtifactsPage, ExperimentsPage, NotebooksPage, RecurringRunsPage, UtilizationPage};
