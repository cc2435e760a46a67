//! `s3ro whoami`: the caller's identity and where its credentials came from.

use crate::cli::Settings;
use crate::error::Error;

/// Print account, ARN, user id (from `sts:GetCallerIdentity`), the credential source and region.
pub async fn run(settings: &Settings) -> Result<u8, Error> {
    let clients = super::connect(settings).await?;
    let id = clients.caller_identity().await?;
    let auth = clients.auth();
    let source = auth
        .source()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("Account:     {}", id.account);
    println!("Arn:         {}", id.arn);
    println!("UserId:      {}", id.user_id);
    println!("Credentials: {source}");
    println!(
        "Region:      {} ({})",
        auth.region,
        auth.region_source.kind()
    );
    Ok(0)
}
