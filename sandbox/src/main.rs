//! `s3ro-sandbox`: run the offline AWS sandbox for the demo and for trying s3ro by hand.
//!
//! ```text
//! s3ro-sandbox serve [--env-file PATH] [--instance-role NAME|none]
//!     Start moto (seeded, IAM enforced) and the IMDSv2 emulator; write the environment that
//!     points AWS tools at them to PATH (shell `export` lines); run until SIGINT/SIGTERM.
//! s3ro-sandbox attach-role NAME|none
//!     Attach another instance role to the emulated instance (uses $S3RO_SANDBOX_IMDS).
//! s3ro-sandbox fault none|token-put-hangs|hang|unauthorized|code:CODE
//!     Make the IMDSv2 emulator misbehave (uses $S3RO_SANDBOX_IMDS).
//! ```

use std::io::{Read, Write};
use std::process::ExitCode;

use s3ro_sandbox::imds::{Fault, ImdsConfig, ImdsEmulator};
use s3ro_sandbox::moto::Moto;

fn usage() -> ExitCode {
    eprintln!(
        "usage: s3ro-sandbox serve [--env-file PATH] [--instance-role NAME|none]\n       \
         s3ro-sandbox attach-role NAME|none\n       \
         s3ro-sandbox fault none|token-put-hangs|hang|unauthorized|code:CODE"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("attach-role") if args.len() == 2 => control("/sandbox/instance-role", &args[1]),
        Some("fault") if args.len() == 2 => {
            if Fault::parse(&args[1]).is_none() {
                return usage();
            }
            control("/sandbox/fault", &args[1])
        }
        _ => usage(),
    }
}

fn serve(args: &[String]) -> ExitCode {
    let mut env_file = None;
    let mut role = Some("S3ReadOnlyRole".to_string());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--env-file", Some(p)) => env_file = Some(p.clone()),
            ("--instance-role", Some(r)) => role = (r != "none").then(|| r.clone()),
            _ => return usage(),
        }
    }
    let moto = match Moto::start() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("s3ro-sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    let imds = ImdsEmulator::start(ImdsConfig::for_moto(&moto, role.as_deref()));
    let exports = [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint.as_str()),
        ("S3RO_SANDBOX_IMDS", imds.endpoint.as_str()),
    ];
    let text: String = exports.iter().map(|(k, v)| format!("export {k}='{v}'\n")).collect();
    match env_file {
        Some(p) => {
            if let Err(e) = std::fs::write(&p, &text) {
                eprintln!("s3ro-sandbox: cannot write {p}: {e}");
                return ExitCode::from(1);
            }
        }
        None => print!("{text}"),
    }
    eprintln!(
        "s3ro-sandbox: moto (S3/STS/IAM) at {}, IMDSv2 at {}, instance role {}",
        moto.endpoint,
        imds.endpoint,
        role.as_deref().unwrap_or("(none)")
    );
    imds.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    });
    drop(imds);
    drop(moto);
    ExitCode::SUCCESS
}

/// PUT `value` to a control path of the running emulator (plain HTTP/1.1 on loopback).
fn control(path: &str, value: &str) -> ExitCode {
    let Some(endpoint) = std::env::var("S3RO_SANDBOX_IMDS").ok() else {
        eprintln!("s3ro-sandbox: S3RO_SANDBOX_IMDS is not set (source the env file of `serve`)");
        return ExitCode::from(2);
    };
    let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let result = (|| -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect(hostport)?;
        write!(
            s,
            "PUT {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{value}",
            value.len()
        )?;
        let mut resp = String::new();
        s.read_to_string(&mut resp)?;
        Ok(resp)
    })();
    match result {
        Ok(r) if r.starts_with("HTTP/1.1 204") => ExitCode::SUCCESS,
        Ok(r) => {
            eprintln!("s3ro-sandbox: emulator answered {}", r.lines().next().unwrap_or(""));
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("s3ro-sandbox: cannot reach {endpoint}: {e}");
            ExitCode::from(1)
        }
    }
}
