//! Writing downloads: atomically to a file (temporary file in the destination directory, byte
//! count checked, then renamed), into a special file (device, FIFO) directly, or to stdout.

use std::fs::Permissions;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use tokio::io::{AsyncWrite, AsyncWriteExt};

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

    /// Stream `body` into the temporary file, check its length against `expected_len`, sync,
    /// and rename it over the destination. Returns the bytes written.
    ///
    /// Errors: [`Error::Local`] for file-system failures, [`Error::Other`] for a body that failed
    /// or ended short; in every case nothing is left behind and an existing destination is
    /// untouched.
    pub async fn commit(
        mut self,
        body: ByteStream,
        expected_len: Option<i64>,
    ) -> Result<u64, Error> {
        let tmp = self.tmp.as_ref().expect("prepared");
        let file = tmp.reopen().map_err(|e| local("cannot write", &self.dest, &e))?;
        let mut file = tokio::fs::File::from_std(file);
        let written = copy_body(body, &mut file, &self.dest).await?;
        check_length(written, expected_len, &self.dest)?;
        file.sync_all().await.map_err(|e| local("cannot write", &self.dest, &e))?;
        let tmp = self.tmp.take().expect("prepared");
        tmp.persist(&self.dest).map_err(|e| local("cannot save", &self.dest, &e.error))?;
        self.created_dirs.clear();
        Ok(written)
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

async fn copy_body<W: AsyncWrite + Unpin>(
    mut body: ByteStream,
    w: &mut W,
    dest: &Path,
) -> Result<u64, Error> {
    let mut w = tokio::io::BufWriter::with_capacity(256 * 1024, w);
    let mut written: u64 = 0;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| Error::Other(format!("download of {} failed: {e}", dest.display())))?
    {
        w.write_all(&chunk).await.map_err(|e| write_error(&e, dest))?;
        written += chunk.len() as u64;
    }
    w.flush().await.map_err(|e| write_error(&e, dest))?;
    Ok(written)
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
    let written = copy_body(body, &mut f, dest).await?;
    check_length(written, expected_len, dest)?;
    Ok(written)
}

/// Stream `body` to stdout. Errors: [`Error::BrokenPipe`] when the reader went away.
pub async fn write_stdout(body: ByteStream, expected_len: Option<i64>) -> Result<u64, Error> {
    let mut out = tokio::io::stdout();
    let written = copy_body(body, &mut out, Path::new("standard output")).await?;
    check_length(written, expected_len, Path::new("standard output"))?;
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
