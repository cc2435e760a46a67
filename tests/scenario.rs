//! The article's scenario end to end, on real emulated services: the real `s3ro` binary against
//! moto (IAM enforced) and the IMDSv2 emulator.

mod common;

use common::*;

const READER: &str = "S3ReadOnlyRole";
const SWITCH: &str = "SwitchOnlyRole";

#[test]
fn instance_role_lists_the_bucket_like_aws_s3_ls() {
    let w = World::new(Some(READER));
    let r = w.s3ro(&["ls", "s3://a10e-com-s3/"]);
    r.ok();
    let oracle = w.aws(&["s3", "ls", "s3://a10e-com-s3/"]);
    oracle.ok();
    assert_eq!(r.stdout(), oracle.stdout(), "s3ro ls differs from aws s3 ls");
    assert!(r.stdout().contains("PRE input/"), "{}", r.stdout());
}

#[test]
fn listings_match_awscli_byte_for_byte() {
    let w = World::new(Some(READER));
    for args in [
        vec!["ls"],
        vec!["ls", "s3://a10e-com-s3"],
        vec!["ls", "s3://a10e-com-s3/input/"],
        vec!["ls", "s3://a10e-com-s3/inp"],
        vec!["ls", "--recursive", "s3://a10e-com-s3/"],
        vec!["ls", "--recursive", "--human-readable", "--summarize", "s3://a10e-com-s3/"],
        vec!["ls", "--recursive", "--page-size", "2", "s3://a10e-com-s3/"],
    ] {
        let ours = w.s3ro(&args);
        let mut aws_args = vec!["s3"];
        aws_args.extend(&args);
        let theirs = w.aws(&aws_args);
        assert_eq!(ours.code, theirs.code, "exit code of {args:?}: {}", ours.stderr);
        assert_eq!(ours.stdout(), theirs.stdout(), "output of {args:?}");
    }
}

#[test]
fn instance_role_whoami_names_the_instance_session() {
    let w = World::new(Some(READER));
    let r = w.s3ro(&["whoami"]);
    r.ok();
    let out = r.stdout();
    assert!(
        out.contains(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/{READER}/{INSTANCE_ID}")),
        "{out}"
    );
    assert!(out.contains("iam-role (IMDSv2, role S3ReadOnlyRole)"), "{out}");
    assert!(out.contains(&format!("Region:      {REGION} (imds)")), "{out}");
}

#[test]
fn switch_role_profile_lists_and_downloads_exact_bytes() {
    let w = World::new(Some(SWITCH));
    w.example_config();
    let who = w.s3ro(&["whoami"]);
    who.ok();
    assert!(who.stdout().contains(":assumed-role/S3ReadOnlyRole/s3ro-reader"), "{}", who.stdout());
    assert!(
        who.stdout().contains("assume-role arn:aws:iam::123456789012:role/S3ReadOnlyRole ← iam-role (IMDSv2, role SwitchOnlyRole)"),
        "{}",
        who.stdout()
    );

    let ls = w.s3ro(&["ls", "s3://a10e-com-s3/input/"]);
    ls.ok();
    assert_eq!(ls.stdout(), w.aws(&["s3", "ls", "s3://a10e-com-s3/input/"]).stdout());

    for key in
        ["input/hello.txt", "input/report 2026.csv", "input/データ.txt", "output/summary+final.txt"]
    {
        let uri = format!("s3://a10e-com-s3/{key}");
        let expected = w.aws(&["s3", "cp", &uri, "-"]);
        expected.ok();
        assert!(!expected.stdout.is_empty());
        let dest = w.home().join("dl");
        std::fs::create_dir_all(&dest).unwrap();
        w.s3ro(&["get", &uri, dest.to_str().unwrap()]).ok();
        let name = key.rsplit('/').next().unwrap();
        let got = std::fs::read(dest.join(name)).unwrap();
        assert_eq!(got, expected.stdout, "bytes of {key}");
        let cat = w.s3ro(&["cat", &uri]);
        cat.ok();
        assert_eq!(cat.stdout, expected.stdout, "cat of {key}");
    }
}

#[test]
fn switch_only_role_alone_is_denied_listing_with_the_missing_action() {
    let w = World::new(Some(SWITCH));
    let r = w.s3ro(&["--auth", "instance-role", "ls", "s3://a10e-com-s3/"]);
    assert_eq!(r.code, 254, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert_contains_all(
        &r.stderr,
        &[
            "AccessDenied: ListObjectsV2 on s3://a10e-com-s3/",
            "arn:aws:sts::123456789012:assumed-role/SwitchOnlyRole/i-0123456789abcdef0",
            "s3:ListBucket on arn:aws:s3:::a10e-com-s3",
            "role SwitchOnlyRole",
        ],
    );
}

#[test]
fn denied_get_names_get_object_and_the_object_arn_and_writes_nothing() {
    let w = World::new(Some(SWITCH));
    w.example_config();
    let dest = w.home().join("dl");
    std::fs::create_dir(&dest).unwrap();
    let existing = dest.join("hello.txt");
    std::fs::write(&existing, b"keep me").unwrap();
    let r = w.s3ro(&[
        "--profile",
        "listonly",
        "get",
        "s3://a10e-com-s3/input/hello.txt",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 254, "{}", r.stderr);
    assert_contains_all(
        &r.stderr,
        &[
            "AccessDenied: GetObject on s3://a10e-com-s3/input/hello.txt",
            "s3:GetObject on arn:aws:s3:::a10e-com-s3/input/hello.txt",
            "assumed-role/S3ListOnlyRole/s3ro-listonly",
            "identity-based policy of role S3ListOnlyRole",
        ],
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me", "existing DEST was touched");
    let names: Vec<_> = std::fs::read_dir(&dest).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "temporary files left behind: {names:?}");
}

#[test]
fn instance_role_with_imds_unreachable_fails_fast_naming_the_metadata_service() {
    let mut w = World::new(Some(READER));
    let port = closed_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    w.imds_endpoint = Some(endpoint.clone());
    let r = w.s3ro(&["--auth", "instance-role", "ls", "s3://a10e-com-s3/"]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert!(r.elapsed.as_secs_f64() < 3.0, "took {:?}", r.elapsed);
    assert!(r.stderr.contains("instance metadata service"), "{}", r.stderr);
    assert!(r.stderr.contains(&endpoint), "{}", r.stderr);
    assert!(r.stderr.contains("connection refused"), "{}", r.stderr);
}

#[test]
fn instance_role_with_imds_silent_fails_within_bound() {
    let w = World::new(Some(READER));
    w.imds.set_fault(Fault::Hang);
    let r = w.s3ro(&["--auth", "instance-role", "ls", "s3://a10e-com-s3/"]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert!(r.elapsed.as_secs_f64() < 3.0, "took {:?}", r.elapsed);
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(r.stderr.contains("HttpPutResponseHopLimit"), "{}", r.stderr);
}

#[test]
fn imds_credentials_code_failure_points_at_the_trust_policy() {
    let w = World::new(Some(READER));
    w.imds.set_fault(Fault::CredentialsCode("AssumeRoleUnauthorizedAccess".into()));
    let r = w.s3ro(&["--auth", "instance-role", "--region", REGION, "ls", "s3://a10e-com-s3/"]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert!(r.stderr.contains("AssumeRoleUnauthorizedAccess"), "{}", r.stderr);
    assert!(r.stderr.contains("ec2.amazonaws.com"), "{}", r.stderr);
}

#[test]
fn no_instance_role_attached_is_a_credentials_error() {
    let w = World::new(None);
    let r = w.s3ro(&["--auth", "instance-role", "ls", "s3://a10e-com-s3/"]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert!(r.stderr.contains("no instance role"), "{}", r.stderr);
}

#[test]
fn assume_role_refused_names_both_causes_and_the_principal() {
    // S3ReadOnlyRole's identity policy has no sts:AssumeRole, and SwitchOnlyRole's trust policy
    // does not name it: moto enforces both.
    let w = World::new(Some(READER));
    let r = w.s3ro(&[
        "--auth",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::123456789012:role/SwitchOnlyRole",
        "ls",
        "s3://a10e-com-s3/",
    ]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert_contains_all(
        &r.stderr,
        &[
            "sts:AssumeRole on arn:aws:iam::123456789012:role/SwitchOnlyRole was refused",
            "arn:aws:sts::123456789012:assumed-role/S3ReadOnlyRole/i-0123456789abcdef0",
            "identity-based policy of role S3ReadOnlyRole",
            "trust policy of role SwitchOnlyRole",
        ],
    );
}

#[test]
fn assume_role_from_flags_uses_the_instance_role_as_base() {
    let w = World::new(Some(SWITCH));
    let r = w.s3ro(&[
        "--auth",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::123456789012:role/S3ReadOnlyRole",
        "--role-session-name",
        "flag-session",
        "whoami",
    ]);
    r.ok();
    assert!(r.stdout().contains("assumed-role/S3ReadOnlyRole/flag-session"), "{}", r.stdout());
    assert!(r.stdout().contains("← iam-role (IMDSv2, role SwitchOnlyRole)"), "{}", r.stdout());
}

#[test]
fn assume_role_mode_without_a_role_is_a_clear_config_error() {
    let w = World::new(Some(SWITCH));
    let r = w.s3ro(&["--auth", "assume-role", "ls", "s3://a10e-com-s3/"]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert!(r.stderr.contains("has no role_arn"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
}

#[test]
fn exit_codes_for_usage_errors_and_missing_things() {
    let w = World::new(Some(READER));
    for (args, code) in [
        (vec!["ls", "s3:/a10e-com-s3"], 252),
        (vec!["ls", "s3://"], 252),
        (vec!["ls", "s3://bad bucket/"], 252),
        (vec!["ls", "--page-size", "0", "s3://a10e-com-s3/"], 252),
        (vec!["get", "s3://a10e-com-s3"], 252),
        (vec!["frobnicate"], 252),
        (vec!["ls", "s3://a10e-com-s3/nothing-here"], 1),
        (vec!["get", "s3://a10e-com-s3/input/missing.txt", "-"], 254),
    ] {
        let r = w.s3ro(&args);
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        if code == 252 && args[0] != "frobnicate" && args[1] != "--page-size" {
            assert_eq!(r.stderr.lines().count(), 1, "{args:?} wants one error line: {}", r.stderr);
        }
    }
}

#[test]
fn closed_pipe_exits_zero_silently() {
    let w = World::new(Some(READER));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_s3ro"))
        .args(["ls", "--recursive", "s3://a10e-com-s3/"])
        .env_clear()
        .env("AWS_CONFIG_FILE", w.home().join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", w.home().join("credentials"))
        .env("AWS_ENDPOINT_URL", &w.moto.endpoint)
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &w.imds.endpoint)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before s3ro writes
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn get_into_a_device_writes_into_it_and_never_replaces_it() {
    let w = World::new(Some(READER));
    let before = std::fs::metadata("/dev/null").unwrap();
    let r = w.s3ro(&["get", "s3://a10e-com-s3/input/hello.txt", "/dev/null"]);
    r.ok();
    let after = std::fs::metadata("/dev/null").unwrap();
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    assert!(after.file_type().is_char_device(), "/dev/null was replaced");
    assert_eq!(before.ino(), after.ino());
}

#[test]
fn get_creates_missing_directories_and_keeps_umask_mode() {
    let w = World::new(Some(READER));
    let dest = w.home().join("new/dir/");
    let r = w.s3ro(&["get", "s3://a10e-com-s3/input/hello.txt", dest.to_str().unwrap()]);
    r.ok();
    let f = dest.join("hello.txt");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
    assert_ne!(mode & 0o044, 0, "group/other can read (umask applied), got {mode:o}");
    // A refused download creates no directory.
    w.imds.set_instance_role(Some("S3ListOnlyRole"));
    let gone = w.home().join("never/made/");
    let r = w.s3ro(&["get", "s3://a10e-com-s3/input/hello.txt", gone.to_str().unwrap()]);
    assert_eq!(r.code, 254, "{}", r.stderr);
    assert!(!w.home().join("never").exists(), "directories of a failed download remain");
}

#[test]
fn closed_or_full_stdout_never_panics() {
    let w = World::new(Some(READER));
    for args in [vec!["whoami"], vec!["get", "s3://a10e-com-s3/input/hello.txt", "h.txt"]] {
        let full = std::fs::File::create("/dev/full").unwrap();
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_s3ro"));
        c.args(&args)
            .current_dir(w.home())
            .env_clear()
            .env("AWS_CONFIG_FILE", w.home().join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", w.home().join("credentials"))
            .env("AWS_ENDPOINT_URL", &w.moto.endpoint)
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &w.imds.endpoint)
            .stdout(full);
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("No space left on device") && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn configuration_mistakes_get_one_clear_line() {
    let w = World::new(Some(SWITCH));
    w.config("[profile bad]\nrole_arn = notanarn\ncredential_source = Ec2InstanceMetadata\n");
    for (args, env, code, needle) in [
        (vec!["--profile", "bad", "whoami"], vec![], 253, "is not a role ARN"),
        (vec!["whoami"], vec![("AWS_PROFILE", "doesnotexist")], 253, "AWS_PROFILE"),
        (vec!["--region", "bad region!", "whoami"], vec![], 252, "invalid region"),
        (vec!["whoami"], vec![("AWS_REGION", "bad region")], 253, "invalid region"),
        (vec!["whoami"], vec![("AWS_ENDPOINT_URL", "ftp://x")], 253, "AWS_ENDPOINT_URL"),
        (
            vec![
                "--auth",
                "assume-role",
                "--role-arn",
                "arn:aws:iam::123456789012:role/S3ReadOnlyRole",
                "--role-session-name",
                "bad name!",
                "whoami",
            ],
            vec![],
            252,
            "role session name",
        ),
    ] {
        let r = w.s3ro_env(&args, &env);
        assert_eq!(r.code, code, "{args:?} {env:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
    }
}

/// Mount a tmpfs for a test (s3ro's tests run as root, like CI); unmounted on drop.
struct Tmpfs(std::path::PathBuf);
impl Tmpfs {
    fn mount(dir: &std::path::Path, opts: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "this test mounts a tmpfs at {} (needs root, as CI has)", dir.display());
        Tmpfs(dir.to_path_buf())
    }
}
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn full_disk_and_read_only_destinations_fail_cleanly() {
    let w = World::new(None);
    let key = "s3://s3ro-blobs/128k.bin";
    let small = Tmpfs::mount(&w.home().join("small"), "size=64k");
    let existing = small.0.join("128k.bin");
    std::fs::write(&existing, b"old").unwrap();
    let r = w.s3ro_admin(&["get", key, small.0.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("No space left on device"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_eq!(std::fs::read(&existing).unwrap(), b"old", "existing file changed");
    let names: Vec<_> =
        std::fs::read_dir(&small.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "partial file left: {names:?}");

    let ro = Tmpfs::mount(&w.home().join("ro"), "ro,size=64k");
    let r = w.s3ro_admin(&["get", key, ro.0.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("Read-only file system"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn invalid_config_syntax_is_one_clear_line() {
    let w = World::new(Some(READER));
    w.config("[profile broken\nregion = x\n");
    let r = w.s3ro(&["ls"]);
    assert_eq!(r.code, 253, "{}", r.stderr);
    assert!(r.stderr.contains("cannot read the AWS config files"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(!r.stderr.contains("ParseError("), "no debug dump: {}", r.stderr);
}

#[test]
fn verbose_shows_sources_and_each_request() {
    let w = World::new(Some(SWITCH));
    w.example_config();
    let r = w.s3ro(&["-v", "ls", "s3://a10e-com-s3/"]);
    r.ok();
    assert_contains_all(
        &r.stderr,
        &[
            "region resolved region=ap-northeast-1 source=\"imds\"",
            "credential source failed source=environment",
            "credentials loaded source=instance role",
            "operation=AssumeRole status=200",
            "operation=ListObjectsV2 status=200 request_id=",
        ],
    );
    assert!(!r.stderr.contains("\u{1b}["), "no colour when stderr is not a terminal");
}
