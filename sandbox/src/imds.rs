//! An IMDSv2 emulator serving instance-role credentials obtained by a real `sts:AssumeRole`.
//!
//! Follows the EC2 instance metadata service as documented in "Use the Instance Metadata Service
//! to access instance metadata" and "Retrieve security credentials from instance metadata"
//! (EC2 User Guide): `PUT /latest/api/token` with `x-aws-ec2-metadata-token-ttl-seconds`
//! (1–21600) returns a token and echoes the TTL header; every `GET` must carry the token in
//! `x-aws-ec2-metadata-token`, else 401 (IMDSv1 is off, as with `HttpTokens=required`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::Router;
use chrono::{DateTime, Utc};

/// How the emulator misbehaves, for failure tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Behave like a healthy IMDSv2.
    None,
    /// Accept the token `PUT` and never answer it (as when the hop limit is 1 and the caller is
    /// in a container: the response never comes back). GETs still answer.
    TokenPutHangs,
    /// Accept every connection and never answer anything.
    Hang,
    /// Reject every GET with 401 Unauthorized, as for an invalid or expired token.
    Unauthorized,
    /// Serve the credentials document with this `Code` instead of `Success` (e.g.
    /// `AssumeRoleUnauthorizedAccess`, what EC2 reports when the role's trust policy does not
    /// allow `ec2.amazonaws.com`).
    CredentialsCode(String),
}

impl Fault {
    /// Parse the names used by `s3ro-sandbox fault NAME`.
    pub fn parse(s: &str) -> Option<Fault> {
        Some(match s {
            "none" => Fault::None,
            "token-put-hangs" => Fault::TokenPutHangs,
            "hang" => Fault::Hang,
            "unauthorized" => Fault::Unauthorized,
            other => Fault::CredentialsCode(other.strip_prefix("code:")?.to_string()),
        })
    }
}

/// What the emulated instance looks like and where its credentials come from.
#[derive(Debug, Clone)]
pub struct ImdsConfig {
    /// STS endpoint that issues the instance role's credentials (the moto endpoint).
    pub sts_endpoint: String,
    /// Long-term key of the principal that stands in for the EC2 service.
    pub service_key: crate::moto::AccessKey,
    pub region: String,
    pub account: String,
    pub instance_id: String,
    /// Role attached through the instance profile of the same name; `None` = no instance profile.
    pub instance_role: Option<String>,
    /// `DurationSeconds` of the instance role sessions.
    pub credential_ttl: Duration,
    pub fault: Fault,
}

impl ImdsConfig {
    /// The scenario's instance on the given moto, with `role` attached.
    pub fn for_moto(moto: &crate::moto::Moto, role: Option<&str>) -> ImdsConfig {
        ImdsConfig {
            sts_endpoint: moto.endpoint.clone(),
            service_key: moto.ec2_service.clone(),
            region: moto.region.clone(),
            account: crate::ACCOUNT.to_string(),
            instance_id: crate::INSTANCE_ID.to_string(),
            instance_role: role.map(str::to_string),
            credential_ttl: Duration::from_secs(3600),
            fault: Fault::None,
        }
    }
}

struct Cached {
    creds: Credentials,
    issued: DateTime<Utc>,
}

struct Inner {
    config: Mutex<ImdsConfig>,
    tokens: Mutex<HashMap<String, SystemTime>>,
    cache: tokio::sync::Mutex<HashMap<String, Cached>>,
    sts: aws_sdk_sts::Client,
    counter: std::sync::atomic::AtomicU64,
}

/// A running IMDSv2 emulator on 127.0.0.1. Dropping it stops it.
pub struct ImdsEmulator {
    /// `http://127.0.0.1:PORT`, the value for `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub endpoint: String,
    inner: Arc<Inner>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl ImdsEmulator {
    /// Start the emulator on a free port, on its own small runtime (callable from any context).
    pub fn start(config: ImdsConfig) -> ImdsEmulator {
        Self::start_on(config, 0)
    }

    /// Start on a given port (0 = any free port).
    pub fn start_on(config: ImdsConfig, port: u16) -> ImdsEmulator {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let sts_conf = aws_sdk_sts::Config::builder()
            .region(aws_sdk_sts::config::Region::new(config.region.clone()))
            .endpoint_url(&config.sts_endpoint)
            .credentials_provider(Credentials::new(
                &config.service_key.access_key_id,
                &config.service_key.secret_access_key,
                None,
                None,
                "sandbox-ec2-service",
            ))
            .build();
        let inner = Arc::new(Inner {
            config: Mutex::new(config),
            tokens: Mutex::new(HashMap::new()),
            cache: tokio::sync::Mutex::new(HashMap::new()),
            sts: aws_sdk_sts::Client::from_conf(sts_conf),
            counter: Default::default(),
        });
        let app = Router::new()
            .route("/latest/api/token", put(token))
            .route("/latest/meta-data/iam/security-credentials/", get(role_list))
            .route("/latest/meta-data/iam/security-credentials", get(role_list))
            .route("/latest/meta-data/iam/security-credentials/{role}", get(role_credentials))
            .route("/latest/meta-data/iam/info", get(iam_info))
            .route("/latest/meta-data/placement/region", get(region))
            .route("/latest/meta-data/placement/availability-zone", get(availability_zone))
            .route("/latest/meta-data/instance-id", get(instance_id))
            .route("/latest/dynamic/instance-identity/document", get(identity_document))
            .route("/sandbox/instance-role", put(control_role))
            .route("/sandbox/fault", put(control_fault))
            .with_state(inner.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
            .expect("bind IMDS emulator");
        let addr = listener.local_addr().expect("local addr");
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ImdsEmulator { endpoint: format!("http://{addr}"), inner, runtime: Some(runtime) }
    }

    /// Attach another instance role (like replacing the instance profile), or none.
    pub fn set_instance_role(&self, role: Option<&str>) {
        self.inner.config.lock().unwrap().instance_role = role.map(str::to_string);
    }

    /// Change how the emulator misbehaves.
    pub fn set_fault(&self, fault: Fault) {
        self.inner.config.lock().unwrap().fault = fault;
    }

    /// Block until the process is asked to stop (used by the `s3ro-sandbox` binary).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.as_ref().expect("runtime").block_on(f)
    }
}

impl Drop for ImdsEmulator {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";

fn fault(s: &Inner) -> Fault {
    s.config.lock().unwrap().fault.clone()
}

async fn hang_forever() -> Response {
    tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    StatusCode::GATEWAY_TIMEOUT.into_response()
}

async fn token(State(s): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    match fault(&s) {
        Fault::TokenPutHangs | Fault::Hang => return hang_forever().await,
        _ => {}
    }
    let ttl = headers
        .get(TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|t| (1..=21600).contains(t));
    let Some(ttl) = ttl else {
        return (
            StatusCode::BAD_REQUEST,
            "missing or invalid x-aws-ec2-metadata-token-ttl-seconds",
        )
            .into_response();
    };
    let n = s.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos();
    let tok = format!("sandbox-imdsv2-token-{n}-{nanos:x}");
    s.tokens.lock().unwrap().insert(tok.clone(), SystemTime::now() + Duration::from_secs(ttl));
    let mut resp = tok.into_response();
    resp.headers_mut().insert(TTL_HEADER, HeaderValue::from(ttl));
    resp
}

/// Token check shared by every GET; `Err` is the response to send instead.
async fn authorize(s: &Inner, headers: &HeaderMap) -> Result<(), Response> {
    match fault(s) {
        Fault::Hang => return Err(hang_forever().await),
        Fault::Unauthorized => return Err(StatusCode::UNAUTHORIZED.into_response()),
        _ => {}
    }
    let ok = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| s.tokens.lock().unwrap().get(t).copied())
        .is_some_and(|exp| exp > SystemTime::now());
    if ok {
        Ok(())
    } else {
        Err(StatusCode::UNAUTHORIZED.into_response())
    }
}

fn role_of(s: &Inner) -> Option<String> {
    s.config.lock().unwrap().instance_role.clone()
}

async fn role_list(State(s): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers).await {
        return r;
    }
    match role_of(&s) {
        Some(role) => role.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn role_credentials(
    State(s): State<Arc<Inner>>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&s, &headers).await {
        return r;
    }
    if role_of(&s).as_deref() != Some(role.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Fault::CredentialsCode(code) = fault(&s) {
        let doc = serde_json::json!({
            "Code": code,
            "Message": format!("EC2 cannot assume the role {role}. Please see documentation at https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html#roles-usingrole-ec2instance-roles."),
            "LastUpdated": iso(Utc::now()),
        });
        return json(doc);
    }
    let (account, instance_id, ttl) = {
        let c = s.config.lock().unwrap();
        (c.account.clone(), c.instance_id.clone(), c.credential_ttl)
    };
    let mut cache = s.cache.lock().await;
    let fresh = cache.get(&role).is_some_and(|c| {
        // Rotate once three quarters of the lifetime have passed, well before expiry, as EC2 does.
        let exp = c.creds.expiry().unwrap_or(SystemTime::UNIX_EPOCH);
        let left = exp.duration_since(SystemTime::now()).unwrap_or_default();
        left > ttl / 4
    });
    if !fresh {
        let out = s
            .sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
            .role_session_name(&instance_id)
            .duration_seconds(ttl.as_secs() as i32)
            .send()
            .await;
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                use aws_sdk_sts::error::ProvideErrorMetadata;
                let msg = match (e.code(), e.message()) {
                    (Some(c), m) => format!("{c}: {}", m.unwrap_or("")),
                    _ => format!("HTTP {:?}", e.raw_response().map(|r| r.status().as_u16())),
                };
                return json(serde_json::json!({
                    "Code": "AssumeRoleUnauthorizedAccess",
                    "Message": format!("EC2 cannot assume the role {role}: {msg}"),
                    "LastUpdated": iso(Utc::now()),
                }));
            }
        };
        let c = out.credentials.expect("AssumeRole returns credentials");
        let exp = SystemTime::try_from(c.expiration).unwrap_or(SystemTime::now() + ttl);
        let creds = Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            Some(exp),
            "imds-emulator",
        );
        cache.insert(role.clone(), Cached { creds, issued: Utc::now() });
    }
    let c = &cache[&role];
    let exp: DateTime<Utc> = c.creds.expiry().unwrap().into();
    json(serde_json::json!({
        "Code": "Success",
        "LastUpdated": iso(c.issued),
        "Type": "AWS-HMAC",
        "AccessKeyId": c.creds.access_key_id(),
        "SecretAccessKey": c.creds.secret_access_key(),
        "Token": c.creds.session_token(),
        "Expiration": iso(exp),
    }))
}

fn json(v: serde_json::Value) -> Response {
    let mut r = serde_json::to_string_pretty(&v).unwrap().into_response();
    r.headers_mut().insert("content-type", HeaderValue::from_static("text/plain"));
    r
}

async fn iam_info(State(s): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers).await {
        return r;
    }
    let account = s.config.lock().unwrap().account.clone();
    match role_of(&s) {
        Some(role) => json(serde_json::json!({
            "Code": "Success",
            "LastUpdated": iso(Utc::now()),
            "InstanceProfileArn": format!("arn:aws:iam::{account}:instance-profile/{role}"),
            "InstanceProfileId": "AIPASANDBOXINSTANCEPROFILE",
        })),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn region(State(s): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers).await {
        return r;
    }
    s.config.lock().unwrap().region.clone().into_response()
}

async fn availability_zone(State(s): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers).await {
        return r;
    }
    // Real AZ names are not always region + letter (e.g. Local Zones): clients must not trim them.
    format!("{}a", s.config.lock().unwrap().region).into_response()
}

async fn instance_id(State(s): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers).await {
        return r;
    }
    s.config.lock().unwrap().instance_id.clone().into_response()
}

async fn identity_document(State(s): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s, &headers).await {
        return r;
    }
    let c = s.config.lock().unwrap().clone();
    json(serde_json::json!({
        "accountId": c.account,
        "architecture": "x86_64",
        "availabilityZone": format!("{}a", c.region),
        "imageId": "ami-0sandbox0000000000",
        "instanceId": c.instance_id,
        "instanceType": "t3.micro",
        "pendingTime": "2026-01-01T00:00:00Z",
        "privateIp": "10.0.0.10",
        "region": c.region,
        "version": "2017-09-30",
    }))
}

async fn control_role(State(s): State<Arc<Inner>>, body: Bytes) -> Response {
    let name = String::from_utf8_lossy(&body).trim().to_string();
    let role = (!name.is_empty() && name != "none").then_some(name);
    s.config.lock().unwrap().instance_role = role;
    StatusCode::NO_CONTENT.into_response()
}

async fn control_fault(State(s): State<Arc<Inner>>, body: Bytes) -> Response {
    match Fault::parse(String::from_utf8_lossy(&body).trim()) {
        Some(f) => {
            s.config.lock().unwrap().fault = f;
            StatusCode::NO_CONTENT.into_response()
        }
        None => (StatusCode::BAD_REQUEST, "unknown fault").into_response(),
    }
}
