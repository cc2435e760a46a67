//! Credential modes: turn [`Settings`] into a credentials provider, a region, and a record of
//! where both came from.
//!
//! s3ro builds the provider chain itself from aws-config's parts, so it can say which source
//! produced the credentials (`aws configure list` calls them `env`, `iam-role`, `assume-role`,
//! …), bound the time an unreachable instance metadata service (IMDS) can cost, and explain a
//! failure in terms of the user's setup. Follows "Configuration and credential file settings"
//! and "Use an IAM role in the AWS CLI" (AWS CLI User Guide) and "Retrieve security credentials
//! from instance metadata" (EC2 User Guide).

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use aws_config::imds;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::{Profile, ProfileSet};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_types::os_shim_internal::{Env, Fs};

use crate::cli::{AuthMode, RoleRequest, Settings};
use crate::error::Error;

/// IMDS timeouts: one connect and one read second, two attempts. Together with the "IMDS is
/// down" memo in [`Imds`], an unreachable or silent metadata service costs about 2 s in all,
/// not seconds per lookup.
const IMDS_TIMEOUT: Duration = Duration::from_secs(1);
const IMDS_ATTEMPTS: u32 = 2;

/// Where credentials came from. [`CredentialSource::kind`] gives the name `aws configure list`
/// uses; `Display` gives the whole chain, e.g. `assume-role
/// arn:aws:iam::123456789012:role/S3ReadOnlyRole ← iam-role (IMDSv2, role SwitchOnlyRole)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`).
    Env,
    /// Static keys of a named profile in the shared credentials or config file.
    ProfileKeys { profile: String },
    /// The EC2 instance role, via IMDSv2.
    InstanceRole { role: Option<String> },
    /// A role assumed with `sts:AssumeRole`, from base credentials.
    AssumeRole { role_arn: String, base: Box<CredentialSource> },
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (e.g. EKS IRSA).
    WebIdentity,
    /// The ECS/EKS container credentials endpoint.
    Container,
    /// Another kind of profile (credential_process, SSO, …) handled by aws-config.
    OtherProfile { profile: String },
}

impl CredentialSource {
    /// The credential type as `aws configure list` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            CredentialSource::Env => "env",
            CredentialSource::ProfileKeys { .. } => "shared-credentials-file",
            CredentialSource::InstanceRole { .. } => "iam-role",
            CredentialSource::AssumeRole { .. } => "assume-role",
            CredentialSource::WebIdentity => "assume-role-with-web-identity",
            CredentialSource::Container => "container-role",
            CredentialSource::OtherProfile { .. } => "config-file",
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Env => write!(f, "env (AWS_ACCESS_KEY_ID)"),
            CredentialSource::ProfileKeys { profile } => {
                write!(f, "shared-credentials-file (profile {profile}, long-term keys)")
            }
            CredentialSource::InstanceRole { role: Some(r) } => {
                write!(f, "iam-role (IMDSv2, role {r})")
            }
            CredentialSource::InstanceRole { role: None } => write!(f, "iam-role (IMDSv2)"),
            CredentialSource::AssumeRole { role_arn, base } => {
                write!(f, "assume-role {role_arn} ← {base}")
            }
            CredentialSource::WebIdentity => write!(f, "assume-role-with-web-identity"),
            CredentialSource::Container => write!(f, "container-role"),
            CredentialSource::OtherProfile { profile } => {
                write!(f, "config-file (profile {profile})")
            }
        }
    }
}

/// Where the region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionSource {
    Flag,
    /// `AWS_REGION` or `AWS_DEFAULT_REGION` (the variable that set it).
    Env(&'static str),
    Profile,
    Imds,
    /// Nothing configured; S3's default region.
    Default,
}

impl RegionSource {
    /// The name `aws configure list` uses in its Type column.
    pub fn kind(self) -> &'static str {
        match self {
            RegionSource::Flag => "parameter",
            RegionSource::Env(_) => "env",
            RegionSource::Profile => "config-file",
            RegionSource::Imds => "imds",
            RegionSource::Default => "default",
        }
    }
}

/// Access to the instance metadata service (IMDSv2), shared by region and credential lookups.
///
/// After the first connection-level failure (refused, timed out, token PUT unanswered), later
/// lookups fail at once with the same reason instead of waiting again.
#[derive(Clone)]
pub struct Imds {
    endpoint: String,
    client: imds::Client,
    down: Arc<OnceLock<String>>,
}

impl fmt::Debug for Imds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Imds").field("endpoint", &self.endpoint).finish()
    }
}

/// Why an IMDS lookup failed.
#[derive(Debug, Clone)]
pub struct ImdsFailure {
    /// HTTP status when IMDS answered with an error (404: nothing there; 401: token refused).
    pub status: Option<u16>,
    /// One-line reason, e.g. `connection refused`.
    pub reason: String,
}

impl Imds {
    /// A client for the given endpoint (`http://169.254.169.254` unless overridden).
    pub fn new(endpoint: &str) -> Result<Imds, Error> {
        let client = imds::Client::builder()
            .endpoint(endpoint)
            .map_err(|e| {
                Error::Credentials(format!(
                    "invalid instance metadata endpoint {endpoint:?}: {}",
                    DisplayErrorContext(&*e)
                ))
            })?
            .connect_timeout(IMDS_TIMEOUT)
            .read_timeout(IMDS_TIMEOUT)
            .max_attempts(IMDS_ATTEMPTS)
            .build();
        Ok(Imds { endpoint: endpoint.to_string(), client, down: Arc::new(OnceLock::new()) })
    }

    /// The endpoint, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// GET a metadata path (e.g. `/latest/meta-data/placement/region`) with an IMDSv2 token.
    pub async fn get(&self, path: &str) -> Result<String, ImdsFailure> {
        if let Some(reason) = self.down.get() {
            return Err(ImdsFailure { status: None, reason: reason.clone() });
        }
        match self.client.get(path).await {
            Ok(v) => Ok(v.as_ref().to_string()),
            Err(e) => {
                let failure = describe_imds_error(&e);
                if failure.status.is_none() {
                    let _ = self.down.set(failure.reason.clone());
                }
                Err(failure)
            }
        }
    }
}

fn describe_imds_error(e: &imds::client::error::ImdsError) -> ImdsFailure {
    use imds::client::error::ImdsError;
    let chain = crate::client::error_chain(e);
    let lower = chain.to_ascii_lowercase();
    let cause = if lower.contains("refused") {
        "connection refused".to_string()
    } else if lower.contains("timeout") || lower.contains("timed out") {
        "timed out".to_string()
    } else if lower.contains("unreachable") {
        "network unreachable".to_string()
    } else {
        chain.clone()
    };
    match e {
        ImdsError::ErrorResponse(r) => {
            let status = r.response().status().as_u16();
            let reason = match status {
                401 => "HTTP 401 Unauthorized (the IMDSv2 token was refused)".to_string(),
                403 => "HTTP 403 Forbidden (instance metadata access is disabled)".to_string(),
                404 => "HTTP 404 Not Found".to_string(),
                s => format!("HTTP {s}"),
            };
            ImdsFailure { status: Some(status), reason }
        }
        ImdsError::FailedToLoadToken(_) => {
            let mut reason = format!("the IMDSv2 token request (PUT /latest/api/token) {cause}");
            if cause == "timed out" {
                reason.push_str(
                    "; if s3ro runs in a container on EC2, the instance's \
                     HttpPutResponseHopLimit must be 2 or more",
                );
            }
            ImdsFailure { status: None, reason }
        }
        _ => ImdsFailure { status: None, reason: cause },
    }
}

/// The EC2 instance role's credentials, read from IMDSv2
/// (`/latest/meta-data/iam/security-credentials/ROLE`). Remembers the role name for messages.
#[derive(Debug)]
pub struct InstanceRoleProvider {
    imds: Imds,
    role: Mutex<Option<String>>,
}

impl InstanceRoleProvider {
    pub fn new(imds: Imds) -> InstanceRoleProvider {
        InstanceRoleProvider { imds, role: Mutex::new(None) }
    }

    /// The instance role's name, once credentials were loaded.
    pub fn role(&self) -> Option<String> {
        self.role.lock().unwrap().clone()
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let at = self.imds.endpoint().to_string();
        let role = match self.imds.get("/latest/meta-data/iam/security-credentials/").await {
            Ok(r) => r.lines().next().unwrap_or("").trim().to_string(),
            Err(f) if f.status == Some(404) => {
                return Err(CredentialsError::not_loaded(format!(
                    "no instance role: the instance metadata service at {at} lists no role under \
                     iam/security-credentials/ (attach an instance profile to the instance)"
                )))
            }
            Err(f) => {
                return Err(CredentialsError::not_loaded(format!(
                    "the EC2 instance metadata service (IMDSv2) at {at} failed: {}",
                    f.reason
                )))
            }
        };
        if role.is_empty() {
            return Err(CredentialsError::not_loaded(format!(
                "no instance role: the instance metadata service at {at} lists no role"
            )));
        }
        let doc = self
            .imds
            .get(&format!("/latest/meta-data/iam/security-credentials/{role}"))
            .await
            .map_err(|f| {
                CredentialsError::provider_error(format!(
                    "the EC2 instance metadata service (IMDSv2) at {at} did not give the \
                     credentials of instance role {role}: {}",
                    f.reason
                ))
            })?;
        let v: serde_json::Value = serde_json::from_str(&doc).map_err(|e| {
            CredentialsError::unhandled(format!(
                "IMDS credentials of role {role} are not JSON: {e}"
            ))
        })?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let code = field("Code").unwrap_or_default();
        if code != "Success" {
            let message = field("Message").unwrap_or_default();
            let mut text = format!(
                "the instance metadata service has no credentials for instance role {role}: \
                 Code {code}: {message}"
            );
            if code == "AssumeRoleUnauthorizedAccess" {
                text.push_str(&format!(
                    " — the trust policy of role {role} must allow the service principal \
                     ec2.amazonaws.com to perform sts:AssumeRole"
                ));
            }
            return Err(CredentialsError::invalid_configuration(text));
        }
        let (Some(akid), Some(secret), Some(token)) =
            (field("AccessKeyId"), field("SecretAccessKey"), field("Token"))
        else {
            return Err(CredentialsError::unhandled(format!(
                "IMDS credentials of role {role} lack AccessKeyId, SecretAccessKey or Token"
            )));
        };
        let expiry = field("Expiration")
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(&e).ok())
            .map(SystemTime::from);
        *self.role.lock().unwrap() = Some(role);
        Ok(Credentials::new(akid, secret, Some(token), expiry, "s3ro-instance-role"))
    }
}

impl ProvideCredentials for InstanceRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

/// What the chain tried and what it chose; shared by the [`Tracked`] wrappers of one run.
#[derive(Debug, Default)]
pub struct SourceLog {
    chosen: Mutex<Option<CredentialSource>>,
    attempts: Mutex<Vec<(String, String)>>,
}

impl SourceLog {
    /// The source of the credentials in use, once they were loaded.
    pub fn chosen(&self) -> Option<CredentialSource> {
        self.chosen.lock().unwrap().clone()
    }
    /// Each source tried without success, with why.
    pub fn attempts(&self) -> Vec<(String, String)> {
        self.attempts.lock().unwrap().clone()
    }
}

type SourceFn = Arc<dyn Fn() -> CredentialSource + Send + Sync>;

/// Wraps a provider: on success records its [`CredentialSource`], on failure records why.
struct Tracked {
    name: String,
    inner: SharedCredentialsProvider,
    source: SourceFn,
    log: Arc<SourceLog>,
}

impl fmt::Debug for Tracked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracked").field("name", &self.name).finish()
    }
}

impl ProvideCredentials for Tracked {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            match self.inner.provide_credentials().await {
                Ok(c) => {
                    crate::output::register_credentials(&c);
                    tracing::debug!(source = %self.name, "credentials loaded");
                    *self.log.chosen.lock().unwrap() = Some((self.source)());
                    Ok(c)
                }
                Err(e) => {
                    let why = credentials_error_text(&e);
                    tracing::debug!(source = %self.name, error = %why, "credential source failed");
                    self.log.attempts.lock().unwrap().push((self.name.clone(), why));
                    Err(e)
                }
            }
        })
    }
}

/// Keeps the last credentials until five minutes before they expire, so resolving them up front
/// and the SDK's own lookups share one fetch (one IMDS read, one AssumeRole).
struct Memo {
    inner: SharedCredentialsProvider,
    last: tokio::sync::Mutex<Option<Credentials>>,
}

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Memo")
    }
}

const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

impl Memo {
    async fn invalidate(&self) {
        *self.last.lock().await = None;
    }

    async fn current(&self) -> Option<Credentials> {
        self.last.lock().await.clone()
    }
}

impl ProvideCredentials for Memo {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let mut last = self.last.lock().await;
            if let Some(c) = last.as_ref() {
                let fresh =
                    c.expiry().is_none_or(|exp| exp > SystemTime::now() + REFRESH_BEFORE_EXPIRY);
                if fresh {
                    return Ok(c.clone());
                }
            }
            let c = self.inner.provide_credentials().await?;
            crate::output::register_credentials(&c);
            *last = Some(c.clone());
            Ok(c)
        })
    }
}

/// The credential mode resolved: a provider, the region, and where they came from.
#[derive(Debug, Clone)]
pub struct Auth {
    pub mode: AuthMode,
    provider: SharedCredentialsProvider,
    memo: Arc<Memo>,
    log: Arc<SourceLog>,
    pub region: String,
    pub region_source: RegionSource,
    /// The profile s3ro read settings from (`--profile`, `AWS_PROFILE`, or `default`).
    pub profile: String,
    /// The profile was named by `AWS_PROFILE` (not `--profile`, not the default).
    pub profile_from_env: bool,
    pub imds: Imds,
    /// Base SDK configuration (region, endpoint, profile settings) without credentials.
    pub sdk_config: SdkConfig,
}

impl Auth {
    /// The provider clients use (memoized; refreshed five minutes before expiry).
    pub fn provider(&self) -> SharedCredentialsProvider {
        self.provider.clone()
    }

    /// Forget the credentials in use, so the next request fetches new ones (after S3 answered
    /// `ExpiredToken`).
    pub async fn refresh(&self) {
        self.memo.invalidate().await;
    }

    /// The credentials in use, if loaded (their `Debug` output is redacted).
    pub async fn current_credentials(&self) -> Option<Credentials> {
        self.memo.current().await
    }

    /// Where the credentials in use came from (after [`Auth::credentials`] succeeded).
    pub fn source(&self) -> Option<CredentialSource> {
        self.log.chosen()
    }

    /// Whether requests are sent unsigned (`--auth anonymous` / `--no-sign-request`).
    pub fn is_anonymous(&self) -> bool {
        self.mode == AuthMode::Anonymous
    }

    /// Load the credentials now (nothing to load in anonymous mode), turning any failure into
    /// one clear [`Error::Credentials`].
    pub async fn credentials(&self) -> Result<(), Error> {
        if self.is_anonymous() {
            return Ok(());
        }
        self.provider.provide_credentials().await.map(|_| ()).map_err(|e| self.explain_failure(&e))
    }

    fn explain_failure(&self, e: &CredentialsError) -> Error {
        let text = credentials_error_text(e);
        let msg = match self.mode {
            AuthMode::InstanceRole => format!(
                "--auth instance-role: cannot get credentials from the EC2 instance metadata \
                 service: {text}"
            ),
            AuthMode::AssumeRole => format!("--auth assume-role: {text}"),
            AuthMode::Anonymous => text,
            AuthMode::Env => format!(
                "--auth env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set ({text})"
            ),
            AuthMode::Profile => format!("--auth profile ({}): {text}", self.profile),
            AuthMode::Auto => {
                let tried = self.log.attempts();
                if tried.is_empty() || !matches!(e, CredentialsError::CredentialsNotLoaded(_)) {
                    text
                } else {
                    let list: Vec<String> =
                        tried.iter().map(|(n, why)| format!("{n}: {why}")).collect();
                    format!(
                        "no credentials found. Tried, in order: {}. On EC2 attach an instance \
                         role; elsewhere set a profile (--profile) or choose --auth",
                        list.join("; ")
                    )
                }
            }
        };
        Error::Credentials(msg)
    }
}

/// The text of a credentials error: its message plus the causes that say something.
fn credentials_error_text(e: &CredentialsError) -> String {
    // A switch-role failure carries its own explanation (both causes, the principal).
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(own) = s.downcast_ref::<SwitchRoleError>() {
            return own.0.clone();
        }
        src = s.source();
    }
    match std::error::Error::source(e) {
        Some(s) => crate::client::error_chain(s),
        None => e.to_string(),
    }
}

#[derive(Debug)]
struct SwitchRoleError(String);
impl fmt::Display for SwitchRoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for SwitchRoleError {}

/// `sts:AssumeRole` into a role from `base` credentials. A failure of the base credentials and
/// a refusal by STS are reported separately; a refusal names both possible causes.
struct SwitchRole {
    req: RoleRequest,
    session_name: String,
    base: SharedCredentialsProvider,
    sdk_config: SdkConfig,
}

impl fmt::Debug for SwitchRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SwitchRole").field("role_arn", &self.req.role_arn).finish()
    }
}

impl SwitchRole {
    fn fail(msg: String) -> CredentialsError {
        CredentialsError::provider_error(SwitchRoleError(msg))
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let arn = &self.req.role_arn;
        let base = self.base.provide_credentials().await.map_err(|e| {
            Self::fail(format!(
                "cannot get the base credentials to switch to {arn}: {}",
                credentials_error_text(&e)
            ))
        })?;
        let token_code = match &self.req.mfa_serial {
            Some(serial) => Some(read_mfa_code(serial).await.map_err(Self::fail)?),
            None => None,
        };
        let conf = self
            .sdk_config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(base.clone()))
            .build();
        let out = crate::client::sts_client(&conf)
            .assume_role()
            .role_arn(arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.req.external_id.clone())
            .set_duration_seconds(self.req.duration_seconds.map(|d| d as i32))
            .set_serial_number(self.req.mfa_serial.clone())
            .set_token_code(token_code)
            .send()
            .await;
        let e = match out {
            Ok(out) => {
                let c = out.credentials.ok_or_else(|| {
                    Self::fail(format!("sts:AssumeRole on {arn} returned no credentials"))
                })?;
                let expiry = SystemTime::try_from(c.expiration).ok();
                return Ok(Credentials::new(
                    c.access_key_id,
                    c.secret_access_key,
                    Some(c.session_token),
                    expiry,
                    "s3ro-assume-role",
                ));
            }
            Err(e) => e,
        };
        let text = match (e.code(), e.raw_response().map(|r| r.status().as_u16())) {
            (Some(code), _) => format!("{code}: {}", e.message().unwrap_or("")),
            // moto's IAM enforcement answers with an EC2-style `<Errors>` body the SDK cannot
            // read; a 403 from AssumeRole is a refusal all the same.
            (None, Some(403)) => "AccessDenied: HTTP 403".to_string(),
            _ => crate::client::error_chain(&e),
        };
        if !text.starts_with("AccessDenied") {
            let via = match self.sdk_config.endpoint_url() {
                Some(url) => format!(" (STS at {url})"),
                None => String::new(),
            };
            return Err(Self::fail(format!("sts:AssumeRole on {arn} failed{via}: {text}")));
        }
        let caller = caller_arn(&self.sdk_config, SharedCredentialsProvider::new(base)).await;
        let who = caller.clone().unwrap_or_else(|| "the base principal".to_string());
        let owner = caller
            .as_deref()
            .and_then(crate::diagnose::principal_owner)
            .unwrap_or_else(|| "the base principal".to_string());
        let role = arn.rsplit('/').next().unwrap_or(arn);
        Err(Self::fail(format!(
            "sts:AssumeRole on {arn} was refused for {who} ({text}). Either the identity-based \
             policy of {owner} does not allow sts:AssumeRole on {arn}, or the trust policy of role \
             {role} does not trust {who}"
        )))
    }
}

impl ProvideCredentials for SwitchRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

/// Ask for the MFA code of `serial` on the terminal. Errors (the message) when stdin is not a
/// terminal: a script cannot answer, and s3ro never waits on a pipe.
async fn read_mfa_code(serial: &str) -> Result<String, String> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "the role requires MFA (mfa_serial = {serial}) and standard input is not a terminal: \
             run s3ro interactively to enter the code, or use a profile without mfa_serial"
        ));
    }
    let prompt = format!("Enter MFA code for {serial}: ");
    tokio::task::spawn_blocking(move || {
        let mut err = std::io::stderr();
        let _ = write!(err, "{prompt}");
        let _ = err.flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
        let code = line.trim().to_string();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(code)
        } else {
            Err("an MFA code is 6 digits".to_string())
        }
    })
    .await
    .map_err(|e| e.to_string())?
}

/// `sts:GetCallerIdentity` with the given credentials: the caller's ARN, or `None` on failure.
pub async fn caller_arn(
    sdk_config: &SdkConfig,
    creds: SharedCredentialsProvider,
) -> Option<String> {
    let conf = sdk_config.to_builder().credentials_provider(creds).build();
    let sts = crate::client::sts_client(&conf);
    sts.get_caller_identity().send().await.ok().and_then(|o| o.arn)
}

/// Resolve the credential mode of `settings` into an [`Auth`]. Does not contact STS or S3; it
/// may read IMDS for the region when nothing else sets it.
///
/// Errors: [`Error::Credentials`] for unreadable profile files, a missing named profile, or a
/// mode whose configuration is incomplete (e.g. `--auth assume-role` without a role).
pub async fn resolve(settings: &Settings) -> Result<Auth, Error> {
    let profiles = load_profiles(settings.explicit_profile.as_deref()).await?;
    let profile_name = profiles.selected_profile().to_string();
    let profile = profiles.get_profile(&profile_name).cloned();
    let from_env = std::env::var("AWS_PROFILE").is_ok_and(|p| !p.is_empty());
    if (settings.explicit_profile.is_some() || from_env) && profile.is_none() {
        let how = if settings.explicit_profile.is_some() { "--profile" } else { "AWS_PROFILE" };
        return Err(Error::Credentials(format!(
            "profile {profile_name:?} ({how}) was not found in the AWS config or credentials \
             file ({})",
            config_file_names()
        )));
    }
    let imds = Imds::new(&settings.imds_endpoint)?;
    let (region, region_source) = resolve_region(settings, profile.as_ref(), &imds).await;
    if let Err(why) = crate::cli::check_region(&region) {
        return Err(Error::Credentials(format!(
            "{why} (from {})",
            match region_source {
                RegionSource::Env(var) => var,
                RegionSource::Profile => "the profile's region",
                RegionSource::Imds => "the instance metadata service",
                _ => "the configuration",
            }
        )));
    }
    tracing::debug!(region = %region, source = region_source.kind(), "region resolved");

    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.clone()))
        // s3ro's own memo caches credentials (and can be told to refresh on ExpiredToken).
        .identity_cache(aws_config::identity::IdentityCache::no_cache())
        .no_credentials();
    if profile.is_some() {
        loader = loader.profile_name(&profile_name);
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let sdk_config = loader.load().await;

    let log = Arc::new(SourceLog::default());
    let ctx = Ctx { profiles: &profiles, imds: &imds, sdk_config: &sdk_config, log: &log };
    let provider = match settings.auth {
        AuthMode::InstanceRole => ctx.instance_role_with_source().0,
        AuthMode::AssumeRole => match &settings.role {
            Some(req) => ctx.assume_from_flags(req).await?,
            None => match profile.as_ref().filter(|p| p.get("role_arn").is_some()) {
                Some(_) => ctx.profile_chain(&profile_name, &mut Vec::new()).await?,
                None => {
                    return Err(Error::Credentials(format!(
                        "--auth assume-role needs a role: profile {profile_name:?} has no \
                         role_arn ({}); add role_arn and credential_source = \
                         Ec2InstanceMetadata to it, or pass --role-arn",
                        config_file_names()
                    )))
                }
            },
        },
        AuthMode::Auto => ctx.auto_chain(settings, &profile_name, profile.is_some()).await?,
        AuthMode::Anonymous => SharedCredentialsProvider::new(NoCredentials),
        AuthMode::Env => ctx.tracked(
            "environment",
            aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new(),
            Arc::new(|| CredentialSource::Env),
        ),
        AuthMode::Profile => {
            let Some(p) = profile.as_ref() else {
                return Err(Error::Credentials(format!(
                    "--auth profile: profile {profile_name:?} was not found in {}",
                    config_file_names()
                )));
            };
            if p.get("role_arn").is_some() || static_keys(p).is_some() {
                ctx.profile_chain(&profile_name, &mut Vec::new()).await?
            } else {
                ctx.other_profile(&profile_name)
            }
        }
    };
    let memo = Arc::new(Memo { inner: provider, last: tokio::sync::Mutex::new(None) });
    Ok(Auth {
        mode: settings.auth,
        provider: SharedCredentialsProvider::new(ArcProvider(memo.clone())),
        memo,
        log,
        region,
        region_source,
        profile: profile_name,
        profile_from_env: from_env && settings.explicit_profile.is_none(),
        imds,
        sdk_config,
    })
}

fn config_file_names() -> String {
    format!("{}, {}", ProfileFile::Config.path(), ProfileFile::Credentials.path())
}

/// Which shared file a profile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileFile {
    /// `~/.aws/config` (`AWS_CONFIG_FILE`).
    Config,
    /// `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`).
    Credentials,
}

impl ProfileFile {
    /// The file's path as configured (for messages).
    pub fn path(self) -> String {
        match self {
            ProfileFile::Config => {
                std::env::var("AWS_CONFIG_FILE").unwrap_or_else(|_| "~/.aws/config".into())
            }
            ProfileFile::Credentials => std::env::var("AWS_SHARED_CREDENTIALS_FILE")
                .unwrap_or_else(|_| "~/.aws/credentials".into()),
        }
    }
}

/// The profiles of one shared file. Errors: [`Error::Credentials`] when it cannot be parsed.
pub async fn load_profile_file(which: ProfileFile) -> Result<ProfileSet, Error> {
    let files = EnvConfigFiles::builder()
        .include_default_config_file(which == ProfileFile::Config)
        .include_default_credentials_file(which == ProfileFile::Credentials)
        .build();
    aws_config::profile::load(&Fs::real(), &Env::real(), &files, None).await.map_err(|e| {
        Error::Credentials(format!(
            "cannot read {}: {}",
            which.path(),
            crate::client::error_chain(&e)
        ))
    })
}

/// Check one profile's role settings without contacting AWS: `Err` says what is wrong
/// (both credential_source and source_profile, an unknown credential_source, a source_profile
/// loop or a missing source profile).
pub fn check_profile(profiles: &ProfileSet, name: &str) -> Result<(), String> {
    let mut seen = vec![name.to_string()];
    let mut cur = name.to_string();
    loop {
        let Some(p) = profiles.get_profile(&cur) else {
            return Err(format!("source_profile {cur:?} does not exist"));
        };
        if p.get("role_arn").is_none() {
            return Ok(());
        }
        match (p.get("credential_source"), p.get("source_profile")) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "profile {cur:?} sets both credential_source and source_profile"
                ))
            }
            (Some("Ec2InstanceMetadata" | "Environment" | "EcsContainer"), None) => return Ok(()),
            (Some(other), None) => {
                return Err(format!("profile {cur:?}: unknown credential_source {other:?}"))
            }
            (None, None) => {
                return Err(format!(
                    "profile {cur:?} has role_arn but neither credential_source nor source_profile"
                ))
            }
            (None, Some(next)) => {
                seen.push(next.to_string());
                if seen[..seen.len() - 1].iter().any(|s| s == next) {
                    return Err(format!("source_profile loop: {}", seen.join(" → ")));
                }
                cur = next.to_string();
            }
        }
    }
}

async fn load_profiles(explicit: Option<&str>) -> Result<ProfileSet, Error> {
    let selected = explicit.map(|p| Cow::Owned(p.to_string()));
    aws_config::profile::load(&Fs::real(), &Env::real(), &EnvConfigFiles::default(), selected)
        .await
        .map_err(|e| {
            Error::Credentials(format!(
                "cannot read the AWS config files: {}",
                crate::client::error_chain(&e)
            ))
        })
}

async fn resolve_region(
    settings: &Settings,
    profile: Option<&Profile>,
    imds: &Imds,
) -> (String, RegionSource) {
    if let Some(r) = &settings.region {
        return (r.clone(), RegionSource::Flag);
    }
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(r) = std::env::var(var).ok().filter(|r| !r.is_empty()) {
            return (r, RegionSource::Env(var));
        }
    }
    if let Some(r) = profile.and_then(|p| p.get("region")) {
        return (r.to_string(), RegionSource::Profile);
    }
    // The instance's own region, never derived by trimming an availability-zone name.
    match imds.get("/latest/meta-data/placement/region").await {
        Ok(r) if !r.trim().is_empty() => (r.trim().to_string(), RegionSource::Imds),
        _ => ("us-east-1".to_string(), RegionSource::Default),
    }
}

struct Ctx<'a> {
    profiles: &'a ProfileSet,
    imds: &'a Imds,
    sdk_config: &'a SdkConfig,
    log: &'a Arc<SourceLog>,
}

impl Ctx<'_> {
    fn tracked(
        &self,
        name: impl Into<String>,
        inner: impl ProvideCredentials + 'static,
        source: SourceFn,
    ) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(Tracked {
            name: name.into(),
            inner: SharedCredentialsProvider::new(inner),
            source,
            log: self.log.clone(),
        })
    }

    fn switch_role(
        &self,
        req: &RoleRequest,
        base: SharedCredentialsProvider,
        base_source: SourceFn,
    ) -> SharedCredentialsProvider {
        let session_name = req.session_name.clone().unwrap_or_else(|| {
            let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            format!("s3ro-{}", now.as_secs())
        });
        let role_arn = req.role_arn.clone();
        self.tracked(
            format!("assume role {}", req.role_arn),
            SwitchRole {
                req: req.clone(),
                session_name,
                base,
                sdk_config: self.sdk_config.clone(),
            },
            Arc::new(move || CredentialSource::AssumeRole {
                role_arn: role_arn.clone(),
                base: Box::new(base_source()),
            }),
        )
    }

    async fn assume_from_flags(
        &self,
        req: &RoleRequest,
    ) -> Result<SharedCredentialsProvider, Error> {
        let (base, base_source, base_is_role): (_, SourceFn, bool) = match &req.source_profile {
            None => {
                let (b, s) = self.instance_role_with_source();
                (b, s, true)
            }
            Some(name) => {
                let Some(p) = self.profiles.get_profile(name) else {
                    return Err(Error::Credentials(format!(
                        "--source-profile {name:?} was not found in {}",
                        config_file_names()
                    )));
                };
                let is_role = p.get("role_arn").is_some();
                let base = self.profile_chain(name, &mut Vec::new()).await?;
                let log = self.log.clone();
                let n = name.to_string();
                let source: SourceFn = Arc::new(move || {
                    log.chosen().unwrap_or(CredentialSource::ProfileKeys { profile: n.clone() })
                });
                (base, source, is_role)
            }
        };
        check_chaining("(--role-arn)", req, base_is_role)?;
        Ok(self.switch_role(req, base, base_source))
    }

    /// The instance role, with its source recorded (role name filled in once known), and that
    /// source for a switch-role built on it.
    fn instance_role_with_source(&self) -> (SharedCredentialsProvider, SourceFn) {
        let p = Arc::new(InstanceRoleProvider::new(self.imds.clone()));
        let p2 = p.clone();
        let source: SourceFn = Arc::new(move || CredentialSource::InstanceRole { role: p2.role() });
        let provider = self.tracked(
            format!("instance role (IMDSv2 at {})", self.imds.endpoint()),
            ArcProvider(p),
            source.clone(),
        );
        (provider, source)
    }

    /// The credentials a named profile describes: static keys, or role_arn with
    /// credential_source / source_profile (followed recursively; loops are an error).
    fn profile_chain<'b>(
        &'b self,
        name: &'b str,
        seen: &'b mut Vec<String>,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<SharedCredentialsProvider, Error>> + Send + 'b>,
    > {
        Box::pin(async move {
            if seen.iter().any(|s| s == name) {
                seen.push(name.to_string());
                return Err(Error::Credentials(format!(
                    "source_profile loop in the AWS config: {}",
                    seen.join(" → ")
                )));
            }
            seen.push(name.to_string());
            let Some(p) = self.profiles.get_profile(name) else {
                return Err(Error::Credentials(format!(
                    "profile {name:?} (named by source_profile of {:?}) was not found in {}",
                    seen.get(seen.len().wrapping_sub(2)).cloned().unwrap_or_default(),
                    config_file_names()
                )));
            };
            let Some(role_arn) = p.get("role_arn") else {
                return match static_keys(p) {
                    Some(c) => {
                        let profile = name.to_string();
                        Ok(self.tracked(
                            format!("profile {name}"),
                            c,
                            Arc::new(move || CredentialSource::ProfileKeys {
                                profile: profile.clone(),
                            }),
                        ))
                    }
                    None => Err(Error::Credentials(format!(
                        "profile {name:?} has neither role_arn nor aws_access_key_id"
                    ))),
                };
            };
            if crate::cli::check_role_arn(role_arn).is_err() {
                return Err(Error::Credentials(format!(
                    "profile {name:?}: role_arn {role_arn:?} is not a role ARN \
                     (arn:aws:iam::ACCOUNT:role/NAME)"
                )));
            }
            if let Some(sn) = p.get("role_session_name") {
                if let Err(why) = crate::cli::check_session_name(sn) {
                    return Err(Error::Credentials(format!("profile {name:?}: {why}")));
                }
            }
            let req = RoleRequest {
                role_arn: role_arn.to_string(),
                session_name: p.get("role_session_name").map(str::to_string),
                external_id: p.get("external_id").map(str::to_string),
                duration_seconds: match p.get("duration_seconds") {
                    None => None,
                    Some(d) => Some(d.trim().parse::<u32>().ok().filter(|d| (900..=43200).contains(d)).ok_or_else(|| {
                        Error::Credentials(format!(
                            "profile {name:?}: duration_seconds {d:?} must be a number of seconds from 900 to 43200"
                        ))
                    })?),
                },
                source_profile: None,
                mfa_serial: p.get("mfa_serial").map(str::to_string),
            };
            // Credentials that are themselves a role session (instance role, container role,
            // another assumed role) can only be chained into a session of up to one hour.
            let base_is_role = match (p.get("credential_source"), p.get("source_profile")) {
                (Some("Ec2InstanceMetadata" | "EcsContainer"), _) => true,
                (None, Some(src)) => {
                    self.profiles.get_profile(src).is_some_and(|b| b.get("role_arn").is_some())
                }
                _ => false,
            };
            check_chaining(name, &req, base_is_role)?;
            let (base, base_source): (SharedCredentialsProvider, SourceFn) = match (
                p.get("credential_source"),
                p.get("source_profile"),
            ) {
                (Some(_), Some(_)) => {
                    return Err(Error::Credentials(format!(
                        "profile {name:?} sets both credential_source and source_profile; \
                             keep one"
                    )))
                }
                (Some("Ec2InstanceMetadata"), None) => self.instance_role_with_source(),
                (Some("Environment"), None) => {
                    let env = aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new();
                    let source: SourceFn = Arc::new(|| CredentialSource::Env);
                    (self.tracked("environment", env, source.clone()), source)
                }
                (Some("EcsContainer"), None) => {
                    let ecs = aws_config::ecs::EcsCredentialsProvider::builder().build();
                    let source: SourceFn = Arc::new(|| CredentialSource::Container);
                    (self.tracked("container", ecs, source.clone()), source)
                }
                (Some(other), None) => {
                    return Err(Error::Credentials(format!(
                        "profile {name:?}: unknown credential_source {other:?}; valid values \
                             are Ec2InstanceMetadata, Environment, EcsContainer"
                    )))
                }
                (None, Some(src)) => {
                    let base = self.profile_chain(src, seen).await?;
                    let log = self.log.clone();
                    let src_name = src.to_string();
                    let source: SourceFn = Arc::new(move || {
                        log.chosen()
                            .unwrap_or(CredentialSource::ProfileKeys { profile: src_name.clone() })
                    });
                    (base, source)
                }
                (None, None) => {
                    return Err(Error::Credentials(format!(
                        "profile {name:?} has role_arn but neither credential_source nor \
                             source_profile"
                    )))
                }
            };
            Ok(self.switch_role(&req, base, base_source))
        })
    }

    /// A profile of another kind (credential_process, SSO, …), handled by aws-config.
    fn other_profile(&self, profile_name: &str) -> SharedCredentialsProvider {
        let other = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .profile_name(profile_name)
            .build();
        let name = profile_name.to_string();
        self.tracked(
            format!("profile {profile_name}"),
            other,
            Arc::new(move || CredentialSource::OtherProfile { profile: name.clone() }),
        )
    }

    async fn auto_chain(
        &self,
        settings: &Settings,
        profile_name: &str,
        profile_exists: bool,
    ) -> Result<SharedCredentialsProvider, Error> {
        let mut chain: Option<CredentialsProviderChain> = None;
        let mut add = |name: &'static str, p: SharedCredentialsProvider| {
            chain = Some(match chain.take() {
                None => CredentialsProviderChain::first_try(name, p),
                Some(c) => c.or_else(name, p),
            });
        };
        // An explicit --profile wins over environment keys (as in the AWS CLI).
        if settings.explicit_profile.is_none() {
            let env =
                aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new();
            add(
                "Environment",
                self.tracked("environment", env, Arc::new(|| CredentialSource::Env)),
            );
        }
        if profile_exists {
            let p = self.profiles.get_profile(profile_name).expect("exists");
            let provider = if p.get("role_arn").is_some() || static_keys(p).is_some() {
                self.profile_chain(profile_name, &mut Vec::new()).await?
            } else {
                self.other_profile(profile_name)
            };
            add("Profile", provider);
        }
        let wi =
            aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder().build();
        add(
            "WebIdentityToken",
            self.tracked("web identity", wi, Arc::new(|| CredentialSource::WebIdentity)),
        );
        let ecs = aws_config::ecs::EcsCredentialsProvider::builder().build();
        add(
            "EcsContainer",
            self.tracked("container", ecs, Arc::new(|| CredentialSource::Container)),
        );
        add("Ec2InstanceMetadata", self.instance_role_with_source().0);
        Ok(SharedCredentialsProvider::new(chain.expect("chain has providers")))
    }
}

/// Role chaining (assuming a role with role-session credentials) is limited to one hour
/// ("Roles terms and concepts: role chaining", IAM User Guide); STS would refuse a longer
/// DurationSeconds with a ValidationError, so say why up front.
fn check_chaining(profile: &str, req: &RoleRequest, base_is_role: bool) -> Result<(), Error> {
    match req.duration_seconds {
        Some(d) if base_is_role && d > 3600 => Err(Error::Credentials(format!(
            "profile {profile}: duration_seconds {d} is over 3600, but the base credentials are \
             themselves a role session (role chaining), which AWS limits to one hour; use at most \
             3600"
        ))),
        _ => Ok(()),
    }
}

fn static_keys(p: &Profile) -> Option<Credentials> {
    let akid = p.get("aws_access_key_id")?;
    let secret = p.get("aws_secret_access_key")?;
    Some(Credentials::new(
        akid,
        secret,
        p.get("aws_session_token").map(str::to_string),
        None,
        "s3ro-profile",
    ))
}

/// The provider of `--auth anonymous`: requests are sent unsigned, so it is never asked.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "anonymous mode sends unsigned requests",
        )))
    }
}

/// Lets an `Arc`'d provider be shared while another handle reads its state.
#[derive(Debug)]
struct ArcProvider<P>(Arc<P>);

impl<P: ProvideCredentials> ProvideCredentials for ArcProvider<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.0.provide_credentials()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicUsize>,
        lifetime: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let exp = SystemTime::now() + self.lifetime;
            future::ProvideCredentials::ready(Ok(Credentials::new(
                "AKID",
                "secret",
                None,
                Some(exp),
                "t",
            )))
        }
    }

    fn memo(lifetime: Duration) -> (Memo, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = SharedCredentialsProvider::new(Counting { calls: calls.clone(), lifetime });
        (Memo { inner, last: tokio::sync::Mutex::new(None) }, calls)
    }

    #[tokio::test]
    async fn memo_shares_fresh_credentials_and_refreshes_before_expiry() {
        let (m, calls) = memo(Duration::from_secs(3600));
        m.provide_credentials().await.unwrap();
        m.provide_credentials().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "fresh credentials are reused");
        m.invalidate().await;
        m.provide_credentials().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "invalidate forces a fetch");

        let (m, calls) = memo(Duration::from_secs(120));
        m.provide_credentials().await.unwrap();
        m.provide_credentials().await.unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "credentials within 5 minutes of expiry are refreshed"
        );
    }

    #[test]
    fn credential_sources_read_like_aws_configure_list() {
        let s = CredentialSource::AssumeRole {
            role_arn: "arn:aws:iam::1:role/R".into(),
            base: Box::new(CredentialSource::InstanceRole { role: Some("SwitchOnlyRole".into()) }),
        };
        assert_eq!(s.kind(), "assume-role");
        assert_eq!(
            s.to_string(),
            "assume-role arn:aws:iam::1:role/R ← iam-role (IMDSv2, role SwitchOnlyRole)"
        );
        assert_eq!(CredentialSource::Env.kind(), "env");
    }
}
