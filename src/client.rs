//! The one place that talks to S3 and STS: builds the clients from a resolved [`Auth`], makes
//! every call, and turns SDK errors into s3ro's [`Error`] (refusals go through [`diagnose`]).
//! Commands receive s3ro's own types ([`ObjectItem`], [`ListPage`], …), never SDK types.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::RequestId;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use chrono::{DateTime, Utc};

use crate::auth::Auth;
use crate::diagnose::{self, Operation, Principal, ServiceErrorInfo, Target};
use crate::error::Error;

/// A bucket from ListBuckets.
#[derive(Debug, Clone)]
pub struct BucketItem {
    pub name: String,
    pub creation_date: Option<DateTime<Utc>>,
}

/// An object from ListObjectsV2. `key` is the exact key.
#[derive(Debug, Clone)]
pub struct ObjectItem {
    pub key: String,
    /// Bytes.
    pub size: i64,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// One ListObjectsV2 page: common prefixes (with a delimiter), then objects.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub prefixes: Vec<String>,
    pub objects: Vec<ObjectItem>,
    /// `NextContinuationToken` when the listing is truncated.
    pub next_token: Option<String>,
}

/// What to list.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub bucket: String,
    pub prefix: String,
    /// `Some("/")` for a directory-style listing, `None` for every key under the prefix.
    pub delimiter: Option<String>,
    /// `MaxKeys` per request (S3 default: 1000).
    pub page_size: Option<i32>,
}

/// An object's body, streaming, with what GetObject said about it.
#[derive(Debug)]
pub struct ObjectBody {
    pub body: ByteStream,
    /// `Content-Length` in bytes, when sent.
    pub content_length: Option<i64>,
    pub etag: Option<String>,
}

/// The caller's identity from `sts:GetCallerIdentity`.
#[derive(Debug, Clone)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// S3 and STS clients sharing one credentials provider and one region.
#[derive(Debug)]
pub struct Clients {
    s3: aws_sdk_s3::Client,
    auth: Auth,
    principal: tokio::sync::OnceCell<Option<String>>,
}

impl Clients {
    /// Build the clients. With a custom endpoint (`--endpoint-url` or `AWS_ENDPOINT_URL`),
    /// S3 uses path-style addressing, as S3-compatible servers expect.
    pub fn new(auth: &Auth) -> Clients {
        let conf = auth
            .sdk_config
            .to_builder()
            .credentials_provider(auth.provider())
            .build();
        let path_style = conf.endpoint_url().is_some();
        let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(path_style)
            .build();
        Clients {
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            auth: auth.clone(),
            principal: tokio::sync::OnceCell::new(),
        }
    }

    /// The resolved credential mode and region.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    fn sts(&self) -> aws_sdk_sts::Client {
        let conf = self
            .auth
            .sdk_config
            .to_builder()
            .credentials_provider(self.auth.provider())
            .build();
        aws_sdk_sts::Client::new(&conf)
    }

    /// `sts:GetCallerIdentity`. Errors: [`Error::Service`] or [`Error::Other`].
    pub async fn caller_identity(&self) -> Result<Identity, Error> {
        let out = self.sts().get_caller_identity().send().await.map_err(|e| {
            let info = error_info(&e);
            match info.code {
                Some(code) => Error::Service(format!(
                    "{code}: {} (GetCallerIdentity)",
                    info.message.unwrap_or_default()
                )),
                None => Error::Other(format!(
                    "GetCallerIdentity failed: {}",
                    DisplayErrorContext(&e)
                )),
            }
        })?;
        Ok(Identity {
            account: out.account.unwrap_or_default(),
            arn: out.arn.unwrap_or_default(),
            user_id: out.user_id.unwrap_or_default(),
        })
    }

    /// The caller's ARN, asked once per run and only when needed (after a refusal).
    pub async fn principal(&self) -> Principal {
        let arn = self
            .principal
            .get_or_init(|| async { self.caller_identity().await.ok().map(|i| i.arn) })
            .await
            .clone();
        Principal {
            arn,
            credential_source: self.auth.source().map(|s| s.to_string()),
        }
    }

    /// Turn a failed S3 call into an [`Error`]: a refusal becomes a [`diagnose::Denial`] naming
    /// the principal, action and resource; other service errors keep their code and message.
    pub async fn fail<E>(
        &self,
        op: Operation,
        target: &Target,
        err: SdkError<E, HttpResponse>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let info = error_info(&err);
        if info.is_denial() {
            let principal = self.principal().await;
            let partition = diagnose::partition_for_region(&self.auth.region);
            let d = diagnose::explain(op, target, &info, principal, partition);
            return Error::Denied(Box::new(d));
        }
        match (&err, &info.code) {
            (SdkError::ServiceError(_), Some(code)) => {
                let msg = info.message.clone().unwrap_or_default();
                let hint = match code.as_str() {
                    "NoSuchBucket" => " — check the bucket name".to_string(),
                    "NoSuchKey" => {
                        " — check the key (keys are case-sensitive and exact)".to_string()
                    }
                    "ExpiredToken" => " — the session credentials expired".to_string(),
                    "InvalidAccessKeyId" | "SignatureDoesNotMatch" => {
                        " — the credentials are not valid for this endpoint".to_string()
                    }
                    _ => String::new(),
                };
                Error::Service(format!(
                    "{code}: {msg} ({} on {}){hint}",
                    op.name(),
                    target.display()
                ))
            }
            (SdkError::ServiceError(_), None) => Error::Service(format!(
                "{} on {} failed with HTTP {}",
                op.name(),
                target.display(),
                info.status.unwrap_or(0)
            )),
            _ => Error::Other(format!(
                "{} on {} failed: {}",
                op.name(),
                target.display(),
                DisplayErrorContext(&err)
            )),
        }
    }

    /// ListBuckets, following continuation tokens.
    pub async fn list_buckets(&self) -> Result<Vec<BucketItem>, Error> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = self
                .s3
                .list_buckets()
                .set_continuation_token(token.clone())
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    return Err(self
                        .fail(Operation::ListBuckets, &Target::default(), e)
                        .await)
                }
            };
            for b in resp.buckets.unwrap_or_default() {
                out.push(BucketItem {
                    name: b.name.unwrap_or_default(),
                    creation_date: b.creation_date.and_then(to_chrono),
                });
            }
            match resp.continuation_token {
                Some(t) if !t.is_empty() && Some(&t) != token.as_ref() => token = Some(t),
                _ => break,
            }
        }
        Ok(out)
    }

    /// One ListObjectsV2 page.
    pub async fn list_page(
        &self,
        req: &ListRequest,
        token: Option<&str>,
    ) -> Result<ListPage, Error> {
        let resp = self
            .s3
            .list_objects_v2()
            .bucket(&req.bucket)
            .prefix(&req.prefix)
            .set_delimiter(req.delimiter.clone())
            .set_max_keys(req.page_size)
            .set_continuation_token(token.map(str::to_string))
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                return Err(self
                    .fail(Operation::ListObjectsV2, &Target::bucket(&req.bucket), e)
                    .await)
            }
        };
        let prefixes = resp
            .common_prefixes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.prefix)
            .collect();
        let objects = resp
            .contents
            .unwrap_or_default()
            .into_iter()
            .map(|o| ObjectItem {
                key: o.key.unwrap_or_default(),
                size: o.size.unwrap_or(0),
                last_modified: o.last_modified.and_then(to_chrono),
                etag: o.e_tag,
                storage_class: o.storage_class.map(|s| s.as_str().to_string()),
            })
            .collect();
        let next_token = if resp.is_truncated == Some(true) {
            resp.next_continuation_token
        } else {
            None
        };
        Ok(ListPage {
            prefixes,
            objects,
            next_token,
        })
    }

    /// GetObject: the body as a stream. Errors go through [`Clients::fail`].
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<ObjectBody, Error> {
        let resp = self.s3.get_object().bucket(bucket).key(key).send().await;
        match resp {
            Ok(r) => Ok(ObjectBody {
                body: r.body,
                content_length: r.content_length,
                etag: r.e_tag,
            }),
            Err(e) => Err(self
                .fail(Operation::GetObject, &Target::object(bucket, key), e)
                .await),
        }
    }
}

/// Status, code, message and request id of a failed call.
pub fn error_info<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> ServiceErrorInfo {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, message) = match err {
        SdkError::ServiceError(se) => (
            se.err().code().map(str::to_string),
            se.err().message().map(str::to_string),
        ),
        _ => (None, None),
    };
    let request_id = err.request_id().map(str::to_string);
    ServiceErrorInfo {
        status,
        code,
        message,
        request_id,
    }
}

fn to_chrono(t: aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
