//! The read-only guard: an SDK interceptor on every S3 and STS client s3ro builds that refuses,
//! before signing and sending, any request s3ro has no business making.
//!
//! * S3: only `GET` and `HEAD`, and only the read operations in [`S3_READ_OPERATIONS`].
//! * STS: only `AssumeRole` and `GetCallerIdentity`.
//!
//! A refused request is a bug in s3ro, never a user error: it is reported as such (exit 255)
//! and, failing before transmission, is never retried. This makes "s3ro never writes to S3" a
//! property of the binary even when its credentials could write.

use std::fmt;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// S3 operations s3ro may call (all are GET or HEAD requests).
pub const S3_READ_OPERATIONS: &[&str] = &[
    "ListBuckets",
    "ListObjectsV2",
    "ListObjectVersions",
    "HeadBucket",
    "GetBucketLocation",
    "GetObject",
    "HeadObject",
    "GetObjectTagging",
    "GetObjectAttributes",
    "GetObjectAcl",
];

/// STS operations s3ro may call.
pub const STS_OPERATIONS: &[&str] = &["AssumeRole", "GetCallerIdentity"];

/// Which service a guard protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    S3,
    Sts,
}

/// The interceptor. Add it with `.interceptor(ReadOnlyGuard::new(Service::S3))`.
#[derive(Debug, Clone, Copy)]
pub struct ReadOnlyGuard {
    service: Service,
}

impl ReadOnlyGuard {
    pub fn new(service: Service) -> ReadOnlyGuard {
        ReadOnlyGuard { service }
    }

    /// The decision, separate from the SDK plumbing: `Err` names what was refused.
    pub fn check(&self, operation: &str, method: &str) -> Result<(), GuardRefusal> {
        let allowed = match self.service {
            Service::S3 => {
                matches!(method, "GET" | "HEAD") && S3_READ_OPERATIONS.contains(&operation)
            }
            Service::Sts => STS_OPERATIONS.contains(&operation),
        };
        if allowed {
            Ok(())
        } else {
            Err(GuardRefusal {
                service: self.service,
                operation: operation.to_string(),
                method: method.to_string(),
            })
        }
    }
}

/// A request the guard stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardRefusal {
    pub service: Service,
    pub operation: String,
    pub method: String,
}

impl fmt::Display for GuardRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "s3ro's read-only guard refused {} {} ({:?}) before it was signed or sent; this is \
             a bug in s3ro, please report it",
            self.method, self.operation, self.service
        )
    }
}

impl std::error::Error for GuardRefusal {}

impl Intercept for ReadOnlyGuard {
    fn name(&self) -> &'static str {
        "s3ro::ReadOnlyGuard"
    }

    fn read_before_signing(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_string()).unwrap_or_default();
        let method = context.request().method().to_string();
        self.check(&operation, &method).map_err(|r| Box::new(r) as BoxError)
    }
}

/// Logs each request's operation, HTTP status and request id at `-v` (never headers or bodies,
/// so never a secret).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestLog;

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "s3ro::RequestLog"
    }

    fn read_before_deserialization(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_string()).unwrap_or_default();
        let r = context.response();
        let request_id = ["x-amz-request-id", "x-amzn-requestid"]
            .iter()
            .find_map(|h| r.headers().get(*h))
            .unwrap_or("-");
        tracing::debug!(operation = %operation, status = r.status().as_u16(), request_id, "response");
        Ok(())
    }
}

/// Whether an error (or any of its causes) is a guard refusal.
pub fn refusal_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a GuardRefusal> {
    let mut cur: Option<&'a (dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(r) = c.downcast_ref::<GuardRefusal>() {
            return Some(r);
        }
        cur = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let s3 = ReadOnlyGuard::new(Service::S3);
        assert!(s3.check("GetObject", "GET").is_ok());
        assert!(s3.check("HeadObject", "HEAD").is_ok());
        assert!(s3.check("PutObject", "PUT").is_err());
        assert!(s3.check("DeleteObjects", "POST").is_err());
        assert!(s3.check("GetObject", "POST").is_err(), "method and operation must both be read");
        let sts = ReadOnlyGuard::new(Service::Sts);
        assert!(sts.check("AssumeRole", "POST").is_ok());
        assert!(sts.check("GetSessionToken", "POST").is_err());
    }

    /// Forged writes through a guarded client are refused before anything reaches the network:
    /// the listener below would record any connection.
    #[tokio::test]
    async fn forged_writes_never_leave_the_process() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let conf = aws_sdk_s3::Config::builder()
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .force_path_style(true)
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKID", "SECRET", None, None, "t",
            ))
            .interceptor(ReadOnlyGuard::new(Service::S3))
            .build();
        let s3 = aws_sdk_s3::Client::from_conf(conf);
        let put = s3.put_object().bucket("b").key("k").body(b"x".to_vec().into()).send().await;
        let del = s3.delete_object().bucket("b").key("k").send().await;
        let post = s3
            .delete_objects()
            .bucket("b")
            .delete(
                aws_sdk_s3::types::Delete::builder()
                    .objects(
                        aws_sdk_s3::types::ObjectIdentifier::builder().key("k").build().unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await;
        for (what, r) in [
            ("PUT", put.err().map(|e| Box::new(e) as Box<dyn std::error::Error>)),
            ("DELETE", del.err().map(|e| Box::new(e) as Box<dyn std::error::Error>)),
            ("POST", post.err().map(|e| Box::new(e) as Box<dyn std::error::Error>)),
        ] {
            let e = r.unwrap_or_else(|| panic!("{what} succeeded"));
            let refusal = refusal_in(e.as_ref())
                .unwrap_or_else(|| panic!("{what}: not refused by the guard: {e}"));
            assert_eq!(refusal.method, what);
        }
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a connection reached the network"
        );
    }
}
