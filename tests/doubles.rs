//! Real-AWS behaviours moto cannot produce, reproduced with a scripted HTTP double (wiremock).
//! Each test names the S3 behaviour it stands in for.

mod common;

use std::process::Command;

use common::{assert_contains_all, json_strings};

use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run s3ro against the double with static environment credentials (nothing else configured).
async fn s3ro(server: &MockServer, args: &[&str]) -> Out {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config"), "").unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_s3ro"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TZ", "UTC")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("config"))
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", server.uri())
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1")
        .args(args);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn listing(contents: &[(&str, u64)], token: Option<&str>) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>"#,
    );
    match token {
        Some(t) => xml.push_str(&format!(
            "<IsTruncated>true</IsTruncated><NextContinuationToken>{t}</NextContinuationToken>"
        )),
        None => xml.push_str("<IsTruncated>false</IsTruncated>"),
    }
    for (key, size) in contents {
        xml.push_str(&format!(
            "<Contents><Key>{key}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;0123&quot;</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
        ));
    }
    xml.push_str("</ListBucketResult>");
    xml
}

fn xml(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/xml")
        .set_body_string(body)
}

fn signed_for(region: &'static str) -> impl Fn(&Request) -> bool {
    move |r: &Request| {
        r.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains(&format!("/{region}/s3/aws4_request")))
    }
}

/// Real S3: a bucket in eu-west-1 asked through us-east-1 answers 301 PermanentRedirect with
/// `x-amz-bucket-region: eu-west-1`. s3ro retries once, signed for that region.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_region_301_is_retried_in_the_bucket_region() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .and(signed_for("us-east-1"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("x-amz-bucket-region", "eu-west-1")
                .insert_header("content-type", "application/xml")
                .set_body_string("<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Bucket>b</Bucket></Error>"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .and(signed_for("eu-west-1"))
        .respond_with(xml(listing(&[("hello.txt", 5)], None)))
        .expect(1)
        .mount(&server)
        .await;
    let r = s3ro(&server, &["ls", "s3://b/"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "2026-01-02 03:04:05          5 hello.txt\n");
}

/// Real S3: 400 AuthorizationHeaderMalformed naming the expected region in `<Region>` and no
/// header; a second redirect is not followed, and the message says which region to use.
#[tokio::test(flavor = "multi_thread")]
async fn region_in_error_body_and_redirect_loop_says_which_region() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .respond_with(ResponseTemplate::new(400).insert_header("content-type", "application/xml").set_body_string(
            "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'ap-south-1'</Message><Region>ap-south-1</Region></Error>",
        ))
        .mount(&server)
        .await;
    let r = s3ro(&server, &["ls", "s3://b/"]).await;
    assert_eq!(r.code, 254, "{}", r.stderr);
    assert!(r.stderr.contains("--region ap-south-1"), "{}", r.stderr);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2, "one retry in the named region, no more");
    assert!(signed_for("ap-south-1")(&reqs[1]));
}

/// A misbehaving S3-compatible server that returns the same continuation token forever:
/// s3ro stops with an error instead of looping.
#[tokio::test(flavor = "multi_thread")]
async fn repeated_continuation_token_stops_the_listing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .respond_with(xml(listing(&[("k", 1)], Some("SAME"))))
        .mount(&server)
        .await;
    let r = s3ro(&server, &["ls", "--recursive", "s3://b/"]).await;
    assert_eq!(r.code, 255, "{}", r.stderr);
    assert!(r.stderr.contains("same continuation token twice"), "{}", r.stderr);
    assert!(server.received_requests().await.unwrap().len() <= 3);
}

/// Real S3 returns keys with characters XML 1.0 cannot carry (newline, U+0001) only
/// URL-encoded; s3ro decodes them exactly (form encoding: `+` is a space, `%2B` a plus), prints
/// one line per object in text mode and the exact key in JSON.
#[tokio::test(flavor = "multi_thread")]
async fn url_encoded_keys_are_decoded_exactly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .and(query_param("encoding-type", "url"))
        .respond_with(xml(listing(
            &[("line%0Abreak", 1), ("a+b%2Bc", 2), ("ctl%01x%E6%9D%B1", 3)],
            None,
        )))
        .mount(&server)
        .await;
    let text = s3ro(&server, &["ls", "s3://b/"]).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert_eq!(
        text.stdout,
        "2026-01-02 03:04:05          1 line\\x0abreak\n\
         2026-01-02 03:04:05          2 a b+c\n\
         2026-01-02 03:04:05          3 ctl\\x01x東\n"
    );
    let json = s3ro(&server, &["ls", "--json", "s3://b/"]).await;
    let keys = json_strings(&json.stdout, "key");
    assert_eq!(keys, ["line\nbreak", "a b+c", "ctl\u{1}x東"]);
}

/// `--no-sign-request`: requests for a public bucket carry no Authorization header.
#[tokio::test(flavor = "multi_thread")]
async fn no_sign_request_sends_unsigned_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .respond_with(xml(listing(&[("public.txt", 9)], None)))
        .mount(&server)
        .await;
    let r = s3ro(&server, &["ls", "--no-sign-request", "s3://b/"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.ends_with(" public.txt\n"));
    for req in server.received_requests().await.unwrap() {
        assert!(req.headers.get("authorization").is_none(), "signed: {:?}", req.headers);
    }
}

/// Real S3/IAM enhanced AccessDenied message with an explicit deny in a service control policy:
/// s3ro names the action, resource and policy type and says an Allow will not help.
#[tokio::test(flavor = "multi_thread")]
async fn enhanced_access_denied_with_explicit_deny() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .respond_with(ResponseTemplate::new(403).insert_header("content-type", "application/xml").insert_header("x-amz-request-id", "REQ123").set_body_string(
            "<Error><Code>AccessDenied</Code><Message>User: arn:aws:sts::111122223333:assumed-role/Reader/s1 is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::b\" with an explicit deny in a service control policy</Message><RequestId>REQ123</RequestId></Error>",
        ))
        .mount(&server)
        .await;
    let r = s3ro(&server, &["ls", "s3://b/"]).await;
    assert_eq!(r.code, 254, "{}", r.stderr);
    assert_contains_all(
        &r.stderr,
        &[
            "AccessDenied: ListObjectsV2 on s3://b/ was refused (HTTP 403, request id REQ123)",
            "arn:aws:sts::111122223333:assumed-role/Reader/s1",
            "s3:ListBucket on arn:aws:s3:::b",
            "explicitly denied by a service control policy",
            "adding an Allow will not help",
        ],
    );
}

/// A download that is still waiting for S3 when SIGTERM or SIGHUP arrives (a slow or stalled
/// GetObject): s3ro exits 128+signal and leaves neither the temporary file nor a DEST behind.
#[tokio::test(flavor = "multi_thread")]
async fn termination_signals_leave_no_partial_file() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/slow.bin"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_bytes(vec![7u8; 1024])
                .set_delay(std::time::Duration::from_secs(20)),
        )
        .mount(&server)
        .await;
    for (sig, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_s3ro"));
        c.env_clear()
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", server.uri())
            .args(["get", "s3://b/slow.bin"])
            .arg(dir.path())
            .stderr(std::process::Stdio::piped());
        let child = c.spawn().unwrap();
        let pid = child.id().to_string();
        // Wait until the temporary file exists, i.e. s3ro is inside the download.
        for _ in 0..100 {
            if std::fs::read_dir(dir.path()).unwrap().count() > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "temporary file exists");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        Command::new("kill").args([&format!("-{sig}"), &pid]).status().unwrap();
        let out =
            tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "SIG{sig}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let left: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "SIG{sig} left {left:?}");
    }
}

/// Real S3 answers 400 ExpiredToken when session credentials expire during a long run: s3ro
/// fetches credentials again and retries once, instead of failing.
#[tokio::test(flavor = "multi_thread")]
async fn expired_token_is_refreshed_and_retried_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .respond_with(ResponseTemplate::new(400).insert_header("content-type", "application/xml").set_body_string(
            "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .respond_with(xml(listing(&[("after-refresh.txt", 3)], None)))
        .with_priority(2)
        .mount(&server)
        .await;
    let r = s3ro(&server, &["ls", "s3://b/"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.ends_with(" after-refresh.txt\n"), "{}", r.stdout);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// Requester Pays buckets (real S3 answers 403 without it): `--request-payer requester` sends
/// `x-amz-request-payer: requester` on the listing.
#[tokio::test(flavor = "multi_thread")]
async fn request_payer_header_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/"))
        .and(wiremock::matchers::header("x-amz-request-payer", "requester"))
        .respond_with(xml(listing(&[("paid.txt", 1)], None)))
        .expect(1)
        .mount(&server)
        .await;
    let r = s3ro(&server, &["ls", "--request-payer", "requester", "s3://b/"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.ends_with(" paid.txt\n"));
}

/// Real S3: GetObject of an SSE-KMS object without kms:Decrypt answers 403 AccessDenied, while
/// HeadObject (no KMS needed) shows `aws:kms` and the key id: s3ro names kms:Decrypt on it.
#[tokio::test(flavor = "multi_thread")]
async fn kms_encrypted_object_denial_names_kms_decrypt() {
    let server = MockServer::start().await;
    let key_arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    Mock::given(method("GET"))
        .and(path("/b/secret.bin"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("content-type", "application/xml")
                .set_body_string(
                    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                ),
        )
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/b/secret.bin"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-amz-server-side-encryption", "aws:kms")
                .insert_header("x-amz-server-side-encryption-aws-kms-key-id", key_arn)
                .insert_header("content-length", "10"),
        )
        .mount(&server)
        .await;
    let r = s3ro(&server, &["get", "s3://b/secret.bin", "-"]).await;
    assert_eq!(r.code, 254, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("kms:Decrypt on {key_arn}")), "{}", r.stderr);
    assert!(r.stderr.contains("SSE-KMS"), "{}", r.stderr);
}

/// Real S3: a refused HeadObject is a bare 403 with no body, so no error code: s3ro still
/// reports it as a denial of s3:GetObject.
#[tokio::test(flavor = "multi_thread")]
async fn head_403_without_body_is_a_denial() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/b/k"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let r = s3ro(&server, &["check", "--json", "--key", "k", "s3://b/"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    let get =
        v["probes"].as_array().unwrap().iter().find(|p| p["action"] == "s3:GetObject").unwrap();
    assert_eq!(get["result"], "denied (implicit)", "{v}");
}

/// A server that answers every GET with `Content-Length: 100` and only 50 bytes, then closes:
/// what a connection cut mid-body looks like to s3ro.
fn truncating_server() -> String {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in l.incoming().take(20) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nETag: \"0123456789abcdef0123456789abcdef\"\r\nConnection: close\r\n\r\n");
            let _ = s.write_all(&[b'x'; 50]);
        }
    });
    format!("http://{addr}")
}

/// Real S3 connections can drop mid-body: s3ro retries, then fails the transfer (exit 1)
/// without creating the file or touching an existing one.
#[tokio::test(flavor = "multi_thread")]
async fn truncated_body_leaves_nothing_and_keeps_the_old_file() {
    let endpoint = truncating_server();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("obj.bin");
    std::fs::write(&dest, b"previous").unwrap();
    let out = tokio::task::spawn_blocking({
        let dest = dest.clone();
        move || {
            Command::new(env!("CARGO_BIN_EXE_s3ro"))
                .env_clear()
                .env("AWS_CONFIG_FILE", "/dev/null")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
                .env("AWS_SECRET_ACCESS_KEY", "secret")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL", endpoint)
                .args(["get", "s3://b/obj.bin"])
                .arg(&dest)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("nothing was saved"), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"previous");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "temporary file left");
}

/// Real S3 throttles with 503 SlowDown: retried with backoff, then the download succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn slow_down_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/k.txt"))
        .respond_with(ResponseTemplate::new(503).insert_header("content-type", "application/xml").set_body_string(
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/b/k.txt"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"fine".to_vec()))
        .with_priority(2)
        .mount(&server)
        .await;
    let r = s3ro(&server, &["cat", "s3://b/k.txt"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "fine");
}

/// An object overwritten while its parts download: the ranged GETs carry If-Match with the
/// first response's ETag, S3 answers 412, and s3ro fails the transfer instead of mixing
/// versions.
#[tokio::test(flavor = "multi_thread")]
async fn object_changing_between_parts_fails_cleanly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/b/big.bin"))
        .and(wiremock::matchers::header_exists("range"))
        .and(wiremock::matchers::header("if-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(412).insert_header("content-type", "application/xml").set_body_string(
            "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/b/big.bin"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .set_body_bytes(vec![1u8; 3 * 1024 * 1024]),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("big.bin");
    let r = s3ro(
        &server,
        &[
            "get",
            "--part-size",
            "1",
            "--multipart-threshold",
            "1",
            "s3://b/big.bin",
            dest.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("changed during the download"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing saved");
}
