//! `s3ro get` / `s3ro cat`: downloads that never leave a partial file, never write outside the
//! destination, and say exactly what failed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use futures_util::StreamExt;
use globset::{Glob, GlobMatcher};
use tokio::signal::unix::{signal, SignalKind};

use crate::cli::{CatArgs, Filter, GetArgs, ObjectOpts, Settings};
use crate::client::{Clients, GetOptions, ListPager, ListRequest, ObjectItem};
use crate::error::Error;
use crate::output;
use crate::transfer::{self, Destination, PartPlan, PreparedFile};
use crate::uri::S3Uri;

const MIB: u64 = 1024 * 1024;

fn get_options(o: &ObjectOpts) -> GetOptions {
    GetOptions {
        version_id: o.version_id.clone(),
        range: o.range.clone(),
        if_match: None,
        requester_pays: o.request_payer.is_some(),
    }
}

/// `s3ro cat`: the object (or a range of it) to stdout.
pub async fn cat(args: &CatArgs, settings: &Settings) -> Result<u8, Error> {
    let uri = object_uri(&args.source)?;
    interruptible(async {
        let clients = super::connect(settings).await?;
        let object =
            clients.get_object_with(&uri.bucket, &uri.key, &get_options(&args.object)).await?;
        transfer::write_stdout(object.body, object.content_length).await?;
        Ok(0)
    })
    .await
}

fn object_uri(source: &str) -> Result<S3Uri, Error> {
    let uri = S3Uri::parse(source)?;
    if uri.key.is_empty() {
        return Err(Error::Usage(format!("{source:?} names no object: expected s3://bucket/key")));
    }
    Ok(uri)
}

/// Run `work`, stopping on SIGINT, SIGTERM or SIGHUP with exit 128 + the signal number. Work
/// in flight is dropped, which removes temporary files.
async fn interruptible<F: std::future::Future<Output = Result<u8, Error>>>(
    work: F,
) -> Result<u8, Error> {
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::Other(e.to_string()))?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| Error::Other(e.to_string()))?;
    tokio::select! {
        r = work => r,
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted(2)),
        _ = term.recv() => Err(Error::Interrupted(15)),
        _ = hup.recv() => Err(Error::Interrupted(1)),
    }
}

/// `s3ro get`: one object, or with `--recursive` every key under a prefix.
pub async fn run(args: &GetArgs, settings: &Settings) -> Result<u8, Error> {
    if args.recursive {
        return recursive(args, settings).await;
    }
    let uri = object_uri(&args.source)?;
    let dest = Destination::resolve(args.dest.as_deref(), uri.file_name())?;
    if let (true, Destination::File(p)) = (args.no_clobber, &dest) {
        if p.exists() {
            return Ok(0);
        }
    }
    if args.dryrun {
        let to = match &dest {
            Destination::Stdout => "-".to_string(),
            Destination::File(p) | Destination::Special(p) => p.display().to_string(),
        };
        output::print(&format!("(dryrun) download: {uri} to {to}\n"))?;
        return Ok(0);
    }
    let prepared = match &dest {
        Destination::File(p) => Some(PreparedFile::new(p)?),
        _ => None,
    };
    let opts = get_options(&args.object);
    let plan = part_plan(args);
    interruptible(async {
        let clients = super::connect(settings).await?;
        match (&dest, prepared) {
            (Destination::Stdout, _) => {
                let o = clients.get_object_with(&uri.bucket, &uri.key, &opts).await?;
                transfer::write_stdout(o.body, o.content_length).await?;
            }
            (Destination::Special(p), _) => {
                let o = clients.get_object_with(&uri.bucket, &uri.key, &opts).await?;
                transfer::write_special(p, o.body, o.content_length).await?;
            }
            (Destination::File(p), Some(file)) => {
                transfer::download(&clients, &uri.bucket, &uri.key, &opts, file, plan, None)
                    .await?;
                if !args.quiet {
                    report_line(args.json, &uri.key, p, "downloaded", None)?;
                }
            }
            (Destination::File(_), None) => unreachable!("prepared above"),
        }
        Ok(0)
    })
    .await
}

fn part_plan(args: &GetArgs) -> PartPlan {
    PartPlan {
        threshold: args.multipart_threshold * MIB,
        part_size: args.part_size * MIB,
        part_concurrency: usize::from(args.concurrency).clamp(1, 8),
        fsync: args.fsync,
    }
}

fn report_line(
    json: bool,
    key: &str,
    path: &Path,
    status: &str,
    error: Option<&str>,
) -> Result<(), Error> {
    if json {
        let v = serde_json::json!({
            "key": key, "path": path.display().to_string(), "status": status, "error": error,
        });
        return output::print(&format!("{v}\n"));
    }
    match status {
        "downloaded" => output::print(&format!("download: {key} to {}\n", path.display())),
        _ => Ok(()),
    }
}

/// `--include` / `--exclude`, aws style: every filter is tried in order and the last one that
/// matches decides; no match means included. Patterns match the key relative to the prefix,
/// and `*` also matches `/` (like aws's fnmatch).
struct Filters(Vec<(bool, GlobMatcher)>);

impl Filters {
    fn new(filters: &[Filter]) -> Result<Filters, Error> {
        let mut out = Vec::new();
        for f in filters {
            let (include, pat) = match f {
                Filter::Include(p) => (true, p),
                Filter::Exclude(p) => (false, p),
            };
            let glob =
                Glob::new(pat).map_err(|e| Error::Usage(format!("bad pattern {pat:?}: {e}")))?;
            out.push((include, glob.compile_matcher()));
        }
        Ok(Filters(out))
    }

    fn included(&self, rel: &str) -> bool {
        let mut verdict = true;
        for (include, m) in &self.0 {
            if m.is_match(rel) {
                verdict = *include;
            }
        }
        verdict
    }
}

/// What happened to one object of a recursive download.
enum Fate {
    Downloaded(u64),
    /// `--no-clobber` and the file exists: expected, not a skip worth exit 2.
    Exists,
    Skipped(String),
    Failed(String),
}

async fn recursive(args: &GetArgs, settings: &Settings) -> Result<u8, Error> {
    let uri = S3Uri::parse(&args.source)?;
    let dir = args.dest.clone().unwrap_or_else(|| PathBuf::from("."));
    if dir == Path::new("-") {
        return Err(Error::Usage("--recursive downloads into a directory, not stdout".into()));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!("{} is not a directory", dir.display())));
    }
    if args.object.range.is_some() || args.object.version_id.is_some() {
        return Err(Error::Usage(
            "--range and --version-id name one object; drop --recursive".into(),
        ));
    }
    let filters = Filters::new(&args.filters)?;
    // Keys map relative to the prefix's "directory": s3://b/in/ → in/…, s3://b/inp → the root.
    let base = match uri.key.rfind('/') {
        Some(i) => uri.key[..=i].to_string(),
        None => String::new(),
    };
    let started = Instant::now();
    interruptible(async {
        let clients = super::connect(settings).await?;
        let objects = list_all(&clients, &uri, args.object.request_payer.is_some()).await?;
        let mut plan: Vec<(ObjectItem, PathBuf)> = Vec::new();
        let mut skipped: Vec<(String, String)> = Vec::new();
        for o in objects {
            let rel = o.key.strip_prefix(&base).unwrap_or(&o.key).to_string();
            if o.key.ends_with('/') {
                if o.size > 0 {
                    skipped.push((o.key.clone(), format!("folder marker with {} bytes of data", o.size)));
                }
                continue; // zero-byte "folder" markers are not files
            }
            if !filters.included(&rel) {
                continue;
            }
            match transfer::local_path(&dir, &base, &o.key) {
                Ok(p) => plan.push((o, p)),
                Err(why) => skipped.push((o.key.clone(), format!("unsafe path: {why}"))),
            }
        }
        // A key that is both an object and a "folder" of other keys (a and a/b) cannot be both a
        // file and a directory: report it once, download the rest.
        let dirs: HashSet<PathBuf> = plan
            .iter()
            .flat_map(|(_, p)| p.ancestors().skip(1).map(Path::to_path_buf).collect::<Vec<_>>())
            .collect();
        let (clashes, plan): (Vec<_>, Vec<_>) = plan.into_iter().partition(|(_, p)| dirs.contains(p));
        for (o, _) in clashes {
            skipped.push((o.key.clone(), "clash: it is also a folder of other keys".to_string()));
        }
        let total_bytes: u64 = plan.iter().map(|(o, _)| o.size.max(0) as u64).sum();

        for (key, why) in &skipped {
            eprintln!("s3ro: skipped s3://{}/{key}: {why}", uri.bucket);
            if args.json {
                report_line(true, key, Path::new(""), "skipped", Some(why))?;
            }
        }
        if args.dryrun {
            for (o, p) in &plan {
                output::print(&format!("(dryrun) download: s3://{}/{} to {}\n", uri.bucket, o.key, p.display()))?;
            }
            return Ok(if skipped.is_empty() { 0 } else { 2 });
        }
        let show_bars = !args.quiet && !args.no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = show_bars.then(|| {
            let b = indicatif::ProgressBar::new(total_bytes);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
                )
                .expect("template"),
            );
            b
        });
        let object_plan = part_plan(args);
        let opts = get_options(&args.object);
        let count = plan.len();
        let results = futures_util::stream::iter(plan)
            .map(|(o, path)| {
                let clients = &clients;
                let bar = bar.as_ref();
                let opts = &opts;
                let bucket = uri.bucket.as_str();
                async move {
                    if args.no_clobber && path.exists() {
                        return (o.key, path, Fate::Exists);
                    }
                    let fate = match PreparedFile::new(&path) {
                        Err(e) => Fate::Failed(e.to_string()),
                        Ok(file) => {
                            match transfer::download(clients, bucket, &o.key, opts, file, object_plan, bar).await {
                                Ok(n) => Fate::Downloaded(n),
                                Err(Error::Skipped(why)) => Fate::Skipped(why),
                                Err(e) => Fate::Failed(e.to_string()),
                            }
                        }
                    };
                    (o.key, path, fate)
                }
            })
            .buffer_unordered(usize::from(args.concurrency));
        tokio::pin!(results);
        let (mut done, mut bytes, mut failed, mut skipped_n, mut kept) =
            (0usize, 0u64, 0usize, skipped.len(), 0usize);
        while let Some((key, path, fate)) = results.next().await {
            let line = |status: &str, err: Option<&str>| -> Result<(), Error> {
                if args.quiet && !args.json {
                    return Ok(());
                }
                let key_uri = format!("s3://{}/{key}", uri.bucket);
                match &bar {
                    Some(b) if !args.json => {
                        if status == "downloaded" {
                            b.println(format!("download: {key_uri} to {}", path.display()));
                        }
                        Ok(())
                    }
                    _ => report_line(args.json, &key_uri, &path, status, err),
                }
            };
            match fate {
                Fate::Downloaded(n) => {
                    done += 1;
                    bytes += n;
                    line("downloaded", None)?;
                }
                Fate::Exists => {
                    kept += 1;
                    line("exists", None)?;
                }
                Fate::Skipped(why) => {
                    skipped_n += 1;
                    eprintln!("s3ro: skipped s3://{}/{key}: {why}", uri.bucket);
                    line("skipped", Some(&why))?;
                }
                Fate::Failed(why) => {
                    failed += 1;
                    eprintln!("s3ro: failed s3://{}/{key}: {why}", uri.bucket);
                    line("failed", Some(&why))?;
                }
            }
            if let Some(b) = &bar {
                b.set_message(format!("{}/{count} objects", done + failed + kept + skipped_n - skipped.len()));
            }
        }
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        if !args.quiet {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "s3ro: {done} downloaded ({}) in {secs:.1} s ({}/s); {kept} already there; {skipped_n} skipped; {failed} failed",
                bytesize::ByteSize(bytes).display().iec(),
                bytesize::ByteSize((bytes as f64 / secs.max(0.001)) as u64).display().iec(),
            );
        }
        Ok(if failed > 0 {
            1
        } else if skipped_n > 0 {
            2
        } else {
            0
        })
    })
    .await
}

async fn list_all(
    clients: &Clients,
    uri: &S3Uri,
    requester_pays: bool,
) -> Result<Vec<ObjectItem>, Error> {
    let req = ListRequest {
        bucket: uri.bucket.clone(),
        prefix: uri.key.clone(),
        delimiter: None,
        page_size: None,
        requester_pays,
    };
    let mut pager = ListPager::new(req);
    let mut out = Vec::new();
    while let Some(page) = pager.next(clients).await? {
        out.extend(page.objects);
    }
    Ok(out)
}
