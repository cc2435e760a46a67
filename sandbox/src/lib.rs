//! Offline AWS sandbox for s3ro's demo and integration tests.
//!
//! * [`moto::Moto`] runs a real moto server (S3, STS, IAM) on 127.0.0.1, seeded with the
//!   scenario's world (bucket `a10e-com-s3`, roles `S3ReadOnlyRole`, `SwitchOnlyRole`,
//!   `S3ListOnlyRole`; documents in `examples/iam/`) and IAM enforcement turned on.
//! * [`imds::ImdsEmulator`] is an IMDSv2 endpoint whose instance-role credentials come from a
//!   real `sts:AssumeRole` on that moto, so moto's policy enforcement sees the instance role.
//!   It can be told to misbehave (hanging token PUT, 401s, a failed credentials `Code`).
//!
//! Nothing in s3ro knows about this crate: it is pointed at the sandbox only through the usual
//! `AWS_ENDPOINT_URL`, `AWS_EC2_METADATA_SERVICE_ENDPOINT` and `AWS_CONFIG_FILE` variables.

pub mod imds;
pub mod moto;

/// The scenario's AWS account id (moto's default account).
pub const ACCOUNT: &str = "123456789012";
/// The scenario's bucket (the article's bucket name).
pub const BUCKET: &str = "a10e-com-s3";
/// Region of the scenario (the article's instance runs in Tokyo).
pub const REGION: &str = "ap-northeast-1";
/// Instance id the emulator reports; also the role session name of the instance role, as on EC2.
pub const INSTANCE_ID: &str = "i-0123456789abcdef0";

/// Root of the s3ro workspace (where `.venv/`, `sandbox/` and `examples/` live).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sandbox crate lives inside the workspace")
        .to_path_buf()
}
