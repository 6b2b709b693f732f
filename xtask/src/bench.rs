//! `cargo xtask bench codec`: dmct's XML and WBXML codecs against libwbxml's
//! `wbxml2xml` and `xml2wbxml` on the same files, in one run, with the ratios.
//!
//! libwbxml is timed as the command-line tools run (process start and file IO
//! included), so the small vectors flatter dmct; the 1 MB package is the fair line.
//! `xml2wbxml` runs with `-n` (no string table), as dmct writes none.

use anyhow::{Context, Result, bail};
use dmct_proto::*;
use std::path::Path;
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

pub fn codec(root: &Path) -> Result<()> {
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
        return Ok(());
    }
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
    Ok(())
}
