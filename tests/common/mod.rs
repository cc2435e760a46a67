//! Test support: the sandbox (one seeded moto per test binary, one IMDSv2 emulator per test)
//! and helpers to run the real `s3ro` binary and the awscli oracle against it.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub use s3ro_sandbox::imds::{Fault, ImdsConfig, ImdsEmulator};
pub use s3ro_sandbox::moto::Moto;
pub use s3ro_sandbox::{ACCOUNT, BUCKET, INSTANCE_ID, REGION};

/// A test's world: the shared moto, its own IMDSv2 emulator and its own home directory
/// (with empty AWS config and credentials files unless a test writes them).
pub struct World {
    pub moto: &'static Moto,
    pub imds: ImdsEmulator,
    pub home: tempfile::TempDir,
    /// Overrides `AWS_EC2_METADATA_SERVICE_ENDPOINT` (e.g. a closed port).
    pub imds_endpoint: Option<String>,
}

/// The result of one s3ro run.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }
    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(self.code, 0, "expected exit 0; stderr:\n{}", self.stderr);
        self
    }
}

impl World {
    /// A world whose instance has `role` attached (None: no instance profile).
    pub fn new(role: Option<&str>) -> World {
        let moto = Moto::shared();
        let imds = ImdsEmulator::start(ImdsConfig::for_moto(moto, role));
        let home = tempfile::tempdir().expect("temp home");
        std::fs::write(home.path().join("config"), "").unwrap();
        std::fs::write(home.path().join("credentials"), "").unwrap();
        World { moto, imds, home, imds_endpoint: None }
    }

    /// Write the AWS config file (`AWS_CONFIG_FILE`).
    pub fn config(&self, text: &str) {
        std::fs::write(self.home.path().join("config"), text).unwrap();
    }

    /// The switch-role config shipped as `examples/config`.
    pub fn example_config(&self) {
        let text = std::fs::read_to_string(s3ro_sandbox::workspace_root().join("examples/config"))
            .unwrap();
        self.config(&text);
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The environment s3ro runs with: nothing from the developer's own setup.
    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("TZ", "UTC")
            .env("AWS_CONFIG_FILE", self.home().join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home().join("credentials"))
            .env("AWS_ENDPOINT_URL", &self.moto.endpoint)
            .env(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                self.imds_endpoint.as_deref().unwrap_or(&self.imds.endpoint),
            )
            .current_dir(self.home());
        c
    }

    /// Run s3ro with `args` (and extra environment variables).
    pub fn s3ro_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.command(Path::new(env!("CARGO_BIN_EXE_s3ro")));
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let start = Instant::now();
        let out: Output = c.output().expect("run s3ro");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }

    pub fn s3ro(&self, args: &[&str]) -> Run {
        self.s3ro_env(args, &[])
    }

    /// Run s3ro as the sandbox admin (environment keys), for the fixture buckets.
    pub fn s3ro_admin(&self, args: &[&str]) -> Run {
        self.s3ro_env(
            args,
            &[
                ("AWS_ACCESS_KEY_ID", &self.moto.admin.access_key_id),
                ("AWS_SECRET_ACCESS_KEY", &self.moto.admin.secret_access_key),
                ("AWS_REGION", &self.moto.region),
            ],
        )
    }

    /// Run the awscli oracle (`.venv/bin/aws`) as the sandbox admin on the same moto.
    pub fn aws(&self, args: &[&str]) -> Run {
        let aws = venv_bin("aws");
        let mut c = self.command(&aws);
        c.env("AWS_ACCESS_KEY_ID", &self.moto.admin.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.moto.admin.secret_access_key)
            .env("AWS_DEFAULT_REGION", &self.moto.region)
            .args(["--endpoint-url", &self.moto.endpoint])
            .args(args);
        let start = Instant::now();
        let out = c.output().unwrap_or_else(|e| {
            panic!("run {}: {e}. {}", aws.display(), s3ro_sandbox::moto::INSTALL_HINT)
        });
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }
}

/// A program of the project venv.
pub fn venv_bin(name: &str) -> PathBuf {
    s3ro_sandbox::moto::python().parent().expect("venv bin dir").join(name)
}

/// A local port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Each line of `text` parsed as JSON (panics on a line that is not).
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

/// The string field `field` of each JSON line of `text`.
pub fn json_strings(text: &str, field: &str) -> Vec<String> {
    json_lines(text).iter().map(|v| v[field].as_str().unwrap_or_default().to_string()).collect()
}

/// Assert that `text` contains every needle, naming the first one missing.
#[track_caller]
pub fn assert_contains_all(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}
