//! `s3ro ls`: buckets, or objects and prefixes, in `aws s3 ls`'s exact text format or as JSON
//! lines; `--recursive` lists independent prefixes concurrently and prints in sequential order.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};

use crate::cli::{LsArgs, Settings};
use crate::client::{Clients, ListPager as Pager, ListRequest, ObjectItem, VersionItem};
use crate::error::Error;
use crate::output::{self, Out};
use crate::uri::S3Uri;

/// List buckets (no path) or `s3://bucket[/prefix]`. Exit code 1 (via [`Error::NoMatch`]) when a
/// prefix was given and the first page was empty, as `aws s3 ls`.
pub async fn run(args: &LsArgs, settings: &Settings) -> Result<u8, Error> {
    let uri = args.path.as_deref().map(S3Uri::parse).transpose()?;
    if uri.is_none() && (args.versions || args.recursive) {
        return Err(Error::Usage(
            "--versions and --recursive need s3://bucket[/prefix]".to_string(),
        ));
    }
    let clients = Arc::new(super::connect(settings).await?);
    let mut p = Printer::new(args);
    let Some(uri) = uri else {
        for b in clients.list_buckets().await? {
            p.bucket(&b.name, b.creation_date)?;
        }
        p.flush()?;
        return Ok(0);
    };
    let req = ListRequest {
        bucket: uri.bucket.clone(),
        prefix: uri.key.clone(),
        delimiter: (!args.recursive).then(|| "/".to_string()),
        page_size: args.page_size,
        requester_pays: args.request_payer.is_some(),
    };
    let first_page_had_entries = if args.versions {
        list_versions(&clients, &req, &mut p).await?
    } else if args.recursive {
        list_recursive(clients.clone(), &req, args.concurrency.into(), &mut p).await?
    } else {
        list_sequential(&clients, &req, &mut p).await?
    };
    if args.summarize {
        p.summary()?;
    }
    p.flush()?;
    if !uri.key.is_empty() && !first_page_had_entries {
        return Err(Error::NoMatch);
    }
    Ok(0)
}

async fn list_sequential(
    clients: &Clients,
    req: &ListRequest,
    p: &mut Printer,
) -> Result<bool, Error> {
    let mut pager = Pager::new(req.clone());
    let mut first: Option<bool> = None;
    while let Some(page) = pager.next(clients).await? {
        first.get_or_insert(!page.prefixes.is_empty() || !page.objects.is_empty());
        for pre in &page.prefixes {
            p.prefix(pre)?;
        }
        for o in &page.objects {
            p.object(o)?;
        }
        p.flush()?;
    }
    Ok(first.unwrap_or(false))
}

async fn list_versions(
    clients: &Clients,
    req: &ListRequest,
    p: &mut Printer,
) -> Result<bool, Error> {
    let mut marker: Option<(String, Option<String>)> = None;
    let mut seen = HashSet::new();
    let mut first: Option<bool> = None;
    loop {
        let page = clients.list_versions_page(req, marker.as_ref()).await?;
        first.get_or_insert(!page.prefixes.is_empty() || !page.versions.is_empty());
        for pre in &page.prefixes {
            p.prefix(pre)?;
        }
        for v in &page.versions {
            p.version(v)?;
        }
        p.flush()?;
        match page.next {
            Some(m) if !seen.insert(m.clone()) => {
                return Err(Error::Other(
                    "S3 returned the same version marker twice; stopping instead of looping".into(),
                ))
            }
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    Ok(first.unwrap_or(false))
}

/// What the producer of a recursive listing hands the printer, in output order.
enum Item {
    Object(ObjectItem),
    /// All keys under one common prefix, page by page, from a task of its own.
    Prefix(mpsc::Receiver<Result<Vec<ObjectItem>, Error>>),
}

/// Pages buffered per prefix ahead of the printer: bounds memory to about
/// concurrency × 4 pages.
const PAGES_AHEAD: usize = 4;

/// `--recursive`: one delimiter listing finds the top-level common prefixes; each is listed in
/// full by its own task (at most `concurrency` at once) while the printer emits everything in
/// the order a single flat listing would (S3 orders keys by their UTF-8 bytes, and every key
/// under prefix `P/` sorts where `P/` does among the top-level objects).
async fn list_recursive(
    clients: Arc<Clients>,
    req: &ListRequest,
    concurrency: usize,
    p: &mut Printer,
) -> Result<bool, Error> {
    let (items_tx, mut items_rx) = mpsc::channel::<Result<Item, Error>>(1024);
    let producer = tokio::spawn(produce(clients, req.clone(), concurrency, items_tx));
    while let Some(item) = items_rx.recv().await {
        match item? {
            Item::Object(o) => p.object(&o)?,
            Item::Prefix(mut pages) => {
                while let Some(page) = pages.recv().await {
                    for o in &page? {
                        p.object(o)?;
                    }
                    p.flush()?;
                }
            }
        }
    }
    producer.await.map_err(|e| Error::Other(format!("listing task failed: {e}")))
}

async fn produce(
    clients: Arc<Clients>,
    req: ListRequest,
    concurrency: usize,
    items: mpsc::Sender<Result<Item, Error>>,
) -> bool {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let top = ListRequest { delimiter: Some("/".to_string()), ..req.clone() };
    let mut pager = Pager::new(top);
    let mut first: Option<bool> = None;
    loop {
        let page = match pager.next(&clients).await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => {
                let _ = items.send(Err(e)).await;
                break;
            }
        };
        first.get_or_insert(!page.prefixes.is_empty() || !page.objects.is_empty());
        let mut objects = page.objects.into_iter().peekable();
        let mut prefixes = page.prefixes.into_iter().peekable();
        loop {
            let take_object = match (objects.peek(), prefixes.peek()) {
                (Some(o), Some(pre)) => o.key.as_str() < pre.as_str(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let item = if take_object {
                Item::Object(objects.next().expect("peeked"))
            } else {
                let prefix = prefixes.next().expect("peeked");
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let (tx, rx) = mpsc::channel(PAGES_AHEAD);
                let sub = ListRequest { prefix, delimiter: None, ..req.clone() };
                let clients = clients.clone();
                tokio::spawn(async move {
                    let mut pager = Pager::new(sub);
                    loop {
                        let msg = match pager.next(&clients).await {
                            Ok(Some(page)) => Ok(page.objects),
                            Ok(None) => break,
                            Err(e) => Err(e),
                        };
                        let failed = msg.is_err();
                        if tx.send(msg).await.is_err() || failed {
                            break;
                        }
                    }
                    drop(permit);
                });
                Item::Prefix(rx)
            };
            if items.send(Ok(item)).await.is_err() {
                return first.unwrap_or(false);
            }
        }
    }
    first.unwrap_or(false)
}

/// Text or JSON lines, with the running totals for `--summarize`.
struct Printer {
    out: Out,
    json: bool,
    human: bool,
    recursive: bool,
    objects: u64,
    bytes: i64,
}

impl Printer {
    fn new(args: &LsArgs) -> Printer {
        Printer {
            out: Out::default(),
            json: args.json,
            human: args.human_readable,
            recursive: args.recursive,
            objects: 0,
            bytes: 0,
        }
    }

    fn json_line(&mut self, v: serde_json::Value) -> Result<(), Error> {
        let mut line = v.to_string();
        line.push('\n');
        self.out.write(&line)
    }

    fn bucket(
        &mut self,
        name: &str,
        created: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), Error> {
        if self.json {
            return self.json_line(serde_json::json!({
                "name": name,
                "creation_date": created.map(output::rfc3339),
            }));
        }
        self.out.write(&output::bucket_line(name, created))
    }

    fn prefix(&mut self, prefix: &str) -> Result<(), Error> {
        if self.json {
            return self.json_line(serde_json::json!({ "prefix": prefix }));
        }
        self.out.write(&output::prefix_line(prefix))
    }

    fn object(&mut self, o: &ObjectItem) -> Result<(), Error> {
        self.objects += 1;
        self.bytes += o.size;
        if self.json {
            return self.json_line(serde_json::json!({
                "key": o.key,
                "size": o.size,
                "last_modified": o.last_modified.map(output::rfc3339),
                "etag": o.etag.as_deref().map(output::unquote_etag),
                "storage_class": o.storage_class,
            }));
        }
        let name = output::display_name(&o.key, self.recursive);
        self.out.write(&output::object_line(&name, o.size, o.last_modified, self.human))
    }

    fn version(&mut self, v: &VersionItem) -> Result<(), Error> {
        if !v.delete_marker {
            self.objects += 1;
            self.bytes += v.size;
        }
        if self.json {
            return self.json_line(serde_json::json!({
                "key": v.key,
                "version_id": v.version_id,
                "is_latest": v.is_latest,
                "delete_marker": v.delete_marker,
                "size": v.size,
                "last_modified": v.last_modified.map(output::rfc3339),
                "etag": v.etag.as_deref().map(output::unquote_etag),
            }));
        }
        let name = output::display_name(&v.key, self.recursive);
        let size = if v.delete_marker {
            format!("{:>10}", "(deleted)")
        } else {
            output::size_column(v.size, self.human)
        };
        let latest = if v.is_latest { "latest" } else { "-     " };
        let line = format!(
            "{} {size} {} {latest} {}\n",
            output::ls_time(v.last_modified),
            v.version_id,
            output::escape_controls(&name)
        );
        self.out.write(&line)
    }

    fn summary(&mut self) -> Result<(), Error> {
        if self.json {
            return self.json_line(serde_json::json!({
                "total_objects": self.objects,
                "total_size": self.bytes,
            }));
        }
        let size = if self.human { output::human_size(self.bytes) } else { self.bytes.to_string() };
        let text =
            format!("\n{:>15}{}\n{:>15}{size}\n", "Total Objects: ", self.objects, "Total Size: ");
        self.out.write(&text)
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.out.flush()
    }
}
