//! `--redact`: credentials, digests and nonces out of transcripts and reports, so a
//! lab can hand evidence to a third party. Judging happens before redaction; the
//! redacted files keep their shape (a placeholder in base64 where base64 was).

use dmct_proto::auth::HMAC_HEADER;
use dmct_proto::transcript::{Body, Transcript};
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

fn redact_body(body: &mut Body, secrets: &mut Vec<String>) {
    let Ok(d) = dmct_proto::decode(body.as_bytes()) else {
        return;
    };
    let mut m = d.message;
    let before = secrets.len();
    redact_message(&mut m, secrets);
    if secrets.len() != before {
        *body = dmct_proto::encode(&m, d.encoding).into();
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
