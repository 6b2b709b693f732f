//! A device as a lab receives it: its DM account already provisioned (its own
//! ServerID, server and client credentials, scheme), which dmct adapts to in `run
//! --serve`; a device that only starts sessions itself; flags a mode cannot use.
//! The "device" is the reference client run by the lab's `--exec` command with the
//! account it was provisioned with.

use crate::common;

use common::*;

/// The device's DMAcc, none of it dmct's defaults.
const SERVER_ID: &str = "lab.example";
const SRV_USER: &str = "lab-server";
const SRV_SECRET: &str = "lab-server-secret";
const CLI_USER: &str = "device-0042";
const CLI_SECRET: &str = "device-secret";

/// The account flags that tell dmct all of the above.
const ACCOUNT: [&str; 10] = [
    "--server-id",
    SERVER_ID,
    "--server-user",
    SRV_USER,
    "--server-secret",
    SRV_SECRET,
    "--client-user",
    CLI_USER,
    "--client-secret",
    CLI_SECRET,
];

/// `dmct run --serve` on a free loopback port with the device's account and `extra`.
fn serve(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--serve", "127.0.0.1:0"];
    args.extend(ACCOUNT);
    args.extend(extra);
    args.extend(["--out", out.to_str().unwrap()]);
    dmct(&args)
}

/// The lab's command: the device (the reference client) with its own account, woken by
/// the case's Package 0 when there is one. It records what it was handed.
fn device(log: &std::path::Path, auth: &str) -> String {
    format!(
        "{bin} peer client --url \"$DMCT_SERVER_URL\" \
         ${{DMCT_PKG0_FILE:+--package0 \"$DMCT_PKG0_FILE\"}} \
         --server-id {SERVER_ID} --server-user {SRV_USER} --server-secret {SRV_SECRET} \
         --client-user {CLI_USER} --client-secret {CLI_SECRET} --auth {auth} 2>/dev/null; \
         echo \"$DMCT_CASE pkg0=${{DMCT_PKG0_FILE:+yes}}\" >> {log}",
        bin = env!("CARGO_BIN_EXE_dmct"),
        log = log.display()
    )
}

fn report(out: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn case_verdict(r: &serde_json::Value, id: &str) -> String {
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id} in {r}"))["verdict"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every part of the account given on the command line reaches the device: the
/// Package 0 names its ServerID and is signed with its SRVCRED secret, dmct's server
/// presents SRVCRED (which the device verifies) and checks CLCRED with the scheme
/// asked for. Before, `--server-user`/`--server-secret`/`--auth` were ignored and such
/// a device refused every package.
#[test]
fn run_serve_adapts_to_the_provisioned_account() {
    let out = tmp("account-provisioned");
    let log = out.join("woken.txt");
    let o = serve(
        &out,
        &[
            "--exec",
            &device(&log, "md5"),
            "--wait",
            "20",
            "--idle",
            "0.3",
            "--case",
            "session/package0",
            "--case",
            "session/get-replace",
            "--auth",
            "md5",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The account sheet tells the lab what to provision or check.
    for want in [SERVER_ID, SRV_USER, CLI_USER, "md5"] {
        assert!(text(&o).contains(want), "{want}: {}", text(&o));
    }
    let r = report(&out);
    assert_eq!(case_verdict(&r, "session/package0"), "pass");
    assert_eq!(case_verdict(&r, "session/get-replace"), "pass");
    // The Package 0 is the device's: its ServerID, its SRVCRED secret.
    let pkg0 = std::fs::read(out.join("package0/session__package0.pkg0")).unwrap();
    let p = dmct_proto::package0::decode(&pkg0).unwrap();
    assert_eq!(p.notification.server_id, SERVER_ID);
    assert!(p.verify(SRV_SECRET, &[0, 0, 0, 0]));
    assert!(!p.verify("dmct-server-secret", &[0, 0, 0, 0]));
}

/// The secrets the lab typed stay off the terminal under --redact.
#[test]
fn run_serve_account_sheet_hides_secrets_under_redact() {
    let out = tmp("account-redact");
    let o = dmct(&[
        "run",
        "--serve",
        "127.0.0.1:0",
        "--exec",
        "true",
        "--wait",
        "1",
        "--case",
        "session/get-replace",
        "--server-secret",
        SRV_SECRET,
        "--client-secret",
        CLI_SECRET,
        "--redact",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("redacted"), "{}", text(&o));
    assert!(!text(&o).contains(SRV_SECRET), "{}", text(&o));
    assert!(!text(&o).contains(CLI_SECRET), "{}", text(&o));
}

/// A device that cannot be woken by a Package 0: the lab's command starts its session
/// without one; the server-initiated case is not applicable (not failed, not
/// inconclusive), the others are judged, and the run passes.
#[test]
fn client_initiated_device_runs_without_package0() {
    let out = tmp("account-client-initiated");
    let log = out.join("woken.txt");
    let o = serve(
        &out,
        &[
            "--client-initiated",
            "--exec",
            &device(&log, "md5"),
            "--wait",
            "20",
            "--idle",
            "0.3",
            "--case",
            "session/package0",
            "--case",
            "session/get-replace",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = report(&out);
    assert_eq!(case_verdict(&r, "session/package0"), "not-applicable");
    assert_eq!(case_verdict(&r, "session/get-replace"), "pass");
    assert_eq!(r["summary"]["not_applicable"], 1, "{}", r["summary"]);
    // How each session ended, and when, in report.json and the JUnit report.
    let ended = |id: &str| {
        r["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["ended"]
            .clone()
    };
    assert_eq!(ended("session/get-replace")["how"], "server-final");
    let at = ended("session/get-replace")["at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(at.len() == 24 && at.ends_with('Z'), "{at}");
    assert_eq!(ended("session/package0")["how"], "not-applicable");
    let junit = std::fs::read_to_string(out.join("report.xml")).unwrap();
    assert!(junit.contains("ended (server-final) at "), "{junit}");
    let na = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "session/package0")
        .unwrap();
    assert!(
        na["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("--client-initiated"),
        "{na}"
    );
    // The command ran without a Package 0 (sanity sessions and get-replace), and never
    // for the case that does not apply.
    let woken = std::fs::read_to_string(&log).unwrap();
    assert!(woken.lines().all(|l| l.ends_with("pkg0=")), "{woken}");
    assert!(!woken.contains("session/package0"), "{woken}");
    assert!(woken.contains("session/get-replace"), "{woken}");
    assert!(!out.join("package0").exists());
}

/// `--auth none`: dmct demands no client credentials. A device whose account has none
/// is answered 200 without a challenge; cases about the client's authentication are
/// not applicable.
#[test]
fn auth_none_demands_no_credentials() {
    let out = tmp("account-auth-none");
    let log = out.join("woken.txt");
    let o = dmct(&[
        "run",
        "--serve",
        "127.0.0.1:0",
        "--exec",
        &device(&log, "none"),
        "--wait",
        "20",
        "--idle",
        "0.3",
        "--case",
        "session/reauth-md5",
        "--case",
        "session/get-replace",
        "--auth",
        "none",
        "--server-id",
        SERVER_ID,
        "--server-user",
        SRV_USER,
        "--server-secret",
        SRV_SECRET,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = report(&out);
    assert_eq!(case_verdict(&r, "session/reauth-md5"), "not-applicable");
    assert_eq!(case_verdict(&r, "session/get-replace"), "pass");
    // No challenge was ever sent: every SyncHdr Status dmct sent was 200.
    let case = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "session/get-replace")
        .unwrap();
    let t = std::fs::read_to_string(out.join(case["transcript"].as_str().unwrap())).unwrap();
    assert!(!t.contains("<Chal>"), "{t}");
    assert!(!t.contains("<Data>407</Data>") && !t.contains("<Data>401</Data>"));
}

/// A flag the chosen mode would ignore is refused with the reason (exit 2), never
/// accepted and dropped.
#[test]
fn flags_a_mode_cannot_use_are_refused() {
    let refused = |args: &[&str], says: &str| {
        let o = dmct(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    };
    refused(
        &["run", "--client-secret", "x"],
        "--client-secret has no effect",
    );
    refused(&["run", "--auth", "md5"], "built-in peers");
    refused(
        &[
            "run",
            "--target-server",
            "--server-id",
            "x",
            "--nonce",
            "AAAAAA==",
        ],
        "--nonce",
    );
    refused(
        &["run", "--target-server", "http://127.0.0.1:9/dm", "--tls"],
        "--tls has no effect with --target-server",
    );
    refused(
        &[
            "run",
            "--target-server",
            "http://127.0.0.1:9/dm",
            "--idle",
            "3",
        ],
        "--idle has no effect",
    );
    refused(
        &[
            "run",
            "--target-server",
            "http://127.0.0.1:9/dm",
            "--server-user",
            "s",
        ],
        "--server-user needs --server-secret",
    );
    refused(
        &["run", "--serve", "127.0.0.1:0", "--insecure"],
        "--insecure has no effect with --serve",
    );
    refused(
        &[
            "run",
            "--serve",
            "127.0.0.1:0",
            "--client-initiated",
            "--exec",
            "true",
            "--pkg0-nonce",
            "empty",
        ],
        "no Package 0 is sent",
    );
    refused(&["run", "--client-initiated"], "--serve");
    refused(
        &["drive", "http://127.0.0.1:9/dm", "--server-user", "s"],
        "--server-user needs --server-secret",
    );
}

/// A device that stops answering after its third session (the sanity session and two
/// cases): the cases it never saw are inconclusive, not failed, the run goes on to the
/// end, and the operator is told that it died and the last case it answered. Each case
/// it never saw waits out `--wait`: so in the test run it dies after the sanity session
/// and one case, of two; under `cargo xtask slow` (`DMCT_SLOW_TESTS`) after two, of four.
#[test]
fn a_device_that_dies_mid_suite_is_named_with_its_last_case() {
    let out = tmp("account-dies");
    let count = out.join("count");
    let mut cases = vec![
        "session/get-replace",
        "auth/accept-200",
        "results/get-missing-node",
        "session/every-command",
    ];
    let answered = if std::env::var_os("DMCT_SLOW_TESTS").is_some() {
        3
    } else {
        cases.truncate(2);
        2
    };
    let exec = format!(
        "n=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}; \
         [ \"$n\" -lt {answered} ] && {bin} peer client --url \"$DMCT_SERVER_URL\" \
         --package0 \"$DMCT_PKG0_FILE\" --server-secret dmct-server-secret 2>/dev/null; true",
        count = count.display(),
        bin = env!("CARGO_BIN_EXE_dmct"),
    );
    let mut args = vec![
        "run",
        "--serve",
        "127.0.0.1:0",
        "--exec",
        &exec,
        "--wait",
        "2",
        "--idle",
        "0.3",
        "--out",
        out.to_str().unwrap(),
    ];
    for case in &cases {
        args.extend(["--case", case]);
    }
    let o = dmct(&args);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("stopped answering during the suite; the last case it answered was"),
        "{stderr}"
    );
    let r = report(&out);
    let verdicts: Vec<&str> = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    // sanity/before and the cases it answered; the other cases and sanity/after saw
    // nobody.
    assert_eq!(verdicts.len(), cases.len() + 2, "{verdicts:?}");
    let unseen = cases.len() + 2 - answered;
    assert_eq!(
        &verdicts[answered..],
        vec!["inconclusive"; unseen],
        "{verdicts:?}"
    );
    assert!(!verdicts.contains(&"fail"), "{verdicts:?}");
    let silent = &r["cases"][answered]["ended"];
    assert_eq!(silent["how"], "client-idle", "{silent}");
    assert!(
        silent["detail"]
            .as_str()
            .unwrap()
            .contains("no client connected"),
        "{silent}"
    );
}
