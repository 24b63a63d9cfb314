//! Experiments: named groups of runs in a namespace, with a `Default` one
//! made on first use as KFP does.

use chrono::{DateTime, Utc};
use model::{Principal, Verb};
use sqlx::{Row, sqlite::SqliteRow};

use crate::{
    Engine, Error, Result, access,
    listing::{self, Bind, Field, Kind, ListOptions, Page, Table},
    pipelines::check_text,
    store,
};

/// Display name of the experiment runs go to when none is named.
pub const DEFAULT_EXPERIMENT: &str = "Default";

/// An experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// UUID.
    pub id: String,
    /// Where it lives.
    pub namespace: String,
    /// Unique in the namespace.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// Whether it is archived.
    pub archived: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its newest run was created.
    pub last_run_created_at: Option<DateTime<Utc>>,
}

const EXPERIMENTS: Table = Table {
    resource: "experiments",
    id_column: "id",
    fields: &[
        Field::new("experiment_id", "id", Kind::Text, true),
        Field::new("display_name", "display_name", Kind::Text, true),
        Field::new("name", "display_name", Kind::Text, true),
        Field::new("description", "description", Kind::Text, true),
        Field::new("storage_state", "storage_state", Kind::Text, true),
        Field::new("created_at", "created_at", Kind::Time, true),
        Field::new("last_run_created_at", "last_run_created_at", Kind::Time, false),
    ],
};

const COLUMNS: &str = "id, namespace, display_name, description, storage_state, created_at, last_run_created_at";

impl Engine {
    /// Creates an experiment; display names are unique in a namespace.
    pub async fn create_experiment(
        &self,
        principal: &Principal,
        namespace: &str,
        display_name: &str,
        description: &str,
    ) -> Result<Experiment> {
        let namespace = self.existing_namespace(principal, namespace, Verb::Create).await?;
        let display_name = &model::path_safe_display_name(display_name)
            .map_err(|source| Error::InvalidDisplayName { field: "experiment display_name", source })?;
        check_text("experiment description", description, 16 * 1024, false)?;
        let experiment = Experiment {
            id: uuid::Uuid::new_v4().to_string(),
            namespace: namespace.to_string(),
            display_name: display_name.to_owned(),
            description: description.to_owned(),
            archived: false,
            created_at: Utc::now(),
            last_run_created_at: None,
        };
        let inserted = sqlx::query(
            "INSERT INTO experiments (id, namespace, display_name, description, created_at)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (namespace, display_name) DO NOTHING",
        )
        .bind(&experiment.id)
        .bind(&experiment.namespace)
        .bind(&experiment.display_name)
        .bind(&experiment.description)
        .bind(experiment.created_at)
        .execute(self.store.pool())
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(Error::AlreadyExists { kind: "experiment", name: experiment.display_name });
        }
        Ok(experiment)
    }

    /// The namespace's `Default` experiment, created if it is missing.
    pub async fn default_experiment(&self, principal: &Principal, namespace: &str) -> Result<Experiment> {
        match self.create_experiment(principal, namespace, DEFAULT_EXPERIMENT, "").await {
            Err(Error::AlreadyExists { .. }) => {}
            other => return other,
        }
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM experiments WHERE namespace = ? AND display_name = ?"))
            .bind(namespace)
            .bind(DEFAULT_EXPERIMENT)
            .fetch_optional(self.store.pool())
            .await?;
        decode(&store::found(row, "experiment", DEFAULT_EXPERIMENT)?)
    }

    /// One experiment.
    pub async fn experiment(&self, principal: &Principal, id: &str) -> Result<Experiment> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM experiments WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        let experiment = decode(&store::found(row, "experiment", id)?)?;
        access::authorize(principal, &experiment.namespace, Verb::Get)?;
        Ok(experiment)
    }

    /// A page of the experiments in `namespace`.
    pub async fn list_experiments(
        &self,
        principal: &Principal,
        namespace: &str,
        options: &ListOptions,
    ) -> Result<Page<Experiment>> {
        let namespace = self.existing_namespace(principal, namespace, Verb::List).await?;
        let query = listing::plan(&EXPERIMENTS, &[("namespace", Bind::Text(namespace.to_string()))], options)?;
        let select = format!("SELECT {COLUMNS}, {} AS sort_key FROM experiments", query.sort_column());
        query.fetch(self.store.pool(), &select, decode).await
    }

    /// Archives or restores an experiment; archiving archives its runs too, as KFP does.
    pub async fn archive_experiment(&self, principal: &Principal, id: &str, archived: bool) -> Result<()> {
        let experiment = self.experiment(principal, id).await?;
        access::authorize(principal, &experiment.namespace, Verb::Update)?;
        let state = if archived { "ARCHIVED" } else { "AVAILABLE" };
        let mut tx = self.store.write().await?;
        sqlx::query("UPDATE experiments SET storage_state = ? WHERE id = ?")
            .bind(state)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if archived {
            sqlx::query("UPDATE runs SET storage_state = 'ARCHIVED' WHERE experiment_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an experiment; its runs stay, without an experiment.
    pub async fn delete_experiment(&self, principal: &Principal, id: &str) -> Result<()> {
        let experiment = self.experiment(principal, id).await?;
        access::authorize(principal, &experiment.namespace, Verb::Delete)?;
        sqlx::query("DELETE FROM experiments WHERE id = ?").bind(id).execute(self.store.pool()).await?;
        Ok(())
    }
}

fn decode(row: &SqliteRow) -> Result<Experiment> {
    Ok(Experiment {
        id: row.try_get("id")?,
        namespace: row.try_get("namespace")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        archived: row.try_get::<String, _>("storage_state")? == "ARCHIVED",
        created_at: row.try_get("created_at")?,
        last_run_created_at: row.try_get("last_run_created_at")?,
    })
}
