//! `cargo xtask bench memory [MB]`: peak RSS of the whole release `dmct check`
//! process on transcripts holding one large body (many tiny commands, or one huge
//! Data; XML and WBXML), against the body's size, and against libwbxml's `wbxml2xml`
//! converting the same WBXML body in the same run. Peak RSS is what `/usr/bin/time`
//! reads from the child's rusage (ru_maxrss), as a user would measure it.
//! Last, the floor of the model: the bytes a decoded tiny Get takes, against its own
//! bytes of WBXML, which no peak of `check` on such a body can go below.

use crate::summary::Measure;
use anyhow::{Context, Result, bail};
use dmct_proto::transcript::{
    Body, Closing, Exchange, Headers, HttpRequest, HttpResponse, Transcript,
};
use dmct_proto::xml::Encoding;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

const HDR: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SyncML xmlns=\"SYNCML:SYNCML1.2\">\
    <SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID>\
    <MsgID>1</MsgID><Target><LocURI>http://dm.example/dm</LocURI></Target><Source>\
    <LocURI>IMEI:1</LocURI></Source></SyncHdr><SyncBody><Alert><CmdID>1</CmdID>\
    <Data>1201</Data></Alert>";

/// A Package #1 of tiny Gets, about `size` bytes in `encoding`.
pub(crate) fn tiny_gets(size: usize, encoding: Encoding) -> Result<Vec<u8>> {
    // A tiny Get is about 80 bytes of XML and 23 of WBXML.
    let per = if encoding == Encoding::Xml { 80 } else { 23 };
    let mut s = String::from(HDR);
    for i in 2..size / per {
        s.push_str(&format!(
            "<Get><CmdID>{i}</CmdID><Item><Target><LocURI>./a</LocURI></Target></Item></Get>"
        ));
    }
    s.push_str("<Final/></SyncBody></SyncML>");
    in_encoding(s, encoding)
}

/// A Package #1 whose Replace carries one Data of `size` bytes.
fn huge_datum(size: usize, encoding: Encoding) -> Result<Vec<u8>> {
    let s = format!(
        "{HDR}<Replace><CmdID>2</CmdID><Item><Source><LocURI>./a</LocURI></Source><Data>{}\
         </Data></Item></Replace><Final/></SyncBody></SyncML>",
        "x".repeat(size)
    );
    in_encoding(s, encoding)
}

fn in_encoding(xml: String, encoding: Encoding) -> Result<Vec<u8>> {
    Ok(match encoding {
        Encoding::Xml => xml.into_bytes(),
        Encoding::Wbxml => {
            let m = dmct_proto::decode(xml.as_bytes())
                .context("the generated message decodes")?
                .message;
            dmct_proto::encode(&m, Encoding::Wbxml)
        }
    })
}

/// One exchange: the device's body, and a server answer that challenges nothing.
fn transcript(body: Vec<u8>, encoding: Encoding) -> Transcript {
    let ct = match encoding {
        Encoding::Xml => dmct_proto::CONTENT_TYPE_XML,
        Encoding::Wbxml => dmct_proto::CONTENT_TYPE_WBXML,
    };
    let answer = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SyncML xmlns=\"SYNCML:SYNCML1.2\">\
         <SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID>\
         <MsgID>1</MsgID><Target><LocURI>IMEI:1</LocURI></Target><Source>\
         <LocURI>http://dm.example/dm</LocURI></Source></SyncHdr><SyncBody><Status>\
         <CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>\
         <TargetRef>http://dm.example/dm</TargetRef><SourceRef>IMEI:1</SourceRef>\
         <Data>212</Data></Status><Final/></SyncBody></SyncML>",
    );
    Transcript {
        exchanges: vec![Exchange {
            request: HttpRequest {
                method: "POST".into(),
                target: "/dm".into(),
                headers: Headers(vec![("Content-Type".into(), ct.into())]),
                body: Body::from(body),
            },
            response: Some(HttpResponse {
                status: 200,
                headers: Headers(vec![(
                    "Content-Type".into(),
                    dmct_proto::CONTENT_TYPE_XML.into(),
                )]),
                body: Body::from(answer.into_bytes()),
            }),
            failure: None,
            time: None,
        }],
        closing: Closing::IdleTimeout { after_ms: 1000 },
        ..Transcript::default()
    }
}

/// How long `wbxml2xml` may run on one body.
const ANCHOR_SECONDS: u32 = 60;

/// Builds a body of about the given size in the given encoding.
type Maker = fn(usize, Encoding) -> Result<Vec<u8>>;

/// Peak RSS in KiB of `program args`, read by `/usr/bin/time`, and whether it
/// finished.
fn peak_kib(program: &Path, args: &[&Path]) -> Result<(u64, bool)> {
    let out = Process::new("/usr/bin/time")
        .arg("-f")
        .arg("peak-rss-kib %M")
        .arg(program)
        .args(args)
        .output()
        .context("/usr/bin/time is needed: apt-get install time")?;
    let err = String::from_utf8_lossy(&out.stderr);
    let kib = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("peak-rss-kib ")?.trim().parse().ok())
        .with_context(|| format!("{} {args:?}: no peak RSS in {err}", program.display()))?;
    // `timeout` says 124 when it stopped the tool.
    Ok((kib, out.status.code() != Some(124)))
}

/// The release `dmct` binary, built first: what the whole-process benches measure.
pub(crate) fn release_dmct(root: &Path) -> Result<PathBuf> {
    let status = Process::new("cargo")
        .args(["build", "--release", "-p", "dmct"])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("cargo build --release -p dmct failed");
    }
    Ok(root.join("target/release/dmct"))
}

/// Issue 17 item 2: decoding memory at most this multiple of the body.
const GOAL_MULTIPLE: f64 = 4.0;

pub fn memory(root: &Path, megabytes: &str) -> Result<Vec<Measure>> {
    let size = megabytes
        .parse::<usize>()
        .context("the body size is a number of megabytes")?
        * 1_000_000;
    let dmct = release_dmct(root)?;
    let dir = root.join("target/bench-memory");
    std::fs::create_dir_all(&dir)?;
    println!(
        "{:<24} {:>10} {:>12} {:>9} {:>18} {:>9}",
        "body", "bytes", "peak RSS", "RSS/body", "wbxml2xml RSS", "vs it"
    );
    let mut measures = Vec::new();
    let cases: [(&str, Maker); 2] = [("tiny Gets", tiny_gets), ("one huge Data", huge_datum)];
    for (name, make) in cases {
        for encoding in [Encoding::Xml, Encoding::Wbxml] {
            let body = make(size, encoding)?;
            let len = body.len();
            let mut anchor = None;
            if encoding == Encoding::Wbxml {
                let (wb, out) = (dir.join("body.wbxml"), dir.join("body.xml"));
                std::fs::write(&wb, &body)?;
                let tool = which("wbxml2xml")
                    .context("wbxml2xml is needed: apt-get install libwbxml2-utils")?;
                // libwbxml takes time quadratic in the commands: past ANCHOR_SECONDS
                // its peak so far is shown, marked as cut.
                let secs = ANCHOR_SECONDS.to_string();
                anchor = Some(peak_kib(
                    Path::new("timeout"),
                    &[Path::new(&secs), &tool, Path::new("-o"), &out, &wb],
                )?);
                let _ = (std::fs::remove_file(&wb), std::fs::remove_file(&out));
            }
            let file = dir.join("transcript.json");
            let json = serde_json::to_vec(&transcript(body, encoding))?;
            std::fs::write(&file, json)?;
            // The whole command, reports included (written beside the transcript).
            let reports = dir.join("reports");
            let (peak, _) = peak_kib(
                &dmct,
                &[Path::new("check"), Path::new("--out"), &reports, &file],
            )?;
            let _ = std::fs::remove_file(&file);
            let ratio = (peak * 1024) as f64 / len as f64;
            let (anchor_col, vs) = match anchor {
                Some((a, done)) => (
                    format!(
                        "{}{:.1} MiB",
                        if done { "" } else { "cut " },
                        a as f64 / 1024.0
                    ),
                    format!("{:.1}x", peak as f64 / a as f64),
                ),
                None => ("-".into(), "-".into()),
            };
            println!(
                "{:<24} {len:>10} {:>8.1} MiB {ratio:>8.1}x {anchor_col:>18} {vs:>9}",
                format!("{name}, {encoding:?}"),
                peak as f64 / 1024.0,
            );
            measures.push(Measure::at_most(
                &format!("dmct check peak RSS, {name}, {encoding:?}"),
                format!("{:.1} MiB", peak as f64 / 1024.0),
                format!("body {:.1} MiB", len as f64 / 1048576.0),
                ratio,
                GOAL_MULTIPLE,
            ));
        }
    }
    model_floor()?;
    Ok(measures)
}

/// Why tiny Gets in WBXML sit above the goal: the room an eager model takes per Get,
/// against the Get's own bytes on the wire: the difference of two bodies, 100,000 Gets
/// apart, whose CmdIDs have six digits as most in the 15 MB body have.
fn model_floor() -> Result<()> {
    let wire = |n: usize| -> Result<usize> {
        // `tiny_gets` sizes its body by 23 bytes a Get in WBXML.
        Ok(tiny_gets(n * 23, Encoding::Wbxml)?.len())
    };
    let per_get = (wire(200_000)? - wire(100_000)?) as f64 / 100_000.0;
    let (command, item) = (
        std::mem::size_of::<dmct_proto::Command>(),
        std::mem::size_of::<dmct_proto::Item>(),
    );
    let model = (command + item) as f64;
    println!(
        "floor of the model: a decoded Get is a Command ({command} bytes) and its Item \
         ({item} bytes, in an allocation of its own), {:.0} bytes without allocator \
         rounding, for {per_get:.1} bytes of WBXML: {:.1}x the body before the body itself \
         is counted; 4x there needs commands kept undecoded until a rule reads them",
        model,
        model / per_get
    );
    Ok(())
}

pub(crate) fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}
