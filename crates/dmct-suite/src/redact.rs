//! `--redact`: credentials, digests and nonces out of transcripts and reports, so a
//! lab can hand evidence to a third party. Judging happens before redaction; the
//! redacted files keep their shape (a placeholder in base64 where base64 was).

use dmct_proto::auth::HMAC_HEADER;
use dmct_proto::transcript::{Body, Transcript};
use dmct_proto::tree::{Element, Node};
use dmct_proto::{Command, SyncML};
use dmct_report::RunReport;

/// Base64 of `REDACTED`: keeps fields that must be base64 well formed.
pub const PLACEHOLDER: &str = "UkVEQUNURUQ=";

/// Redact a message in place; every secret removed is added to `secrets`.
fn redact_message(m: &mut SyncML, secrets: &mut Vec<String>) {
    if let Some(c) = &mut m.hdr.cred {
        secrets.push(std::mem::replace(&mut c.data, PLACEHOLDER.into()));
    }
    fn walk(c: &mut Command, secrets: &mut Vec<String>) {
        match c {
            Command::Status(s) => {
                if let Some(n) = s.chal.as_mut().and_then(|ch| ch.meta.next_nonce.as_mut()) {
                    secrets.push(std::mem::replace(n, PLACEHOLDER.into()));
                }
                if let Some(cr) = &mut s.cred {
                    secrets.push(std::mem::replace(&mut cr.data, PLACEHOLDER.into()));
                }
            }
            Command::Atomic(x) | Command::Sequence(x) => {
                for i in &mut x.commands {
                    walk(i, secrets);
                }
            }
            Command::Add(x) | Command::Replace(x) => {
                // Secrets written into the tree (AAuthSecret, AAuthData).
                for it in &mut x.items {
                    let uri = it.target.as_ref().map(|t| t.loc_uri.as_str()).unwrap_or("");
                    if (uri.ends_with("AAuthSecret") || uri.ends_with("AAuthData"))
                        && let Some(dmct_proto::Data::Text(t)) = &mut it.data
                    {
                        secrets.push(std::mem::replace(t, PLACEHOLDER.into()));
                    }
                }
            }
            _ => {}
        }
    }
    for c in &mut m.body.commands {
        walk(c, secrets);
    }
}

/// The model finds the secrets; they are replaced in the tree the bytes were decoded
/// from, so the redacted body keeps the sender's element order, version and namespaces
/// (a body re-encoded from the model would show dmct's).
fn redact_body(body: &mut Body, secrets: &mut Vec<String>) {
    let Ok(d) = dmct_proto::decode(body.as_bytes()) else {
        return;
    };
    let mut m = d.message;
    let before = secrets.len();
    redact_message(&mut m, secrets);
    let found = &secrets[before..];
    if found.is_empty() {
        return;
    }
    let bytes = match d.wbxml {
        Some(mut doc) => {
            replace_text(&mut doc.root, found);
            dmct_proto::wbxml::encode_document(&doc)
        }
        None => match dmct_proto::xml::parse_tree(body.as_bytes()) {
            Ok(mut root) => {
                replace_text(&mut root, found);
                dmct_proto::xml::encode_element(&root)
            }
            // It decoded a moment ago; should it not, keep nothing rather than a secret.
            Err(_) => b"REDACTED".to_vec(),
        },
    };
    *body = bytes.into();
}

/// Every text node that is one of `secrets` becomes the placeholder.
fn replace_text(el: &mut Element, secrets: &[String]) {
    for n in &mut el.children {
        match n {
            Node::Text(t) if secrets.contains(t) => *t = PLACEHOLDER.into(),
            Node::Element(c) => replace_text(c, secrets),
            Node::Text(_) | Node::Opaque(_) => {}
        }
    }
}

fn redact_headers(h: &mut dmct_proto::transcript::Headers, secrets: &mut Vec<String>) {
    for (name, value) in &mut h.0 {
        if name.eq_ignore_ascii_case(HMAC_HEADER) {
            if let Ok(mut hh) = dmct_proto::auth::HmacHeader::parse(value) {
                secrets.push(std::mem::replace(&mut hh.mac, PLACEHOLDER.into()));
                *value = hh.to_header_value();
            }
        } else if name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            secrets.push(std::mem::replace(value, "REDACTED".into()));
        }
    }
}

/// A redacted copy of a transcript, and the secret strings it held.
pub fn transcript(t: &Transcript) -> (Transcript, Vec<String>) {
    let mut t = t.clone();
    let mut secrets = Vec::new();
    for e in &mut t.exchanges {
        redact_headers(&mut e.request.headers, &mut secrets);
        redact_body(&mut e.request.body, &mut secrets);
        if let Some(r) = &mut e.response {
            redact_headers(&mut r.headers, &mut secrets);
            redact_body(&mut r.body, &mut secrets);
        }
    }
    // Package 0 carries a digest keyed with the server's secret.
    if t.package0.is_some() {
        t.package0 = Some(b"REDACTED".to_vec().into());
    }
    secrets.retain(|s| s.len() >= 4 && s != PLACEHOLDER);
    secrets.sort();
    secrets.dedup();
    // A probe names the nonce it was keyed with.
    for p in &mut t.probes {
        p.detail = scrub(&p.detail, &secrets);
        if let Some(n) = &mut p.nonce {
            *n = scrub(n, &secrets);
        }
    }
    (t, secrets)
}

/// Replace every secret in a text.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    // Longest first, so a secret that contains another goes whole.
    let mut sorted: Vec<&String> = secrets.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in sorted {
        out = out.replace(s.as_str(), PLACEHOLDER);
    }
    out
}

/// Scrub a report's details and excerpts, and leave out the run seed: with it, the
/// nonces of the run could be derived again.
pub fn report(r: &mut RunReport, secrets: &[String]) {
    r.seeds.clear();
    for c in &mut r.cases {
        for f in &mut c.findings {
            f.detail = scrub(&f.detail, secrets);
            if let Some(e) = &mut f.excerpt {
                *e = scrub(e, secrets);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dmct_proto::transcript::{Exchange, Headers, HttpRequest};
    use dmct_proto::wbxml::{Document, PUBLIC_ID_SYNCML_1_1, PublicId};

    /// A SyncML 1.1 Package #1 with its Cred before VerDTD, out of the DTD's order.
    const PKG1: &str = concat!(
        r#"<SyncML xmlns="SYNCML:SYNCML1.1"><SyncHdr><Cred><Meta>"#,
        r#"<Type xmlns="syncml:metinf">syncml:auth-basic</Type></Meta>"#,
        "<Data>c2VjcmV0LXVzZXI6cHc=</Data></Cred><VerDTD>1.1</VerDTD>",
        "<VerProto>DM/1.1</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>",
        "<Target><LocURI>http://s</LocURI></Target><Source><LocURI>IMEI:1</LocURI></Source>",
        "</SyncHdr><SyncBody><Alert><Data>1201</Data><CmdID>1</CmdID></Alert><Final/>",
        "</SyncBody></SyncML>"
    );

    fn one_request(body: Vec<u8>) -> Transcript {
        Transcript {
            exchanges: vec![Exchange {
                request: HttpRequest {
                    method: "POST".into(),
                    target: "/".into(),
                    headers: Headers(vec![]),
                    body: body.into(),
                },
                response: None,
                failure: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn probes_lose_the_nonces_the_bodies_held() {
        let mut t = one_request(PKG1.as_bytes().to_vec());
        let cred = "c2VjcmV0LXVzZXI6cHc=";
        t.probes.push(dmct_proto::transcript::Probe {
            exchange: 0,
            kind: dmct_proto::transcript::ProbeKind::StaleNonce,
            detail: format!("an MD5 digest keyed with the nonce {cred}"),
            nonce: Some(cred.into()),
        });
        let (t, _) = transcript(&t);
        assert_eq!(t.probes[0].nonce.as_deref(), Some(PLACEHOLDER));
        assert!(!t.probes[0].detail.contains(cred), "{}", t.probes[0].detail);
    }

    #[test]
    fn redacted_bodies_keep_wire_order_and_version() {
        let wbxml = dmct_proto::wbxml::encode_document(&Document {
            version: 0x02,
            public_id: PublicId::Numeric(PUBLIC_ID_SYNCML_1_1),
            root: dmct_proto::xml::parse_tree(PKG1.as_bytes()).unwrap(),
        });
        for body in [PKG1.as_bytes().to_vec(), wbxml] {
            let (t, secrets) = transcript(&one_request(body));
            assert_eq!(secrets, ["c2VjcmV0LXVzZXI6cHc="]);
            let d = dmct_proto::decode(t.exchanges[0].request.body.as_bytes()).unwrap();
            let text = d.wire_text();
            assert!(!text.contains("c2VjcmV0LXVzZXI6cHc="), "{text}");
            assert!(text.contains("SYNCML:SYNCML1.1"), "{text}");
            let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} in {text}"));
            assert!(at(PLACEHOLDER) < at("<VerDTD>1.1</VerDTD>"), "{text}");
            assert!(at("<Data>1201</Data>") < at("<CmdID>1</CmdID>"), "{text}");
            if let Some(doc) = &d.wbxml {
                assert_eq!(
                    (doc.version, &doc.public_id),
                    (0x02, &PublicId::Numeric(PUBLIC_ID_SYNCML_1_1))
                );
            }
        }
    }
}
