//! `ferroflow`: the command line. Parses flags and settings, then calls
//! [`server::launch`].

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::{Settings, settings};
use tracing_subscriber::EnvFilter;

/// Ferroflow: notebooks, pipelines, run logs and GPU utilization in one binary.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        bind: Option<SocketAddr>,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Run a pipeline (KFP IR or Argo Workflow YAML) to its end on this machine.
    Run {
        /// The YAML file.
        file: PathBuf,
        /// A pipeline parameter, NAME=VALUE (JSON for non-string types); repeatable.
        #[arg(short = 'p', long = "parameter", value_name = "NAME=VALUE")]
        parameters: Vec<String>,
        #[command(flatten)]
        settings: SettingsArgs,
        /// Print the final report as one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Pick up runs interrupted by a crash or restart and drive them to their end.
    Resume {
        /// The run to resume; all unfinished runs when left out.
        run_id: Option<String>,
        #[command(flatten)]
        settings: SettingsArgs,
        /// Print each run's final report as one JSON object per line on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Run one pipeline step and write its exit status to a file (used by the local backend).
    #[command(hide = true)]
    Supervise {
        /// Where to write `code N` or `signal N`.
        exit_file: PathBuf,
        /// The step's program and arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        argv: Vec<String>,
    },
    /// Check a pipeline spec (KFP IR or Argo Workflow YAML) and print what is wrong.
    Validate {
        /// The YAML file.
        file: PathBuf,
    },
    /// The Python environments prepared for steps' package installs.
    Runtimes {
        #[command(subcommand)]
        command: RuntimesCommand,
    },
    /// Settings files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// Where the data lives and which settings file to read, for every
/// command that opens the engine.
#[derive(Debug, clap::Args)]
struct SettingsArgs {
    /// Directory for the database, logs and artifacts [default: ./data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// TOML settings file (see `ferroflow config default`).
    #[arg(long, env = "FERROFLOW_CONFIG")]
    config: Option<PathBuf>,
}

impl SettingsArgs {
    /// Settings from the file and environment, with `--data-dir` on top.
    fn load(self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(self.config.as_deref())?;
        if let Some(data_dir) = self.data_dir {
            settings.data_dir = data_dir;
        }
        Ok(settings.with_absolute_paths()?)
    }
}

#[derive(Debug, Subcommand)]
enum RuntimesCommand {
    /// List them: the runtime each is layered on, its packages, when it was prepared and last used.
    List {
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Remove those no step used for a while (all by default); steps prepare them again when needed.
    Prune {
        /// Keep environments used within this many days.
        #[arg(long, default_value_t = 0)]
        unused_days: u64,
        #[command(flatten)]
        settings: SettingsArgs,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a settings file with every default, commented.
    Default,
}

/// Stack of each runtime worker thread (virtual memory; only what is used is resident).
const WORKER_STACK_BYTES: usize = 32 * 1024 * 1024;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Supervising a step needs no runtime: keep the wrapper as small as the step allows.
    if let Command::Supervise { exit_file, argv } = &cli.command {
        std::process::exit(supervisor::supervise(exit_file, argv));
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Rendering a page of thousands of graph nodes nests deeply in
        // Leptos's view types; the default 2 MiB overflowed at 5,000 nodes.
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Supervise { .. } => unreachable!("handled before the runtime starts"),
        Command::Resume { run_id, settings, json } => {
            let settings = settings.load()?;
            init_cli_logging();
            let succeeded = server::run_command::resume(&settings, run_id.as_deref(), json).await?;
            std::process::exit(if succeeded { 0 } else { 1 });
        }
        Command::Config { command: ConfigCommand::Default } => {
            print!("{}", settings::default_file());
            Ok(())
        }
        Command::Validate { file } => validate(&file),
        Command::Runtimes { command: RuntimesCommand::List { settings } } => {
            print!("{}", server::run_command::list_environments(&settings.load()?));
            Ok(())
        }
        Command::Runtimes { command: RuntimesCommand::Prune { unused_days, settings } } => {
            let unused_for = std::time::Duration::from_secs(unused_days * 24 * 3600);
            for dir in server::run_command::prune_environments(&settings.load()?, unused_for)? {
                println!("removed {}", dir.display());
            }
            Ok(())
        }
        Command::Run { file, parameters, settings, json } => {
            let settings = settings.load()?;
            init_cli_logging();
            let succeeded = server::run_command::run(&settings, &file, &parameters, json).await?;
            std::process::exit(if succeeded { 0 } else { 1 });
        }
        Command::Serve { bind, settings } => {
            let mut settings = settings.load()?;
            settings.bind = bind.unwrap_or(settings.bind);
            if settings.notebook_bind.is_none() && settings.bind.port() != 0 {
                let next = settings.bind.port().checked_add(1).context("no port after the one to listen on")?;
                settings.notebook_bind = Some(std::net::SocketAddr::new(settings.bind.ip(), next));
            }
            tracing_subscriber::fmt()
                .with_env_filter(EnvFilter::try_new(&settings.log).context("invalid log filter")?)
                .init();
            let listener = tokio::net::TcpListener::bind(settings.bind)
                .await
                .with_context(|| format!("cannot listen on {}", settings.bind))?;
            server::launch(settings, listener, shutdown_signal()).await?;
            Ok(())
        }
    }
}

/// Warnings and errors to stderr, keeping stdout for reports.
fn init_cli_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new("warn").expect("valid filter"))
        .with_writer(std::io::stderr)
        .init();
}

/// Prints the plan's summary, or the first problem found, naming the task
/// and field; exits non-zero on a problem.
fn validate(file: &std::path::Path) -> anyhow::Result<()> {
    let loaded = engine::spec::read_file(file).and_then(|bytes| engine::spec::load_json(&bytes));
    if let Ok(object) = &loaded
        && engine::spec::is_template_library(object)
    {
        return match engine::spec::check_template_library(object) {
            Ok(()) => {
                let count = object["spec"]["templates"].as_array().map_or(0, Vec::len);
                println!("{}: valid template library with {count} templates (use it by templateRef)", file.display());
                Ok(())
            }
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                std::process::exit(1);
            }
        };
    }
    match loaded.and_then(|object| engine::spec::parse_json(&object)) {
        Ok(plan) => {
            println!("{}: valid pipeline {:?} with {} tasks", file.display(), plan.name, plan.task_count());
            for notice in &plan.notices {
                println!("notice: {notice}");
            }
            if let Some(schedule) = &plan.schedule {
                let zone = schedule.timezone.as_deref().unwrap_or("UTC");
                println!("schedule: {} ({zone}, {:?})", schedule.crons.join("; "), schedule.concurrency);
            }
            Ok(())
        }
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            std::process::exit(1);
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
