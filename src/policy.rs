//! Least-privilege IAM documents for read-only use of an S3 target. No I/O.
//!
//! Follows the IAM User Guide ("Policies and permissions in IAM", "Using an IAM role to grant
//! permissions to applications running on Amazon EC2 instances") and the Amazon S3 User Guide
//! ("Policy condition keys: s3:prefix"). Every document is valid IAM policy JSON.

use serde_json::{json, Value};

/// The `s3:prefix` patterns that let `ListObjectsV2` list under `prefix`: the prefix itself and
/// everything below it. An empty prefix needs no condition.
fn prefix_patterns(prefix: &str) -> Vec<String> {
    vec![prefix.to_string(), format!("{prefix}*")]
}

/// One `Allow` statement for `action` on `resource` (`Resource: "*"` when `resource` is `*`).
pub fn allow(sid: &str, action: &str, resource: &str) -> Value {
    json!({ "Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource })
}

/// The identity-based policy for reading `s3://bucket/prefix`:
/// `s3:ListBucket` on the bucket (with an `s3:prefix` condition when a prefix is given),
/// `s3:GetObject` on `arn:PARTITION:s3:::bucket/prefix*`, and `s3:GetBucketLocation` (lets tools
/// find the bucket's region; optional).
pub fn read_only_policy(bucket: &str, prefix: &str, partition: &str) -> Value {
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    let mut list = allow("ListTheBucket", "s3:ListBucket", &bucket_arn);
    if !prefix.is_empty() {
        list["Sid"] = json!("ListThePrefix");
        list["Condition"] = json!({ "StringLike": { "s3:prefix": prefix_patterns(prefix) } });
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [
            list,
            allow("ReadTheObjects", "s3:GetObject", &format!("{bucket_arn}/{prefix}*")),
            allow("FindTheBucketRegion", "s3:GetBucketLocation", &bucket_arn),
        ]
    })
}

/// The four documents of the switch-role pattern plus the `~/.aws/config` profile:
/// the instance role may only `sts:AssumeRole` into the reader role and is trusted by EC2; the
/// reader role holds [`read_only_policy`] and trusts the instance role.
pub fn switch_role_documents(
    account: &str,
    instance_role: &str,
    reader_role: &str,
    bucket: &str,
    prefix: &str,
    partition: &str,
) -> Value {
    let reader_arn = format!("arn:{partition}:iam::{account}:role/{reader_role}");
    let instance_arn = format!("arn:{partition}:iam::{account}:role/{instance_role}");
    let profile = reader_role.to_ascii_lowercase();
    json!({
        "instance_role": {
            "name": instance_role,
            "identity_policy": {
                "Version": "2012-10-17",
                "Statement": [allow("SwitchToTheReaderOnly", "sts:AssumeRole", &reader_arn)],
            },
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "Ec2InstancesOnly",
                    "Effect": "Allow",
                    "Principal": { "Service": "ec2.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                }],
            },
        },
        "reader_role": {
            "name": reader_role,
            "identity_policy": read_only_policy(bucket, prefix, partition),
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "TheInstanceRoleOnly",
                    "Effect": "Allow",
                    "Principal": { "AWS": instance_arn },
                    "Action": "sts:AssumeRole",
                }],
            },
        },
        "config_profile": format!(
            "[profile {profile}]\nrole_arn = {reader_arn}\ncredential_source = Ec2InstanceMetadata\n"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_policy_scopes_to_the_prefix() {
        let p = read_only_policy("b", "input/", "aws");
        let st = p["Statement"].as_array().unwrap();
        assert_eq!(st[0]["Action"], "s3:ListBucket");
        assert_eq!(st[0]["Resource"], "arn:aws:s3:::b");
        assert_eq!(st[0]["Condition"]["StringLike"]["s3:prefix"], json!(["input/", "input/*"]));
        assert_eq!(st[1]["Resource"], "arn:aws:s3:::b/input/*");
        let whole = read_only_policy("b", "", "aws-cn");
        assert!(whole["Statement"][0].get("Condition").is_none());
        assert_eq!(whole["Statement"][1]["Resource"], "arn:aws-cn:s3:::b/*");
    }

    #[test]
    fn switch_role_documents_link_the_two_roles() {
        let d = switch_role_documents(
            "123456789012",
            "SwitchOnlyRole",
            "S3ReadOnlyRole",
            "b",
            "",
            "aws",
        );
        assert_eq!(
            d["instance_role"]["identity_policy"]["Statement"][0]["Resource"],
            "arn:aws:iam::123456789012:role/S3ReadOnlyRole"
        );
        assert_eq!(
            d["reader_role"]["trust_policy"]["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::123456789012:role/SwitchOnlyRole"
        );
        assert!(d["config_profile"]
            .as_str()
            .unwrap()
            .contains("credential_source = Ec2InstanceMetadata"));
    }
}
