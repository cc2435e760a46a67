//! AccessDenied diagnosis: which IAM action on which resource ARN a refused request needed, who
//! was refused, and what to change. No I/O: callers pass in what they know.
//!
//! The table [`REQUIREMENTS`] follows the AWS Service Authorization Reference, "Actions,
//! resources, and condition keys for Amazon S3" and "… for AWS Security Token Service", and the
//! Amazon S3 User Guide, "Required permissions for Amazon S3 API operations".

use std::fmt;

/// An S3 or STS operation s3ro performs (the API operation name, as in the S3 API Reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ListBuckets,
    ListObjectsV2,
    ListObjectVersions,
    HeadBucket,
    GetBucketLocation,
    GetObject,
    HeadObject,
    GetObjectTagging,
    GetObjectAttributes,
    GetObjectAcl,
    AssumeRole,
    GetCallerIdentity,
}

impl Operation {
    /// The API operation name, e.g. `ListObjectsV2`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::ListBuckets => "ListBuckets",
            Operation::ListObjectsV2 => "ListObjectsV2",
            Operation::ListObjectVersions => "ListObjectVersions",
            Operation::HeadBucket => "HeadBucket",
            Operation::GetBucketLocation => "GetBucketLocation",
            Operation::GetObject => "GetObject",
            Operation::HeadObject => "HeadObject",
            Operation::GetObjectTagging => "GetObjectTagging",
            Operation::GetObjectAttributes => "GetObjectAttributes",
            Operation::GetObjectAcl => "GetObjectAcl",
            Operation::AssumeRole => "AssumeRole",
            Operation::GetCallerIdentity => "GetCallerIdentity",
        }
    }
}

/// The kind of resource an action is authorized against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceShape {
    /// No resource-level permission: the policy's Resource must be `*`.
    Any,
    /// `arn:PARTITION:s3:::BUCKET`
    Bucket,
    /// `arn:PARTITION:s3:::BUCKET/KEY`
    Object,
    /// The role ARN being assumed.
    Role,
}

/// One row of the operation → IAM action → resource table.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    pub operation: Operation,
    /// The IAM action the operation needs.
    pub action: &'static str,
    /// The action needed instead when a version id is given (`s3:GetObjectVersion` …).
    pub versioned_action: Option<&'static str>,
    pub resource: ResourceShape,
}

const fn req(
    operation: Operation,
    action: &'static str,
    versioned_action: Option<&'static str>,
    resource: ResourceShape,
) -> Requirement {
    Requirement { operation, action, versioned_action, resource }
}

/// S3 operation → IAM action → resource ARN shape (sources in the module docs).
pub const REQUIREMENTS: &[Requirement] = &[
    req(Operation::ListBuckets, "s3:ListAllMyBuckets", None, ResourceShape::Any),
    req(Operation::ListObjectsV2, "s3:ListBucket", None, ResourceShape::Bucket),
    req(Operation::HeadBucket, "s3:ListBucket", None, ResourceShape::Bucket),
    req(Operation::ListObjectVersions, "s3:ListBucketVersions", None, ResourceShape::Bucket),
    req(Operation::GetBucketLocation, "s3:GetBucketLocation", None, ResourceShape::Bucket),
    req(Operation::GetObject, "s3:GetObject", Some("s3:GetObjectVersion"), ResourceShape::Object),
    req(Operation::HeadObject, "s3:GetObject", Some("s3:GetObjectVersion"), ResourceShape::Object),
    req(
        Operation::GetObjectTagging,
        "s3:GetObjectTagging",
        Some("s3:GetObjectVersionTagging"),
        ResourceShape::Object,
    ),
    req(
        Operation::GetObjectAttributes,
        "s3:GetObjectAttributes",
        Some("s3:GetObjectVersionAttributes"),
        ResourceShape::Object,
    ),
    req(
        Operation::GetObjectAcl,
        "s3:GetObjectAcl",
        Some("s3:GetObjectVersionAcl"),
        ResourceShape::Object,
    ),
    req(Operation::AssumeRole, "sts:AssumeRole", None, ResourceShape::Role),
    req(Operation::GetCallerIdentity, "sts:GetCallerIdentity", None, ResourceShape::Any),
];

/// The row of [`REQUIREMENTS`] for an operation.
pub fn requirement(op: Operation) -> &'static Requirement {
    REQUIREMENTS.iter().find(|r| r.operation == op).expect("every operation has a row")
}

/// The ARN partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws`.
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// What a request was about.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub version_id: Option<String>,
    /// For AssumeRole: the role ARN.
    pub role_arn: Option<String>,
    /// The request carried `x-amz-request-payer: requester`.
    pub requester_pays: bool,
}

impl Target {
    pub fn bucket(bucket: &str) -> Target {
        Target { bucket: Some(bucket.to_string()), ..Default::default() }
    }
    pub fn object(bucket: &str, key: &str) -> Target {
        Target {
            bucket: Some(bucket.to_string()),
            key: Some(key.to_string()),
            ..Default::default()
        }
    }
    pub fn role(role_arn: &str) -> Target {
        Target { role_arn: Some(role_arn.to_string()), ..Default::default() }
    }

    /// `s3://bucket/key`, the role ARN, or `all buckets`.
    pub fn display(&self) -> String {
        match (&self.bucket, &self.key, &self.role_arn) {
            (Some(b), Some(k), _) => format!("s3://{b}/{k}"),
            (Some(b), None, _) => format!("s3://{b}/"),
            (None, _, Some(r)) => r.clone(),
            _ => "all buckets".to_string(),
        }
    }
}

/// The IAM action and resource ARN an operation on a target needs. The resource is `*` for
/// actions without resource-level permissions.
pub fn required_permission(op: Operation, target: &Target, partition: &str) -> (String, String) {
    let row = requirement(op);
    let action = match (target.version_id.is_some(), row.versioned_action) {
        (true, Some(v)) => v,
        _ => row.action,
    };
    let bucket = target.bucket.as_deref().unwrap_or("*");
    let resource = match row.resource {
        ResourceShape::Any => "*".to_string(),
        ResourceShape::Bucket => format!("arn:{partition}:s3:::{bucket}"),
        ResourceShape::Object => {
            format!("arn:{partition}:s3:::{bucket}/{}", target.key.as_deref().unwrap_or("*"))
        }
        ResourceShape::Role => target.role_arn.clone().unwrap_or_else(|| "*".to_string()),
    };
    (action.to_string(), resource)
}

/// What the service said about a failed request.
#[derive(Debug, Clone, Default)]
pub struct ServiceErrorInfo {
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

impl ServiceErrorInfo {
    /// Whether this answer is a permission refusal: code `AccessDenied`, or a 403 without a code
    /// (HEAD responses have no body, so no code).
    pub fn is_denial(&self) -> bool {
        match self.code.as_deref() {
            Some("AccessDenied") => true,
            None | Some("") => self.status == Some(403),
            _ => false,
        }
    }
}

/// AWS's enhanced AccessDenied message, parsed: "User: ARN is not authorized to perform: ACTION
/// on resource: "ARN" because no identity-based policy allows the ACTION action" or "… with an
/// explicit deny in a service control policy" (IAM User Guide, "Troubleshoot access denied
/// error messages").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnhancedMessage {
    pub principal: Option<String>,
    pub action: Option<String>,
    pub resource: Option<String>,
    /// `Some(policy type)` for an explicit deny.
    pub explicit_deny_in: Option<String>,
    /// `Some(policy type)` for "because no POLICY TYPE allows".
    pub no_allow_in: Option<String>,
}

/// Parse an enhanced AccessDenied message; `None` when the message carries none of its parts
/// (moto and many S3 answers say only "Access Denied").
pub fn parse_enhanced_message(msg: &str) -> Option<EnhancedMessage> {
    let mut m = EnhancedMessage::default();
    if let Some(rest) = msg.strip_prefix("User: ") {
        m.principal = rest.split_whitespace().next().map(str::to_string);
    }
    if let Some(i) = msg.find("not authorized to perform: ") {
        let rest = &msg[i + "not authorized to perform: ".len()..];
        m.action =
            rest.split_whitespace().next().map(|s| s.trim_end_matches(['.', ',']).to_string());
    }
    if let Some(i) = msg.find(" on resource: ") {
        let rest = msg[i + " on resource: ".len()..].trim_start();
        let res = match rest.strip_prefix('"') {
            Some(q) => q.split('"').next().unwrap_or(""),
            None => rest.split_whitespace().next().unwrap_or(""),
        };
        m.resource = Some(res.to_string()).filter(|s| !s.is_empty());
    }
    if let Some(i) = msg.find("with an explicit deny in ") {
        let rest = &msg[i + "with an explicit deny in ".len()..];
        let rest = rest.strip_prefix("an ").or_else(|| rest.strip_prefix("a ")).unwrap_or(rest);
        m.explicit_deny_in = Some(policy_type(rest));
    } else if let Some(i) = msg.find("because no ") {
        let rest = &msg[i + "because no ".len()..];
        m.no_allow_in = Some(policy_type(rest.split(" allows").next().unwrap_or(rest)));
    }
    (m != EnhancedMessage::default()).then_some(m)
}

fn policy_type(s: &str) -> String {
    let end = s.find([':', '.', ',']).unwrap_or(s.len());
    s[..end].trim().to_string()
}

/// The principal that was refused, as far as it is known.
#[derive(Debug, Clone, Default)]
pub struct Principal {
    /// The caller's ARN (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, `…:user/NAME`).
    pub arn: Option<String>,
    /// How its credentials were obtained, e.g. `assume-role ← iam-role (IMDSv2)`.
    pub credential_source: Option<String>,
}

/// What a principal ARN says about who to change: `role NAME` or `IAM user NAME`.
pub fn principal_owner(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        return rest.split('/').next().map(|r| format!("role {r}"));
    }
    if let Some(rest) = resource.strip_prefix("role/") {
        return rest.rsplit('/').next().map(|r| format!("role {r}"));
    }
    if let Some(rest) = resource.strip_prefix("user/") {
        return rest.rsplit('/').next().map(|u| format!("IAM user {u}"));
    }
    None
}

/// A fully explained refusal. `Display` gives the message: a first line, then indented details.
#[derive(Debug, Clone)]
pub struct Denial {
    pub operation: Operation,
    pub target: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub principal: Principal,
    pub action: String,
    pub resource: String,
    /// `Some(policy type)` when the service said an explicit deny refused the request.
    pub explicit_deny_in: Option<String>,
    pub fix: String,
    pub notes: Vec<String>,
}

/// Explain a refused request.
///
/// `partition` is from [`partition_for_region`]. When the service's message is AWS's enhanced
/// form, its action, resource and policy type take precedence over the table.
pub fn explain(
    op: Operation,
    target: &Target,
    info: &ServiceErrorInfo,
    principal: Principal,
    partition: &str,
) -> Denial {
    let (mut action, mut resource) = required_permission(op, target, partition);
    let enhanced = info.message.as_deref().and_then(parse_enhanced_message).unwrap_or_default();
    if let Some(a) = &enhanced.action {
        action = a.clone();
    }
    if let Some(r) = &enhanced.resource {
        resource = r.clone();
    }
    let principal = Principal {
        arn: principal.arn.or(enhanced.principal.clone()),
        credential_source: principal.credential_source,
    };
    let owner = principal.arn.as_deref().and_then(principal_owner);
    let fix = match &enhanced.explicit_deny_in {
        Some(kind) => format!(
            "an explicit Deny in a {kind} refuses this; adding an Allow will not help: change \
             that {kind} (or use a principal it does not deny)"
        ),
        None => {
            let whose = match &owner {
                Some(o) => format!("an identity-based policy of {o}"),
                None => "an identity-based policy of the principal s3ro runs as".to_string(),
            };
            let res = if resource == "*" { "\"*\"".to_string() } else { resource.clone() };
            let mut fix = format!("allow {action} on {res} in {whose}");
            if op == Operation::AssumeRole {
                fix.push_str(&format!(
                    ", and make the trust policy of {} trust that principal",
                    target.role_arn.as_deref().unwrap_or("the role")
                ));
            } else {
                fix.push_str(", or switch to a role that has it (--profile / --role-arn)");
            }
            fix
        }
    };
    let mut notes = Vec::new();
    if matches!(op, Operation::GetObject | Operation::HeadObject) {
        if let Some(b) = &target.bucket {
            notes.push(format!(
                "if the principal lacks s3:ListBucket on arn:{partition}:s3:::{b}, S3 answers 403 \
                 instead of 404 for a key that does not exist, so the key may also be missing"
            ));
        }
    }
    if target.bucket.is_some() && !target.requester_pays && enhanced.action.is_none() {
        notes.push(
            "if the bucket is a Requester Pays bucket, S3 refuses requests that do not say \
             --request-payer requester"
                .to_string(),
        );
    }
    Denial {
        operation: op,
        target: target.display(),
        status: info.status,
        request_id: info.request_id.clone(),
        principal,
        action,
        resource,
        explicit_deny_in: enhanced.explicit_deny_in,
        fix,
        notes,
    }
}

/// Rewrite a GetObject refusal of an SSE-KMS object: the missing permission is most likely
/// `kms:Decrypt` on the object's key (Amazon S3 User Guide, "Using server-side encryption with
/// AWS KMS keys": reading such an object needs kms:Decrypt on the key).
pub fn apply_kms(d: &mut Denial, key_arn: &str) {
    let s3_action = std::mem::replace(&mut d.action, "kms:Decrypt".to_string());
    let s3_resource = std::mem::replace(&mut d.resource, key_arn.to_string());
    d.fix = format!(
        "allow kms:Decrypt on {key_arn} for this principal (its identity-based policy, and the \
         key policy if the key is in another account); {s3_action} on {s3_resource} is needed too"
    );
    d.notes.retain(|n| !n.contains("403 instead of 404"));
    d.notes.push("the object is encrypted with SSE-KMS (HeadObject shows aws:kms)".to_string());
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessDenied: {} on {} was refused", self.operation.name(), self.target)?;
        let mut meta = Vec::new();
        if let Some(s) = self.status {
            meta.push(format!("HTTP {s}"));
        }
        if let Some(r) = &self.request_id {
            meta.push(format!("request id {r}"));
        }
        if !meta.is_empty() {
            write!(f, " ({})", meta.join(", "))?;
        }
        let who =
            self.principal.arn.as_deref().unwrap_or("(unknown: sts:GetCallerIdentity failed)");
        write!(f, "\n  principal: {who}")?;
        if let Some(src) = &self.principal.credential_source {
            write!(f, " [credentials: {src}]")?;
        }
        let why = match &self.explicit_deny_in {
            Some(kind) => format!("explicitly denied by a {kind}"),
            None => "no policy allows it (implicit deny)".to_string(),
        };
        write!(f, "\n  missing:   {} on {} — {why}", self.action, self.resource)?;
        write!(f, "\n  to fix:    {}", self.fix)?;
        for n in &self.notes {
            write!(f, "\n  note:      {n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_maps_operations_to_actions_and_arns() {
        let t = Target::object("b", "in/x y.txt");
        assert_eq!(
            required_permission(Operation::GetObject, &t, "aws"),
            ("s3:GetObject".into(), "arn:aws:s3:::b/in/x y.txt".into())
        );
        let mut v = t.clone();
        v.version_id = Some("v1".into());
        assert_eq!(required_permission(Operation::GetObject, &v, "aws").0, "s3:GetObjectVersion");
        assert_eq!(
            required_permission(Operation::ListObjectsV2, &Target::bucket("b"), "aws-cn"),
            ("s3:ListBucket".into(), "arn:aws-cn:s3:::b".into())
        );
        assert_eq!(
            required_permission(Operation::ListBuckets, &Target::default(), "aws"),
            ("s3:ListAllMyBuckets".into(), "*".into())
        );
        let r = "arn:aws:iam::1:role/R";
        assert_eq!(required_permission(Operation::AssumeRole, &Target::role(r), "aws").1, r);
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_for_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_for_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_for_region("ap-northeast-1"), "aws");
    }

    #[test]
    fn denial_detection() {
        let mut i = ServiceErrorInfo { status: Some(403), ..Default::default() };
        assert!(i.is_denial(), "HEAD 403 without a code is a denial");
        i.code = Some("SignatureDoesNotMatch".into());
        assert!(!i.is_denial());
        i.code = Some("AccessDenied".into());
        assert!(i.is_denial());
    }

    #[test]
    fn parses_enhanced_messages() {
        let implicit = "User: arn:aws:sts::123456789012:assumed-role/R/s is not authorized to \
            perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" because no identity-based \
            policy allows the s3:GetObject action";
        let m = parse_enhanced_message(implicit).unwrap();
        assert_eq!(m.principal.as_deref(), Some("arn:aws:sts::123456789012:assumed-role/R/s"));
        assert_eq!(m.action.as_deref(), Some("s3:GetObject"));
        assert_eq!(m.resource.as_deref(), Some("arn:aws:s3:::b/k"));
        assert_eq!(m.no_allow_in.as_deref(), Some("identity-based policy"));
        assert_eq!(m.explicit_deny_in, None);
        let explicit = "User: arn:aws:iam::1:user/u is not authorized to perform: s3:ListBucket \
            on resource: \"arn:aws:s3:::b\" with an explicit deny in a service control policy";
        let m = parse_enhanced_message(explicit).unwrap();
        assert_eq!(m.explicit_deny_in.as_deref(), Some("service control policy"));
        assert!(parse_enhanced_message("Access Denied").is_none());
    }

    #[test]
    fn explains_with_principal_and_fix() {
        let info = ServiceErrorInfo {
            status: Some(403),
            code: Some("AccessDenied".into()),
            message: Some("Access Denied".into()),
            request_id: Some("RID".into()),
        };
        let p = Principal {
            arn: Some("arn:aws:sts::123456789012:assumed-role/S3ListOnlyRole/s".into()),
            credential_source: Some("assume-role".into()),
        };
        let d = explain(Operation::GetObject, &Target::object("b", "k"), &info, p, "aws");
        let text = d.to_string();
        assert!(text.starts_with(
            "AccessDenied: GetObject on s3://b/k was refused (HTTP 403, request id RID)"
        ));
        assert!(text.contains("s3:GetObject on arn:aws:s3:::b/k"));
        assert!(text.contains("identity-based policy of role S3ListOnlyRole"));
        assert!(text.contains("403 instead of 404"));
    }

    #[test]
    fn explicit_deny_says_allow_will_not_help() {
        let info = ServiceErrorInfo {
            status: Some(403),
            code: Some("AccessDenied".into()),
            message: Some(
                "User: arn:aws:iam::1:user/u is not authorized to perform: \
                s3:ListBucket on resource: \"arn:aws:s3:::b\" with an explicit deny in a \
                resource-based policy"
                    .into(),
            ),
            request_id: None,
        };
        let d = explain(
            Operation::ListObjectsV2,
            &Target::bucket("b"),
            &info,
            Principal::default(),
            "aws",
        );
        assert_eq!(d.principal.arn.as_deref(), Some("arn:aws:iam::1:user/u"));
        assert!(d.to_string().contains("adding an Allow will not help"));
        assert!(d.to_string().contains("resource-based policy"));
    }
}
