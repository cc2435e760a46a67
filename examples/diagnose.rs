//! Turn a refused request into the least-privilege hint, without any network access: the same
//! code s3ro runs when S3 answers AccessDenied.
//!
//! `cargo run --example diagnose`

use s3ro::diagnose::{explain, Operation, Principal, ServiceErrorInfo, Target};

fn main() {
    // What S3 said (status, code, message, request id) ...
    let info = ServiceErrorInfo {
        status: Some(403),
        code: Some("AccessDenied".into()),
        message: Some("Access Denied".into()),
        request_id: Some("EXAMPLE123".into()),
    };
    // ... about which request, and who asked (from sts:GetCallerIdentity).
    let target = Target::object("a10e-com-s3", "input/hello.txt");
    let principal = Principal {
        arn: Some("arn:aws:sts::123456789012:assumed-role/S3ListOnlyRole/s3ro-listonly".into()),
        credential_source: Some("assume-role ← iam-role (IMDSv2, role SwitchOnlyRole)".into()),
    };
    let denial = explain(Operation::GetObject, &target, &info, principal, "aws");
    println!("{denial}");
    println!();
    println!("missing action:   {}", denial.action);
    println!("on resource ARN:  {}", denial.resource);
}
