//! Everything s3ro prints: `aws s3 ls` line formats, and messages to stderr.
//!
//! Formats follow awscli's `s3 ls` (awscli/customizations/s3/subcommands.py, `ListCommand`):
//! times in the local time zone as `YYYY-MM-DD HH:MM:SS`, sizes right-aligned in 10 columns,
//! `PRE` right-aligned in 30 columns.

use std::io::Write;

use chrono::{DateTime, Local, Utc};

use crate::error::Error;

/// `YYYY-MM-DD HH:MM:SS` in the local time zone (`TZ` is honoured); 19 blanks when unknown.
pub fn ls_time(t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(t) => t.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S").to_string(),
        None => " ".repeat(19),
    }
}

/// RFC 3339 in UTC with a `Z` (JSON output).
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An ETag without the double quotes S3 puts around it.
pub fn unquote_etag(e: &str) -> String {
    e.trim_matches('"').to_string()
}

/// The name `ls` shows for a key: the full key with `--recursive`; otherwise its last
/// component, as aws does, except that a key ending in `/` (a "folder" marker object) is shown
/// as its last non-empty component with the `/`, never as a blank name.
pub fn display_name(key: &str, recursive: bool) -> std::borrow::Cow<'_, str> {
    if recursive {
        return std::borrow::Cow::Borrowed(key);
    }
    match key.rsplit('/').next() {
        Some(base) if !base.is_empty() => std::borrow::Cow::Borrowed(base),
        _ => match key.trim_end_matches('/').rsplit('/').next() {
            Some(last) if !last.is_empty() => std::borrow::Cow::Owned(format!("{last}/")),
            _ => std::borrow::Cow::Borrowed(key),
        },
    }
}

/// aws's human-readable size: `1 Byte`, `N Bytes`, then `%.1f KiB|MiB|GiB|TiB|PiB|EiB`.
pub fn human_size(bytes: i64) -> String {
    const SUFFIXES: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let base = 1024f64;
    let v = bytes as f64;
    if bytes == 1 {
        return "1 Byte".to_string();
    }
    if v < base {
        return format!("{bytes} Bytes");
    }
    for (i, suffix) in SUFFIXES.iter().enumerate() {
        let unit = base.powi(i as i32 + 2);
        if ((v / unit) * base).round_ties_even() < base {
            return format!("{:.1} {suffix}", base * v / unit);
        }
    }
    format!("{:.1} EiB", v / base.powi(6))
}

/// The size column: plain bytes or [`human_size`], right-aligned in 10 columns.
pub fn size_column(bytes: i64, human: bool) -> String {
    let s = if human { human_size(bytes) } else { bytes.to_string() };
    format!("{s:>10}")
}

/// A bucket line: `DATE TIME name`.
pub fn bucket_line(name: &str, created: Option<DateTime<Utc>>) -> String {
    format!("{} {name}\n", ls_time(created))
}

/// A common-prefix line: `PRE` right-aligned in 30 columns, then the prefix's last component
/// with its `/`, as aws prints it.
pub fn prefix_line(prefix: &str) -> String {
    let parts: Vec<&str> = prefix.split('/').collect();
    let name = if parts.len() >= 2 { parts[parts.len() - 2] } else { prefix };
    format!("{:>30} {}/\n", "PRE", escape_controls(name))
}

/// An object line: `DATE TIME SIZE name`.
pub fn object_line(name: &str, size: i64, modified: Option<DateTime<Utc>>, human: bool) -> String {
    format!("{} {} {}\n", ls_time(modified), size_column(size, human), escape_controls(name))
}

/// Control characters (U+0000–U+001F, U+007F) in a key are printed as `\xNN`, and a backslash
/// next to one as `\\`, so that one object is always one line. Keys without control characters
/// are printed exactly.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_ascii_control()) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Standard output for listings: buffered, flushed per page; a closed pipe becomes
/// [`Error::BrokenPipe`] (exit 0, silent).
pub struct Out {
    w: std::io::BufWriter<std::io::Stdout>,
}

impl Default for Out {
    fn default() -> Self {
        Out { w: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()) }
    }
}

impl Out {
    pub fn write(&mut self, s: &str) -> Result<(), Error> {
        self.w.write_all(s.as_bytes()).map_err(Error::from)
    }
    pub fn flush(&mut self) -> Result<(), Error> {
        self.w.flush().map_err(Error::from)
    }
}

/// Write `s` to stdout now. Errors: [`Error::BrokenPipe`] when the reader went away (exit 0,
/// silent), [`Error::Local`] for other failures (e.g. a full disk).
pub fn print(s: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes()).and_then(|_| out.flush()).map_err(Error::from)
}

/// Credential strings seen in this run (access key ids, secrets, session tokens), so that
/// diagnostics can never print them: see [`redact`].
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Remember a credential string that must never be printed in full.
pub fn register_secret(secret: &str) {
    if secret.len() < 8 {
        return;
    }
    let mut s = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if !s.iter().any(|x| x == secret) {
        s.push(secret.to_string());
    }
}

/// Remember every part of a set of credentials (see [`register_secret`]).
pub fn register_credentials(c: &aws_credential_types::Credentials) {
    register_secret(c.access_key_id());
    register_secret(c.secret_access_key());
    if let Some(t) = c.session_token() {
        register_secret(t);
    }
}

/// `****************` and the last four characters, as `aws configure list` masks keys.
pub fn mask(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{}{tail}", "*".repeat(16))
}

/// Replace every registered credential string in `text` by its [`mask`].
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in secrets.iter() {
        out = out.replace(s.as_str(), &mask(s));
    }
    std::borrow::Cow::Owned(out)
}

/// A `tracing` writer for `-v`: each event is redacted (see [`redact`]) before it reaches stderr.
#[derive(Debug, Default, Clone, Copy)]
pub struct RedactingStderr;

/// One event's buffer; written, redacted, when dropped.
#[derive(Debug, Default)]
pub struct RedactedEvent(Vec<u8>);

impl Write for RedactedEvent {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactedEvent {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let _ = std::io::stderr().write_all(redact(&text).as_bytes());
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactingStderr {
    type Writer = RedactedEvent;
    fn make_writer(&'a self) -> Self::Writer {
        RedactedEvent::default()
    }
}

/// Print an error message to stderr as `s3ro: MESSAGE`.
pub fn error(e: &Error) {
    let text = format!("s3ro: {e}");
    let _ = writeln!(std::io::stderr(), "{}", redact(&text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_match_awscli() {
        assert_eq!(human_size(0), "0 Bytes");
        assert_eq!(human_size(1), "1 Byte");
        assert_eq!(human_size(1023), "1023 Bytes");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(1024 * 1024 * 1024), "1.0 GiB");
    }

    #[test]
    fn line_formats() {
        assert_eq!(prefix_line("input/"), format!("{}PRE input/\n", " ".repeat(27)));
        assert_eq!(prefix_line("a/b/"), format!("{}PRE b/\n", " ".repeat(27)));
        assert_eq!(size_column(23, false), "        23");
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name("a/b c", false), "b c");
        assert_eq!(display_name("a/b c", true), "a/b c");
        assert_eq!(display_name("a/dir/", false), "dir/");
        assert_eq!(display_name("/", false), "/");
        assert_eq!(display_name("x//", false), "x/");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a b"), "a b");
        assert_eq!(escape_controls("a\nb\\"), "a\\x0ab\\\\");
    }
}
