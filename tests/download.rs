//! `s3ro get` against moto: single objects, versions, ranges, recursive downloads with filters,
//! unsafe keys, clashes, archived objects, multipart and gzip-encoded objects. Fixtures are in
//! bucket `s3ro-blobs` (see `sandbox/moto_sandbox.py`).

mod common;

use common::*;

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn oracle_bytes(w: &World, uri: &str) -> Vec<u8> {
    let r = w.aws(&["s3", "cp", uri, "-"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn recursive_download_maps_keys_safely_and_reports_skips() {
    let w = World::new(None);
    let dest = w.home().join("dl");
    let r = w.s3ro_admin(&["get", "--recursive", "s3://s3ro-blobs/", dest.to_str().unwrap()]);
    assert_eq!(r.code, 2, "skips give exit 2: {}", r.stderr);
    let files = files_under(&dest);
    for expected in [
        "128k.bin",
        "big/3m.bin",
        "clash/a/b",
        "clash/c",
        "cold/instant.bin",
        "gz/data.txt.gz",
        "mp/multi.bin",
        "trav/ok.txt",
        "tree/a b.txt",
        "tree/plus+%.txt",
        "tree/sub/deep.txt",
        "zero/empty.txt",
    ] {
        assert!(files.contains(&expected.to_string()), "{expected} missing from {files:?}");
    }
    assert_eq!(files.len(), 12, "{files:?}");
    for needle in [
        "trav/../../evil.txt: unsafe path",
        "trav//abs.txt: unsafe path",
        "trav/./dot.txt: unsafe path",
        "trav/data-marker/: folder marker with 4 bytes",
        "clash/a: clash",
        "cold/glacier.bin: archived: restore first",
    ] {
        assert!(r.stderr.contains(needle), "missing {needle:?}:\n{}", r.stderr);
    }
    assert!(!w.home().join("evil.txt").exists() && !std::path::Path::new("/evil.txt").exists());
    // Bytes as stored, whatever the transfer path: multipart ETag, gzip encoding, zero bytes.
    for key in ["mp/multi.bin", "gz/data.txt.gz", "tree/a b.txt", "zero/empty.txt", "128k.bin"] {
        let got = std::fs::read(dest.join(key)).unwrap();
        assert_eq!(got, oracle_bytes(&w, &format!("s3://s3ro-blobs/{key}")), "{key}");
    }
    assert_eq!(
        &std::fs::read(dest.join("gz/data.txt.gz")).unwrap()[..2],
        &[0x1f, 0x8b],
        "still gzip"
    );
    let leftovers: Vec<_> = files.iter().filter(|f| f.contains("s3ro-part")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn large_objects_arrive_intact_through_parallel_ranges() {
    let w = World::new(None);
    for key in ["big/3m.bin", "mp/multi.bin"] {
        let dest = w.home().join(key.replace('/', "_"));
        let r = w.s3ro_admin(&[
            "get",
            "--part-size",
            "1",
            "--multipart-threshold",
            "1",
            &format!("s3://s3ro-blobs/{key}"),
            dest.to_str().unwrap(),
        ]);
        r.ok();
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            oracle_bytes(&w, &format!("s3://s3ro-blobs/{key}")),
            "{key}"
        );
    }
}

#[test]
fn filters_apply_in_order_and_dryrun_writes_nothing() {
    let w = World::new(None);
    let dest = w.home().join("f");
    let r = w.s3ro_admin(&[
        "get",
        "--recursive",
        "--dryrun",
        "--exclude",
        "*",
        "--include",
        "*.txt",
        "--exclude",
        "sub/*",
        "s3://s3ro-blobs/tree/",
        dest.to_str().unwrap(),
    ]);
    r.ok();
    let lines: Vec<String> = r.stdout().lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        vec![
            format!(
                "(dryrun) download: s3://s3ro-blobs/tree/a b.txt to {}/a b.txt",
                dest.display()
            ),
            format!(
                "(dryrun) download: s3://s3ro-blobs/tree/plus+%.txt to {}/plus+%.txt",
                dest.display()
            ),
        ]
    );
    assert!(!dest.exists(), "dryrun created {}", dest.display());
    // --no-clobber keeps an existing file.
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::write(dest.join("a b.txt"), b"mine").unwrap();
    let r = w.s3ro_admin(&[
        "get",
        "--recursive",
        "--no-clobber",
        "--include",
        "*",
        "s3://s3ro-blobs/tree/",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read(dest.join("a b.txt")).unwrap(), b"mine");
    assert!(dest.join("sub/deep.txt").exists());
}

#[test]
fn version_id_and_range() {
    let w = World::new(None);
    let versions = w.s3ro_admin(&["ls", "--versions", "--json", "s3://s3ro-versions/"]);
    let old = versions
        .ok()
        .stdout()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["key"] == "doc.txt" && v["is_latest"] == false)
        .unwrap();
    let id = old["version_id"].as_str().unwrap();
    let r = w.s3ro_admin(&["cat", "--version-id", id, "s3://s3ro-versions/doc.txt"]);
    assert_eq!(r.ok().stdout, b"version one");
    let r = w.s3ro_admin(&["cat", "--range", "bytes=8-11", "s3://s3ro-versions/doc.txt"]);
    assert_eq!(r.ok().stdout, b"two!");
    let f = w.home().join("part.bin");
    w.s3ro_admin(&[
        "get",
        "--range",
        "bytes=0-6",
        "s3://s3ro-versions/doc.txt",
        f.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(std::fs::read(&f).unwrap(), b"version");
    assert_eq!(w.s3ro_admin(&["cat", "--range", "0-6", "s3://s3ro-versions/doc.txt"]).code, 252);
}

#[test]
fn single_archived_object_is_skipped_with_exit_2() {
    let w = World::new(None);
    let r = w.s3ro_admin(&["get", "s3://s3ro-blobs/cold/glacier.bin", w.home().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("archived: restore first"), "{}", r.stderr);
    assert!(!w.home().join("glacier.bin").exists());
    w.s3ro_admin(&["get", "s3://s3ro-blobs/cold/instant.bin", w.home().to_str().unwrap()]).ok();
    assert_eq!(std::fs::read(w.home().join("instant.bin")).unwrap(), b"instant");
}

#[test]
fn json_lines_report_every_object() {
    let w = World::new(None);
    let dest = w.home().join("j");
    let r = w.s3ro_admin(&[
        "get",
        "--recursive",
        "--json",
        "s3://s3ro-blobs/clash/",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    let v: Vec<serde_json::Value> =
        r.stdout().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(v.iter().any(|x| x["status"] == "skipped" && x["key"] == "clash/a"), "{v:?}");
    assert_eq!(v.iter().filter(|x| x["status"] == "downloaded").count(), 2, "{v:?}");
}
