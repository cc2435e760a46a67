//! Assume a role from the instance role (`sts:AssumeRole`, as `role_arn` + `credential_source =
//! Ec2InstanceMetadata` does in ~/.aws/config) and download one object to stdout.
//!
//! `cargo run --example switch_role -- arn:aws:iam::123456789012:role/S3ReadOnlyRole s3://a10e-com-s3/input/hello.txt`

use s3ro::cli::{AuthMode, RoleRequest, Settings};
use s3ro::client::Clients;
use s3ro::uri::S3Uri;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let role_arn =
        args.next().unwrap_or_else(|| "arn:aws:iam::123456789012:role/S3ReadOnlyRole".into());
    let target = args.next().unwrap_or_else(|| "s3://a10e-com-s3/input/hello.txt".into());
    let uri = S3Uri::parse(&target)?;
    let mut settings = Settings::new(AuthMode::AssumeRole)?;
    settings.role = Some(RoleRequest {
        role_arn,
        session_name: Some("s3ro-example".into()),
        external_id: None,
        duration_seconds: None,
        source_profile: None, // base credentials: the instance role
        mfa_serial: None,
    });
    let auth = s3ro::auth::resolve(&settings).await?;
    auth.credentials().await?;
    eprintln!("credentials: {}", auth.source().map(|s| s.to_string()).unwrap_or_default());
    let clients = Clients::new(&auth);
    let object = clients.get_object(&uri.bucket, &uri.key).await?;
    let n = s3ro::transfer::write_stdout(object.body, object.content_length).await?;
    eprintln!("{n} bytes");
    Ok(())
}
