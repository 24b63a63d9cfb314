-- Argo WorkflowTemplates (namespace set) and ClusterWorkflowTemplates
-- (namespace ''), which workflows use through templateRef and
-- workflowTemplateRef.
CREATE TABLE workflow_templates (
    namespace   TEXT NOT NULL,                 -- '' for cluster-scoped
    name        TEXT NOT NULL,
    object      TEXT NOT NULL,                 -- the whole object as JSON
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (namespace, name)
) STRICT;
