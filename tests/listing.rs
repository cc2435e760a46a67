//! `s3ro ls` against moto, with awscli on the same moto as the oracle (`TZ=UTC`). The fixture
//! bucket `s3ro-listing` holds 1,203 keys under `many/`, a prefix tree, and keys with spaces,
//! `+`, `%`, non-ASCII, `//`, a leading `/`, folder markers and control characters
//! (see `sandbox/moto_sandbox.py`; each fixture object's body is its own key).

mod common;

use common::*;

/// aws prints control characters raw; s3ro escapes them (`\xNN`) so one object is one line.
fn escape_like_s3ro(aws_out: &str) -> String {
    let mut out = String::new();
    for line in aws_out.split_inclusive('\n') {
        let (body, nl) = line.strip_suffix('\n').map(|b| (b, "\n")).unwrap_or((line, ""));
        // Keep the 31 columns of date/time/size; escape within the name only.
        let split = if body.len() > 31 && body.is_char_boundary(31) { 31 } else { 0 };
        out.push_str(&body[..split]);
        out.push_str(&s3ro::output::escape_controls(&body[split..]));
        out.push_str(nl);
    }
    out
}

#[track_caller]
fn assert_same_as_aws(w: &World, args: &[&str]) {
    let ours = w.s3ro_admin(args);
    let mut aws_args = vec!["s3"];
    aws_args.extend(args);
    let theirs = w.aws(&aws_args);
    assert_eq!(
        ours.code, theirs.code,
        "exit code of {args:?}: ours {} / aws {}",
        ours.stderr, theirs.stderr
    );
    assert_eq!(ours.stdout(), escape_like_s3ro(&theirs.stdout()), "output of {args:?}");
}

#[test]
fn delimiter_listings_match_awscli() {
    let w = World::new(None);
    for args in [
        vec!["ls", "s3://s3ro-listing/"],
        vec!["ls", "s3://s3ro-listing/tree/"],
        vec!["ls", "s3://s3ro-listing/tree/p0"],
        vec!["ls", "s3://s3ro-listing/fid/"],
        vec!["ls", "s3://s3ro-listing/many/k00"],
        vec!["ls", "--page-size", "100", "s3://s3ro-listing/many/"],
        vec!["ls", "--human-readable", "--summarize", "s3://s3ro-listing/tree/p03/"],
        vec!["ls", "s3://s3ro-listing/no-such-prefix"],
        vec!["ls", "s3://s3ro-empty"],
    ] {
        assert_same_as_aws(&w, &args);
    }
}

#[test]
fn recursive_listings_match_awscli_across_many_pages() {
    let w = World::new(None);
    for args in [
        vec!["ls", "--recursive", "s3://s3ro-listing/"],
        vec!["ls", "--recursive", "--page-size", "7", "s3://s3ro-listing/tree/"],
        vec!["ls", "--recursive", "--summarize", "--human-readable", "s3://s3ro-listing/"],
        vec!["ls", "--recursive", "s3://s3ro-listing/tr"],
    ] {
        assert_same_as_aws(&w, &args);
    }
}

#[test]
fn parallel_recursive_listing_keeps_sequential_order() {
    let w = World::new(None);
    let sequential = w.s3ro_admin(&[
        "ls",
        "--recursive",
        "--concurrency",
        "1",
        "--page-size",
        "3",
        "s3://s3ro-listing/",
    ]);
    sequential.ok();
    let parallel = w.s3ro_admin(&[
        "ls",
        "--recursive",
        "--concurrency",
        "8",
        "--page-size",
        "3",
        "s3://s3ro-listing/",
    ]);
    parallel.ok();
    assert_eq!(sequential.stdout(), parallel.stdout());
    // And that order is S3's key order.
    let keys = json_strings(
        &w.s3ro_admin(&["ls", "--recursive", "--json", "s3://s3ro-listing/"]).stdout(),
        "key",
    );
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys.len(), 1203 + 12 * 5 + 4 + 10 + 3, "every fixture key, once");
}

#[test]
fn json_lines_carry_exact_keys_that_round_trip() {
    let w = World::new(None);
    let r = w.s3ro_admin(&["ls", "--recursive", "--json", "s3://s3ro-listing/fid/"]);
    r.ok();
    let ours: Vec<serde_json::Value> =
        r.stdout().lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    let oracle = w.aws(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "s3ro-listing",
        "--prefix",
        "fid/",
        "--output",
        "json",
    ]);
    oracle.ok();
    let oracle: serde_json::Value = serde_json::from_slice(&oracle.stdout).unwrap();
    let expected: Vec<&str> =
        oracle["Contents"].as_array().unwrap().iter().map(|o| o["Key"].as_str().unwrap()).collect();
    let got: Vec<&str> = ours.iter().map(|o| o["key"].as_str().unwrap()).collect();
    assert_eq!(got, expected);
    assert!(got.contains(&"fid/ctl\u{1}char") && got.contains(&"fid/tab\there"), "{got:?}");
    for o in &ours {
        for field in ["size", "last_modified", "etag", "storage_class"] {
            assert!(!o[field].is_null(), "{field} missing in {o}");
        }
        assert!(o["last_modified"].as_str().unwrap().ends_with('Z'));
    }
    // Every key downloads by its exact name (the fixture body is the key itself).
    for key in got.iter().filter(|k| !k.ends_with('/') && !k.starts_with("fid/dir/")) {
        let c = w.s3ro_admin(&["cat", &format!("s3://s3ro-listing/{key}")]);
        c.ok();
        assert_eq!(c.stdout, key.as_bytes(), "round trip of {key:?}");
    }
    let lead = w.s3ro_admin(&["cat", "s3://s3ro-listing//leading-slash"]);
    assert_eq!(lead.ok().stdout, b"/leading-slash");
}

#[test]
fn folder_markers_are_named_objects_not_blank_lines() {
    let w = World::new(None);
    let r = w.s3ro_admin(&["ls", "s3://s3ro-listing/fid/dir/"]);
    r.ok();
    let lines: Vec<&str> = r
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("          0 dir/"), "{lines:?}");
    assert!(lines[1].ends_with(" inside.txt"), "{lines:?}");
    let m = w.s3ro_admin(&["ls", "s3://s3ro-listing/fid/nonempty-marker/"]);
    assert!(m.ok().stdout().contains("          4 nonempty-marker/"), "{}", m.stdout());
}

#[test]
fn summary_json_and_bucket_json() {
    let w = World::new(None);
    let r = w.s3ro_admin(&[
        "ls",
        "--recursive",
        "--json",
        "--summarize",
        "s3://s3ro-listing/tree/p03/",
    ]);
    r.ok();
    let last: serde_json::Value = serde_json::from_str(r.stdout().lines().last().unwrap()).unwrap();
    assert_eq!(last["total_objects"], 5);
    assert_eq!(last["total_size"], 3 + 4 + 5 + 6 + 7);
    let b = w.s3ro_admin(&["ls", "--json"]);
    let names: Vec<String> = b
        .ok()
        .stdout()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        names.contains(&"s3ro-listing".to_string()) && names.contains(&"a10e-com-s3".to_string())
    );
    let p = w.s3ro_admin(&["ls", "--json", "s3://s3ro-listing/tree/"]);
    assert!(p.ok().stdout().lines().any(|l| l == r#"{"prefix":"tree/p00/"}"#), "{}", p.stdout());
}

#[test]
fn versions_show_ids_latest_flags_and_delete_markers() {
    let w = World::new(None);
    let r = w.s3ro_admin(&["ls", "--versions", "--json", "s3://s3ro-versions/"]);
    r.ok();
    let v: Vec<serde_json::Value> =
        r.stdout().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(v.len(), 4, "{v:?}");
    let doc: Vec<_> = v.iter().filter(|x| x["key"] == "doc.txt").collect();
    assert_eq!(doc.len(), 2);
    assert_eq!(doc[0]["is_latest"], true);
    assert_eq!(doc[0]["size"], "version two!".len());
    assert_eq!(doc[1]["is_latest"], false);
    let gone: Vec<_> = v.iter().filter(|x| x["key"] == "gone.txt").collect();
    assert_eq!(gone[0]["delete_marker"], true);
    assert_eq!(gone[0]["is_latest"], true);
    assert_eq!(gone[1]["delete_marker"], false);
    for x in &v {
        assert!(x["version_id"].as_str().is_some_and(|s| !s.is_empty()));
    }
    let text = w.s3ro_admin(&["ls", "--versions", "s3://s3ro-versions/"]);
    let t = text.ok().stdout();
    assert!(t.contains("(deleted)") && t.contains(" latest gone.txt"), "{t}");
}

#[test]
fn missing_bucket_and_bad_uris() {
    let w = World::new(None);
    let r = w.s3ro_admin(&["ls", "s3://s3ro-no-such-bucket/"]);
    assert_eq!(r.code, 254, "{}", r.stderr);
    assert!(r.stderr.contains("NoSuchBucket"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    for bad in ["s3:/b", "s3://", "http://b/k", "s3://bad*bucket/"] {
        let r = w.s3ro_admin(&["ls", bad]);
        assert_eq!(r.code, 252, "{bad}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{bad}: {}", r.stderr);
    }
    for n in ["0", "1001", "-5"] {
        assert_eq!(w.s3ro_admin(&["ls", "--page-size", n, "s3://s3ro-listing/"]).code, 252);
    }
    assert_eq!(
        w.s3ro_admin(&["ls", "--recursive", "--concurrency", "0", "s3://s3ro-listing/"]).code,
        252
    );
}
