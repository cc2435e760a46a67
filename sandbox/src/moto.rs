//! A moto server child process, seeded and with IAM enforcement on.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// An IAM user's long-term access key in the sandbox.
#[derive(Clone, Deserialize)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .finish()
    }
}

#[derive(Debug, Deserialize)]
struct Ready {
    endpoint: String,
    region: String,
    ec2_service: AccessKey,
    admin: AccessKey,
}

/// A running, seeded moto server. Dropping it stops the server; if the owning process dies
/// instead, the server sees end-of-file on its standard input and exits by itself.
#[derive(Debug)]
pub struct Moto {
    /// `http://127.0.0.1:PORT`: S3, STS and IAM all answer here.
    pub endpoint: String,
    /// Region the bucket was created in.
    pub region: String,
    /// Key of `sandbox-ec2-service`, the stand-in for the EC2 service that assumes instance roles.
    pub ec2_service: AccessKey,
    /// Key of `sandbox-admin` (Action `*`), for tests that add objects after enforcement is on.
    pub admin: AccessKey,
    child: Child,
    _stdin: ChildStdin,
}

/// Options for [`Moto::start_with`].
#[derive(Debug, Clone)]
pub struct MotoOptions {
    /// Turn IAM enforcement on after seeding (`POST /moto-api/reset-auth` with body `0`).
    pub enforce_iam: bool,
    /// Folder holding `<Role>.policy.json` / `<Role>.trust.json`; defaults to `examples/iam`.
    pub iam_dir: Option<PathBuf>,
    /// Also create the test fixture buckets `s3ro-listing` (1,203 keys under `many/`, a prefix
    /// tree, keys with every awkward character) and `s3ro-versions` (versioned).
    pub fixtures: bool,
}

impl Default for MotoOptions {
    fn default() -> Self {
        MotoOptions { enforce_iam: true, iam_dir: None, fixtures: false }
    }
}

/// The Python interpreter of the project venv that has `moto[server]` installed.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("S3RO_SANDBOX_PYTHON") {
        return PathBuf::from(p);
    }
    crate::workspace_root().join(".venv/bin/python")
}

/// The message given when moto is missing: how to install it.
pub const INSTALL_HINT: &str = "moto is not installed for the s3ro sandbox: run `scripts/test` \
(it creates .venv with the pinned packages), or `python3 -m venv .venv && \
.venv/bin/pip install -r sandbox/requirements.txt`";

impl Moto {
    /// Start a moto server with the scenario seeded and IAM enforcement on.
    ///
    /// Errors: moto not installed (the message carries [`INSTALL_HINT`]), or the server did not
    /// report ready within 60 s.
    pub fn start() -> Result<Moto, String> {
        Self::start_with(MotoOptions::default())
    }

    /// Start a moto server with the given options.
    pub fn start_with(opts: MotoOptions) -> Result<Moto, String> {
        let python = python();
        if !python.exists() {
            return Err(format!("{} (no {})", INSTALL_HINT, python.display()));
        }
        let root = crate::workspace_root();
        let iam_dir = opts.iam_dir.unwrap_or_else(|| root.join("examples/iam"));
        let mut cmd = Command::new(&python);
        cmd.arg(root.join("sandbox/moto_sandbox.py"))
            .arg("--iam-dir")
            .arg(&iam_dir)
            .arg("--region")
            .arg(crate::REGION)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if !opts.enforce_iam {
            cmd.arg("--no-enforce");
        }
        if opts.fixtures {
            cmd.arg("--fixtures");
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}. {INSTALL_HINT}", python.display()))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let started = Instant::now();
        let line = rx.recv_timeout(Duration::from_secs(60)).map_err(|_| {
            let _ = child.kill();
            "moto did not report ready within 60 s".to_string()
        })?;
        if line.trim().is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "moto exited before it was ready (see its stderr above). {INSTALL_HINT}"
            ));
        }
        let ready: Ready = serde_json::from_str(line.trim())
            .map_err(|e| format!("moto sandbox printed an unexpected line {line:?}: {e}"))?;
        let _ = started;
        Ok(Moto {
            endpoint: ready.endpoint,
            region: ready.region,
            ec2_service: ready.ec2_service,
            admin: ready.admin,
            child,
            _stdin: stdin,
        })
    }

    /// One moto server shared by every test of the current process, started on first use,
    /// with the test fixtures.
    ///
    /// Panics with the install hint if moto cannot be started: integration tests fail, they are
    /// never skipped.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(|| {
            Moto::start_with(MotoOptions { fixtures: true, ..Default::default() })
                .unwrap_or_else(|e| panic!("{e}"))
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
