//! Property tests for the hostile-input surfaces (the project's fuzz targets; cargo-fuzz needs a
//! nightly toolchain this project does not have). Each runs PROPTEST_CASES cases (256 by
//! default; `scripts/fuzz` runs many more).

use std::path::Path;

use proptest::prelude::*;
use s3ro::client::decode_key;
use s3ro::diagnose::parse_enhanced_message;
use s3ro::output::escape_controls;
use s3ro::transfer::Destination;
use s3ro::uri::S3Uri;

/// How S3 encodes a key with `EncodingType=url`: form encoding.
fn s3_url_encode(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%20", "+")
}

fn bucket() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
}

proptest! {
    // Failures found are kept in tests/properties.proptest-regressions and replayed first.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "tests/properties.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn uri_parser_never_panics(s in any::<String>()) {
        let _ = S3Uri::parse(&s);
    }

    #[test]
    fn uri_keys_round_trip_exactly(b in bucket(), key in any::<String>()) {
        let u = S3Uri::parse(&format!("s3://{b}/{key}")).unwrap();
        prop_assert_eq!(&u.bucket, &b);
        prop_assert_eq!(&u.key, &key);
        prop_assert_eq!(S3Uri::parse(&u.to_string()).unwrap(), u);
    }

    #[test]
    fn url_decoding_inverts_s3_encoding(key in any::<String>()) {
        prop_assert_eq!(decode_key(&s3_url_encode(&key)), key);
    }

    #[test]
    fn decoder_never_panics(s in any::<String>()) {
        let _ = decode_key(&s);
    }

    #[test]
    fn key_to_local_path_never_leaves_the_directory(key in any::<String>()) {
        let dir = std::env::temp_dir().join("s3ro-prop-never-created");
        let name = key.rsplit('/').next().unwrap_or("");
        let as_dir = format!("{}/", dir.display());
        if let Ok(Destination::File(p)) = Destination::resolve(Some(Path::new(&as_dir)), name) {
            prop_assert_eq!(p.parent().unwrap(), dir.as_path());
            prop_assert!(p.file_name().is_some());
            prop_assert!(!name.is_empty() && name != "." && name != "..");
        }
    }

    #[test]
    fn recursive_key_mapping_never_leaves_the_directory(
        base in prop::sample::select(vec!["", "in/", "a/b/"]),
        rest in "[a-z./ ]{0,12}(/[a-z./]{0,6}){0,4}",
    ) {
        let dir = std::path::Path::new("/dest/dir");
        let key = format!("{base}{rest}");
        if let Ok(p) = s3ro::transfer::local_path(dir, base, &key) {
            prop_assert!(p.starts_with(dir));
            prop_assert!(p.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::RootDir)));
            prop_assert!(p != dir);
        }
    }

    #[test]
    fn enhanced_message_parser_never_panics(s in any::<String>()) {
        let _ = parse_enhanced_message(&s);
    }

    #[test]
    fn enhanced_messages_are_understood(
        account in "[0-9]{12}",
        role in "[A-Za-z0-9+=,.@_-]{1,64}",
        action in "s3:[A-Z][A-Za-z]{2,30}",
        key in "[a-z0-9/ ._-]{0,40}",
        explicit in any::<bool>(),
        kind in prop::sample::select(vec!["service control policy", "resource-based policy", "VPC endpoint policy", "permissions boundary", "session policy", "identity-based policy"]),
    ) {
        let principal = format!("arn:aws:sts::{account}:assumed-role/{role}/session");
        let resource = format!("arn:aws:s3:::bucket/{key}");
        let tail = if explicit {
            format!("with an explicit deny in a {kind}")
        } else {
            format!("because no {kind} allows the {action} action")
        };
        let msg = format!("User: {principal} is not authorized to perform: {action} on resource: \"{resource}\" {tail}");
        let m = parse_enhanced_message(&msg).unwrap();
        prop_assert_eq!(m.principal.as_deref(), Some(principal.as_str()));
        prop_assert_eq!(m.action.as_deref(), Some(action.as_str()));
        prop_assert_eq!(m.resource.as_deref(), Some(resource.as_str()));
        if explicit {
            prop_assert_eq!(m.explicit_deny_in.as_deref(), Some(kind));
        } else {
            prop_assert_eq!(m.no_allow_in.as_deref(), Some(kind));
        }
    }

    #[test]
    fn escaped_names_are_one_line(s in any::<String>()) {
        let e = escape_controls(&s);
        prop_assert!(!e.chars().any(|c| c.is_ascii_control()));
    }
}
