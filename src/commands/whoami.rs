//! `s3ro whoami`: the caller's identity and where its credentials came from.

use crate::cli::Settings;
use crate::error::Error;
use crate::output;

/// Print account, ARN, user id (from `sts:GetCallerIdentity`), the credential source and region.
pub async fn run(settings: &Settings) -> Result<u8, Error> {
    let clients = super::connect(settings).await?;
    let id = clients.caller_identity().await?;
    let auth = clients.auth();
    let source = auth.source().map(|s| s.to_string()).unwrap_or_else(|| "unknown".into());
    output::print(&format!(
        "Account:     {}\nArn:         {}\nUserId:      {}\nCredentials: {source}\nRegion:      {} ({})\n",
        id.account,
        id.arn,
        id.user_id,
        auth.region,
        auth.region_source.kind()
    ))?;
    Ok(0)
}
