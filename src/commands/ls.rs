//! `s3ro ls`: buckets, or objects and prefixes, in `aws s3 ls`'s exact text format.

use std::collections::HashSet;

use crate::cli::{LsArgs, Settings};
use crate::client::ListRequest;
use crate::error::Error;
use crate::output::{self, Out};
use crate::uri::S3Uri;

/// List buckets (no path) or `s3://bucket[/prefix]`. Exit code 1 (via [`Error::NoMatch`]) when a
/// prefix was given and its first page was empty, as `aws s3 ls`.
pub async fn run(args: &LsArgs, settings: &Settings) -> Result<u8, Error> {
    let uri = args.path.as_deref().map(S3Uri::parse).transpose()?;
    let clients = super::connect(settings).await?;
    let mut out = Out::default();
    let Some(uri) = uri else {
        for b in clients.list_buckets().await? {
            out.write(&output::bucket_line(&b.name, b.creation_date))?;
        }
        out.flush()?;
        return Ok(0);
    };
    let req = ListRequest {
        bucket: uri.bucket.clone(),
        prefix: uri.key.clone(),
        delimiter: (!args.recursive).then(|| "/".to_string()),
        page_size: args.page_size,
    };
    let (mut objects, mut bytes) = (0u64, 0i64);
    let mut first_page_empty = false;
    let mut token: Option<String> = None;
    let mut seen_tokens = HashSet::new();
    for page_no in 0.. {
        let page = clients.list_page(&req, token.as_deref()).await?;
        if page.prefixes.is_empty() && page.objects.is_empty() && page_no == 0 {
            first_page_empty = true;
        }
        for p in &page.prefixes {
            out.write(&output::prefix_line(p))?;
        }
        for o in &page.objects {
            objects += 1;
            bytes += o.size;
            let name = if args.recursive {
                o.key.as_str()
            } else {
                o.key.rsplit('/').next().unwrap_or("")
            };
            out.write(&output::object_line(
                name,
                o.size,
                o.last_modified,
                args.human_readable,
            ))?;
        }
        out.flush()?;
        match page.next_token {
            Some(t) => {
                if !seen_tokens.insert(t.clone()) {
                    return Err(Error::Other(format!(
                        "S3 returned the same continuation token twice while listing {uri}; \
                         stopping instead of looping"
                    )));
                }
                token = Some(t);
            }
            None => break,
        }
    }
    if args.summarize {
        let size = if args.human_readable {
            output::human_size(bytes)
        } else {
            bytes.to_string()
        };
        out.write(&format!(
            "\n{:>15}{objects}\n{:>15}{size}\n",
            "Total Objects: ", "Total Size: "
        ))?;
        out.flush()?;
    }
    if !uri.key.is_empty() && first_page_empty {
        return Err(Error::NoMatch);
    }
    Ok(0)
}
