//! Writing downloads: atomically to a file (temporary file in the destination directory, byte
//! count checked, then renamed), into a special file (device, FIFO) directly, or to stdout.

use std::fs::Permissions;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::{AsyncSeekExt, AsyncWrite, AsyncWriteExt};

use crate::error::Error;

/// Where a download goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    /// A regular file, written atomically (symlinks are resolved to the file they point at).
    File(PathBuf),
    /// An existing device or FIFO (e.g. `/dev/null`): written directly, never replaced.
    Special(PathBuf),
}

impl Destination {
    /// Decide where `s3ro get` writes: `-` → stdout; an existing directory (or a path ending in
    /// `/`) → `DIR/<file_name>`; an existing device or FIFO → written in place; anything else →
    /// that file. Errors: [`Error::Usage`] when the key's last component cannot be a file name
    /// (empty, `.` or `..`) and DEST is a directory.
    pub fn resolve(dest: Option<&Path>, file_name: &str) -> Result<Destination, Error> {
        let dest = dest.unwrap_or_else(|| Path::new("."));
        if dest == Path::new("-") {
            return Ok(Destination::Stdout);
        }
        let as_dir = dest.is_dir() || dest.as_os_str().to_string_lossy().ends_with('/');
        let path = if as_dir {
            if file_name.is_empty() || file_name == "." || file_name == ".." {
                let why = if file_name.is_empty() {
                    "the key ends with '/'".to_string()
                } else {
                    format!("its last component is {file_name:?}")
                };
                return Err(Error::Usage(format!(
                    "the key has no usable file name ({why}); give a file name as DEST"
                )));
            }
            dest.join(file_name)
        } else {
            dest.to_path_buf()
        };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => Err(Error::Usage(format!(
                "{} is a directory and the key's file name is the same",
                path.display()
            ))),
            Ok(m) if !m.is_file() => Ok(Destination::Special(path)),
            Ok(_) => {
                // Replace the file a symlink points at, not the symlink itself.
                let real = if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink()) {
                    std::fs::canonicalize(&path).unwrap_or(path)
                } else {
                    path
                };
                Ok(Destination::File(real))
            }
            Err(_) => Ok(Destination::File(path)),
        }
    }
}

/// A download target prepared before the request is sent, so an unwritable destination fails
/// before any byte is transferred. Dropping it without [`PreparedFile::commit`] removes the
/// temporary file and any directory it created.
#[derive(Debug)]
pub struct PreparedFile {
    dest: PathBuf,
    tmp: Option<tempfile::NamedTempFile>,
    created_dirs: Vec<PathBuf>,
}

impl PreparedFile {
    /// Create missing parent directories (as `aws s3 cp` does) and a temporary file
    /// `.NAME.XXXXXX.s3ro-part` beside `dest`, with the mode of the file it will replace, or
    /// 0666 less the umask for a new file.
    ///
    /// Errors: [`Error::Local`] naming the directory and the reason.
    pub fn new(dest: &Path) -> Result<PreparedFile, Error> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut created_dirs = Vec::new();
        let mut missing = Vec::new();
        let mut d = dir.as_path();
        while !d.as_os_str().is_empty() && !d.exists() {
            missing.push(d.to_path_buf());
            d = d.parent().unwrap_or(Path::new(""));
        }
        for m in missing.into_iter().rev() {
            std::fs::create_dir(&m).map_err(|e| local("cannot create directory", &m, &e))?;
            created_dirs.push(m);
        }
        let mut prepared = PreparedFile { dest: dest.to_path_buf(), tmp: None, created_dirs };
        let mode =
            std::fs::metadata(dest).map(|m| m.permissions().mode() & 0o7777).unwrap_or(0o666);
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".s3ro-part")
            .permissions(Permissions::from_mode(mode))
            .tempfile_in(&dir)
            .map_err(|e| local("cannot create a file in", &dir, &e))?;
        prepared.tmp = Some(tmp);
        Ok(prepared)
    }

    /// Stream `body` into the temporary file, check its length, fsync and rename: the
    /// single-stream path of [`download`] without a client, for unit tests.
    #[cfg(test)]
    async fn commit(self, body: ByteStream, expected_len: Option<i64>) -> Result<u64, Error> {
        let mut w = self.handle()?;
        let written = stream_into(body, &mut w, None, &self.dest, None, None)
            .await
            .map_err(|r| r.into_error(&self.dest))?;
        check_length(written, expected_len, &self.dest)?;
        self.persist(true).await?;
        Ok(written)
    }

    /// A new, independent handle on the temporary file (its own file offset), for parts written
    /// concurrently.
    fn handle(&self) -> Result<tokio::fs::File, Error> {
        let tmp = self.tmp.as_ref().expect("prepared");
        let f = tmp.reopen().map_err(|e| local("cannot write", &self.dest, &e))?;
        Ok(tokio::fs::File::from_std(f))
    }

    /// Empty the temporary file (before a retry).
    async fn truncate(&self) -> Result<(), Error> {
        self.handle()?.set_len(0).await.map_err(|e| local("cannot write", &self.dest, &e))
    }

    /// Rename the temporary file over the destination (after an fsync with `fsync`).
    async fn persist(mut self, fsync: bool) -> Result<(), Error> {
        if fsync {
            let f = self.handle()?;
            f.sync_all().await.map_err(|e| local("cannot write", &self.dest, &e))?;
        }
        let tmp = self.tmp.take().expect("prepared");
        tmp.persist(&self.dest).map_err(|e| local("cannot save", &self.dest, &e.error))?;
        self.created_dirs.clear();
        Ok(())
    }
}

impl Drop for PreparedFile {
    fn drop(&mut self) {
        drop(self.tmp.take());
        for d in self.created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

fn local(what: &str, path: &Path, e: &io::Error) -> Error {
    // Keep the OS's reason only: tempfile's errors append the temporary file's path, and
    // io::Error appends "(os error N)".
    let mut reason = e.to_string();
    for cut in [" at path ", " (os error"] {
        if let Some(i) = reason.find(cut) {
            reason.truncate(i);
        }
    }
    Error::Local(format!("{what} {}: {reason}", path.display()))
}

fn write_error(e: &io::Error, dest: &Path) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        local("cannot write", dest, e)
    }
}

fn check_length(written: u64, expected: Option<i64>, dest: &Path) -> Result<(), Error> {
    match expected {
        Some(n) if written != n as u64 => Err(Error::Other(format!(
            "download of {} ended after {written} of {n} bytes; nothing was saved",
            dest.display()
        ))),
        _ => Ok(()),
    }
}

/// Stream `body` into an existing device or FIFO (no temporary file is possible there).
pub async fn write_special(
    dest: &Path,
    body: ByteStream,
    expected_len: Option<i64>,
) -> Result<u64, Error> {
    let mut f = tokio::fs::OpenOptions::new()
        .write(true)
        .open(dest)
        .await
        .map_err(|e| local("cannot open", dest, &e))?;
    let written =
        stream_into(body, &mut f, None, dest, None, None).await.map_err(|r| r.into_error(dest))?;
    check_length(written, expected_len, dest)?;
    Ok(written)
}

/// Stream `body` to stdout. Errors: [`Error::BrokenPipe`] when the reader went away.
pub async fn write_stdout(body: ByteStream, expected_len: Option<i64>) -> Result<u64, Error> {
    let dest = Path::new("standard output");
    let written = stream_into(body, &mut tokio::io::stdout(), None, dest, None, None)
        .await
        .map_err(|r| r.into_error(dest))?;
    check_length(written, expected_len, dest)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(Destination::resolve(Some(Path::new("-")), "x").unwrap(), Destination::Stdout);
        assert_eq!(
            Destination::resolve(Some(d.path()), "a b.txt").unwrap(),
            Destination::File(d.path().join("a b.txt"))
        );
        assert_eq!(
            Destination::resolve(Some(Path::new("/dev/null")), "x").unwrap(),
            Destination::Special(PathBuf::from("/dev/null"))
        );
        for bad in ["", ".", ".."] {
            let e = Destination::resolve(Some(d.path()), bad).unwrap_err();
            assert_eq!(e.exit_code(), 252);
        }
        let target = d.path().join("real.txt");
        std::fs::write(&target, "x").unwrap();
        let link = d.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(
            Destination::resolve(Some(&link), "x").unwrap(),
            Destination::File(std::fs::canonicalize(&target).unwrap())
        );
    }

    #[test]
    fn local_paths_stay_inside() {
        let d = Path::new("/dst");
        assert_eq!(local_path(d, "in/", "in/a b/c.txt").unwrap(), Path::new("/dst/a b/c.txt"));
        assert_eq!(local_path(d, "", "x").unwrap(), Path::new("/dst/x"));
        for bad in ["in/../x", "in/a/../../x", "in//abs", "in/./x", "in/a//b", "in/"] {
            assert!(local_path(d, "in/", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prepared_file_cleans_up_what_it_created() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("new/sub/file.txt");
        let p = PreparedFile::new(&dest).unwrap();
        assert!(d.path().join("new/sub").is_dir());
        drop(p);
        assert!(!d.path().join("new").exists(), "created directories are removed again");
    }

    #[tokio::test]
    async fn short_body_leaves_nothing_and_keeps_the_old_file() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("f.txt");
        std::fs::write(&dest, "old").unwrap();
        let p = PreparedFile::new(&dest).unwrap();
        let e = p.commit(ByteStream::from_static(b"12345"), Some(10)).await.unwrap_err();
        assert!(e.to_string().contains("ended after 5 of 10 bytes"), "{e}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn new_files_get_the_umask_mode_and_replacements_keep_theirs() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("n.txt");
        PreparedFile::new(&dest)
            .unwrap()
            .commit(ByteStream::from_static(b"ab"), Some(2))
            .await
            .unwrap();
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_ne!(mode, 0o600, "not tempfile's private mode");
        std::fs::set_permissions(&dest, Permissions::from_mode(0o640)).unwrap();
        PreparedFile::new(&dest)
            .unwrap()
            .commit(ByteStream::from_static(b"cd"), Some(2))
            .await
            .unwrap();
        assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(std::fs::read(&dest).unwrap(), b"cd");
    }
}

/// How large objects are fetched: in `part_size` byte ranges, `part_concurrency` at a time,
/// once an object is larger than `threshold`. Memory stays bounded by the number of parts in
/// flight (each is streamed, never buffered whole), whatever the object's size.
#[derive(Debug, Clone, Copy)]
pub struct PartPlan {
    pub threshold: u64,
    pub part_size: u64,
    pub part_concurrency: usize,
    /// fsync the file before renaming it into place (durable across power loss; slower).
    pub fsync: bool,
}

impl Default for PartPlan {
    fn default() -> Self {
        PartPlan {
            threshold: 16 * 1024 * 1024,
            part_size: 16 * 1024 * 1024,
            part_concurrency: 8,
            fsync: false,
        }
    }
}

/// Attempts per object for failures while reading a body (connection reset, truncated body);
/// the SDK itself retries 5xx and throttling answers before the body starts.
const BODY_ATTEMPTS: u32 = 3;

/// Download one object into `file` and rename it into place.
///
/// A plain GET starts the download; if the object is larger than `plan.threshold`, that first
/// response fills the first part and the other parts are fetched as byte ranges pinned to the
/// first response's ETag (`If-Match`), written at their offsets. The byte count is checked
/// against the object size, and for a single-part object not encrypted with SSE-KMS the MD5 of
/// the bytes against the ETag. Failures while reading a body are retried (3 attempts).
///
/// Returns the bytes written. Errors: as [`crate::client::Clients::get_object_with`], plus
/// [`Error::Other`] for a body that stays short or corrupt, [`Error::Local`] for the file.
pub async fn download(
    clients: &crate::client::Clients,
    bucket: &str,
    key: &str,
    opts: &crate::client::GetOptions,
    file: PreparedFile,
    plan: PartPlan,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<u64, Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match download_once(clients, bucket, key, opts, &file, plan, progress).await {
            Ok(n) => {
                file.persist(plan.fsync).await?;
                return Ok(n);
            }
            Err(Retry::Transient(msg)) if attempt < BODY_ATTEMPTS => {
                tracing::info!(key, attempt, error = %msg, "download interrupted; retrying");
                if let Some(p) = progress {
                    p.set_position(0);
                }
                file.truncate().await?;
                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)))
                    .await;
            }
            Err(Retry::Transient(msg)) => {
                return Err(Error::TransferFailed(format!(
                    "download of s3://{bucket}/{key} failed after {attempt} attempts: {msg}; \
                     nothing was saved"
                )))
            }
            Err(Retry::Final(e)) => return Err(e),
        }
    }
}

enum Retry {
    Transient(String),
    Final(Error),
}

impl Retry {
    /// For writers that do not retry (stdout, devices, tests).
    fn into_error(self, dest: &Path) -> Error {
        match self {
            Retry::Transient(m) => {
                Error::TransferFailed(format!("download to {} failed: {m}", dest.display()))
            }
            Retry::Final(e) => e,
        }
    }
}

async fn download_once(
    clients: &crate::client::Clients,
    bucket: &str,
    key: &str,
    opts: &crate::client::GetOptions,
    file: &PreparedFile,
    plan: PartPlan,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<u64, Retry> {
    let first = clients.get_object_with(bucket, key, opts).await.map_err(Retry::Final)?;
    let expected = first.content_length.map(|l| l as u64);
    let ranged = opts.range.is_none()
        && opts.version_id.is_none()
        && expected.is_some_and(|n| n > plan.threshold && n > plan.part_size);
    let md5_wanted = opts.range.is_none()
        && first.sse.as_deref() != Some("aws:kms")
        && first
            .etag
            .as_deref()
            .map(|e| e.trim_matches('"'))
            .is_some_and(|e| e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ranged {
        let mut w = file.handle().map_err(Retry::Final)?;
        let mut md5 = md5_wanted.then(<md5::Md5 as md5::Digest>::new);
        let written =
            stream_into(first.body, &mut w, None, &file.dest, progress, md5.as_mut()).await?;
        if let Some(n) = expected {
            if written != n {
                return Err(Retry::Transient(format!("body ended after {written} of {n} bytes")));
            }
        }
        if let (Some(h), Some(etag)) = (md5, first.etag.as_deref()) {
            let got: String = md5::Digest::finalize(h).iter().map(|b| format!("{b:02x}")).collect();
            if got != etag.trim_matches('"').to_ascii_lowercase() {
                return Err(Retry::Transient(format!("MD5 {got} does not match the ETag {etag}")));
            }
        }
        return Ok(written);
    }

    let total = expected.expect("ranged only with a known size");
    let etag = first.etag.clone();
    let parts: Vec<(u64, u64)> = (0..total)
        .step_by(plan.part_size as usize)
        .map(|start| (start, (start + plan.part_size).min(total) - 1))
        .collect();
    let first_part_len = parts[0].1 + 1;
    // Part 0 comes from the first response; the others are ranged GETs pinned to its ETag.
    let part0 = async {
        let mut w = file.handle().map_err(Retry::Final)?;
        let n = stream_into(first.body, &mut w, Some(first_part_len), &file.dest, progress, None)
            .await?;
        if n != first_part_len {
            return Err(Retry::Transient(format!(
                "first part ended after {n} of {first_part_len} bytes"
            )));
        }
        Ok(n)
    };
    let rest = futures_util::stream::iter(parts[1..].iter().copied())
        .map(|(start, end)| {
            let etag = etag.clone();
            async move {
                let part_opts = crate::client::GetOptions {
                    range: Some(format!("bytes={start}-{end}")),
                    if_match: etag,
                    ..opts.clone()
                };
                let body =
                    clients.get_object_with(bucket, key, &part_opts).await.map_err(Retry::Final)?;
                let mut w = file.handle().map_err(Retry::Final)?;
                w.seek(std::io::SeekFrom::Start(start))
                    .await
                    .map_err(|e| Retry::Final(local("cannot write", &file.dest, &e)))?;
                let want = end - start + 1;
                let n =
                    stream_into(body.body, &mut w, Some(want), &file.dest, progress, None).await?;
                if n != want {
                    return Err(Retry::Transient(format!(
                        "part at {start} ended after {n} of {want} bytes"
                    )));
                }
                Ok(n)
            }
        })
        .buffer_unordered(plan.part_concurrency.max(1))
        .try_fold(0u64, |acc, n| async move { Ok(acc + n) });
    let (a, b) = tokio::try_join!(part0, rest)?;
    Ok(a + b)
}

/// Copy at most `limit` bytes of `body` into `w` (buffered, flushed at the end), feeding `md5`
/// and `progress`. A failing body is [`Retry::Transient`]; a failing write is final.
async fn stream_into<W: AsyncWrite + Unpin>(
    mut body: ByteStream,
    w: &mut W,
    limit: Option<u64>,
    dest: &Path,
    progress: Option<&indicatif::ProgressBar>,
    mut md5: Option<&mut md5::Md5>,
) -> Result<u64, Retry> {
    let mut w = tokio::io::BufWriter::with_capacity(256 * 1024, w);
    let mut written = 0u64;
    while let Some(chunk) = body.try_next().await.map_err(|e| Retry::Transient(e.to_string()))? {
        let take = match limit {
            Some(l) => chunk.len().min((l - written) as usize),
            None => chunk.len(),
        };
        let bytes = &chunk[..take];
        w.write_all(bytes).await.map_err(|e| Retry::Final(write_error(&e, dest)))?;
        if let Some(h) = md5.as_deref_mut() {
            md5::Digest::update(h, bytes);
        }
        if let Some(p) = progress {
            p.inc(take as u64);
        }
        written += take as u64;
        if limit.is_some_and(|l| written >= l) {
            break;
        }
    }
    w.flush().await.map_err(|e| Retry::Final(write_error(&e, dest)))?;
    Ok(written)
}

/// Where a key lands under `dir` in a recursive download: the key relative to `base` (the
/// listed prefix up to its last `/`). Refused (the message says why) when that would leave
/// `dir` or is not a clean relative path: a leading `/` (a `//` in the key), `..` or `.`
/// components, empty components, or a NUL byte.
pub fn local_path(dir: &Path, base: &str, key: &str) -> Result<PathBuf, String> {
    let rel = key.strip_prefix(base).ok_or_else(|| format!("{key:?} is not under {base:?}"))?;
    if rel.is_empty() {
        return Err("the key has no name below the prefix".to_string());
    }
    if rel.starts_with('/') {
        return Err(format!("{key:?} would be an absolute path (it has // after the prefix)"));
    }
    if rel.contains('\0') {
        return Err(format!("{key:?} contains a NUL byte"));
    }
    let mut path = dir.to_path_buf();
    for comp in rel.split('/') {
        match comp {
            ".." => {
                return Err(format!("{key:?} has a '..' component and would leave the destination"))
            }
            "." => return Err(format!("{key:?} has a '.' component")),
            "" => return Err(format!("{key:?} has an empty path component ('//')")),
            c => path.push(c),
        }
    }
    Ok(path)
}
