//! Writing downloads: atomically to a file (temporary file in the destination directory, byte
//! count checked, then renamed), or to stdout.

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use tokio::io::AsyncWriteExt;

use crate::error::Error;

/// Where a download goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    /// Decide where `s3ro get` writes: `-` → stdout; an existing directory (or a path ending in
    /// `/`) → `DIR/<file_name>`; anything else → that file. Errors: [`Error::Usage`] when the key
    /// has no file name to keep (it ends with `/`) or the directory does not exist.
    pub fn resolve(dest: Option<&Path>, file_name: &str) -> Result<Destination, Error> {
        let dest = dest.unwrap_or_else(|| Path::new("."));
        if dest == Path::new("-") {
            return Ok(Destination::Stdout);
        }
        let as_dir = dest.is_dir() || dest.as_os_str().to_string_lossy().ends_with('/');
        if !as_dir {
            return Ok(Destination::File(dest.to_path_buf()));
        }
        if !dest.is_dir() {
            return Err(Error::Usage(format!(
                "directory {} does not exist",
                dest.display()
            )));
        }
        if file_name.is_empty() || file_name == "." || file_name == ".." {
            return Err(Error::Usage(
                "the key has no file name to save under (it ends with '/'); give a file name as DEST"
                    .to_string(),
            ));
        }
        Ok(Destination::File(dest.join(file_name)))
    }
}

/// Stream `body` into `dest` atomically: a temporary file `.NAME.s3ro-XXXX` in the same
/// directory receives the bytes, its length is checked against `expected_len`, then it is
/// renamed over `dest`. On any error (or when the future is dropped, e.g. on Ctrl-C) the
/// temporary file is removed and an existing `dest` is left untouched.
///
/// Returns the number of bytes written. Errors: [`Error::Local`] for file-system failures,
/// [`Error::Other`] for a body that failed or ended short.
pub async fn write_atomically(
    dest: &Path,
    mut body: ByteStream,
    expected_len: Option<i64>,
) -> Result<u64, Error> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".s3ro-part")
        .tempfile_in(&dir)
        .map_err(|e| Error::Local(format!("cannot create a file in {}: {e}", dir.display())))?;
    let std_file = tmp
        .reopen()
        .map_err(|e| Error::Local(format!("{}: {e}", tmp.path().display())))?;
    let mut file =
        tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(std_file));
    let mut written: u64 = 0;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| Error::Other(format!("download of {} failed: {e}", dest.display())))?
    {
        file.write_all(&chunk)
            .await
            .map_err(|e| Error::Local(format!("cannot write {}: {e}", dest.display())))?;
        written += chunk.len() as u64;
    }
    file.flush()
        .await
        .map_err(|e| Error::Local(format!("cannot write {}: {e}", dest.display())))?;
    if let Some(n) = expected_len {
        if written != n as u64 {
            return Err(Error::Other(format!(
                "download of {} ended after {written} of {n} bytes; nothing was saved",
                dest.display()
            )));
        }
    }
    file.into_inner()
        .sync_all()
        .await
        .map_err(|e| Error::Local(format!("cannot write {}: {e}", dest.display())))?;
    tmp.persist(dest)
        .map_err(|e| Error::Local(format!("cannot save {}: {}", dest.display(), e.error)))?;
    Ok(written)
}

/// Stream `body` to stdout. Errors: [`Error::BrokenPipe`] when the reader went away.
pub async fn write_stdout(mut body: ByteStream, expected_len: Option<i64>) -> Result<u64, Error> {
    let mut out = tokio::io::stdout();
    let mut written: u64 = 0;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| Error::Other(format!("download failed: {e}")))?
    {
        out.write_all(&chunk).await.map_err(Error::from)?;
        written += chunk.len() as u64;
    }
    out.flush().await.map_err(Error::from)?;
    if let Some(n) = expected_len {
        if written != n as u64 {
            return Err(Error::Other(format!(
                "download ended after {written} of {n} bytes"
            )));
        }
    }
    Ok(written)
}
