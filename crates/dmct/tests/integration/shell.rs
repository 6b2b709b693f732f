//! What a packager installs beside the binary: shell completions and man pages, both
//! written from the one clap definition, so they never lag behind a flag.

use crate::common;

use common::*;

#[test]
fn completions_know_the_subcommands_and_their_flags() {
    for shell in ["bash", "zsh", "fish"] {
        let o = dmct(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", text(&o));
        let script = String::from_utf8(o.stdout).unwrap();
        for word in ["selftest", "config", "max-inflight-bytes"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let o = dmct(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn man_pages_cover_dmct_and_each_subcommand() {
    let o = dmct(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.contains(".TH dmct 1"), "{page}");
    assert!(page.contains("selftest"), "{page}");
    let o = dmct(&["man", "run"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.contains(".TH dmct-run 1"), "{page}");
    assert!(page.contains("\\-\\-config"), "{page}");
    let o = dmct(&["man", "runn"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no subcommand \"runn\""), "{}", text(&o));
}

#[test]
fn run_help_groups_its_flags_under_the_lab_headings() {
    let o = dmct(&["run", "--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let help = String::from_utf8(o.stdout).unwrap();
    let headings: Vec<&str> = help
        .lines()
        .filter(|l| l.ends_with(':') && !l.starts_with(' ') && !l.starts_with("Usage"))
        .collect();
    assert_eq!(
        headings,
        [
            "Options:",
            "Configuration:",
            "Device account:",
            "Transport:",
            "Trigger:",
            "Timeouts:",
            "Selection:",
            "Reports:",
            "Exit codes:"
        ],
        "{help}"
    );
    // A flag sits under its heading: --idle among the timeouts.
    let timeouts = help.split("Timeouts:").nth(1).unwrap();
    let timeouts = timeouts.split("Selection:").next().unwrap();
    assert!(timeouts.contains("--idle"), "{timeouts}");
}
