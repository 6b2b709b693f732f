//! `cargo xtask bench check`: the whole release `dmct check` process on one transcript
//! holding one long session (Package #1 and #2, then Package 3/4 pairs: the client's
//! Statuses and Results for the server's Get, the server's Statuses and its next Get,
//! until a package without commands ends it) of 1k, 4k, 16k and 32k exchanges, generated
//! deterministically. One run each; prints the times and the 32k/1k ratio against the
//! goals (32k under 5 s, the ratio at most 40: linear in exchanges). `--keep` leaves the
//! transcripts in `target/bench-check/` (to profile `dmct check` on them).

use crate::summary::Measure;
use anyhow::{Context, Result, bail};
use dmct_proto::transcript::{
    Body, Closing, Exchange, Headers, HttpRequest, HttpResponse, Transcript,
};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command as Process;
use std::time::Instant;

const SERVER: &str = "http://dm.example/dm";
const DEVICE: &str = "IMEI:493005100592800";

/// The sizes measured, in exchanges.
const SIZES: [usize; 4] = [1_000, 4_000, 16_000, 32_000];

/// Goals of issue 17 item 3.
const GOAL_32K_SECONDS: f64 = 5.0;
const GOAL_RATIO: f64 = 40.0;

/// A message of the session: `from_client` says which way, `msg_id` its MsgID.
fn message(from_client: bool, msg_id: usize, hdr_extra: &str, body: &str) -> String {
    let (target, source) = if from_client {
        (SERVER, DEVICE)
    } else {
        (DEVICE, SERVER)
    };
    format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
         <VerProto>DM/1.2</VerProto><SessionID>4D2</SessionID><MsgID>{msg_id}</MsgID>\
         <Target><LocURI>{target}</LocURI></Target><Source><LocURI>{source}</LocURI>\
         </Source>{hdr_extra}</SyncHdr><SyncBody>{body}<Final/></SyncBody></SyncML>"
    )
}

fn status(cmd_id: usize, msg_ref: usize, cmd_ref: usize, cmd: &str, code: u16) -> String {
    format!(
        "<Status><CmdID>{cmd_id}</CmdID><MsgRef>{msg_ref}</MsgRef><CmdRef>{cmd_ref}</CmdRef>\
         <Cmd>{cmd}</Cmd><Data>{code}</Data></Status>"
    )
}

/// The SyncHdr's Status, with the Target and Source it answers.
fn hdr_status(msg_ref: usize, code: u16, from_client: bool) -> String {
    let (target_ref, source_ref) = if from_client {
        (DEVICE, SERVER)
    } else {
        (SERVER, DEVICE)
    };
    format!(
        "<Status><CmdID>1</CmdID><MsgRef>{msg_ref}</MsgRef><CmdRef>0</CmdRef>\
         <Cmd>SyncHdr</Cmd><TargetRef>{target_ref}</TargetRef><SourceRef>{source_ref}\
         </SourceRef><Data>{code}</Data></Status>"
    )
}

/// The server's Get of one DevInfo node, cycling through them.
fn get(cmd_id: usize, n: usize) -> String {
    format!(
        "<Get><CmdID>{cmd_id}</CmdID><Item><Target><LocURI>./DevInfo/{}</LocURI></Target>\
         </Item></Get>",
        NODES[n % NODES.len()].0
    )
}

const NODES: [(&str, &str); 5] = [
    ("DevId", DEVICE),
    ("Man", "Acme"),
    ("Mod", "A1"),
    ("DmV", "1.2"),
    ("Lang", "en-US"),
];

fn exchange(request: String, response: String) -> Exchange {
    let headers = || {
        Headers(vec![(
            "Content-Type".into(),
            dmct_proto::CONTENT_TYPE_XML.into(),
        )])
    };
    Exchange {
        request: HttpRequest {
            method: "POST".into(),
            target: "/dm".into(),
            headers: headers(),
            body: Body::from(request.into_bytes()),
        },
        response: Some(HttpResponse {
            status: 200,
            headers: headers(),
            body: Body::from(response.into_bytes()),
        }),
        failure: None,
        time: None,
    }
}

/// One session of `n` exchanges (at least 2), the same for every run.
fn session(n: usize) -> Transcript {
    let n = n.max(2);
    let cred = "<Cred><Meta><Type xmlns=\"syncml:metinf\">syncml:auth-basic</Type>\
                <Format xmlns=\"syncml:metinf\">b64</Format></Meta>\
                <Data>ZGV2OnNlY3JldA==</Data></Cred>";
    let devinfo: String = NODES.iter().fold(String::new(), |mut s, (node, value)| {
        let _ = write!(
            s,
            "<Item><Source><LocURI>./DevInfo/{node}</LocURI></Source><Data>{value}</Data></Item>"
        );
        s
    });
    let mut exchanges = Vec::with_capacity(n);
    // Package #1 and #2: the client's Alert and DevInfo, accepted, and the first Get.
    let pkg1 = message(
        true,
        1,
        cred,
        &format!(
            "<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>\
             <Replace><CmdID>2</CmdID>{devinfo}</Replace>"
        ),
    );
    let pkg2 = message(
        false,
        1,
        "",
        &format!(
            "{}{}{}{}",
            hdr_status(1, 212, false),
            status(2, 1, 1, "Alert", 200),
            status(3, 1, 2, "Replace", 200),
            get(4, 0)
        ),
    );
    exchanges.push(exchange(pkg1, pkg2));
    // Then Package 3/4 pairs: the client answers the Get (Status, Results), the server
    // acknowledges the message and asks again; its last package has no command and ends
    // the session.
    for k in 2..=n {
        let asked = k - 2;
        let get_ref = if k == 2 { 4 } else { 2 };
        let (node, value) = NODES[asked % NODES.len()];
        let request = message(
            true,
            k,
            "",
            &format!(
                "{}{}<Results><CmdID>3</CmdID><MsgRef>{}</MsgRef><CmdRef>{get_ref}</CmdRef>\
                 <Item><Source><LocURI>./DevInfo/{node}</LocURI></Source><Data>{value}</Data>\
                 </Item></Results>",
                hdr_status(k - 1, 200, true),
                status(2, k - 1, get_ref, "Get", 200),
                k - 1
            ),
        );
        // No Status for the Results: 200 would be one ([REP] §6.5.1 forbids it).
        let more = if k < n {
            get(2, asked + 1)
        } else {
            String::new()
        };
        let response = message(
            false,
            k,
            "",
            &format!("{}{more}", hdr_status(k, 200, false)),
        );
        exchanges.push(exchange(request, response));
    }
    Transcript {
        exchanges,
        closing: Closing::PeerDone,
        ..Transcript::default()
    }
}

pub fn check(root: &Path, keep: bool) -> Result<Vec<Measure>> {
    let dmct = crate::mem_bench::release_dmct(root)?;
    let dir = root.join("target/bench-check");
    std::fs::create_dir_all(&dir)?;
    println!(
        "{:>10} {:>12} {:>10} {:>14}",
        "exchanges", "bytes", "seconds", "us/exchange"
    );
    let mut times = Vec::new();
    for n in SIZES {
        let file = dir.join(format!("session-{n}.json"));
        let json = serde_json::to_vec(&session(n))?;
        std::fs::write(&file, &json)?;
        let t0 = Instant::now();
        let out = Process::new(&dmct)
            .arg("check")
            .arg(&file)
            .output()
            .with_context(|| format!("running {}", dmct.display()))?;
        let took = t0.elapsed().as_secs_f64();
        // Exit 0 or 1 is a verdict; anything else is dmct failing to judge.
        if !matches!(out.status.code(), Some(0 | 1)) {
            bail!(
                "dmct check {}: {}\n{}",
                file.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        println!(
            "{n:>10} {:>12} {took:>10.3} {:>14.1}",
            json.len(),
            took * 1e6 / n as f64
        );
        times.push(took);
        if !keep {
            let _ = std::fs::remove_file(&file);
        }
    }
    let (first, last) = (times[0], times[times.len() - 1]);
    let ratio = last / first;
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "32k: {last:.2} s (goal under {GOAL_32K_SECONDS} s: {}); 32k/1k: {ratio:.1}x \
         (goal at most {GOAL_RATIO}x, 32x is linear: {})",
        verdict(last < GOAL_32K_SECONDS),
        verdict(ratio <= GOAL_RATIO)
    );
    Ok(vec![
        Measure::absolute(
            "dmct check, 32k exchanges",
            format!("{last:.2} s"),
            format!("< {GOAL_32K_SECONDS} s"),
            last < GOAL_32K_SECONDS,
        ),
        Measure::at_most(
            "dmct check, 32k/1k time",
            format!("{last:.2} s"),
            format!("1k {first:.2} s"),
            ratio,
            GOAL_RATIO,
        ),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_generated_session_is_one_dm_session_judged_without_failures() {
        let t = super::session(6);
        assert_eq!(t.exchanges.len(), 6);
        let failed: Vec<_> = dmct_rules::check(&t)
            .into_iter()
            .filter(|f| f.verdict == dmct_rules::Verdict::Fail)
            .map(|f| format!("{} {:?}: {}", f.rule, f.exchange, f.detail))
            .collect();
        assert!(failed.is_empty(), "{failed:#?}");
        // Deterministic: the same bytes every time.
        let again = super::session(6);
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            serde_json::to_string(&again).unwrap()
        );
    }
}
