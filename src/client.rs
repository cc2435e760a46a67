//! The one place that talks to S3 and STS: builds the clients from a resolved [`Auth`], makes
//! every call, and turns SDK errors into s3ro's [`Error`] (refusals go through [`diagnose`]).
//! Commands receive s3ro's own types ([`ObjectItem`], [`ListPage`], …), never SDK types.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Mutex;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::RequestId;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{EncodingType, RequestPayer};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use chrono::{DateTime, Utc};

use crate::auth::Auth;
use crate::diagnose::{self, Operation, Principal, ServiceErrorInfo, Target};
use crate::error::Error;
use crate::guard::{ReadOnlyGuard, Service as GuardedService};

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
    /// Send `x-amz-request-payer: requester` (Requester Pays buckets).
    pub requester_pays: bool,
}

impl ListRequest {
    fn target(&self) -> Target {
        Target { requester_pays: self.requester_pays, ..Target::bucket(&self.bucket) }
    }
}

/// Follows ListObjectsV2 continuation tokens; refuses a token S3 already returned.
pub struct ListPager {
    req: ListRequest,
    token: Option<String>,
    seen: HashSet<String>,
    done: bool,
}

impl ListPager {
    /// Start listing `req` from the first page.
    pub fn new(req: ListRequest) -> ListPager {
        ListPager { req, token: None, seen: HashSet::new(), done: false }
    }

    /// The next page, or `None` after the last one.
    pub async fn next(&mut self, clients: &Clients) -> Result<Option<ListPage>, Error> {
        if self.done {
            return Ok(None);
        }
        let page = clients.list_page(&self.req, self.token.as_deref()).await?;
        match &page.next_token {
            Some(t) if !self.seen.insert(t.clone()) => {
                return Err(Error::Other(format!(
                    "S3 returned the same continuation token twice while listing s3://{}/{}; \
                     stopping instead of looping",
                    self.req.bucket, self.req.prefix
                )))
            }
            Some(t) => self.token = Some(t.clone()),
            None => self.done = true,
        }
        Ok(Some(page))
    }
}

/// One object version or delete marker from ListObjectVersions.
#[derive(Debug, Clone)]
pub struct VersionItem {
    pub key: String,
    pub version_id: String,
    pub is_latest: bool,
    pub delete_marker: bool,
    /// Bytes (0 for a delete marker).
    pub size: i64,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
}

/// One ListObjectVersions page: common prefixes, then versions and delete markers in key order.
#[derive(Debug, Clone, Default)]
pub struct VersionPage {
    pub prefixes: Vec<String>,
    pub versions: Vec<VersionItem>,
    /// `(NextKeyMarker, NextVersionIdMarker)` when truncated.
    pub next: Option<(String, Option<String>)>,
}

/// An object's body, streaming, with what GetObject said about it.
#[derive(Debug)]
pub struct ObjectBody {
    pub body: ByteStream,
    /// `Content-Length` in bytes, when sent (the range's length for a ranged GET).
    pub content_length: Option<i64>,
    pub etag: Option<String>,
    /// The whole object's size: from `Content-Range` (`bytes A-B/TOTAL`) or, without a range,
    /// `Content-Length`.
    pub total_size: Option<u64>,
    /// `x-amz-server-side-encryption` (`AES256`, `aws:kms`, …).
    pub sse: Option<String>,
    /// `Content-Encoding` as stored (s3ro never decodes it).
    pub content_encoding: Option<String>,
}

/// Options of one GetObject.
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    pub version_id: Option<String>,
    /// `Range` header value, e.g. `bytes=0-1023`.
    pub range: Option<String>,
    /// `If-Match`: fail (412) if the object's ETag changed, so parts never mix versions.
    pub if_match: Option<String>,
    pub requester_pays: bool,
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
    s3_conf: aws_sdk_s3::Config,
    auth: Auth,
    principal: tokio::sync::OnceCell<Option<String>>,
    /// Buckets found to live in another region (301 / `x-amz-bucket-region`), with a client
    /// for that region; remembered for the rest of the run.
    regional: Mutex<HashMap<String, aws_sdk_s3::Client>>,
}

impl Clients {
    /// Build the clients. With a custom endpoint (`--endpoint-url` or `AWS_ENDPOINT_URL`),
    /// S3 uses path-style addressing, as S3-compatible servers expect.
    pub fn new(auth: &Auth) -> Clients {
        let mut conf = auth.sdk_config.to_builder();
        if !auth.is_anonymous() {
            conf = conf.credentials_provider(auth.provider());
        }
        let conf = conf.build();
        let path_style = conf.endpoint_url().is_some();
        let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(path_style)
            .interceptor(ReadOnlyGuard::new(GuardedService::S3))
            .interceptor(crate::guard::RequestLog)
            .build();
        Clients {
            s3: aws_sdk_s3::Client::from_conf(s3_conf.clone()),
            s3_conf,
            auth: auth.clone(),
            principal: tokio::sync::OnceCell::new(),
            regional: Mutex::new(HashMap::new()),
        }
    }

    /// The S3 client for a bucket: the one of the bucket's region once a redirect named it.
    fn s3_for(&self, bucket: &str) -> aws_sdk_s3::Client {
        self.regional.lock().unwrap().get(bucket).cloned().unwrap_or_else(|| self.s3.clone())
    }

    /// Run `call` against the bucket's client; when S3 answers that the bucket lives in another
    /// region (301 PermanentRedirect, or 400 AuthorizationHeaderMalformed, with
    /// `x-amz-bucket-region` or a `<Region>` in the body), switch to that region for this bucket
    /// and try once more. The SDK itself never follows these redirects.
    async fn with_region<T, E, F, Fut>(
        &self,
        bucket: &str,
        call: F,
    ) -> Result<T, SdkError<E, HttpResponse>>
    where
        F: Fn(aws_sdk_s3::Client) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata,
    {
        let first = match call(self.s3_for(bucket)).await {
            Err(e) if is_expired_token(&e) => {
                // Session credentials expired mid-run: fetch new ones once and retry, instead of
                // failing this and every later request.
                tracing::info!("credentials expired (ExpiredToken); refreshing and retrying once");
                self.auth.refresh().await;
                call(self.s3_for(bucket)).await
            }
            r => r,
        };
        match first {
            Err(e) => {
                let known = self.regional.lock().unwrap().contains_key(bucket);
                match redirect_region(&e) {
                    Some(region) if !known => {
                        tracing::info!(bucket, region = %region, "bucket is in another region; retrying there");
                        let conf = self
                            .s3_conf
                            .to_builder()
                            .region(aws_sdk_s3::config::Region::new(region))
                            .build();
                        let client = aws_sdk_s3::Client::from_conf(conf);
                        self.regional.lock().unwrap().insert(bucket.to_string(), client.clone());
                        call(client).await
                    }
                    _ => Err(e),
                }
            }
            ok => ok,
        }
    }

    /// The resolved credential mode and region.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    fn sts(&self) -> aws_sdk_sts::Client {
        let conf =
            self.auth.sdk_config.to_builder().credentials_provider(self.auth.provider()).build();
        sts_client(&conf)
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
                None => {
                    Error::Other(format!("GetCallerIdentity failed: {}", DisplayErrorContext(&e)))
                }
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
        if self.auth.is_anonymous() {
            return Principal {
                arn: Some("anonymous (unsigned request)".to_string()),
                credential_source: Some("--auth anonymous".to_string()),
            };
        }
        let arn = self
            .principal
            .get_or_init(|| async { self.caller_identity().await.ok().map(|i| i.arn) })
            .await
            .clone();
        Principal { arn, credential_source: self.auth.source().map(|s| s.to_string()) }
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
        if let Some(r) = crate::guard::refusal_in(&err) {
            return Error::Other(r.to_string());
        }
        let info = error_info(&err);
        if info.is_denial() {
            let principal = self.principal().await;
            let partition = diagnose::partition_for_region(&self.auth.region);
            let d = diagnose::explain(op, target, &info, principal, partition);
            return Error::Denied(Box::new(d));
        }
        if let Some(region) = redirect_region(&err) {
            return Error::Service(format!(
                "{} on {}: the bucket is in region {region}, not {}; run with --region {region}",
                op.name(),
                target.display(),
                self.auth.region
            ));
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
                error_chain(&err)
            )),
        }
    }

    /// ListBuckets, following continuation tokens.
    pub async fn list_buckets(&self) -> Result<Vec<BucketItem>, Error> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = self.s3.list_buckets().set_continuation_token(token.clone()).send().await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    return Err(self.fail(Operation::ListBuckets, &Target::default(), e).await)
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

    /// One ListObjectsV2 page. Keys and prefixes are requested URL-encoded
    /// (`EncodingType=url`, so that characters XML 1.0 cannot carry survive) and decoded here:
    /// the `key` fields are exact.
    pub async fn list_page(
        &self,
        req: &ListRequest,
        token: Option<&str>,
    ) -> Result<ListPage, Error> {
        let resp = self
            .with_region(&req.bucket, |s3| {
                s3.list_objects_v2()
                    .bucket(&req.bucket)
                    .prefix(&req.prefix)
                    .set_delimiter(req.delimiter.clone())
                    .set_max_keys(req.page_size)
                    .encoding_type(EncodingType::Url)
                    .set_request_payer(req.requester_pays.then_some(RequestPayer::Requester))
                    .set_continuation_token(token.map(str::to_string))
                    .send()
            })
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return Err(self.fail(Operation::ListObjectsV2, &req.target(), e).await),
        };
        let dec = decoder(resp.encoding_type.as_ref());
        let prefixes = common_prefixes(resp.common_prefixes, &dec);
        let objects = resp
            .contents
            .unwrap_or_default()
            .into_iter()
            .map(|o| ObjectItem {
                key: dec(o.key.unwrap_or_default()),
                size: o.size.unwrap_or(0),
                last_modified: o.last_modified.and_then(to_chrono),
                etag: o.e_tag,
                storage_class: o.storage_class.map(|s| s.as_str().to_string()),
            })
            .collect();
        let next_token =
            if resp.is_truncated == Some(true) { resp.next_continuation_token } else { None };
        Ok(ListPage { prefixes, objects, next_token })
    }

    /// One ListObjectVersions page (keys URL-encoded on the wire, decoded here).
    pub async fn list_versions_page(
        &self,
        req: &ListRequest,
        marker: Option<&(String, Option<String>)>,
    ) -> Result<VersionPage, Error> {
        let resp = self
            .with_region(&req.bucket, |s3| {
                s3.list_object_versions()
                    .bucket(&req.bucket)
                    .prefix(&req.prefix)
                    .set_delimiter(req.delimiter.clone())
                    .set_max_keys(req.page_size)
                    .encoding_type(EncodingType::Url)
                    .set_request_payer(req.requester_pays.then_some(RequestPayer::Requester))
                    .set_key_marker(marker.map(|m| m.0.clone()))
                    .set_version_id_marker(marker.and_then(|m| m.1.clone()))
                    .send()
            })
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return Err(self.fail(Operation::ListObjectVersions, &req.target(), e).await),
        };
        let dec = decoder(resp.encoding_type.as_ref());
        let prefixes = common_prefixes(resp.common_prefixes, &dec);
        let mut versions: Vec<VersionItem> = resp
            .versions
            .unwrap_or_default()
            .into_iter()
            .map(|v| VersionItem {
                key: dec(v.key.unwrap_or_default()),
                version_id: v.version_id.unwrap_or_else(|| "null".into()),
                is_latest: v.is_latest.unwrap_or(false),
                delete_marker: false,
                size: v.size.unwrap_or(0),
                last_modified: v.last_modified.and_then(to_chrono),
                etag: v.e_tag,
            })
            .collect();
        versions.extend(resp.delete_markers.unwrap_or_default().into_iter().map(|d| VersionItem {
            key: dec(d.key.unwrap_or_default()),
            version_id: d.version_id.unwrap_or_else(|| "null".into()),
            is_latest: d.is_latest.unwrap_or(false),
            delete_marker: true,
            size: 0,
            last_modified: d.last_modified.and_then(to_chrono),
            etag: None,
        }));
        // S3 lists versions and delete markers in one sequence; the SDK splits them in two.
        // Restore key order, the current version first, then newest to oldest.
        versions.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then(b.is_latest.cmp(&a.is_latest))
                .then(b.last_modified.cmp(&a.last_modified))
        });
        let next = if resp.is_truncated == Some(true) {
            resp.next_key_marker.map(|k| (dec(k), resp.next_version_id_marker))
        } else {
            None
        };
        Ok(VersionPage { prefixes, versions, next })
    }

    /// GetObject: the body as a stream. Errors go through [`Clients::fail`].
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<ObjectBody, Error> {
        self.get_object_with(bucket, key, &GetOptions::default()).await
    }

    /// GetObject with a version, range, `If-Match` or requester-pays. An archived object
    /// (S3 answers InvalidObjectState) is [`Error::Skipped`]; a changed object under `If-Match`
    /// (412) is [`Error::Service`].
    pub async fn get_object_with(
        &self,
        bucket: &str,
        key: &str,
        o: &GetOptions,
    ) -> Result<ObjectBody, Error> {
        let resp = self
            .with_region(bucket, |s3| {
                s3.get_object()
                    .bucket(bucket)
                    .key(key)
                    .set_version_id(o.version_id.clone())
                    .set_range(o.range.clone())
                    .set_if_match(o.if_match.clone())
                    .set_request_payer(o.requester_pays.then_some(RequestPayer::Requester))
                    .send()
            })
            .await;
        match resp {
            Ok(r) => {
                let total_size = match (&r.content_range, o.range.is_some()) {
                    (Some(cr), _) => cr.rsplit('/').next().and_then(|t| t.parse().ok()),
                    (None, false) => r.content_length.map(|l| l as u64),
                    (None, true) => None,
                };
                Ok(ObjectBody {
                    body: r.body,
                    content_length: r.content_length,
                    etag: r.e_tag,
                    total_size,
                    sse: r.server_side_encryption.map(|s| s.as_str().to_string()),
                    content_encoding: r.content_encoding,
                })
            }
            Err(e) => {
                let code = e.code().map(str::to_string);
                let status = e.raw_response().map(|r| r.status().as_u16());
                if code.as_deref() == Some("InvalidObjectState") {
                    return Err(Error::Skipped(format!(
                        "archived: restore first (s3://{bucket}/{key} is in an archive storage \
                         class and has not been restored)"
                    )));
                }
                if status == Some(412) && o.if_match.is_some() {
                    return Err(Error::TransferFailed(format!(
                        "s3://{bucket}/{key} changed during the download (its ETag no longer \
                         matches); nothing was saved"
                    )));
                }
                let mut target = Target::object(bucket, key);
                target.version_id = o.version_id.clone();
                target.requester_pays = o.requester_pays;
                let mut err = self.fail(Operation::GetObject, &target, e).await;
                if let Error::Denied(d) = &mut err {
                    self.add_kms_hint(bucket, key, d).await;
                }
                Err(err)
            }
        }
    }

    /// A GetObject refusal on an object encrypted with SSE-KMS is usually a missing
    /// `kms:Decrypt` on its key: when HeadObject (which needs no KMS access) shows
    /// `x-amz-server-side-encryption: aws:kms`, name that action and key ARN.
    async fn add_kms_hint(&self, bucket: &str, key: &str, d: &mut diagnose::Denial) {
        if d.action.starts_with("kms:") {
            return;
        }
        let Ok(head) =
            self.with_region(bucket, |s3| s3.head_object().bucket(bucket).key(key).send()).await
        else {
            return;
        };
        if head.server_side_encryption.as_ref().map(|s| s.as_str()) != Some("aws:kms") {
            return;
        }
        let key_arn = head.ssekms_key_id.unwrap_or_else(|| "the object's KMS key".to_string());
        diagnose::apply_kms(d, &key_arn);
    }

    /// HeadObject: size and ETag, or the refusal explained.
    pub async fn head_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<(i64, Option<String>), Error> {
        match self.with_region(bucket, |s3| s3.head_object().bucket(bucket).key(key).send()).await {
            Ok(h) => Ok((h.content_length.unwrap_or(0), h.e_tag)),
            Err(e) => Err(self.fail(Operation::HeadObject, &Target::object(bucket, key), e).await),
        }
    }

    /// GetObject of the first byte only (`Range: bytes=0-0`), for probes.
    pub async fn get_first_byte(&self, bucket: &str, key: &str) -> Result<(), Error> {
        let r = self
            .with_region(bucket, |s3| {
                s3.get_object().bucket(bucket).key(key).range("bytes=0-0").send()
            })
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) => Err(self.fail(Operation::GetObject, &Target::object(bucket, key), e).await),
        }
    }

    /// GetBucketLocation: the bucket's region (`us-east-1` for an empty constraint).
    pub async fn bucket_location(&self, bucket: &str) -> Result<String, Error> {
        match self.with_region(bucket, |s3| s3.get_bucket_location().bucket(bucket).send()).await {
            Ok(l) => Ok(l
                .location_constraint
                .map(|c| c.as_str().to_string())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "us-east-1".to_string())),
            Err(e) => {
                Err(self.fail(Operation::GetBucketLocation, &Target::bucket(bucket), e).await)
            }
        }
    }

    /// GetObjectTagging: the number of tags.
    pub async fn object_tagging(&self, bucket: &str, key: &str) -> Result<usize, Error> {
        match self
            .with_region(bucket, |s3| s3.get_object_tagging().bucket(bucket).key(key).send())
            .await
        {
            Ok(t) => Ok(t.tag_set.len()),
            Err(e) => {
                Err(self.fail(Operation::GetObjectTagging, &Target::object(bucket, key), e).await)
            }
        }
    }
}

/// An STS client with the read-only guard (only AssumeRole and GetCallerIdentity pass).
pub fn sts_client(conf: &aws_types::SdkConfig) -> aws_sdk_sts::Client {
    let c = aws_sdk_sts::config::Builder::from(conf)
        .interceptor(ReadOnlyGuard::new(GuardedService::Sts))
        .interceptor(crate::guard::RequestLog)
        .build();
    aws_sdk_sts::Client::from_conf(c)
}

/// Status, code, message and request id of a failed call.
pub fn error_info<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> ServiceErrorInfo {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, message) = match err {
        SdkError::ServiceError(se) => {
            (se.err().code().map(str::to_string), se.err().message().map(str::to_string))
        }
        _ => (None, None),
    };
    let request_id = err.request_id().map(str::to_string);
    ServiceErrorInfo { status, code, message, request_id }
}

/// An error and its causes as one line (`a: b: c`), without the SDK's debug dump.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        src = s.source();
    }
    // Some errors span lines (file name, then the problem): keep s3ro's one-line messages.
    out.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The key decoder for a listing answer: [`decode_key`] when S3 says it URL-encoded the keys.
fn decoder(encoding: Option<&EncodingType>) -> impl Fn(String) -> String {
    let encoded = encoding == Some(&EncodingType::Url);
    move |s: String| if encoded { decode_key(&s) } else { s }
}

fn common_prefixes(
    cp: Option<Vec<aws_sdk_s3::types::CommonPrefix>>,
    dec: &impl Fn(String) -> String,
) -> Vec<String> {
    cp.unwrap_or_default().into_iter().filter_map(|p| p.prefix.map(dec)).collect()
}

/// Decode a key as S3 encodes it with `EncodingType=url`: form encoding (`+` is a space,
/// `%XX` a byte of the UTF-8 key).
pub fn decode_key(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

fn is_expired_token<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    matches!(err, SdkError::ServiceError(se) if matches!(se.err().code(), Some("ExpiredToken" | "TokenRefreshRequired")))
}

/// The region S3 says a bucket lives in, from a 301/400 answer: `x-amz-bucket-region`, or a
/// `<Region>` element in the error body.
fn redirect_region<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<String> {
    let raw = err.raw_response()?;
    let status = raw.status().as_u16();
    let code = match err {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    };
    let redirect =
        status == 301 || matches!(code, Some("PermanentRedirect" | "AuthorizationHeaderMalformed"));
    if !redirect {
        return None;
    }
    if let Some(r) = raw.headers().get("x-amz-bucket-region") {
        return Some(r.to_string()).filter(|r| !r.is_empty());
    }
    let body = std::str::from_utf8(raw.body().bytes()?).ok()?;
    let start = body.find("<Region>")? + "<Region>".len();
    let end = body[start..].find("</Region>")? + start;
    Some(body[start..end].to_string()).filter(|r| !r.is_empty())
}

fn to_chrono(t: aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
