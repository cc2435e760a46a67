//! Command-line definitions (what the user typed) and [`Settings`] (the decisions made once).
//!
//! Every flag is documented here; `--help` is generated from these doc comments. Commands never
//! read the environment themselves: what they need is settled into [`Settings`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::Error;

/// A read-only Amazon S3 browser built around least privilege.
///
/// s3ro lists and downloads objects with the credentials of an EC2 instance role (IMDSv2) or of a
/// role it switches to, never writes to S3, and when S3 or STS says AccessDenied it names the
/// principal, the missing IAM action and the resource ARN.
#[derive(Debug, Parser)]
#[command(
    name = "s3ro",
    version = VERSION,
    propagate_version = true,
    max_term_width = 100,
    after_help = TOP_EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags that apply to every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where credentials come from: auto (the standard AWS chain), instance-role (IMDSv2 only,
    /// never falls back), assume-role (switch role: profile with role_arn, or --role-arn).
    #[arg(long, global = true, value_enum, env = "S3RO_AUTH", default_value_t = AuthMode::Auto)]
    pub auth: AuthMode,

    /// Named profile of ~/.aws/config and ~/.aws/credentials. An explicit --profile wins over
    /// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, then the
    /// instance's region from IMDSv2).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send S3 and STS requests to this URL (also AWS_ENDPOINT_URL); uses path-style addressing,
    /// as S3-compatible servers expect.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// With --auth assume-role: the role to switch to (base credentials: the instance role).
    #[arg(long, global = true, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// With --role-arn: take the base credentials from this profile instead of the instance role.
    #[arg(long, global = true, value_name = "NAME", requires = "role_arn")]
    pub source_profile: Option<String>,

    /// With --role-arn: the role session name (default: s3ro-<unix time>).
    #[arg(long, global = true, value_name = "NAME", requires = "role_arn")]
    pub role_session_name: Option<String>,

    /// With --role-arn: the external id the role's trust policy requires.
    #[arg(long, global = true, value_name = "ID", requires = "role_arn")]
    pub external_id: Option<String>,

    /// With --role-arn: session duration in seconds (900–43200; at most 3600 when switching
    /// from role credentials, since role chaining is limited to one hour).
    #[arg(long, global = true, value_name = "SECONDS", requires = "role_arn",
          value_parser = clap::value_parser!(u32).range(900..=43200))]
    pub duration_seconds: Option<u32>,

    /// Send unsigned requests (public buckets); same as --auth anonymous.
    #[arg(long, global = true)]
    pub no_sign_request: bool,

    /// More diagnostics on stderr (-v: credential and region sources; -vv: SDK requests).
    /// Secrets are never printed.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How s3ro obtains credentials (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// The standard AWS chain: environment, profile (static keys or role_arn), web identity,
    /// container, instance role. A drop-in for what `aws s3` would use.
    Auto,
    /// The EC2 instance role, from IMDSv2 only; never falls back to another source.
    InstanceRole,
    /// Switch role: the profile's role_arn (credential_source or source_profile), or --role-arn
    /// with the instance role as base credentials.
    AssumeRole,
    /// No credentials: unsigned requests, for public buckets (also --no-sign-request).
    Anonymous,
    /// Exactly what the named profile says (static keys or role configuration); environment
    /// keys never override it.
    Profile,
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) only.
    Env,
}

impl AuthMode {
    /// The value as typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Auto => "auto",
            AuthMode::InstanceRole => "instance-role",
            AuthMode::AssumeRole => "assume-role",
            AuthMode::Anonymous => "anonymous",
            AuthMode::Profile => "profile",
            AuthMode::Env => "env",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List buckets, or the objects and prefixes under s3://bucket[/prefix] (the output of
    /// `aws s3 ls`, byte for byte).
    #[command(after_help = LS_EXAMPLES)]
    Ls(LsArgs),
    /// Download one object to a file, a directory, or stdout (`-`), never leaving a partial file.
    #[command(after_help = GET_EXAMPLES)]
    Get(GetArgs),
    /// Write one object to stdout (`get s3://bucket/key -`).
    #[command(after_help = CAT_EXAMPLES)]
    Cat(CatArgs),
    /// Show who s3ro is: sts:GetCallerIdentity and where the credentials came from.
    #[command(after_help = WHOAMI_EXAMPLES)]
    Whoami,
    /// Show the credentials and region s3ro would use and where each came from (like
    /// `aws configure list`, plus the whole assume-role chain). Keys are masked.
    #[command(after_help = CONFIG_EXAMPLES)]
    Config(ConfigArgs),
    /// Check the credential setup: long-term keys in plaintext, instance metadata and the
    /// attached role, the credentials s3ro would use, the principal, broken profiles. Exit 0
    /// when nothing is wrong, 1 otherwise.
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// Print shell completions (bash, zsh, fish) to stdout.
    #[command(after_help = "Example:\n  s3ro completions bash > /etc/bash_completion.d/s3ro")]
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    #[command(after_help = "Example:\n  s3ro man > s3ro.1 && man -l s3ro.1")]
    Man,
    /// Probe, with read requests only, which read permissions the principal has on
    /// s3://bucket[/prefix], and print the statements that would grant what is missing. Exit 0
    /// when ls and get on the target are allowed, 1 otherwise.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Print the least-privilege identity policy for reading s3://bucket[/prefix], or with
    /// --switch-role the four documents of the instance-role → reader-role pattern.
    #[command(after_help = POLICY_EXAMPLES)]
    Policy(PolicyArgs),
}

/// `s3ro --version`: the crate version and the git revision it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("S3RO_GIT_REV"), ")");

const TOP_EXAMPLES: &str = "Examples:
  On EC2 with an instance role:        s3ro ls s3://a10e-com-s3/
  Switching role (~/.aws/config):      s3ro --profile reader get s3://a10e-com-s3/input/hello.txt
  In a script, JSON lines:             s3ro ls --recursive --json s3://a10e-com-s3/
  What may I do here?                  s3ro check s3://a10e-com-s3/input/

Exit codes: 0 ok; 1 ls no match, get transfer failed, check/doctor found a problem; 2 get
skipped objects; 252 usage; 253 credentials; 254 service error (AccessDenied is explained);
255 other; 130/129/143 interrupted.";

const CAT_EXAMPLES: &str = "Examples:
  With the instance role:              s3ro cat s3://a10e-com-s3/input/hello.txt
  Through a switch-role profile:       s3ro --profile reader cat s3://a10e-com-s3/output/result.json | jq .";

const WHOAMI_EXAMPLES: &str = "Examples:
  Which role does this instance have?  s3ro --auth instance-role whoami
  After switching role:                s3ro --profile reader whoami";

const CONFIG_EXAMPLES: &str = "Examples:
  Like `aws configure list`:           s3ro config
  For a switch-role profile, as JSON:  s3ro --profile reader config --json";

const DOCTOR_EXAMPLES: &str = "Examples:
  Check this machine's setup:          s3ro doctor
  In CI or a provisioning script:      s3ro doctor --json > doctor.json || echo 'fix me'";

const LS_EXAMPLES: &str = "Examples:
  On EC2 with an instance role:        s3ro ls s3://a10e-com-s3/
  Switching role via ~/.aws/config:    s3ro --profile listonly ls s3://a10e-com-s3/input/
  Everything under a prefix:           s3ro ls --recursive --summarize s3://a10e-com-s3/output/";

const GET_EXAMPLES: &str = "Examples:
  To the current directory:            s3ro get s3://a10e-com-s3/input/hello.txt
  Into a script, checking the result:  s3ro get s3://a10e-com-s3/input/hello.txt /tmp/h.txt || exit $?
  To stdout:                           s3ro get s3://a10e-com-s3/input/hello.txt -";

/// Arguments of `s3ro ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// s3://bucket[/prefix]; omit to list buckets. The prefix is a plain string prefix.
    pub path: Option<String>,
    /// List every key under the prefix (full keys, no PRE lines).
    #[arg(long)]
    pub recursive: bool,
    /// Sizes in aws's units (Bytes, KiB, MiB, ...).
    #[arg(long)]
    pub human_readable: bool,
    /// Print the number of objects and their total size at the end.
    #[arg(long)]
    pub summarize: bool,
    /// Keys per ListObjectsV2 request (1–1000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub page_size: Option<i32>,
    /// One JSON object per line: objects {"key","size","last_modified","etag","storage_class"},
    /// prefixes {"prefix"}, buckets {"name","creation_date"}; exact keys, times in RFC 3339 UTC.
    #[arg(long)]
    pub json: bool,
    /// List object versions and delete markers (ListObjectVersions).
    #[arg(long)]
    pub versions: bool,
    /// Confirm that the requester pays for a Requester Pays bucket.
    #[arg(long, value_enum, value_name = "requester")]
    pub request_payer: Option<RequestPayer>,
    /// With --recursive: how many prefixes are listed at once (1–256). Output order is always
    /// that of a sequential listing.
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// `--request-payer` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequestPayer {
    Requester,
}

/// Arguments of `s3ro get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// s3://bucket/key of the object (with --recursive: s3://bucket/prefix/).
    pub source: String,
    /// A file name, an existing directory (keeps the key's last component), or `-` for stdout.
    /// With --recursive: the directory the keys are mapped under. Default: the current
    /// directory.
    pub dest: Option<PathBuf>,
    /// Download every key under the prefix, mapped to paths under DEST relative to the prefix.
    #[arg(long)]
    pub recursive: bool,
    /// With --recursive: download only keys matching this glob (relative to the prefix); with
    /// --exclude, filters apply in the order given and the last match wins, as in aws.
    #[arg(long, value_name = "GLOB", requires = "recursive")]
    pub include: Vec<String>,
    /// With --recursive: skip keys matching this glob (relative to the prefix).
    #[arg(long, value_name = "GLOB", requires = "recursive")]
    pub exclude: Vec<String>,
    /// The filters in command-line order (filled in by [`parse`]).
    #[arg(skip)]
    pub filters: Vec<Filter>,
    /// Print what would be downloaded and do nothing.
    #[arg(long)]
    pub dryrun: bool,
    /// Skip files that already exist (by default they are replaced, atomically).
    #[arg(long)]
    pub no_clobber: bool,
    /// Objects downloaded at once (1–256).
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Byte-range size for large objects, in MiB (1–5120).
    #[arg(long, value_name = "MiB", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=5120))]
    pub part_size: u64,
    /// Objects larger than this many MiB are fetched in parallel byte ranges.
    #[arg(long, value_name = "MiB", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=1048576))]
    pub multipart_threshold: u64,
    /// fsync each file before renaming it into place, so it survives a power loss (the rename
    /// alone already guarantees no partial file under the final name).
    #[arg(long)]
    pub fsync: bool,
    /// No progress bars and no summary line (bars are shown only when stderr is a terminal).
    #[arg(long, short)]
    pub quiet: bool,
    /// No progress bars (the summary line stays).
    #[arg(long)]
    pub no_progress: bool,
    /// One JSON object per object on stdout: {"key","path","status","bytes","error"}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub object: ObjectOpts,
}

/// Options of the GetObject request.
#[derive(Debug, Args, Clone, Default)]
pub struct ObjectOpts {
    /// Download this version of the object.
    #[arg(long, value_name = "ID")]
    pub version_id: Option<String>,
    /// Download only this byte range, e.g. bytes=0-1023.
    #[arg(long, value_name = "bytes=A-B", value_parser = parse_range)]
    pub range: Option<String>,
    /// Confirm that the requester pays for a Requester Pays bucket.
    #[arg(long, value_enum, value_name = "requester")]
    pub request_payer: Option<RequestPayer>,
}

/// An `--include` or `--exclude` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Include(String),
    Exclude(String),
}

fn parse_range(s: &str) -> Result<String, String> {
    let ok = s.strip_prefix("bytes=").and_then(|r| r.split_once('-')).is_some_and(|(a, b)| {
        (a.is_empty() || a.parse::<u64>().is_ok())
            && (b.is_empty() || b.parse::<u64>().is_ok())
            && !(a.is_empty() && b.is_empty())
            && (a.is_empty() || b.is_empty() || a.parse::<u64>().ok() <= b.parse::<u64>().ok())
    });
    if ok {
        Ok(s.to_string())
    } else {
        Err("expected bytes=START-END, bytes=START- or bytes=-SUFFIX".to_string())
    }
}

/// Parse the command line like `Cli::try_parse`, and also record the order of `--include` and
/// `--exclude` (it matters: the last matching filter wins).
pub fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().try_get_matches()?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let (Command::Get(args), Some(("get", sub))) = (&mut cli.command, matches.subcommand()) {
        let mut filters: Vec<(usize, Filter)> = Vec::new();
        for (id, make) in
            [("include", Filter::Include as fn(String) -> Filter), ("exclude", Filter::Exclude)]
        {
            if let (Some(idx), Some(vals)) = (sub.indices_of(id), sub.get_many::<String>(id)) {
                filters.extend(idx.zip(vals).map(|(i, v)| (i, make(v.clone()))));
            }
        }
        filters.sort_by_key(|(i, _)| *i);
        args.filters = filters.into_iter().map(|(_, f)| f).collect();
    }
    Ok(cli)
}

/// Arguments of `s3ro config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// One JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

const CHECK_EXAMPLES: &str = "Examples:
  What may the instance role do here?  s3ro check s3://a10e-com-s3/input/
  And the switch-role profile?         s3ro --profile listonly check s3://a10e-com-s3/input/
  A given object, as JSON:             s3ro check --key input/hello.txt --json s3://a10e-com-s3/";

const POLICY_EXAMPLES: &str = "Examples:
  Read one prefix:                     s3ro policy s3://a10e-com-s3/input/
  The whole switch-role setup:         s3ro policy --switch-role --account 123456789012 s3://a10e-com-s3/";

/// Arguments of `s3ro check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// s3://bucket[/prefix] to probe.
    pub target: String,
    /// Probe this object (default: the first key listed under the prefix).
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// One JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `s3ro policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// s3://bucket[/prefix] to grant read access to.
    pub target: String,
    /// Print the instance role's and the reader role's identity and trust policies, and the
    /// ~/.aws/config profile that switches between them.
    #[arg(long)]
    pub switch_role: bool,
    /// With --switch-role: the AWS account id of both roles.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// With --switch-role: the role attached to the instance (it may only switch).
    #[arg(long, value_name = "NAME", default_value = "SwitchOnlyRole")]
    pub instance_role: String,
    /// With --switch-role: the role that reads the bucket.
    #[arg(long, value_name = "NAME", default_value = "S3ReadOnlyRole")]
    pub reader_role: String,
}

/// Arguments of `s3ro completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `s3ro doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// One JSON object: {"ok", "checks": [{"check","status","detail","recommendation"}]}.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `s3ro cat`.
#[derive(Debug, Args)]
pub struct CatArgs {
    /// s3://bucket/key of the object.
    pub source: String,
    #[command(flatten)]
    pub object: ObjectOpts,
}

/// The settled plan every command receives: decisions made once, up front.
#[derive(Debug, Clone)]
pub struct Settings {
    pub auth: AuthMode,
    /// `--profile`, when given explicitly (then environment keys do not override it).
    pub explicit_profile: Option<String>,
    pub region: Option<String>,
    /// `--endpoint-url`; `AWS_ENDPOINT_URL` is applied by the AWS SDK configuration loader.
    pub endpoint_url: Option<String>,
    /// The switch-role request from flags, if any.
    pub role: Option<RoleRequest>,
    /// IMDS endpoint: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else `http://169.254.169.254`.
    pub imds_endpoint: String,
    pub verbose: u8,
}

/// A role to assume, from `--role-arn` and its companion flags.
#[derive(Debug, Clone)]
pub struct RoleRequest {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    /// `--source-profile`: base credentials from this profile (default: the instance role).
    pub source_profile: Option<String>,
    /// The MFA device's ARN (`mfa_serial` in a profile); the code is asked for on a terminal.
    pub mfa_serial: Option<String>,
}

/// The documented default IMDS endpoint (IPv4).
pub const DEFAULT_IMDS_ENDPOINT: &str = "http://169.254.169.254";

impl Settings {
    /// Settings for library use: `auth` with everything else from the environment, as the
    /// binary would settle it without flags. Errors as [`Settings::from_global`].
    pub fn new(auth: AuthMode) -> Result<Settings, Error> {
        Settings::from_global(&GlobalArgs {
            auth,
            profile: None,
            region: None,
            endpoint_url: None,
            role_arn: None,
            source_profile: None,
            role_session_name: None,
            external_id: None,
            duration_seconds: None,
            no_sign_request: false,
            verbose: 0,
        })
    }

    /// Validate the global flags and settle them, reading the few environment variables s3ro
    /// itself interprets. Errors: [`Error::Usage`] for inconsistent flags.
    pub fn from_global(g: &GlobalArgs) -> Result<Settings, Error> {
        let auth = if g.no_sign_request { AuthMode::Anonymous } else { g.auth };
        if g.no_sign_request && !matches!(g.auth, AuthMode::Auto | AuthMode::Anonymous) {
            return Err(Error::Usage(format!(
                "--no-sign-request cannot be combined with --auth {}",
                g.auth.as_str()
            )));
        }
        if g.role_arn.is_some() && auth != AuthMode::AssumeRole {
            return Err(Error::Usage(format!(
                "--role-arn needs --auth assume-role (the current mode is {})",
                g.auth.as_str()
            )));
        }
        if let Some(arn) = &g.role_arn {
            check_role_arn(arn).map_err(Error::Usage)?;
        }
        if let Some(name) = &g.role_session_name {
            check_session_name(name)
                .map_err(|why| Error::Usage(format!("--role-session-name: {why}")))?;
        }
        if let Some(r) = &g.region {
            check_region(r).map_err(|why| Error::Usage(format!("--region: {why}")))?;
        }
        if let Some(url) = std::env::var("AWS_ENDPOINT_URL").ok().filter(|u| !u.is_empty()) {
            if g.endpoint_url.is_none() && !is_http_url(&url) {
                return Err(Error::Credentials(format!(
                    "AWS_ENDPOINT_URL {url:?} must start with http:// or https://"
                )));
            }
        }

        if let Some(url) = &g.endpoint_url {
            if !is_http_url(url) {
                return Err(Error::Usage(format!(
                    "--endpoint-url {url:?} must start with http:// or https://"
                )));
            }
        }
        let imds_endpoint = std::env::var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_IMDS_ENDPOINT.to_string());
        if !is_http_url(&imds_endpoint) {
            return Err(Error::Credentials(format!(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT {imds_endpoint:?} must start with http:// or \
                 https://"
            )));
        }
        Ok(Settings {
            auth,
            explicit_profile: g.profile.clone(),
            region: g.region.clone(),
            endpoint_url: g.endpoint_url.clone(),
            role: g.role_arn.clone().map(|role_arn| RoleRequest {
                role_arn,
                session_name: g.role_session_name.clone(),
                external_id: g.external_id.clone(),
                duration_seconds: g.duration_seconds,
                source_profile: g.source_profile.clone(),
                mfa_serial: None,
            }),
            imds_endpoint: imds_endpoint.trim_end_matches('/').to_string(),
            verbose: g.verbose,
        })
    }
}

fn is_http_url(u: &str) -> bool {
    (u.starts_with("http://") || u.starts_with("https://")) && u.len() > "https://".len() - 1
}

/// Check a role ARN's shape: `arn:PARTITION:iam::ACCOUNT:role/NAME`. Errors: the message.
pub fn check_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].strip_prefix("role/").is_some_and(|n| !n.is_empty());
    if ok {
        Ok(())
    } else {
        Err(format!("{arn:?} is not a role ARN (arn:aws:iam::123456789012:role/NAME)"))
    }
}

/// Check a role session name as STS does: 2–64 characters of letters, digits and `_+=,.@-`.
pub fn check_session_name(name: &str) -> Result<(), String> {
    let ok = (2..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "role session name {name:?} must be 2–64 characters of letters, digits and _+=,.@-"
        ))
    }
}

/// Check a region name: lowercase letters, digits and `-` (it becomes part of host names).
pub fn check_region(r: &str) -> Result<(), String> {
    let ok = !r.is_empty()
        && r.len() <= 63
        && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !r.starts_with('-')
        && !r.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!("invalid region {r:?}: expected a name like us-east-1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(check_role_arn("arn:aws:iam::123456789012:role/S3ReadOnlyRole").is_ok());
        assert!(check_role_arn("arn:aws-cn:iam::123456789012:role/path/R").is_ok());
        for bad in [
            "notanarn",
            "arn:aws:iam::1:role/R",
            "arn:aws:s3:::b",
            "arn:aws:iam::123456789012:user/u",
        ] {
            assert!(check_role_arn(bad).is_err(), "{bad}");
        }
        assert!(check_session_name("i-0123456789abcdef0").is_ok());
        assert!(check_session_name("bad name!").is_err());
        assert!(check_session_name("x").is_err());
        assert!(check_region("ap-northeast-1").is_ok());
        for bad in ["", "bad region!", "US-EAST-1", "-x"] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }
}
