//! List a prefix with the EC2 instance role (IMDSv2 only, never another credential source).
//!
//! Run on EC2, or against the sandbox (`s3ro-sandbox serve`, then `. env-file`):
//! `cargo run --example instance_role -- s3://a10e-com-s3/input/`

use s3ro::cli::{AuthMode, Settings};
use s3ro::client::{Clients, ListRequest};
use s3ro::uri::S3Uri;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::args().nth(1).unwrap_or_else(|| "s3://a10e-com-s3/input/".into());
    let uri = S3Uri::parse(&target)?;
    let settings = Settings::new(AuthMode::InstanceRole)?;
    let auth = s3ro::auth::resolve(&settings).await?;
    auth.credentials().await?; // a credentials problem is reported here, before any S3 call
    println!("credentials: {}", auth.source().map(|s| s.to_string()).unwrap_or_default());
    let clients = Clients::new(&auth);
    let req = ListRequest {
        bucket: uri.bucket,
        prefix: uri.key,
        delimiter: Some("/".into()),
        page_size: None,
        requester_pays: false,
    };
    let page = clients.list_page(&req, None).await?;
    for p in page.prefixes {
        println!("PRE {p}");
    }
    for o in page.objects {
        println!("{:>10} {}", o.size, o.key);
    }
    Ok(())
}
