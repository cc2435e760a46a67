//! `s3ro doctor`: checks the credential setup against the practice s3ro exists for (no
//! long-term keys in plaintext; an instance role or a switch-role profile instead), each with a
//! status and a one-line recommendation. Exit 0 when nothing is wrong, 1 otherwise.

use crate::auth::{self, ProfileFile};
use crate::cli::{DoctorArgs, Settings};
use crate::error::Error;
use crate::output;

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Not applicable or informational (e.g. not on EC2).
    Info,
    /// Works, but should be fixed (e.g. long-term keys in a file).
    Warn,
    /// Broken.
    Fail,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Info => "info",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
    pub recommendation: String,
}

fn check(name: &str, status: Status, detail: impl Into<String>, rec: impl Into<String>) -> Check {
    Check { name: name.to_string(), status, detail: detail.into(), recommendation: rec.into() }
}

const REPLACE_KEYS: &str = "replace long-term keys with an instance role, or a minimal instance \
role plus a switch-role profile (role_arn + credential_source = Ec2InstanceMetadata)";

/// Run every check and print the report (text or `--json`).
pub async fn run(args: &DoctorArgs, settings: &Settings) -> Result<u8, Error> {
    let mut checks = Vec::new();

    // 1. Long-term access keys (AKIA…) in the environment and the shared files.
    if let Ok(k) = std::env::var("AWS_ACCESS_KEY_ID") {
        if k.starts_with("AKIA") {
            checks.push(check(
                "long-term keys: environment",
                Status::Warn,
                format!("AWS_ACCESS_KEY_ID={} is a long-term IAM user key", output::mask(&k)),
                REPLACE_KEYS,
            ));
        }
    }
    for which in [ProfileFile::Credentials, ProfileFile::Config] {
        match auth::load_profile_file(which).await {
            Ok(set) => {
                for name in set.profiles() {
                    let key = set.get_profile(name).and_then(|p| p.get("aws_access_key_id"));
                    if let Some(k) = key.filter(|k| k.starts_with("AKIA")) {
                        checks.push(check(
                            "long-term keys: file",
                            Status::Warn,
                            format!(
                                "{} profile {name}: aws_access_key_id {} in plaintext",
                                which.path(),
                                output::mask(k)
                            ),
                            REPLACE_KEYS,
                        ));
                    }
                }
            }
            Err(e) => checks.push(check(
                "config files",
                Status::Fail,
                e.to_string(),
                "fix the file's syntax",
            )),
        }
    }
    if !checks.iter().any(|c| c.name.starts_with("long-term keys")) {
        checks.push(check(
            "long-term keys",
            Status::Ok,
            "none in the environment or the shared files",
            "",
        ));
    }

    // 2. Profiles that cannot work.
    if let Ok(set) = auth::load_profile_file(ProfileFile::Config).await {
        let mut bad = false;
        for name in set.profiles() {
            if let Err(why) = auth::check_profile(&set, name) {
                bad = true;
                checks.push(check(
                    "profiles",
                    Status::Fail,
                    why,
                    "fix the profile in the config file",
                ));
            }
        }
        if !bad {
            checks.push(check(
                "profiles",
                Status::Ok,
                format!("{} profile(s) consistent", set.profiles().count()),
                "",
            ));
        }
    }

    // 3. Instance metadata: reachable, IMDSv2 token, attached instance profile.
    let imds = auth::Imds::new(&settings.imds_endpoint)?;
    match imds.get("/latest/meta-data/iam/info").await {
        Ok(info) => {
            let arn = serde_json::from_str::<serde_json::Value>(&info)
                .ok()
                .and_then(|v| v["InstanceProfileArn"].as_str().map(str::to_string))
                .unwrap_or_else(|| "unknown".into());
            checks.push(check(
                "instance metadata",
                Status::Ok,
                format!("IMDSv2 at {} answers; instance profile {arn}", imds.endpoint()),
                "",
            ));
        }
        Err(f) if f.status == Some(404) => checks.push(check(
            "instance metadata",
            Status::Warn,
            format!("IMDSv2 at {} answers, but no instance profile is attached", imds.endpoint()),
            "attach an instance profile (a role) to the instance instead of using keys",
        )),
        Err(f) => checks.push(check(
            "instance metadata",
            Status::Info,
            format!("IMDSv2 at {}: {}", imds.endpoint(), f.reason),
            "off EC2 this is expected; on EC2 check HttpTokens and HttpPutResponseHopLimit",
        )),
    }

    // 4. The credentials s3ro would use now, and 5. the principal.
    match super::connect(settings).await {
        Ok(clients) => {
            let src = clients.auth().source();
            let creds = clients.auth().current_credentials().await;
            let temporary = creds.as_ref().is_some_and(|c| c.session_token().is_some());
            let detail = format!(
                "{} ({})",
                src.map(|s| s.to_string()).unwrap_or_else(|| "unknown".into()),
                if temporary { "temporary credentials" } else { "long-term credentials" }
            );
            let status = if temporary { Status::Ok } else { Status::Warn };
            checks.push(check(
                "credential source",
                status,
                detail,
                if temporary { "" } else { REPLACE_KEYS },
            ));
            match clients.caller_identity().await {
                Ok(id) => checks.push(check("principal", Status::Ok, id.arn, "")),
                Err(e) => checks.push(check(
                    "principal",
                    Status::Fail,
                    e.to_string(),
                    "check network access to STS",
                )),
            }
        }
        Err(e) => checks.push(check(
            "credential source",
            Status::Fail,
            e.to_string(),
            "see `s3ro config` for where s3ro looks",
        )),
    }

    let bad = checks.iter().any(|c| matches!(c.status, Status::Warn | Status::Fail));
    if args.json {
        let v: Vec<serde_json::Value> = checks
            .iter()
            .map(|c| {
                serde_json::json!({
                    "check": c.name, "status": c.status.as_str(),
                    "detail": c.detail, "recommendation": c.recommendation,
                })
            })
            .collect();
        output::print(&format!("{}\n", serde_json::json!({ "ok": !bad, "checks": v })))?;
    } else {
        let mut text = String::new();
        for c in &checks {
            text.push_str(&format!("[{:>4}] {}: {}\n", c.status.as_str(), c.name, c.detail));
            if !c.recommendation.is_empty() && c.status != Status::Ok {
                text.push_str(&format!("       → {}\n", c.recommendation));
            }
        }
        output::print(&text)?;
    }
    Ok(if bad { 1 } else { 0 })
}
