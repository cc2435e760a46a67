//! `s3://bucket/key` URIs.
//!
//! The key is everything after the first `/` following the bucket, byte for byte: no
//! normalisation, no glob characters (`*`, `?`, `[` are literal), `//` and trailing `/` kept.

use crate::error::Error;

/// A parsed `s3://bucket[/key]`. `key` may be empty (the whole bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

impl S3Uri {
    /// Parse `s3://bucket[/key]`.
    ///
    /// Bucket names follow the rules S3 accepts in requests (including legacy names): 1–255
    /// characters of letters, digits, `.`, `-`, `_`. Errors are [`Error::Usage`] (exit 252).
    pub fn parse(s: &str) -> Result<S3Uri, Error> {
        let rest = s.strip_prefix("s3://").ok_or_else(|| {
            Error::Usage(format!("{s:?} is not an S3 URI: expected s3://bucket[/key]"))
        })?;
        let (bucket, key) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(Error::Usage(format!(
                "{s:?} has no bucket name: expected s3://bucket[/key]"
            )));
        }
        let valid = bucket.len() <= 255
            && bucket.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !valid {
            return Err(Error::Usage(format!(
                "invalid bucket name {bucket:?} in {s:?}: bucket names contain only letters, \
                 digits, '.', '-' and '_'"
            )));
        }
        Ok(S3Uri { bucket: bucket.to_string(), key: key.to_string() })
    }

    /// The object's last path component (after the last `/`), as `aws s3 cp` names a download.
    pub fn file_name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or("")
    }
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_and_key_literally() {
        let u = S3Uri::parse("s3://b/a b/[x]*?//").unwrap();
        assert_eq!(u.bucket, "b");
        assert_eq!(u.key, "a b/[x]*?//");
        assert_eq!(S3Uri::parse("s3://b").unwrap().key, "");
        assert_eq!(S3Uri::parse("s3://b/").unwrap().key, "");
        assert_eq!(S3Uri::parse("s3://b//k").unwrap().key, "/k");
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["s3:/b", "s3://", "b/k", "S3://b", "s3:///k", "s3://bad bucket/k", "s3://b@d"] {
            let e = S3Uri::parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), 252, "{bad}");
        }
    }

    #[test]
    fn file_name_is_last_component() {
        assert_eq!(S3Uri::parse("s3://b/in/x y.txt").unwrap().file_name(), "x y.txt");
        assert_eq!(S3Uri::parse("s3://b/in/").unwrap().file_name(), "");
    }
}
