//! `cargo xtask bench codec`: dmct's XML and WBXML codecs against libwbxml's
//! `wbxml2xml` and `xml2wbxml` on the same files, in one run, with the ratios.
//!
//! libwbxml is timed as the command-line tools run (process start and file IO
//! included), so the small vectors flatter dmct; the 1 MB package is the fair line.
//! `xml2wbxml` runs with `-n` (no string table), as dmct writes none.
//!
//! Then the way a user runs them: the release `dmct decode` and `dmct encode --wbxml`
//! as whole processes beside `wbxml2xml` and `xml2wbxml`, on the same files in the
//! same run (a package of 6,000 Items, and the codec vectors as a batch of one process
//! per file), and the peak RSS of `dmct decode` against the body's size.

use crate::summary::Measure;
use anyhow::{Context, Result, bail};
use dmct_proto::*;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

/// A Results package with many Items, about 1 MB of XML.
fn large_package() -> SyncML {
    let items = (0..4500)
        .map(|i| Item {
            source: Some(LocRef::uri(format!("./Vendor/Inventory/App{i}/Version"))),
            meta: Some(
                Meta {
                    format: Some("chr".into()),
                    r#type: Some("text/plain".into()),
                    ..Default::default()
                }
                .into(),
            ),
            data: Some(Data::Text(format!(
                "{i}.{}.{} build <{i}> & more",
                i % 7,
                i % 13
            ))),
            ..Default::default()
        })
        .collect();
    SyncML {
        hdr: SyncHdr {
            ver_dtd: VER_DTD.into(),
            ver_proto: VER_PROTO.into(),
            session_id: "1".into(),
            msg_id: "3".into(),
            target: LocRef::uri("http://dm.example/dm"),
            source: LocRef::uri("IMEI:493005100592800"),
            ..Default::default()
        },
        body: SyncBody {
            commands: vec![dmct_proto::Command::results(Results {
                cmd_id: "2".into(),
                msg_ref: Some("2".into()),
                cmd_ref: "3".into(),
                items,
                ..Default::default()
            })],
            final_: true,
        },
    }
}

/// Run `f` until `budget` passes (at least 3 times); bytes per second.
fn throughput(bytes: usize, budget: Duration, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let start = Instant::now();
    let mut n = 0u32;
    while n < 3 || start.elapsed() < budget {
        f()?;
        n += 1;
    }
    Ok(bytes as f64 * f64::from(n) / start.elapsed().as_secs_f64())
}

fn tool(name: &str, args: &[&str]) -> Result<()> {
    let out = Process::new(name)
        .args(args)
        .output()
        .with_context(|| format!("{name} is needed: apt-get install libwbxml2-utils"))?;
    if !out.status.success() {
        bail!(
            "{name} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn mbs(x: f64) -> String {
    format!("{:8.2} MB/s", x / 1e6)
}

/// The whole-process goal of issue 17 item 1: dmct at least this many times faster.
const GOAL_X: f64 = 10.0;

pub fn codec(root: &Path) -> Result<Vec<Measure>> {
    if cfg!(debug_assertions) {
        // Timings of a debug build mean nothing: run again, optimised.
        let status = Process::new("cargo")
            .args([
                "run",
                "--release",
                "--quiet",
                "-p",
                "xtask",
                "--",
                "bench",
                "codec",
            ])
            .current_dir(root)
            .status()?;
        if !status.success() {
            bail!("the release benchmark failed");
        }
        return Ok(Vec::new());
    }
    let measures = whole_process(root)?;
    let scratch = root.join("target/bench-codec");
    std::fs::create_dir_all(&scratch)?;
    let mut files: Vec<(String, SyncML)> = Vec::new();
    let codec_dir = root.join("testcases/vectors/codec");
    let mut names: Vec<_> = std::fs::read_dir(&codec_dir)
        .with_context(|| {
            format!(
                "no vectors in {}: run `cargo xtask vectors`",
                codec_dir.display()
            )
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    names.sort();
    for p in names {
        let m = xml::decode(&std::fs::read(&p)?)?.message;
        files.push((
            p.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            m,
        ));
    }
    files.push(("large-package-1MB".into(), large_package()));

    let budget = Duration::from_millis(400);
    println!(
        "{:<24} {:>9} {:>9}  {:>13} {:>13} {:>7}  {:>13} {:>13} {:>7}",
        "file",
        "xml B",
        "wbxml B",
        "dmct wb-dec",
        "libwbxml",
        "ratio",
        "dmct xml->wb",
        "libwbxml",
        "ratio"
    );
    for (name, m) in &files {
        let x = xml::encode(m);
        let w = wbxml::encode(m);
        let xp = scratch.join(format!("{name}.xml"));
        let wp = scratch.join(format!("{name}.wbxml"));
        std::fs::write(&xp, &x)?;
        std::fs::write(&wp, &w)?;
        let (xs, ws) = (xp.display().to_string(), wp.display().to_string());
        let out_x = scratch.join("out.xml").display().to_string();
        let out_w = scratch.join("out.wbxml").display().to_string();

        let ours_dec = throughput(w.len(), budget, || {
            wbxml::decode(&w)?;
            Ok(())
        })?;
        let theirs_dec = throughput(w.len(), budget, || {
            tool("wbxml2xml", &["-m", "0", "-o", &out_x, &ws])
        })?;
        let ours_enc = throughput(x.len(), budget, || {
            let d = xml::decode(&x)?;
            std::hint::black_box(wbxml::encode(&d.message));
            Ok(())
        })?;
        // -n: no string table, as dmct writes none (libwbxml's string table building
        // also takes minutes on a 1 MB package).
        let theirs_enc = throughput(x.len(), budget, || {
            tool("xml2wbxml", &["-n", "-o", &out_w, &xs])
        })?;
        println!(
            "{:<24} {:>9} {:>9}  {} {} {:>6.1}x  {} {} {:>6.1}x",
            name,
            x.len(),
            w.len(),
            mbs(ours_dec),
            mbs(theirs_dec),
            ours_dec / theirs_dec,
            mbs(ours_enc),
            mbs(theirs_enc),
            ours_enc / theirs_enc
        );
    }
    // dmct's own codecs alone, for the record.
    let m = large_package();
    let x = xml::encode(&m);
    let w = wbxml::encode(&m);
    let xd = throughput(x.len(), budget, || {
        xml::decode(&x)?;
        Ok(())
    })?;
    let xe = throughput(x.len(), budget, || {
        std::hint::black_box(xml::encode(&m));
        Ok(())
    })?;
    let we = throughput(w.len(), budget, || {
        std::hint::black_box(wbxml::encode(&m));
        Ok(())
    })?;
    println!(
        "\ndmct on the 1 MB package: XML decode {}, XML encode {}, WBXML encode {}",
        mbs(xd),
        mbs(xe),
        mbs(we)
    );
    Ok(measures)
}

/// A Results package of 6,000 Items (about 712 KB of XML): the same bytes every run.
fn six_thousand_items() -> SyncML {
    let mut m = large_package();
    let items = (0..6000)
        .map(|i| Item {
            source: Some(LocRef::uri(format!("./Vendor/Inventory/App{i}/VersionId"))),
            data: Some(Data::Text(format!(
                "{i}.{}.{} build {:04}, ok",
                i % 7,
                i % 13,
                i % 97
            ))),
            ..Default::default()
        })
        .collect();
    if let Some(dmct_proto::Command::Results(r)) = m.body.commands.first_mut() {
        r.items = items;
    }
    m
}

/// Wall time of one process, its output to `out`.
fn run_once(program: &Path, args: &[&str], out: &Path) -> Result<Duration> {
    let sink = std::fs::File::create(out)?;
    let start = Instant::now();
    let status = Process::new(program)
        .args(args)
        .stdout(sink)
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let took = start.elapsed();
    if !status.success() {
        bail!("{} {args:?} failed", program.display());
    }
    Ok(took)
}

/// Rounds of the two sides, run in turn so both meet the same load; the median round
/// of each.
const ROUNDS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// One side: the batch of (program, args) runs, timed whole.
type Batch<'a> = Vec<(&'a Path, Vec<String>)>;

fn side_by_side(ours: &Batch, theirs: &Batch, out: &Path) -> Result<(Duration, Duration)> {
    let batch = |b: &Batch| -> Result<Duration> {
        let mut total = Duration::ZERO;
        for (p, args) in b {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            total += run_once(p, &args, out)?;
        }
        Ok(total)
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        a.push(batch(ours)?);
        b.push(batch(theirs)?);
    }
    Ok((median(a), median(b)))
}

fn ms(d: Duration) -> String {
    format!("{:8.2} ms", d.as_secs_f64() * 1e3)
}

/// Peak RSS in KiB of `dmct decode FILE`, its output thrown away.
fn decode_peak_kib(dmct: &Path, file: &Path) -> Result<u64> {
    let out = Process::new("/usr/bin/time")
        .args(["-f", "peak-rss-kib %M"])
        .arg(dmct)
        .arg("decode")
        .arg(file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .context("/usr/bin/time is needed: apt-get install time")?;
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("dmct decode {} failed: {err}", file.display());
    }
    err.lines()
        .rev()
        .find_map(|l| l.strip_prefix("peak-rss-kib ")?.trim().parse().ok())
        .with_context(|| format!("no peak RSS in {err}"))
}

/// `dmct decode` and `dmct encode --wbxml` as a user runs them, beside libwbxml's tools.
fn whole_process(root: &Path) -> Result<Vec<Measure>> {
    let status = Process::new("cargo")
        .args(["build", "--release", "--quiet", "-p", "dmct"])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("cargo build --release -p dmct failed");
    }
    let dmct = root.join("target/release/dmct");
    let w2x = crate::mem_bench::which("wbxml2xml")
        .context("wbxml2xml is needed: apt-get install libwbxml2-utils")?;
    let x2w = crate::mem_bench::which("xml2wbxml")
        .context("xml2wbxml is needed: apt-get install libwbxml2-utils")?;
    let dir = root.join("target/bench-process");
    std::fs::create_dir_all(&dir)?;
    let out = dir.join("out");
    let path = |p: &Path| p.display().to_string();

    let m = six_thousand_items();
    let (x, w) = (xml::encode(&m), wbxml::encode(&m));
    let (xp, wp) = (dir.join("items-6000.xml"), dir.join("items-6000.wbxml"));
    std::fs::write(&xp, &x)?;
    std::fs::write(&wp, &w)?;
    let codec_dir = root.join("testcases/vectors/codec");
    let mut vectors: Vec<PathBuf> = std::fs::read_dir(&codec_dir)?
        .flatten()
        .map(|e| e.path())
        .collect();
    vectors.sort();
    let of = |ext: &str| -> Vec<PathBuf> {
        vectors
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .cloned()
            .collect()
    };
    let (vx, vw) = (of("xml"), of("wbxml"));
    let decode = |files: &[PathBuf]| -> (Batch, Batch) {
        let ours = files
            .iter()
            .map(|f| (dmct.as_path(), vec!["decode".into(), path(f)]))
            .collect();
        let theirs = files
            .iter()
            .map(|f| {
                // -m 0: compact, the least work it does; it writes only to -o.
                let args = vec![
                    "-m".into(),
                    "0".into(),
                    "-o".into(),
                    path(&dir.join("out.xml")),
                    path(f),
                ];
                (w2x.as_path(), args)
            })
            .collect();
        (ours, theirs)
    };
    let encode = |files: &[PathBuf]| -> (Batch, Batch) {
        let ours = files
            .iter()
            .map(|f| {
                (
                    dmct.as_path(),
                    vec!["encode".into(), "--wbxml".into(), path(f)],
                )
            })
            .collect();
        // -n: no string table, as dmct writes none.
        let theirs = files
            .iter()
            .map(|f| {
                let args = vec![
                    "-n".into(),
                    "-o".into(),
                    path(&dir.join("out.wbxml")),
                    path(f),
                ];
                (x2w.as_path(), args)
            })
            .collect();
        (ours, theirs)
    };
    println!("whole process, median of {ROUNDS} rounds (the two sides in turn), output to a file:");
    println!(
        "{:<44} {:>9} {:>11} {:>11} {:>8}",
        "run", "bytes", "dmct", "libwbxml", "ratio"
    );
    let single = |f: &PathBuf| std::slice::from_ref(f).to_vec();
    // Each row: its name, the anchor's tool, the bytes, the two batches.
    let rows: Vec<(String, &str, usize, (Batch, Batch))> = vec![
        (
            "decode 6,000 Items (vs wbxml2xml)".into(),
            "wbxml2xml",
            w.len(),
            decode(&single(&wp)),
        ),
        (
            "encode --wbxml 6,000 Items (vs xml2wbxml)".into(),
            "xml2wbxml",
            x.len(),
            encode(&single(&xp)),
        ),
        (
            format!("decode {} WBXML vectors, 1 process each", vw.len()),
            "wbxml2xml",
            vw.iter()
                .map(|p| p.metadata().map_or(0, |m| m.len() as usize))
                .sum(),
            decode(&vw),
        ),
        (
            format!("encode {} XML vectors, 1 process each", vx.len()),
            "xml2wbxml",
            vx.iter()
                .map(|p| p.metadata().map_or(0, |m| m.len() as usize))
                .sum(),
            encode(&vx),
        ),
    ];
    let mut measures = Vec::new();
    // Each row's anchor time per process, for the bound below.
    let mut anchors = Vec::new();
    for (name, tool, bytes, (ours, theirs)) in &rows {
        let (a, b) = side_by_side(ours, theirs, &out)?;
        anchors.push((name, b / theirs.len().max(1) as u32));
        let ratio = b.as_secs_f64() / a.as_secs_f64();
        println!("{name:<44} {bytes:>9} {} {} {ratio:>7.1}x", ms(a), ms(b));
        let what = name.split(" (vs").next().unwrap_or(name);
        measures.push(Measure::at_least(
            &format!("dmct {what}, whole process"),
            ms(a).trim().to_owned(),
            format!("{tool} {}", ms(b).trim()),
            ratio,
            GOAL_X,
        ));
    }
    // What a process costs before it reads a byte: the floor under the small files.
    let empty = dir.join("empty");
    std::fs::write(&empty, b"")?;
    let floor = |p: &Path, args: Vec<String>| -> Result<Duration> {
        let mut v = Vec::new();
        for _ in 0..ROUNDS {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let start = Instant::now();
            Process::new(p)
                .args(&args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()?;
            v.push(start.elapsed());
        }
        Ok(median(v))
    };
    println!(
        "start-up (a process refusing an empty file): dmct {}, wbxml2xml {}",
        ms(floor(&dmct, vec!["decode".into(), path(&empty)])?),
        ms(floor(&w2x, vec!["-o".into(), path(&out), path(&empty)])?)
    );
    // No process starts faster than one that does nothing: libwbxml's time per process
    // over that is the most any tool could be faster, whatever it does in between.
    if let Some(nothing) = crate::mem_bench::which("true") {
        let t = floor(&nothing, Vec::new())?;
        println!(
            "a process doing nothing (true): {}; the best ratio possible:",
            ms(t)
        );
        for (name, per_process) in &anchors {
            let bound = per_process.as_secs_f64() / t.as_secs_f64();
            println!("  {name:<44} {bound:>7.1}x");
        }
    }

    println!("\npeak RSS of `dmct decode` (/usr/bin/time %M) against the body:");
    let tiny = |e| crate::mem_bench::tiny_gets(15_000_000, e);
    let bodies = [
        ("6,000 Items, WBXML", w.clone()),
        ("6,000 Items, XML", x.clone()),
        ("15 MB of tiny Gets, WBXML", tiny(xml::Encoding::Wbxml)?),
        ("15 MB of tiny Gets, XML", tiny(xml::Encoding::Xml)?),
    ];
    for (name, body) in bodies {
        let f = dir.join("body");
        std::fs::write(&f, &body)?;
        let kib = decode_peak_kib(&dmct, &f)?;
        println!(
            "{name:<32} {:>10} B {:>8.1} MiB {:>6.2}x the body",
            body.len(),
            kib as f64 / 1024.0,
            (kib * 1024) as f64 / body.len() as f64
        );
        let _ = std::fs::remove_file(&f);
    }
    println!();
    Ok(measures)
}
