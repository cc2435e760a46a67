//! `s3ro check`: verify, with read-only probes, which read permissions the current principal has
//! on a bucket/prefix, and print the statements that would grant what is missing.

use serde_json::json;

use crate::cli::{CheckArgs, Settings};
use crate::client::ListRequest;
use crate::diagnose::{partition_for_region, principal_owner};
use crate::error::Error;
use crate::output;
use crate::policy;
use crate::uri::S3Uri;

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    /// Refused; `Some(policy type)` when the service said it was an explicit deny.
    Denied(Option<String>),
    /// Not probed, and why.
    NotTested(String),
    /// The probe failed for another reason (e.g. NoSuchBucket).
    Failed(String),
}

impl Outcome {
    fn from<T>(r: &Result<T, Error>) -> Outcome {
        match r {
            Ok(_) => Outcome::Allowed,
            Err(Error::Denied(d)) => Outcome::Denied(d.explicit_deny_in.clone()),
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    fn text(&self) -> String {
        match self {
            Outcome::Allowed => "allowed".into(),
            Outcome::Denied(None) => "denied (implicit)".into(),
            Outcome::Denied(Some(kind)) => format!("denied (explicit, {kind})"),
            Outcome::NotTested(why) => format!("not tested: {why}"),
            Outcome::Failed(why) => format!("error: {why}"),
        }
    }
}

struct Probe {
    action: &'static str,
    resource: String,
    outcome: Outcome,
}

/// Run the probes and print the table (or `--json`). Exit 0 when everything `ls` and `get` need
/// on the target (`s3:ListBucket`, `s3:GetObject`) is allowed, 1 otherwise.
pub async fn run(args: &CheckArgs, settings: &Settings) -> Result<u8, Error> {
    let uri = S3Uri::parse(&args.target)?;
    let clients = super::connect(settings).await?;
    let partition = partition_for_region(&clients.auth().region);
    let bucket_arn = format!("arn:{partition}:s3:::{}", uri.bucket);
    let mut probes = Vec::new();

    let principal = clients.principal().await;
    probes.push(Probe {
        action: "sts:GetCallerIdentity",
        resource: "*".into(),
        outcome: if principal.arn.is_some() {
            Outcome::Allowed
        } else {
            Outcome::Failed("no answer".into())
        },
    });
    probes.push(Probe {
        action: "s3:ListAllMyBuckets",
        resource: "*".into(),
        outcome: Outcome::from(&clients.list_buckets().await),
    });
    probes.push(Probe {
        action: "s3:GetBucketLocation",
        resource: bucket_arn.clone(),
        outcome: Outcome::from(&clients.bucket_location(&uri.bucket).await),
    });
    let list_req = ListRequest {
        bucket: uri.bucket.clone(),
        prefix: uri.key.clone(),
        delimiter: None,
        page_size: Some(1),
        requester_pays: false,
    };
    let listed = clients.list_page(&list_req, None).await;
    let found_key = listed.as_ref().ok().and_then(|p| p.objects.first().map(|o| o.key.clone()));
    probes.push(Probe {
        action: "s3:ListBucket",
        resource: bucket_arn.clone(),
        outcome: Outcome::from(&listed),
    });

    let key = args.key.clone().or(found_key);
    let object_resource = match &key {
        Some(k) => format!("{bucket_arn}/{k}"),
        None => format!("{bucket_arn}/{}*", uri.key),
    };
    let get = match &key {
        None => Outcome::NotTested(if listed.is_ok() {
            "no object under the prefix; pass --key KEY".into()
        } else {
            "no object known (s3:ListBucket was not allowed); pass --key KEY".into()
        }),
        Some(k) => match clients.head_object(&uri.bucket, k).await {
            Ok(_) => Outcome::from(&clients.get_first_byte(&uri.bucket, k).await),
            Err(e) => Outcome::from::<()>(&Err(e)),
        },
    };
    probes.push(Probe { action: "s3:GetObject", resource: object_resource.clone(), outcome: get });
    probes.push(Probe {
        action: "s3:ListBucketVersions",
        resource: bucket_arn.clone(),
        outcome: Outcome::from(&clients.list_versions_page(&list_req, None).await),
    });
    probes.push(Probe {
        action: "s3:GetObjectTagging",
        resource: object_resource.clone(),
        outcome: match &key {
            Some(k) => Outcome::from(&clients.object_tagging(&uri.bucket, k).await),
            None => Outcome::NotTested("no object known; pass --key KEY".into()),
        },
    });

    let needed = ["s3:ListBucket", "s3:GetObject"];
    let ls_and_get =
        probes.iter().filter(|p| needed.contains(&p.action)).all(|p| p.outcome == Outcome::Allowed);
    // Statements for what was refused, scoped like `s3ro policy` would scope them.
    let scope_object = format!("{bucket_arn}/{}*", uri.key);
    let to_add: Vec<serde_json::Value> = probes
        .iter()
        .filter(|p| matches!(p.outcome, Outcome::Denied(None)))
        .map(|p| {
            let resource = if p.resource.starts_with(&format!("{bucket_arn}/")) {
                scope_object.clone()
            } else {
                p.resource.clone()
            };
            let sid: String = p
                .action
                .trim_start_matches("s3:")
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            policy::allow(&format!("Allow{sid}"), p.action, &resource)
        })
        .collect();
    let explicit: Vec<&Probe> =
        probes.iter().filter(|p| matches!(p.outcome, Outcome::Denied(Some(_)))).collect();
    let owner = principal
        .arn
        .as_deref()
        .and_then(principal_owner)
        .unwrap_or_else(|| "the principal".into());

    if args.json {
        let v = json!({
            "target": uri.to_string(),
            "principal": principal.arn,
            "credentials": principal.credential_source,
            "probes": probes.iter().map(|p| json!({
                "action": p.action, "resource": p.resource, "result": p.outcome.text(),
                "allowed": p.outcome == Outcome::Allowed,
            })).collect::<Vec<_>>(),
            "ls_and_get_allowed": ls_and_get,
            "statements_to_add": to_add,
            "write_permissions_probed": false,
        });
        output::print(&format!("{v}\n"))?;
    } else {
        let mut t = String::new();
        t.push_str(&format!(
            "principal: {}{}\n\n",
            principal.arn.as_deref().unwrap_or("(unknown)"),
            principal
                .credential_source
                .as_deref()
                .map(|s| format!(" [credentials: {s}]"))
                .unwrap_or_default()
        ));
        let w = probes.iter().map(|p| p.resource.chars().count()).max().unwrap_or(8).max(8);
        t.push_str(&format!("{:<22} {:<w$} RESULT\n", "ACTION", "RESOURCE"));
        for p in &probes {
            t.push_str(&format!("{:<22} {:<w$} {}\n", p.action, p.resource, p.outcome.text()));
        }
        t.push('\n');
        t.push_str(&format!(
            "ls and get on {uri}: {}\n",
            if ls_and_get {
                "allowed"
            } else {
                "NOT allowed (needs s3:ListBucket and s3:GetObject)"
            }
        ));
        if !to_add.is_empty() {
            let doc = json!({ "Version": "2012-10-17", "Statement": to_add });
            t.push_str(&format!(
                "\nTo allow what was denied, add to an identity-based policy of {owner}:\n{}\n",
                serde_json::to_string_pretty(&doc).expect("JSON")
            ));
        }
        for p in explicit {
            if let Outcome::Denied(Some(kind)) = &p.outcome {
                t.push_str(&format!(
                    "{} is explicitly denied by a {kind}: adding an Allow will not help; change that {kind}.\n",
                    p.action
                ));
            }
        }
        t.push_str("\nWrite permissions were not probed: s3ro sends only read requests.\n");
        output::print(&t)?;
    }
    Ok(if ls_and_get { 0 } else { 1 })
}
