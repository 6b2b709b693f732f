//! libwbxml (Debian `libwbxml2-utils`: `xml2wbxml`, `wbxml2xml`) as an independent
//! oracle of the WBXML codec: what libwbxml encodes, dmct decodes to the same model as
//! the XML it came from; what dmct encodes, libwbxml decodes to XML that gives dmct's
//! model back. `.ci/run` installs the tools; without them these tests fail, by design.

use dmct_proto::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed for this test (apt-get install libwbxml2-utils): {e}")
    });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("libwbxml");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// Every message body of the committed transcript vectors.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/vectors/rules");
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            for (i, ex) in v["transcript"]["exchanges"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
            {
                for side in ["request", "response"] {
                    if let Some(text) = ex[side]["body"]["text"].as_str()
                        && text.starts_with("<?xml")
                    {
                        let name =
                            format!("{}#{i}.{side}", f.file_stem().unwrap().to_string_lossy());
                        // WBXML carries namespaces only as its code pages: an element of
                        // a foreign namespace (the foreign-element fault's) has no WBXML
                        // form to compare. Only that fault's messages may be left out.
                        let foreign = xml::decode(text.as_bytes())
                            .map(|d| d.foreign.count > 0)
                            .unwrap_or(false);
                        if foreign {
                            assert!(name.contains("foreign-element"), "{name}");
                            continue;
                        }
                        // Many vectors share a message: the same bytes give the same
                        // answer, so each distinct body is run through the tools once.
                        if seen.insert(text.to_owned()) {
                            out.push((name, text.as_bytes().to_vec()));
                        }
                    }
                }
            }
        }
    }
    assert!(
        out.len() > 20,
        "the vectors hold too few messages: {}",
        out.len()
    );
    out
}

#[test]
fn dmct_decodes_what_libwbxml_encodes() {
    for (name, xml_bytes) in corpus() {
        let ours = xml::decode(&xml_bytes).unwrap().message;
        let input = scratch("in.xml");
        let output = scratch("out.wbxml");
        std::fs::write(&input, &xml_bytes).unwrap();
        tool(
            "xml2wbxml",
            &["-o", output.to_str().unwrap(), input.to_str().unwrap()],
        );
        let wb = std::fs::read(&output).unwrap();
        let theirs = wbxml::decode(&wb)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .message;
        assert_eq!(theirs, ours, "{name}");
    }
}

#[test]
fn libwbxml_decodes_what_dmct_encodes() {
    for (name, xml_bytes) in corpus() {
        let ours = xml::decode(&xml_bytes).unwrap().message;
        let input = scratch("in.wbxml");
        let output = scratch("out.xml");
        std::fs::write(&input, wbxml::encode(&ours)).unwrap();
        tool(
            "wbxml2xml",
            &[
                "-m",
                "0",
                "-o",
                output.to_str().unwrap(),
                input.to_str().unwrap(),
            ],
        );
        let back = std::fs::read(&output).unwrap();
        let theirs = xml::decode(&back)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&back)))
            .message;
        assert_eq!(theirs, ours, "{name}");
    }
}
