//! What a packager installs beside the binary: shell completions and man pages, both
//! written from the one clap definition, so they never lag behind a flag.

mod common;

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
