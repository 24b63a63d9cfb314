//! One module per page, each with the server functions it calls.

mod activity;
mod artifacts;
mod experiments;
mod home;
mod not_found;
mod notebooks;
mod pipelines;
mod recurring;
mod runs;
mod utilization;
mod workflow_templates;

pub use activity::ActivityPage;
pub use artifacts::ArtifactsPage;
pub use experiments::ExperimentsPage;
pub use home::HomePage;
pub use not_found::{Missing, NotFound};
pub use notebooks::{NewNotebookPage, NotebookDetailPage, NotebooksPage};
pub use pipelines::{PipelineDetailPage, PipelinesPage};
pub use recurring::RecurringRunsPage;
pub use runs::{CompareRunsPage, RunDetailPage, RunsPage};
pub use utilization::UtilizationPage;
pub use workflow_templates::WorkflowTemplatesPage;
