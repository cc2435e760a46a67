//! `s3ro config`: the `aws configure list` table (profile, access_key, secret_key, region with
//! value, type and location), plus the whole credential chain and expiry. Keys are masked to
//! their last four characters, as the AWS CLI does.

use std::time::SystemTime;

use aws_credential_types::Credentials;

use crate::auth::{self, Auth, CredentialSource, ProfileFile, RegionSource};
use crate::cli::{ConfigArgs, Settings};
use crate::error::Error;
use crate::output;

/// One row: value, type, location (as `aws configure list` names them).
struct Row {
    name: &'static str,
    value: String,
    kind: String,
    location: String,
}

pub use crate::output::mask;

/// Print the table (or JSON). Exit 0 when credentials load, 253 (with the reason after the
/// table) when they do not.
pub async fn run(args: &ConfigArgs, settings: &Settings) -> Result<u8, Error> {
    let auth = auth::resolve(settings).await?;
    let loaded = auth.credentials().await;
    let creds = auth.current_credentials().await;
    let source = auth.source();
    let rows = rows(&auth, settings, creds.as_ref(), source.as_ref());
    let expiry = creds.as_ref().and_then(|c| c.expiry());
    if args.json {
        let mut v = serde_json::Map::new();
        for r in &rows {
            v.insert(
                r.name.to_string(),
                serde_json::json!({ "value": r.value, "type": r.kind, "location": r.location }),
            );
        }
        v.insert("credential_source".into(), source.as_ref().map(|s| s.to_string()).into());
        v.insert("credential_type".into(), source.as_ref().map(|s| s.kind()).into());
        if let Some(CredentialSource::AssumeRole { role_arn, base }) = &source {
            v.insert("role_arn".into(), role_arn.clone().into());
            v.insert("assumed_from".into(), base.to_string().into());
        }
        v.insert("expiration".into(), expiry.map(|e| output::rfc3339(e.into())).into());
        if let Err(e) = &loaded {
            v.insert("error".into(), e.to_string().into());
        }
        output::print(&format!("{}\n", serde_json::Value::Object(v)))?;
    } else {
        let mut text = String::new();
        let line = |n: &str, v: &str, t: &str, l: &str| format!("{n:>10} {v:>24} {t:>16}    {l}\n");
        text.push_str(&line("Name", "Value", "Type", "Location"));
        text.push_str(&line("----", "-----", "----", "--------"));
        for r in &rows {
            text.push_str(&line(r.name, &r.value, &r.kind, &r.location));
        }
        if let Some(src) = &source {
            text.push_str(&format!("\ncredentials: {src}\n"));
            if let Some(CredentialSource::AssumeRole { role_arn, .. }) = &source {
                text.push_str(&format!("role_arn:    {role_arn}\n"));
            }
        }
        if let Some(e) = expiry {
            let left = e.duration_since(SystemTime::now()).map(|d| d.as_secs() / 60).unwrap_or(0);
            text.push_str(&format!("expires:     {} (in {left} min)\n", output::rfc3339(e.into())));
        }
        output::print(&text)?;
    }
    loaded.map(|_| 0)
}

fn rows(
    auth: &Auth,
    settings: &Settings,
    creds: Option<&Credentials>,
    source: Option<&CredentialSource>,
) -> Vec<Row> {
    let profile = match (&settings.explicit_profile, auth.profile_from_env) {
        (Some(p), _) => Row {
            name: "profile",
            value: p.clone(),
            kind: "manual".into(),
            location: "--profile".into(),
        },
        (None, true) => Row {
            name: "profile",
            value: auth.profile.clone(),
            kind: "env".into(),
            location: "AWS_PROFILE".into(),
        },
        _ => Row {
            name: "profile",
            value: "<not set>".into(),
            kind: "None".into(),
            location: "None".into(),
        },
    };

    let (kind, location) = match source {
        Some(s @ CredentialSource::ProfileKeys { .. }) => {
            (s.kind().to_string(), ProfileFile::Credentials.path())
        }
        Some(s @ (CredentialSource::AssumeRole { .. } | CredentialSource::OtherProfile { .. })) => {
            (s.kind().to_string(), ProfileFile::Config.path())
        }
        Some(s @ CredentialSource::InstanceRole { .. }) => {
            (s.kind().to_string(), auth.imds.endpoint().to_string())
        }
        Some(s) => (s.kind().to_string(), String::new()),
        None => ("None".to_string(), "None".to_string()),
    };
    let key_row = |name: &'static str, v: Option<String>| match v {
        Some(v) => Row { name, value: mask(&v), kind: kind.clone(), location: location.clone() },
        None => {
            Row { name, value: "<not set>".into(), kind: "None".into(), location: "None".into() }
        }
    };
    let access = key_row("access_key", creds.map(|c| c.access_key_id().to_string()));
    let secret = key_row("secret_key", creds.map(|c| c.secret_access_key().to_string()));
    let region_location = match auth.region_source {
        RegionSource::Flag => "--region".to_string(),
        RegionSource::Env(var) => var.to_string(),
        RegionSource::Profile => ProfileFile::Config.path(),
        RegionSource::Imds => auth.imds.endpoint().to_string(),
        RegionSource::Default => String::new(),
    };
    let region = Row {
        name: "region",
        value: auth.region.clone(),
        kind: auth.region_source.kind().to_string(),
        location: region_location,
    };
    vec![profile, access, secret, region]
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_to_the_last_four() {
        assert_eq!(super::mask("AKIAIOSFODNN7EXAMPLE"), "****************MPLE");
        assert_eq!(super::mask("ab"), "****************ab");
    }
}
