//! One module per page, each with the server functions it calls.

mod activity;
mod home;
mod not_found;
mod upcoming;

pub use activity::ActivityPage;
pub use home::HomePage;
pub use not_found::NotFound;
pub use upcoming::{
    ArtifactsPage, ExperimentsPage, NotebooksPage, PipelinesPage, RecurringRunsPage, RunsPage, UtilizationPage,
};
