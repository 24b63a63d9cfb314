//! How the run page's data travels from the server's render to the
//! browser's hydration.
//!
//! The graph is drawn as markup on the server, and hydration keeps that
//! markup as it is (it never re-sets `inner_html`). So the browser needs
//! the run and the graph's frame (level, breadcrumbs, size), not its
//! thousands of nodes and edges: [`GraphDrawn`] leaves those out of the
//! copy embedded in the page, which would otherwise repeat the picture as
//! JSON. Data fetched later in the browser (another level, a refresh)
//! comes whole from the server function, not through this codec.

use leptos::server::codee::{Decoder, Encoder};
use model::{dag::DagView, layout::Layout};

use super::api::RunDetails;
use crate::error::AppError;

/// The run page's hydration codec (see the module docs).
pub struct GraphDrawn;

impl Encoder<Result<RunDetails, AppError>> for GraphDrawn {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &Result<RunDetails, AppError>) -> Result<String, Self::Error> {
        let Ok(details) = value else {
            return serde_json::to_string(value);
        };
        let dag = &details.dag;
        // The frame only: copying it leaves the thousands of nodes behind.
        let frame = RunDetails {
            run: details.run.clone(),
            node_count: details.node_count,
            notices: details.notices.clone(),
            suspended: details.suspended,
            supplied: details.supplied.clone(),
            overview: details.overview.clone(),
            dag: DagView {
                scope: dag.scope.clone(),
                breadcrumbs: dag.breadcrumbs.clone(),
                nodes: Vec::new(),
                edges: Vec::new(),
                layout: Layout { nodes: Vec::new(), width: dag.layout.width, height: dag.layout.height },
                title: dag.title.clone(),
            },
        };
        serde_json::to_string(&Ok::<_, AppError>(frame))
    }
}

impl Decoder<Result<RunDetails, AppError>> for GraphDrawn {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<Result<RunDetails, AppError>, Self::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use model::{
        dag::{DagNode, NodeKind},
        layout::{Spacing, layered},
    };

    use super::*;
    use crate::pages::runs::api::RunSummary;

    #[test]
    fn the_embedded_copy_keeps_the_frame_and_drops_the_drawn_nodes() {
        let node = |name: &str| DagNode {
            path: format!("root/{name}"),
            name: name.into(),
            kind: NodeKind::Container,
            state: "SUCCEEDED".into(),
            task_id: None,
            attempts: 1,
            counts: Vec::new(),
            opens: None,
        };
        let details = RunDetails {
            overview: Default::default(),
            run: RunSummary {
                id: "r".into(),
                display_name: "a run".into(),
                state: "SUCCEEDED".into(),
                created_at: chrono::Utc::now(),
                finished_at: None,
                experiment_id: None,
                pipeline_id: None,
                pipeline_version_id: None,
                error: None,
            },
            dag: DagView {
                scope: "root".into(),
                breadcrumbs: vec![("pipeline".into(), "root".into())],
                nodes: vec![node("a"), node("b")],
                edges: vec![(0, 1)],
                layout: layered(2, &[(0, 1)], &Spacing::default()),
                title: "pipeline".into(),
            },
            node_count: 2,
            notices: vec![],
            suspended: false,
            supplied: Vec::new(),
        };
        let text = GraphDrawn::encode(&Ok(details.clone())).unwrap();
        let back = GraphDrawn::decode(&text).unwrap().unwrap();
        assert_eq!((&back.run, back.node_count), (&details.run, 2));
        assert_eq!((back.dag.scope.as_str(), &back.dag.breadcrumbs), ("root", &details.dag.breadcrumbs));
        assert_eq!(
            (back.dag.layout.width, back.dag.layout.height),
            (details.dag.layout.width, details.dag.layout.height)
        );
        assert!(back.dag.nodes.is_empty() && back.dag.edges.is_empty() && back.dag.layout.nodes.is_empty());
        let refused = Err(AppError::NotFound("run r not found".into()));
        assert_eq!(GraphDrawn::decode(&GraphDrawn::encode(&refused).unwrap()).unwrap(), refused);
    }
}
