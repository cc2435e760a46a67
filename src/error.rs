//! s3ro's error type and its exit codes.
//!
//! Exit codes follow the AWS CLI v2 ("AWS CLI return codes", AWS CLI User Guide) where one exists:
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success (also: output pipe closed by the reader, e.g. `s3ro ls … \| head`) |
//! | 1    | `ls`: a prefix was given and nothing matched; `get`: a transfer failed |
//! | 2    | `get`: some objects were skipped (archived, unsafe path, file/folder clash) |
//! | 130  | interrupted by SIGINT (129 SIGHUP, 143 SIGTERM); no partial file is left |
//! | 252  | usage error: bad flag or argument, malformed `s3://` URI |
//! | 253  | credentials or configuration error: no credentials, IMDS unreachable, bad profile |
//! | 254  | the service answered with an error: AccessDenied (with the diagnosis), NoSuchBucket, … |
//! | 255  | anything else: network failure, unexpected error |

use crate::diagnose::Denial;

/// Everything that can end an s3ro run. The `Display` text is the message printed after
/// `s3ro: `; [`Error::exit_code`] gives the process exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command line input (exit 252).
    #[error("{0}")]
    Usage(String),
    /// Credentials could not be obtained, or the configuration is unusable (exit 253).
    #[error("{0}")]
    Credentials(String),
    /// S3 or STS refused a request: the message names principal, action and resource (exit 254).
    #[error("{0}")]
    Denied(Box<Denial>),
    /// S3 or STS answered with another error, e.g. NoSuchBucket (exit 254).
    #[error("{0}")]
    Service(String),
    /// An object was skipped on purpose: archived, unsafe local path, file/folder clash
    /// (exit 2, as `aws s3 cp` for skipped files).
    #[error("{0}")]
    Skipped(String),
    /// A download failed after its retries (truncated or corrupt body, object changed); nothing
    /// was saved (exit 1, as `aws s3 cp` for a failed transfer).
    #[error("{0}")]
    TransferFailed(String),
    /// A local file could not be written or read (exit 1).
    #[error("{0}")]
    Local(String),
    /// A prefix was given and nothing matched it (exit 1, no message, as `aws s3 ls`).
    #[error("no objects or prefixes matched")]
    NoMatch,
    /// Standard output was closed by the reader (exit 0, no message).
    #[error("broken pipe")]
    BrokenPipe,
    /// Interrupted by a signal (exit 128 + its number: 130 for SIGINT).
    #[error("interrupted; nothing was saved")]
    Interrupted(i32),
    /// Network failure or anything unexpected (exit 255).
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The process exit code for this error (see the module table).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 252,
            Error::Credentials(_) => 253,
            Error::Denied(_) | Error::Service(_) => 254,
            Error::Local(_) | Error::NoMatch | Error::TransferFailed(_) => 1,
            Error::Skipped(_) => 2,
            Error::BrokenPipe => 0,
            Error::Interrupted(sig) => (128 + sig) as u8,
            Error::Other(_) => 255,
        }
    }

    /// Whether the error is reported with a message (a closed pipe and "no match" are silent).
    pub fn is_silent(&self) -> bool {
        matches!(self, Error::BrokenPipe | Error::NoMatch)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Local(e.to_string())
        }
    }
}
