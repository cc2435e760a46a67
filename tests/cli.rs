//! The CLI as users meet it first: help with examples, version, completions, man page, the
//! library examples.

use std::process::Command;

fn s3ro(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_s3ro")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_has_help_with_examples() {
    for cmd in
        ["ls", "get", "cat", "whoami", "config", "doctor", "check", "policy", "completions", "man"]
    {
        let (code, out, _) = s3ro(&[cmd, "--help"]);
        assert_eq!(code, 0, "{cmd}");
        assert!(out.contains("Example"), "{cmd} --help has no examples:\n{out}");
        assert!(out.contains("s3ro "), "{cmd}: examples show real commands");
    }
    let (_, top, _) = s3ro(&["--help"]);
    for needle in ["instance role", "--profile reader", "--json", "Exit codes", "--auth"] {
        assert!(top.contains(needle), "top-level help lacks {needle:?}:\n{top}");
    }
}

#[test]
fn version_names_the_git_revision() {
    let (code, out, _) = s3ro(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with(&format!("s3ro {} (", env!("CARGO_PKG_VERSION"))), "{out}");
    let rev = out.trim().rsplit('(').next().unwrap().trim_end_matches(')');
    assert!(
        rev == "unknown" || (rev.len() == 12 && rev.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
}

#[test]
fn completions_generate_for_each_shell() {
    for (shell, marker) in
        [("bash", "complete -F"), ("zsh", "#compdef s3ro"), ("fish", "complete -c s3ro")]
    {
        let (code, out, err) = s3ro(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}");
        assert!(
            out.contains("--auth") && out.contains("instance-role"),
            "{shell} completes --auth values"
        );
    }
    let (code, _, _) = s3ro(&["completions", "tcsh"]);
    assert_eq!(code, 252);
}

#[test]
fn man_page_renders_with_man() {
    let (code, roff, _) = s3ro(&["man"]);
    assert_eq!(code, 0);
    assert!(roff.contains(".TH s3ro 1") && roff.contains(".SH NAME"));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("s3ro.1");
    std::fs::write(&page, &roff).unwrap();
    let out = Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(&page)
        .env("MANWIDTH", "100")
        .output()
        .expect("`man` renders the page (install man-db)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("least privilege") && text.contains("--auth"), "{text}");
}

#[test]
fn the_diagnose_example_runs_offline() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_s3ro"))
        .parent()
        .unwrap()
        .join("examples/diagnose");
    assert!(exe.exists(), "examples are built with the tests (cargo build --all-targets)");
    let out = Command::new(exe).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("missing action:   s3:GetObject"), "{text}");
    assert!(text.contains("arn:aws:s3:::a10e-com-s3/input/hello.txt"), "{text}");
}
