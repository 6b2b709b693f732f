//! The CLI's contract: commands, output files and exit codes.

use crate::common;

use common::*;
use std::path::PathBuf;

#[test]
fn run_against_the_builtin_client_passes_and_writes_reports() {
    let out = out_dir("run");
    let o = dmct(&["run", "--out", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (c, sv) = scenario_counts();
    let n = c + sv;
    assert!(
        stdout.contains(&format!("{n} cases: {n} pass, 0 fail, 0 inconclusive")),
        "{stdout}"
    );
    // The per-area table closes the output; no colour when stdout is not a terminal.
    assert!(
        stdout.contains("area           pass   fail  inconclusive"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("session ")),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "colour codes on a pipe");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    // What a lab files as evidence: version, catalog hash, seeds.
    assert_eq!(json["tool"]["name"], "dmct");
    assert_eq!(json["catalog"]["md5"].as_str().unwrap().len(), 32);
    assert!(json["catalog"]["rules"].as_u64().unwrap() >= 60);
    assert!(!json["seeds"].as_array().unwrap().is_empty());
    let case = &json["cases"][0];
    for key in ["id", "peer", "verdict", "findings"] {
        assert!(!case[key].is_null(), "case lacks {key}: {case}");
    }
    let transcript = out.join(case["transcript"].as_str().unwrap());
    assert!(transcript.exists(), "{transcript:?}");
    assert!(out.join("report.txt").exists());
    let junit = std::fs::read_to_string(out.join("report.xml")).unwrap();
    assert!(
        junit.starts_with("<?xml") && junit.contains("<testsuites name=\"dmct\""),
        "{junit}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"summary\"") && html.contains("session/get-replace"));
}

/// One `dmct selftest` run (it takes seconds), read by the tests that look at its output.
fn selftest() -> &'static (std::process::Output, PathBuf) {
    static RUN: std::sync::OnceLock<(std::process::Output, PathBuf)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let out = out_dir("selftest");
        (dmct(&["selftest", "--out", out.to_str().unwrap()]), out)
    })
}

#[test]
fn selftest_catches_every_fault_and_names_rule_clause_and_exchange() {
    let (o, out) = selftest();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    let faults = dmct_session::ClientFault::ALL.len() + dmct_session::ServerFault::ALL.len();
    assert!(
        stdout.contains(&format!("mutation score: {faults}/{faults} faults caught")),
        "{stdout}"
    );
    assert!(
        stdout.contains("dmct's own messages pass its catalog, role reversed"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let cases = json["cases"].as_array().unwrap();
    let faulty: Vec<_> = cases
        .iter()
        .filter(|c| !c["peer"]["faults"].as_array().unwrap().is_empty() && c["verdict"] == "fail")
        .collect();
    assert!(!faulty.is_empty());
    for c in faulty {
        let f = c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["verdict"] == "fail")
            .unwrap();
        assert!(f["rule"].is_string() && f["clause"].is_string(), "{f}");
        // The Package 0 is no exchange: a failure about it quotes its bytes instead.
        let quotes_package0 = f["exchange"].is_null()
            && f["excerpt"]
                .as_str()
                .is_some_and(|e| e.starts_with("Package 0"));
        assert!(
            f["exchange"].is_u64() || quotes_package0,
            "a failure names its exchange: {f}"
        );
    }
}

#[test]
fn check_judges_a_violating_vector_offline_with_exit_1() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testcases/vectors/rules/session__no-status-only-package");
    let violating = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("violating")
        })
        .unwrap();
    // A vector wraps a transcript; check reads bare transcripts.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&violating).unwrap()).unwrap();
    let t = out_dir("check").with_extension("json");
    std::fs::write(&t, v["transcript"].to_string()).unwrap();
    let reports = out_dir("check-reports");
    let o = dmct(&[
        "check",
        "--out",
        reports.to_str().unwrap(),
        t.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("fail session/no-status-only-package"),
        "{stdout}"
    );
    // The same reports as `run`, with the per-rule summary; the text report and the
    // summary table on standard output.
    for f in ["report.json", "report.txt", "report.xml", "report.html"] {
        assert!(reports.join(f).is_file(), "{f} not written");
    }
    assert!(stdout.contains("\ndmct ") && stdout.contains("rules judged, failing first"));
    assert!(
        stdout.contains("\nrole ") && stdout.contains("client"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["command"], "check");
    let cases = report["cases"].as_array().unwrap();
    // One case per role the transcript's findings are about; the client broke the rule.
    let verdicts: Vec<_> = cases
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap(),
                c["role"].as_str().unwrap(),
                &c["verdict"],
            )
        })
        .collect();
    let id = t.to_str().unwrap();
    assert_eq!(
        verdicts,
        [
            (id, "client", &"fail".into()),
            (id, "server", &"pass".into())
        ]
    );
    let rule = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "session/no-status-only-package")
        .unwrap();
    assert_eq!(
        (&rule["fail"], &rule["pass"]),
        (&1.into(), &0.into()),
        "{rule}"
    );
    assert_eq!(rule["level"], "MUST NOT");
    assert!(
        std::fs::read_to_string(reports.join("report.txt"))
            .unwrap()
            .contains("session/no-status-only-package [MUST NOT")
    );
    let junit = std::fs::read_to_string(reports.join("report.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
    // The report points at the file judged (no copy is written).
    assert!(!reports.join("transcripts").exists());
    let pointed = cases[0]["transcript"].as_str().unwrap();
    assert_eq!(
        std::fs::canonicalize(pointed).unwrap(),
        std::fs::canonicalize(&t).unwrap()
    );
    // A conforming transcript of the same rule: exit 0, its reports written over the
    // earlier ones.
    let conforming = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("conforming")
        })
        .unwrap();
    let o = dmct(&[
        "check",
        "--out",
        reports.to_str().unwrap(),
        conforming.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["summary"]["fail"], 0, "{report}");

    // The same transcript saved by an editor that writes a UTF-8 byte order mark.
    let bom = out_dir("check-bom").with_extension("json");
    std::fs::write(&bom, format!("\u{feff}{}", v["transcript"])).unwrap();
    let o = dmct(&[
        "check",
        "--out",
        reports.to_str().unwrap(),
        bom.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("fail session/no-status-only-package"));

    // Nothing to judge, or nothing DM to judge: exit 2 with one clear line.
    let mut empty = v["transcript"].clone();
    empty["exchanges"] = serde_json::json!([]);
    let file = out_dir("check-empty").with_extension("json");
    std::fs::write(&file, empty.to_string()).unwrap();
    let o = dmct(&[
        "check",
        "--out",
        reports.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("holds no exchanges"), "{}", text(&o));
    let mut web = v["transcript"].clone();
    for ex in web["exchanges"].as_array_mut().unwrap() {
        ex["request"]["body"] = serde_json::json!({"text": "GET / HTTP/1.1"});
        ex["response"]["body"] = serde_json::json!({"text": "<html>hello</html>"});
    }
    let file = out_dir("check-not-dm").with_extension("json");
    std::fs::write(&file, web.to_string()).unwrap();
    let o = dmct(&[
        "check",
        "--out",
        reports.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is not a DM session"), "{}", text(&o));
}

/// An error that quotes a huge name stays readable: the name is cut, and the message
/// says how much was left out.
#[test]
fn an_error_about_a_huge_name_is_cut_to_a_readable_size() {
    let name = "A".repeat(100_000);
    let file = out_dir("huge-name").with_extension("xml");
    std::fs::write(&file, format!("<SyncML><{name}>x</{name}></SyncML>")).unwrap();
    let o = dmct(&["decode", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.len() < 2_000, "{} bytes", stderr.len());
    assert!(stderr.contains("is not a SyncML DM message"), "{stderr}");
    assert!(stderr.contains("more characters]"), "{stderr}");
}

#[test]
fn usage_errors_and_unreadable_input_exit_2() {
    assert_eq!(dmct(&["run", "--no-such-flag"]).status.code(), Some(2));
    let o = dmct(&["check", "/nonexistent/transcript.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read"));
}

/// Each case waits its whole `--wait` (a second) for a device that never comes: every
/// client case under `cargo xtask slow` (`DMCT_SLOW_TESTS`), two in the test run.
#[test]
fn serve_with_no_client_is_inconclusive_not_hung() {
    let out = out_dir("serve-nobody");
    let mut args = vec![
        "run",
        "--serve",
        "127.0.0.1:0",
        "--wait",
        "1",
        "--idle",
        "0.3",
        "--out",
        out.to_str().unwrap(),
    ];
    let all = std::env::var_os("DMCT_SLOW_TESTS").is_some();
    if !all {
        args.extend(["--case", "session/get-replace", "--case", "auth/accept-200"]);
    }
    let o = dmct(&args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    // Inconclusive only: exit 3, never the usage error's 2.
    assert_eq!(o.status.code(), Some(3), "{stdout}");
    let c = if all { scenario_counts().0 } else { 2 };
    assert!(
        stdout.contains(&format!("{c} cases: 0 pass, 0 fail, {c} inconclusive")),
        "{stdout}"
    );
    assert!(
        stdout.contains("did not connect within 1000 ms"),
        "{stdout}"
    );
}

/// `dmct check ... | head -1`: the reader closes the pipe after one line; dmct stops
/// quietly with the status of a pipe-stopped process (141), never a panic (101).
#[test]
fn a_closed_pipe_stops_output_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // Every rule vector: far more output (over a megabyte) than a pipe buffers, so
    // dmct is still writing when the reader leaves.
    let vectors: Vec<PathBuf> = std::fs::read_dir(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors/rules"),
    )
    .unwrap()
    .flatten()
    .flat_map(|d| {
        std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|f| f.path())
    })
    .collect();
    assert!(vectors.len() > 100);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dmct"))
        .arg("check")
        .arg("--out")
        .arg(out_dir("check-sigpipe"))
        .args(&vectors)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The read end is closed here (dropped), long before dmct has written everything.
    let o = child.wait_with_output().unwrap();
    assert!(first.ends_with(":\n"), "{first}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(o.status.code(), Some(141), "{stderr}");
}

#[test]
fn list_rules_prints_id_level_role_clause() {
    let o = dmct(&["list", "rules"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("auth/no-synchdr-only-challenge\tMUST NOT\tclient\t[PRO] §9"),
        "{s}"
    );
    // Every statement of the catalog file, one line each.
    let statements = dmct_rules::statements().len();
    assert_eq!(s.lines().count(), statements);
    // --json is an array of the same statements with their fields.
    let o = dmct(&["list", "rules", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), statements);
    assert!(arr.iter().all(|r| r["id"].is_string()
        && r["level"].is_string()
        && r["binds"].is_string()
        && r["clause"].is_string()));
    // --coverage: per clause, and every testable rule complete.
    let o = dmct(&["list", "rules", "--coverage"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.starts_with("clause"), "{s}");
    assert!(!s.contains("incomplete:"), "{s}");
}

#[test]
fn decode_prints_wbxml_as_indented_xml_and_encode_converts_back() {
    let codec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors/codec");
    let wb = codec.join("package3-results.wbxml");
    let o = dmct(&["decode", wb.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("\n    <Status>\n      <CmdID>1</CmdID>"),
        "{text}"
    );
    assert!(text.contains("1.0.7 &lt;beta&gt; &amp; co"), "{text}");
    // The indented XML reads back as the same message, and encodes to the same WBXML.
    let x = out_dir("decoded").with_extension("xml");
    std::fs::write(&x, o.stdout).unwrap();
    let o = dmct(&["encode", "--wbxml", x.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, std::fs::read(&wb).unwrap());
    let o = dmct(&["encode", "--xml", wb.to_str().unwrap()]);
    assert_eq!(
        o.stdout,
        std::fs::read(codec.join("package3-results.xml")).unwrap()
    );
}

/// A Package #2 whose SyncHdr Status has its children out of DTD order (the DTD wants
/// CmdID, MsgRef, CmdRef, Cmd, ..., Data), in the namespace of `ver`.
fn status_out_of_order(ver: &str) -> String {
    format!(
        concat!(
            r#"<SyncML xmlns="SYNCML:SYNCML{v}"><SyncHdr><VerDTD>{v}</VerDTD>"#,
            "<VerProto>DM/{v}</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>",
            "<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>http://s</LocURI></Source>",
            "</SyncHdr><SyncBody><Status><Data>212</Data><Cmd>SyncHdr</Cmd><CmdRef>0</CmdRef>",
            "<MsgRef>1</MsgRef><CmdID>1</CmdID></Status><Final/></SyncBody></SyncML>"
        ),
        v = ver
    )
}

/// The Status lines of `dmct decode`'s output, trimmed, in the order printed.
fn printed_status(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .skip_while(|l| *l != "<Status>")
        .take_while(|l| *l != "</Status>")
        .collect()
}

const STATUS_AS_SENT: [&str; 6] = [
    "<Status>",
    "<Data>212</Data>",
    "<Cmd>SyncHdr</Cmd>",
    "<CmdRef>0</CmdRef>",
    "<MsgRef>1</MsgRef>",
    "<CmdID>1</CmdID>",
];

#[test]
fn decode_prints_xml_as_it_was_sent() {
    let xml = status_out_of_order("1.1");
    let f = out_dir("out-of-order").with_extension("xml");
    std::fs::write(&f, &xml).unwrap();
    let o = dmct(&["decode", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Order, namespace and version as the sender wrote them, not as dmct would.
    assert_eq!(String::from_utf8_lossy(&o.stdout), xml);
}

#[test]
fn decode_prints_wbxml_in_wire_order_with_the_version_of_its_public_id() {
    use dmct_proto::wbxml::{Document, PUBLIC_ID_SYNCML_1_1, PUBLIC_ID_SYNCML_1_2, PublicId};
    // The tree as written, encoded under each public id (the encoder is held against
    // libwbxml's bytes in dmct-proto's tests).
    for (ver, id, id_bytes, fpi) in [
        (
            "1.2",
            PUBLIC_ID_SYNCML_1_2,
            [0xA4, 0x01],
            "0x1201 (-//SYNCML//DTD SyncML 1.2//EN)",
        ),
        (
            "1.1",
            PUBLIC_ID_SYNCML_1_1,
            [0x9F, 0x53],
            "0x0FD3 (-//SYNCML//DTD SyncML 1.1//EN)",
        ),
    ] {
        let bytes = dmct_proto::wbxml::encode_document(&Document {
            version: 0x03,
            public_id: PublicId::Numeric(id),
            root: dmct_proto::xml::parse_tree(status_out_of_order(ver).as_bytes()).unwrap(),
        });
        assert_eq!(bytes[1..3], id_bytes);
        let f = out_dir(&format!("out-of-order-{ver}")).with_extension("wbxml");
        std::fs::write(&f, &bytes).unwrap();
        let o = dmct(&["decode", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(printed_status(&out), STATUS_AS_SENT, "{out}");
        assert!(
            out.contains(&format!("<!-- WBXML 1.3, public id {fpi}, ")),
            "{out}"
        );
        assert!(
            out.contains(&format!("<SyncML xmlns=\"SYNCML:SYNCML{ver}\">")),
            "{out}"
        );
        assert!(out.contains(&format!("<VerDTD>{ver}</VerDTD>")), "{out}");
    }
}

#[test]
fn decode_errors_say_where_and_why() {
    let bad = out_dir("truncated").with_extension("wbxml");
    let codec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors/codec");
    let wb = std::fs::read(codec.join("package1-md5.wbxml")).unwrap();
    std::fs::write(&bad, &wb[..wb.len() / 2]).unwrap();
    let o = dmct(&["decode", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("not a SyncML DM message") && err.contains("at byte"),
        "{err}"
    );
}

/// `dmct check` on a transcript a person wrote from the spec (not produced by dmct):
/// the findings a reader of DM 1.2 expects, and exit 1 for the MUST violations.
#[test]
fn check_on_a_hand_written_transcript() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testcases/handwritten/pkg1-faults.json");
    let reports = out_dir("check-handwritten");
    let reports = reports.to_str().unwrap();
    let o = dmct(&["check", "--out", reports, file.to_str().unwrap()]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{s}");
    for expected in [
        // ./DevInfo/Lang is missing from Package #1.
        "fail pkg1/devinfo [client MUST",
        "Package #1 lacks ./DevInfo nodes: Lang",
        // Alert and Replace both carry CmdID 1.
        "fail msg/cmdid-unique [client MUST",
        // The server's 401 has no Chal.
        "fail auth/chal-with-401-407 [server MUST",
        // What is right stays right.
        "pass pkg1/alert [client MUST",
        "pass msg/verdtd [client MUST",
        "pass msg/verdtd [server MUST",
        "pass auth/cred-type [client MUST",
        "pass auth/failure-status-only [server MUST",
        "pass status/synchdr-first [server MUST",
        "pass http/content-type [client MUST",
    ] {
        assert!(s.contains(expected), "missing {expected:?} in\n{s}");
    }
    assert_eq!(s.matches("\n  fail ").count(), 3, "{s}");

    // A profile that lacks HMAC turns the HMAC rules into not-applicable, said so.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("profile");
    std::fs::create_dir_all(&dir).unwrap();
    let hmac = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testcases/vectors/rules/auth__hmac-status-200");
    let vector = std::fs::read_dir(&hmac)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("conforming"))
        .unwrap()
        .path();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&vector).unwrap()).unwrap();
    let transcript = dir.join("hmac.json");
    std::fs::write(&transcript, v["transcript"].to_string()).unwrap();
    let profile = dir.join("no-hmac.toml");
    std::fs::write(&profile, "lacks = [\"hmac\"]\n").unwrap();
    let o = dmct(&["check", "--out", reports, transcript.to_str().unwrap()]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("pass auth/hmac-status-200"), "{s}");
    let o = dmct(&[
        "check",
        "--out",
        reports,
        "--profile",
        profile.to_str().unwrap(),
        transcript.to_str().unwrap(),
    ]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("not-applicable auth/hmac-status-200"), "{s}");
    assert!(s.contains("the peer's profile says it lacks hmac"), "{s}");
    // An unknown capability is refused, not ignored.
    std::fs::write(&profile, "lacks = [\"hmca\"]\n").unwrap();
    let o = dmct(&[
        "check",
        "--out",
        reports,
        "--profile",
        profile.to_str().unwrap(),
        transcript.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown capability"));
}

/// Every key of a real report.json is described by testcases/schemas/report.schema.json,
/// in the order the schema lists them, and every required key is there: the document
/// and the output cannot drift apart.
#[test]
fn report_json_follows_its_documented_schema() {
    let (o, out) = selftest();
    assert_eq!(o.status.code(), Some(0));
    // `dmct check` writes the same report, of command check.
    let checked = out_dir("schema-check");
    let vector = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testcases/handwritten/pkg1-faults.json");
    let o = dmct(&[
        "check",
        "--out",
        checked.to_str().unwrap(),
        vector.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    for dir in [out.clone(), checked] {
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap())
                .unwrap();
        assert!(!report["rules"].as_array().unwrap().is_empty());
        assert_follows_schema(&report);
    }
}

/// `dmct --version` names the rule catalog built in: its rule count and the MD5 that
/// report.json records; `-V` stays one line.
#[test]
fn version_names_the_rule_catalog() {
    let o = dmct(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let v = String::from_utf8_lossy(&o.stdout);
    let c = dmct_suite::catalog_id();
    assert!(
        v.starts_with(&format!("dmct {}\n", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(
        v.contains(&format!("{} rules, md5 {}", c.rules, c.md5)),
        "{v}"
    );
    let o = dmct(&["-V"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
}

/// Standard error that is no terminal (a CI log) gets one plain line per case, with no
/// control characters; the report is unchanged.
#[test]
fn progress_is_a_plain_line_per_case_off_a_terminal() {
    let out = out_dir("progress-lines");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dmct"))
        .args(["run", "--case", "session/get-replace", "--out"])
        .arg(&out)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("dmct: case "))
        .collect();
    assert_eq!(
        lines,
        [
            "dmct: case 1/2 done: session/get-replace",
            "dmct: case 2/2 done: session/get-replace"
        ],
        "{stderr}"
    );
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\r'),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains('\x1b'));
}
