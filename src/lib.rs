//! s3ro: a read-only Amazon S3 browser built around least privilege.
//!
//! Data flows one way: [`cli`] (typed flags, settled into [`cli::Settings`]) → [`auth`]
//! (credential mode → provider, with its source recorded) → [`client`] (S3/STS clients, region,
//! endpoint) → [`commands`] → [`output`]. [`diagnose`] turns a refused request into the missing
//! IAM action, resource ARN and what to change; it does no I/O.
//!
//! The library is usable on its own: build [`cli::Settings`], call [`auth::resolve`], then
//! [`client::Clients::new`], and use the client's listing and download calls.

pub mod auth;
pub mod cli;
pub mod client;
pub mod commands;
pub mod diagnose;
pub mod error;
pub mod guard;
pub mod output;
pub mod policy;
pub mod transfer;
pub mod uri;

pub use error::Error;

/// Run a parsed command line to completion. Returns the process exit code (see [`error::Error`]
/// for the codes of failures; 0 on success).
pub async fn run(cli: cli::Cli) -> Result<u8, Error> {
    let settings = cli::Settings::from_global(&cli.global)?;
    commands::run(cli.command, settings).await
}
