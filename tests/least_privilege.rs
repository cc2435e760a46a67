//! Least privilege against moto with IAM enforcement: `check` for each kind of role, and
//! `policy` documents that moto accepts and that allow exactly the intended reads.

mod common;

use common::*;

const PROFILES: &str = "\
[profile reader]\nrole_arn = arn:aws:iam::123456789012:role/S3ReadOnlyRole\ncredential_source = Ec2InstanceMetadata\n\
[profile listonly]\nrole_arn = arn:aws:iam::123456789012:role/S3ListOnlyRole\ncredential_source = Ec2InstanceMetadata\n\
[profile getonly]\nrole_arn = arn:aws:iam::123456789012:role/S3GetOnlyRole\ncredential_source = Ec2InstanceMetadata\n";

fn check_json(w: &World, args: &[&str]) -> (i32, serde_json::Value) {
    let r = w.s3ro(args);
    let v = serde_json::from_str(r.stdout().trim())
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}{}", r.stdout(), r.stderr));
    (r.code, v)
}

fn result(v: &serde_json::Value, action: &str) -> String {
    v["probes"].as_array().unwrap().iter().find(|p| p["action"] == action).unwrap()["result"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn check_matrix_for_each_kind_of_role() {
    let w = World::new(Some("SwitchOnlyRole"));
    w.config(PROFILES);
    let target = "s3://a10e-com-s3/input/";

    let (code, v) = check_json(&w, &["--profile", "reader", "check", "--json", target]);
    assert_eq!(code, 0, "{v}");
    for a in [
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetBucketLocation",
        "s3:ListBucketVersions",
        "s3:GetObjectTagging",
        "s3:ListAllMyBuckets",
    ] {
        assert_eq!(result(&v, a), "allowed", "{a}: {v}");
    }
    assert_eq!(v["write_permissions_probed"], false);

    let (code, v) = check_json(&w, &["--profile", "listonly", "check", "--json", target]);
    assert_eq!(code, 1);
    assert_eq!(result(&v, "s3:ListBucket"), "allowed");
    assert_eq!(result(&v, "s3:GetObject"), "denied (implicit)");
    let add = v["statements_to_add"].as_array().unwrap();
    assert!(
        add.iter().any(|s| s["Action"] == "s3:GetObject"
            && s["Resource"] == "arn:aws:s3:::a10e-com-s3/input/*"),
        "{add:?}"
    );

    let (code, v) = check_json(&w, &["--profile", "getonly", "check", "--json", target]);
    assert_eq!(code, 1);
    assert_eq!(result(&v, "s3:ListBucket"), "denied (implicit)");
    assert!(result(&v, "s3:GetObject").starts_with("not tested: no object known"), "{v}");
    let (code, v) = check_json(
        &w,
        &["--profile", "getonly", "check", "--json", "--key", "input/hello.txt", target],
    );
    assert_eq!(code, 1, "ls still needs s3:ListBucket");
    assert_eq!(result(&v, "s3:GetObject"), "allowed");

    // No access at all: the instance role itself may only switch.
    let (code, v) = check_json(
        &w,
        &["--auth", "instance-role", "check", "--json", "--key", "input/hello.txt", target],
    );
    assert_eq!(code, 1);
    assert_eq!(result(&v, "s3:ListBucket"), "denied (implicit)");
    assert_eq!(result(&v, "s3:GetObject"), "denied (implicit)");
    assert!(v["principal"]
        .as_str()
        .unwrap()
        .ends_with("assumed-role/SwitchOnlyRole/i-0123456789abcdef0"));

    let text = w.s3ro(&["--profile", "listonly", "check", target]);
    let out = text.stdout();
    assert!(
        out.contains("identity-based policy of role S3ListOnlyRole")
            && out.contains("Write permissions were not probed"),
        "{out}"
    );
}

#[test]
fn get_only_role_gets_but_cannot_list() {
    let w = World::new(Some("SwitchOnlyRole"));
    w.config(PROFILES);
    let ls = w.s3ro(&["--profile", "getonly", "ls", "s3://a10e-com-s3/input/"]);
    assert_eq!(ls.code, 254);
    assert!(ls.stderr.contains("s3:ListBucket on arn:aws:s3:::a10e-com-s3"), "{}", ls.stderr);
    let cat = w.s3ro(&["--profile", "getonly", "cat", "s3://a10e-com-s3/input/hello.txt"]);
    cat.ok();
}

fn aws_put_json(w: &World, args: &[&str], doc: &serde_json::Value, flag: &str) {
    let path = w.home().join(format!("doc-{}.json", rand_suffix()));
    std::fs::write(&path, doc.to_string()).unwrap();
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.push(flag.to_string());
    a.push(format!("file://{}", path.display()));
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let r = w.aws(&refs);
    assert_eq!(r.code, 0, "moto refused a generated document ({args:?}): {}", r.stderr);
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// The generated switch-role documents, loaded into moto, give exactly the intended access:
/// the instance role can only switch; the reader reads `input/` and nothing else.
/// moto needs two adjustments (README: "Where the sandbox differs"): a trust policy with a
/// `Service` principal alone is refused, so the EC2 stand-in user is added; and a role-ARN
/// principal does not match that role's sessions, so the session ARN is named.
#[test]
fn generated_switch_role_documents_round_trip_through_moto() {
    let w = World::new(None);
    let gen = w.s3ro(&[
        "policy",
        "--switch-role",
        "--account",
        ACCOUNT,
        "--instance-role",
        "GenInstance",
        "--reader-role",
        "GenReader",
        "s3://a10e-com-s3/input/",
    ]);
    gen.ok();
    let mut d: serde_json::Value = serde_json::from_str(&gen.stdout()).unwrap();
    for role in ["instance_role", "reader_role"] {
        for doc in ["identity_policy", "trust_policy"] {
            let p = &d[role][doc];
            assert_eq!(p["Version"], "2012-10-17");
            for st in p["Statement"].as_array().unwrap() {
                assert_eq!(st["Effect"], "Allow");
                assert!(st["Action"].is_string());
                assert!(st.get("Resource").is_some() || st.get("Principal").is_some(), "{st}");
            }
        }
    }
    d["instance_role"]["trust_policy"]["Statement"][0]["Principal"]["AWS"] =
        serde_json::json!(format!("arn:aws:iam::{ACCOUNT}:user/sandbox-ec2-service"));
    d["reader_role"]["trust_policy"]["Statement"][0]["Principal"]["AWS"] =
        serde_json::json!(format!("arn:aws:sts::{ACCOUNT}:assumed-role/GenInstance/{INSTANCE_ID}"));
    for (role, name) in [("instance_role", "GenInstance"), ("reader_role", "GenReader")] {
        aws_put_json(
            &w,
            &["iam", "create-role", "--role-name", name],
            &d[role]["trust_policy"],
            "--assume-role-policy-document",
        );
        aws_put_json(
            &w,
            &["iam", "put-role-policy", "--role-name", name, "--policy-name", "generated"],
            &d[role]["identity_policy"],
            "--policy-document",
        );
    }
    w.imds.set_instance_role(Some("GenInstance"));
    w.config(&d["config_profile"].as_str().unwrap().replace("[profile genreader]", "[default]"));

    let who = w.s3ro(&["whoami"]);
    assert!(who.ok().stdout().contains(":assumed-role/GenReader/"), "{}", who.stdout());
    w.s3ro(&["ls", "s3://a10e-com-s3/input/"]).ok();
    let got = w.s3ro(&["cat", "s3://a10e-com-s3/input/hello.txt"]);
    assert!(!got.ok().stdout.is_empty());
    let outside = w.s3ro(&["cat", "s3://a10e-com-s3/output/result.json"]);
    assert_eq!(outside.code, 254, "outside the prefix must be denied: {}", outside.stderr);
    assert!(
        outside.stderr.contains("s3:GetObject on arn:aws:s3:::a10e-com-s3/output/result.json"),
        "{}",
        outside.stderr
    );
    assert_eq!(w.s3ro(&["ls"]).code, 254, "s3:ListAllMyBuckets was not granted");
    let alone = w.s3ro(&["--auth", "instance-role", "ls", "s3://a10e-com-s3/input/"]);
    assert_eq!(alone.code, 254, "the instance role alone must not read");
}
