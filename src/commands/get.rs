//! `s3ro get` / `s3ro cat`: download one object without ever leaving a partial file.

use std::path::Path;

use crate::cli::Settings;
use crate::error::Error;
use crate::transfer::{self, Destination};
use crate::uri::S3Uri;

/// Download `source` (`s3://bucket/key`) to `dest` (file, existing directory, or `-`).
pub async fn run(source: &str, dest: Option<&Path>, settings: &Settings) -> Result<u8, Error> {
    let uri = S3Uri::parse(source)?;
    if uri.key.is_empty() {
        return Err(Error::Usage(format!(
            "{source:?} names no object: expected s3://bucket/key"
        )));
    }
    let dest = Destination::resolve(dest, uri.file_name())?;
    let clients = super::connect(settings).await?;
    let object = clients.get_object(&uri.bucket, &uri.key).await?;
    let work = async {
        match &dest {
            Destination::Stdout => transfer::write_stdout(object.body, object.content_length).await,
            Destination::File(p) => {
                transfer::write_atomically(p, object.body, object.content_length).await
            }
        }
    };
    tokio::select! {
        r = work => { r?; }
        _ = tokio::signal::ctrl_c() => return Err(Error::Interrupted),
    }
    if let Destination::File(p) = &dest {
        println!("download: {uri} to {}", p.display());
    }
    Ok(0)
}
