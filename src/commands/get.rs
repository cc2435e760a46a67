//! `s3ro get` / `s3ro cat`: download one object without ever leaving a partial file.

use std::path::Path;

use tokio::signal::unix::{signal, SignalKind};

use crate::cli::Settings;
use crate::error::Error;
use crate::output;
use crate::transfer::{self, Destination, PreparedFile};
use crate::uri::S3Uri;

/// Download `source` (`s3://bucket/key`) to `dest` (file, existing directory, device, or `-`).
///
/// The destination is prepared (directories created, temporary file opened) before the request,
/// so an unwritable destination fails first. SIGINT, SIGTERM and SIGHUP stop the download, remove
/// the temporary file and exit with 128 + the signal number.
pub async fn run(source: &str, dest: Option<&Path>, settings: &Settings) -> Result<u8, Error> {
    let uri = S3Uri::parse(source)?;
    if uri.key.is_empty() {
        return Err(Error::Usage(format!("{source:?} names no object: expected s3://bucket/key")));
    }
    let dest = Destination::resolve(dest, uri.file_name())?;
    let prepared = match &dest {
        Destination::File(p) => Some(PreparedFile::new(p)?),
        _ => None,
    };
    let work = async {
        let clients = super::connect(settings).await?;
        let object = clients.get_object(&uri.bucket, &uri.key).await?;
        match (&dest, prepared) {
            (Destination::Stdout, _) => {
                transfer::write_stdout(object.body, object.content_length).await
            }
            (Destination::Special(p), _) => {
                transfer::write_special(p, object.body, object.content_length).await
            }
            (Destination::File(_), Some(file)) => {
                file.commit(object.body, object.content_length).await
            }
            (Destination::File(_), None) => unreachable!("prepared above"),
        }
    };
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::Other(e.to_string()))?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| Error::Other(e.to_string()))?;
    tokio::select! {
        r = work => { r?; }
        _ = tokio::signal::ctrl_c() => return Err(Error::Interrupted(2)),
        _ = term.recv() => return Err(Error::Interrupted(15)),
        _ = hup.recv() => return Err(Error::Interrupted(1)),
    }
    if let Destination::File(p) | Destination::Special(p) = &dest {
        output::print(&format!("download: {uri} to {}\n", p.display()))?;
    }
    Ok(0)
}
