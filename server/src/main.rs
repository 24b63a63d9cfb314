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
        /// Directory for the database and stored files [default: ./data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// TOML settings file.
        #[arg(long, env = "FERROFLOW_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Settings files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a settings file with every default, commented.
    Default,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Config {
            command: ConfigCommand::Default,
        } => {
            print!("{}", settings::default_file());
            Ok(())
        }
        Command::Serve {
            bind,
            data_dir,
            config,
        } => {
            let mut settings = Settings::load(config.as_deref())?;
            settings.bind = bind.unwrap_or(settings.bind);
            settings.data_dir = data_dir.unwrap_or(settings.data_dir);
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
