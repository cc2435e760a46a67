//! The `s3ro` binary: parse flags, run, turn the outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match s3ro::cli::parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 252,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("s3ro: cannot start: {e}");
            return ExitCode::from(255);
        }
    };
    let outcome = runtime.block_on(s3ro::run(cli));
    runtime.shutdown_background();
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if !e.is_silent() {
                s3ro::output::error(&e);
            }
            ExitCode::from(e.exit_code())
        }
    }
}

fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => return,
        1 => "s3ro=debug",
        _ => "s3ro=trace,aws_config=debug,aws_smithy_runtime=debug,aws_sdk_s3=debug,aws_sdk_sts=debug",
    };
    tracing_subscriber::fmt()
        .with_writer(s3ro::output::RedactingStderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
}
