//! The lab configuration file, as a lab uses it: `dmct init` writes the template,
//! `dmct run --config FILE` runs from it, a flag on the command line wins over its key,
//! and a wrong key is refused with the nearest right one.

use crate::common;

use common::*;

#[test]
fn init_writes_a_template_that_runs_and_never_overwrites() {
    let dir = tmp("config-init");
    let file = dir.join("device.toml");
    let path = file.to_str().unwrap();
    let o = dmct(&["init", path]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let template = std::fs::read_to_string(&file).unwrap();
    assert!(template.contains("[device]\n"), "{template}");
    assert!(template.contains("# server_id = "), "{template}");
    let o = dmct(&["init", path]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("never overwrites"), "{}", text(&o));
}

#[test]
fn run_reads_the_file_and_the_command_line_wins() {
    let dir = tmp("config-run");
    let file = dir.join("device.toml");
    // A case that does not exist in the file; the command line names one that does.
    std::fs::write(
        &file,
        "[selection]\ncases = [\"no-such-case\"]\n[reports]\nout = \"reports\"\nredact = true\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let o = dmct(&["run", "--config", path, "--case", "auth/accept-200"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // `out` is relative to the file.
    let json = std::fs::read_to_string(dir.join("reports/report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{json}");
    assert_eq!(cases[0]["id"], "auth/accept-200", "{json}");
    // --redact (from the file) leaves the seeds out.
    assert!(
        report["seeds"].as_array().is_none_or(Vec::is_empty),
        "{json}"
    );
}

#[test]
fn a_wrong_key_is_refused_with_the_nearest_right_one() {
    let dir = tmp("config-wrong");
    let file = dir.join("device.toml");
    std::fs::write(&file, "[device]\nsever_id = \"x\"\n").unwrap();
    let o = dmct(&["run", "--config", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let said = text(&o);
    assert!(
        said.contains("unknown key device.sever_id: did you mean server_id?"),
        "{said}"
    );
    assert!(said.contains("device.toml"), "{said}");
    let o = dmct(&["run", "--config", dir.join("absent.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("cannot read the configuration"),
        "{}",
        text(&o)
    );
}
