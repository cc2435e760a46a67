//! One module per command. Each parses its own arguments first (usage errors come before any
//! network call), then asks [`connect`] for clients.

pub mod check;
pub mod config;
pub mod doctor;
pub mod get;
pub mod ls;
pub mod policy;
pub mod whoami;

use crate::auth;
use crate::cli::{Command, Settings};
use crate::client::Clients;
use crate::error::Error;

/// Run one command; `Ok` carries the exit code.
pub async fn run(command: Command, settings: Settings) -> Result<u8, Error> {
    match command {
        Command::Ls(args) => ls::run(&args, &settings).await,
        Command::Get(args) => get::run(&args, &settings).await,
        Command::Cat(args) => get::cat(&args, &settings).await,
        Command::Whoami => whoami::run(&settings).await,
        Command::Config(args) => config::run(&args, &settings).await,
        Command::Doctor(args) => doctor::run(&args, &settings).await,
        Command::Check(args) => check::run(&args, &settings).await,
        Command::Completions(args) => {
            let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "s3ro", &mut out);
            crate::output::print(&String::from_utf8_lossy(&out))?;
            Ok(0)
        }
        Command::Man => {
            let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out).map_err(|e| Error::Other(e.to_string()))?;
            crate::output::print(&String::from_utf8_lossy(&out))?;
            Ok(0)
        }
        Command::Policy(args) => policy::run(&args, &settings).await,
    }
}

/// Resolve the credential mode, load the credentials once (so a credentials problem is reported
/// as such, exit 253, before any S3 call), and build the clients.
pub async fn connect(settings: &Settings) -> Result<Clients, Error> {
    let auth = auth::resolve(settings).await?;
    auth.credentials().await?;
    if let Some(src) = auth.source() {
        tracing::info!(credentials = %src, region = %auth.region, region_source = auth.region_source.kind(), "resolved");
    }
    Ok(Clients::new(&auth))
}
