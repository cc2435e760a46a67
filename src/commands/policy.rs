//! `s3ro policy`: print the least-privilege identity policy for reading a target, or with
//! `--switch-role` the four documents of the instance-role → reader-role pattern.

use crate::cli::{PolicyArgs, Settings};
use crate::diagnose::partition_for_region;
use crate::error::Error;
use crate::output;
use crate::policy;
use crate::uri::S3Uri;

/// Print the documents (no network access). Errors: [`Error::Usage`] for a bad URI, or
/// `--switch-role` without `--account`.
pub async fn run(args: &PolicyArgs, settings: &Settings) -> Result<u8, Error> {
    let uri = S3Uri::parse(&args.target)?;
    let partition = partition_for_region(settings.region.as_deref().unwrap_or("us-east-1"));
    let doc = if args.switch_role {
        let Some(account) = &args.account else {
            return Err(Error::Usage("--switch-role needs --account ID (12 digits)".to_string()));
        };
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Usage(format!("--account {account:?} must be 12 digits")));
        }
        policy::switch_role_documents(
            account,
            &args.instance_role,
            &args.reader_role,
            &uri.bucket,
            &uri.key,
            partition,
        )
    } else {
        policy::read_only_policy(&uri.bucket, &uri.key, partition)
    };
    let text = serde_json::to_string_pretty(&doc).expect("JSON");
    output::print(&format!("{text}\n"))?;
    Ok(0)
}
