//! Credential modes in depth against moto + the IMDSv2 emulator: every mode's source, `config`,
//! profiles, role chaining limits and MFA without a terminal.

mod common;

use common::*;

const SWITCH: &str = "SwitchOnlyRole";

/// A credentials file with the sandbox's EC2-service user as profile `svc` (static keys).
fn svc_credentials(w: &World) {
    let k = &w.moto.ec2_service;
    std::fs::write(
        w.home().join("credentials"),
        format!(
            "[svc]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            k.access_key_id, k.secret_access_key
        ),
    )
    .unwrap();
}

fn admin_env(w: &World) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", w.moto.admin.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", w.moto.admin.secret_access_key.clone()),
    ]
}

fn run_env(w: &World, args: &[&str], env: &[(&'static str, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.s3ro_env(args, &env)
}

#[test]
fn config_table_shows_iam_role_then_assume_role_with_masked_keys() {
    let w = World::new(Some(SWITCH));
    let r = w.s3ro(&["config"]);
    r.ok();
    let out = r.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "      Name                    Value             Type    Location");
    let access = lines.iter().find(|l| l.starts_with("access_key")).unwrap();
    assert!(access.contains("****************") && access.contains("iam-role"), "{out}");
    let masked = access.split_whitespace().nth(1).unwrap();
    assert_eq!(masked.len(), 20, "16 stars and the last 4: {masked}");
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with("region") && l.contains("imds")),
        "{out}"
    );
    assert!(out.contains("credentials: iam-role (IMDSv2, role SwitchOnlyRole)"), "{out}");

    w.example_config();
    let r = w.s3ro(&["config", "--json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(r.stdout().trim()).unwrap();
    assert_eq!(v["access_key"]["type"], "assume-role");
    assert_eq!(v["credential_type"], "assume-role");
    assert_eq!(v["role_arn"], "arn:aws:iam::123456789012:role/S3ReadOnlyRole");
    assert_eq!(v["assumed_from"], "iam-role (IMDSv2, role SwitchOnlyRole)");
    assert!(v["access_key"]["value"].as_str().unwrap().starts_with("****************"));
    assert!(v["expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["region"]["type"], "imds");
    // No secret in clear anywhere: the full secret of the session is never printed.
    assert!(!r.stdout().contains(&w.moto.admin.secret_access_key));
}

#[test]
fn env_mode_uses_only_environment_keys() {
    let w = World::new(Some(SWITCH));
    let r = run_env(&w, &["--auth", "env", "whoami"], &admin_env(&w));
    r.ok();
    assert!(
        r.stdout().contains("Arn:         arn:aws:iam::123456789012:user/sandbox-admin"),
        "{}",
        r.stdout()
    );
    assert!(r.stdout().contains("Credentials: env"), "{}", r.stdout());
    let none = w.s3ro(&["--auth", "env", "whoami"]);
    assert_eq!(none.code, 253, "{}", none.stderr);
    assert!(none.stderr.contains("AWS_ACCESS_KEY_ID"), "{}", none.stderr);
    assert!(none.elapsed.as_secs_f64() < 3.0, "env mode never waits for IMDS: {:?}", none.elapsed);
}

#[test]
fn explicit_profile_wins_over_environment_keys() {
    let w = World::new(Some(SWITCH));
    svc_credentials(&w);
    let env = admin_env(&w);
    for args in [
        vec!["--profile", "svc", "whoami"],
        vec!["--auth", "profile", "--profile", "svc", "whoami"],
    ] {
        let r = run_env(&w, &args, &env);
        r.ok();
        assert!(r.stdout().contains(":user/sandbox-ec2-service"), "{args:?}: {}", r.stdout());
        assert!(r.stdout().contains("shared-credentials-file (profile svc"), "{}", r.stdout());
    }
    // Without --profile the environment comes first, as in the AWS CLI.
    let r = run_env(&w, &["whoami"], &env);
    assert!(r.ok().stdout().contains(":user/sandbox-admin"), "{}", r.stdout());
}

#[test]
fn assume_role_from_a_source_profile() {
    let w = World::new(Some(SWITCH));
    svc_credentials(&w);
    let r = w.s3ro(&[
        "--auth",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::123456789012:role/S3ReadOnlyRole",
        "--source-profile",
        "svc",
        "--role-session-name",
        "from-svc",
        "whoami",
    ]);
    r.ok();
    assert!(r.stdout().contains("assumed-role/S3ReadOnlyRole/from-svc"), "{}", r.stdout());
    assert!(
        r.stdout().contains("← shared-credentials-file (profile svc, long-term keys)"),
        "{}",
        r.stdout()
    );
}

#[test]
fn profile_duration_seconds_is_honoured() {
    let w = World::new(Some(SWITCH));
    svc_credentials(&w);
    w.config("[profile d30]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\nsource_profile = svc\nduration_seconds = 1800\n");
    let r = w.s3ro(&["--profile", "d30", "config", "--json"]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(r.stdout().trim()).unwrap();
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiration"].as_str().unwrap()).unwrap();
    let left = (exp.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!((1700..=1800).contains(&left), "session lasts {left} s, wanted 1800");
}

#[test]
fn role_chaining_over_an_hour_is_refused_with_the_reason() {
    let w = World::new(Some(SWITCH));
    w.config("[profile long]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\ncredential_source = Ec2InstanceMetadata\nduration_seconds = 7200\n");
    let r = w.s3ro(&["--profile", "long", "whoami"]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert!(r.stderr.contains("role chaining") && r.stderr.contains("3600"), "{}", r.stderr);
    let flags = w.s3ro(&[
        "--auth",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::123456789012:role/S3ReadOnlyRole",
        "--duration-seconds",
        "7200",
        "whoami",
    ]);
    assert_eq!(flags.code, 253, "{}", flags.stderr);
    assert!(flags.stderr.contains("role chaining"), "{}", flags.stderr);
}

#[test]
fn mfa_without_a_terminal_is_a_clear_error() {
    let w = World::new(Some(SWITCH));
    w.config("[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\ncredential_source = Ec2InstanceMetadata\nmfa_serial = arn:aws:iam::123456789012:mfa/operator\n");
    let r = w.s3ro(&["--profile", "mfa", "whoami"]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert!(
        r.stderr.contains("mfa_serial = arn:aws:iam::123456789012:mfa/operator"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not a terminal"), "{}", r.stderr);
}

#[test]
fn profile_mistakes_are_named() {
    let w = World::new(Some(SWITCH));
    w.config(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\nsource_profile = b\n\
         [profile b]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\nsource_profile = a\n\
         [profile bogus]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\ncredential_source = Bogus\n\
         [profile both]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\ncredential_source = Ec2InstanceMetadata\nsource_profile = a\n",
    );
    for (profile, needle) in [
        ("a", "a → b → a"),
        ("bogus", "Ec2InstanceMetadata, Environment, EcsContainer"),
        ("both", "both credential_source and source_profile"),
        ("missing", "\"missing\" (--profile) was not found"),
    ] {
        let r = w.s3ro(&["--profile", profile, "whoami"]);
        assert_eq!(r.code, 253, "{profile}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{profile}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{profile}: {}", r.stderr);
    }
}

#[test]
fn doctor_is_green_for_the_switch_role_setup() {
    let w = World::new(Some(SWITCH));
    w.example_config();
    let r = w.s3ro(&["doctor"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout(), r.stderr);
    let out = r.stdout();
    assert!(
        out.contains("instance profile arn:aws:iam::123456789012:instance-profile/SwitchOnlyRole"),
        "{out}"
    );
    assert!(
        out.contains("(temporary credentials)") && out.contains("assumed-role/S3ReadOnlyRole"),
        "{out}"
    );
}

#[test]
fn doctor_flags_plaintext_keys_and_broken_profiles() {
    let w = World::new(Some(SWITCH));
    std::fs::write(
        w.home().join("credentials"),
        "[old]\naws_access_key_id = AKIAOLDKEY0000009999\naws_secret_access_key = SECRETOLD0000000000000000000000000000000\n",
    )
    .unwrap();
    w.config("[profile a]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = a\n[profile odd]\nrole_arn = arn:aws:iam::123456789012:role/R\ncredential_source = Nope\n");
    let r = w.s3ro(&["doctor", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout().trim()).unwrap();
    assert_eq!(v["ok"], false);
    let checks = v["checks"].as_array().unwrap();
    let find = |status: &str, needle: &str| {
        checks
            .iter()
            .any(|c| c["status"] == status && c["detail"].as_str().unwrap().contains(needle))
    };
    assert!(find("warn", "profile old: aws_access_key_id ****************9999"), "{checks:?}");
    assert!(find("fail", "source_profile loop"), "{checks:?}");
    assert!(find("fail", "unknown credential_source \"Nope\""), "{checks:?}");
    assert!(!r.stdout().contains("AKIAOLDKEY0000009999") && !r.stdout().contains("SECRETOLD"));
    let env = w.s3ro_env(
        &["doctor"],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAENVKEY0000004321"),
            ("AWS_SECRET_ACCESS_KEY", "x".repeat(40).as_str()),
        ],
    );
    assert_eq!(env.code, 1);
    assert!(env.stdout().contains("AWS_ACCESS_KEY_ID=****************4321"), "{}", env.stdout());
}

/// On a terminal, `mfa_serial` asks for the code and passes it to sts:AssumeRole (tmux gives
/// s3ro a real terminal; moto accepts any 6-digit code).
#[test]
fn mfa_code_is_asked_for_on_a_terminal() {
    let w = World::new(Some(SWITCH));
    w.config("[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\ncredential_source = Ec2InstanceMetadata\nmfa_serial = arn:aws:iam::123456789012:mfa/operator\n");
    let session = format!("s3ro-mfa-{}", std::process::id());
    let out = w.home().join("whoami.out");
    let cmd = format!(
        "env AWS_CONFIG_FILE={} AWS_SHARED_CREDENTIALS_FILE={} AWS_ENDPOINT_URL={} AWS_EC2_METADATA_SERVICE_ENDPOINT={} {} --profile mfa whoami > {} 2>&1; sleep 30",
        w.home().join("config").display(),
        w.home().join("credentials").display(),
        w.moto.endpoint,
        w.imds.endpoint,
        env!("CARGO_BIN_EXE_s3ro"),
        out.display()
    );
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux").args(args).output().expect("tmux is installed")
    };
    assert!(tmux(&["new-session", "-d", "-s", &session, "-x", "120", "-y", "10", &cmd])
        .status
        .success());
    let wait_for = |needle: &str| {
        for _ in 0..100 {
            if std::fs::read_to_string(&out).is_ok_and(|t| t.contains(needle)) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    let prompted = wait_for("Enter MFA code for arn:aws:iam::123456789012:mfa/operator");
    tmux(&["send-keys", "-t", &session, "123456", "Enter"]);
    let answered = wait_for("assumed-role/S3ReadOnlyRole/");
    tmux(&["kill-session", "-t", &session]);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(prompted, "no prompt: {text}");
    assert!(answered, "no identity after the code: {text}");
}

#[test]
fn config_names_where_profile_and_region_came_from() {
    let w = World::new(Some(SWITCH));
    w.example_config();
    let r = w.s3ro_env(
        &["config", "--json"],
        &[("AWS_PROFILE", "reader"), ("AWS_DEFAULT_REGION", "eu-west-1")],
    );
    r.ok();
    let v: serde_json::Value = serde_json::from_str(r.stdout().trim()).unwrap();
    assert_eq!(v["profile"]["value"], "reader");
    assert_eq!(v["profile"]["location"], "AWS_PROFILE");
    assert_eq!(v["region"]["value"], "eu-west-1");
    assert_eq!(v["region"]["location"], "AWS_DEFAULT_REGION");
    let flag = w.s3ro(&["--profile", "reader", "--region", "eu-west-2", "config", "--json"]);
    let v: serde_json::Value = serde_json::from_str(flag.ok().stdout().trim()).unwrap();
    assert_eq!(v["profile"]["location"], "--profile");
    assert_eq!(v["region"]["location"], "--region");
}
