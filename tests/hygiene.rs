//! Read-only by construction and secret hygiene, checked from outside: every command runs
//! against a recording double of S3 and STS (wiremock), and against the sandbox's IMDSv2.

mod common;

use std::process::Command;

use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ENV_AKID: &str = "AKIAENVKEY0000001234";
const ENV_SECRET: &str = "SECRETenvKEYzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
const ENV_TOKEN: &str = "TOKENenvSESSIONzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
const PROFILE_AKID: &str = "AKIAPROFILEKEY005678";
const PROFILE_SECRET: &str = "SECRETprofileKEYyyyyyyyyyyyyyyyyyyyyyyyyy";
const ASSUMED_AKID: &str = "ASIAASSUMEDKEY009999";
const ASSUMED_SECRET: &str = "SECRETassumedKEYxxxxxxxxxxxxxxxxxxxxxxxxx";
const ASSUMED_TOKEN: &str = "TOKENassumedSESSIONxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

fn xml(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/xml")
        .set_body_string(body)
}

async fn double() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("Action=AssumeRole"))
        .respond_with(xml(&format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
             <Credentials><AccessKeyId>{ASSUMED_AKID}</AccessKeyId><SecretAccessKey>{ASSUMED_SECRET}</SecretAccessKey>\
             <SessionToken>{ASSUMED_TOKEN}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>\
             <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/Reader/s</Arn></AssumedRoleUser>\
             </AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
        )))
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(body_string_contains("Action=GetCallerIdentity"))
        .respond_with(xml(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
             <Arn>arn:aws:sts::111122223333:assumed-role/Reader/s</Arn><UserId>AROA:s</UserId><Account>111122223333</Account>\
             </GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        ))
        .mount(&s)
        .await;
    Mock::given(method("GET")).and(path("/")).respond_with(xml(
        "<ListAllMyBucketsResult><Buckets><Bucket><Name>b</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>",
    )).mount(&s).await;
    Mock::given(method("GET")).and(path("/b/")).and(query_param("list-type", "2")).respond_with(xml(
        "<ListBucketResult><Name>b</Name><Prefix></Prefix><IsTruncated>false</IsTruncated><Contents><Key>k.txt</Key>\
         <LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;e&quot;</ETag><Size>5</Size></Contents></ListBucketResult>",
    )).mount(&s).await;
    Mock::given(method("GET"))
        .and(path("/b/k.txt"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"hello".to_vec()))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/b/denied.txt"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("content-type", "application/xml")
                .set_body_string(
                    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                ),
        )
        .mount(&s)
        .await;
    s
}

/// A home directory with an empty config file and profile `p` holding known static keys.
fn home_with_profile() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config"), "").unwrap();
    std::fs::write(
        home.path().join("credentials"),
        format!(
            "[p]\naws_access_key_id = {PROFILE_AKID}\naws_secret_access_key = {PROFILE_SECRET}\n"
        ),
    )
    .unwrap();
    home
}

fn run(endpoint: &str, home: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_s3ro"))
        .env_clear()
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_ACCESS_KEY_ID", ENV_AKID)
        .env("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
        .env("AWS_SESSION_TOKEN", ENV_TOKEN)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1")
        .current_dir(home)
        .args(args)
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn command_matrix() -> Vec<Vec<&'static str>> {
    let mut all = Vec::new();
    let base: Vec<Vec<&'static str>> = vec![
        vec!["ls"],
        vec!["ls", "s3://b/"],
        vec!["ls", "--recursive", "--json", "--summarize", "s3://b/"],
        vec!["ls", "--versions", "s3://b/"],
        vec!["get", "s3://b/k.txt", "out.txt"],
        vec!["get", "s3://b/denied.txt", "no.txt"],
        vec!["cat", "s3://b/k.txt"],
        vec!["whoami"],
        vec!["config"],
        vec!["config", "--json"],
        vec!["doctor"],
        vec!["doctor", "--json"],
        vec!["--profile", "p", "config"],
        vec![
            "--auth",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::111122223333:role/Reader",
            "--source-profile",
            "p",
            "config",
        ],
        vec![
            "--auth",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::111122223333:role/Reader",
            "--source-profile",
            "p",
            "get",
            "s3://b/denied.txt",
            "x",
        ],
        vec!["--auth", "instance-role", "ls", "s3://b/"],
    ];
    for args in base {
        for v in [None, Some("-v"), Some("-vv")] {
            let mut a = args.clone();
            if let Some(v) = v {
                a.insert(0, v);
            }
            all.push(a);
        }
    }
    all
}

/// Every command of [`command_matrix`] against the double, off the async runtime:
/// `(command line, exit code, stdout + stderr)`.
async fn run_matrix(server: &MockServer) -> Vec<(String, i32, String)> {
    let home = home_with_profile();
    let endpoint = server.uri();
    tokio::task::spawn_blocking(move || {
        command_matrix()
            .into_iter()
            .map(|a| {
                let (code, text) = run(&endpoint, home.path(), &a);
                (a.join(" "), code, text)
            })
            .collect()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_reads_reach_s3_and_only_assume_role_or_get_caller_identity_reach_sts() {
    let server = double().await;
    let ran = run_matrix(&server).await;
    assert!(ran.len() > 30);
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs.len() > 20, "the commands reached the double");
    for r in &reqs {
        let m = r.method.as_str();
        let body = String::from_utf8_lossy(&r.body);
        let sts_ok = m == "POST"
            && r.url.path() == "/"
            && (body.contains("Action=AssumeRole&") || body.contains("Action=GetCallerIdentity&"));
        assert!(m == "GET" || m == "HEAD" || sts_ok, "{m} {} {body}", r.url);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_ever_appears_in_any_output() {
    let server = double().await;
    let outputs = run_matrix(&server).await;
    for (args, _, text) in &outputs {
        for secret in [ENV_SECRET, ENV_TOKEN, PROFILE_SECRET, ASSUMED_SECRET, ASSUMED_TOKEN] {
            assert!(!text.contains(secret), "`s3ro {args}` printed a secret:\n{text}");
        }
        for akid in [ENV_AKID, PROFILE_AKID, ASSUMED_AKID] {
            assert!(!text.contains(akid), "`s3ro {args}` printed a full access key id:\n{text}");
        }
    }
    let config = &outputs.iter().find(|(a, _, _)| a == "config").unwrap().2;
    assert!(config.contains("****************1234"), "masked key shown: {config}");
}

#[test]
fn instance_role_secrets_never_appear_even_with_vv() {
    let w = common::World::new(Some("S3ReadOnlyRole"));
    // Read the instance role's real credentials from the emulator, as any process on the
    // instance could, to know what must never be printed.
    let endpoint = &w.imds.endpoint;
    let token = http(
        &format!("{endpoint}/latest/api/token"),
        "PUT",
        &[("x-aws-ec2-metadata-token-ttl-seconds", "60")],
    );
    let doc = http(
        &format!("{endpoint}/latest/meta-data/iam/security-credentials/S3ReadOnlyRole"),
        "GET",
        &[("x-aws-ec2-metadata-token", token.trim())],
    );
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let secret = v["SecretAccessKey"].as_str().unwrap().to_string();
    let session = v["Token"].as_str().unwrap().to_string();
    let akid = v["AccessKeyId"].as_str().unwrap().to_string();
    for args in [
        vec!["-vv", "whoami"],
        vec!["-vv", "config", "--json"],
        vec!["-vv", "ls", "s3://a10e-com-s3/"],
    ] {
        let r = w.s3ro(&args);
        let text = format!("{}{}", r.stdout(), r.stderr);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        for s in [&secret, &session, &akid] {
            assert!(!text.contains(s.as_str()), "{args:?} printed a secret");
        }
    }
}

/// Minimal HTTP/1.1 client for the emulator (loopback only).
fn http(url: &str, method: &str, headers: &[(&str, &str)]) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split_once("\r\n\r\n").unwrap().1.to_string()
}
