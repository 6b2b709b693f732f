//! `--redact`: credentials, digests, nonces and secret tree values out of everything a
//! run writes or prints, so a lab can hand evidence to a third party. Judging happens
//! before redaction; the redacted files keep their shape (a placeholder in base64
//! where base64 was).
//!
//! What goes:
//! - in every body, found on the decoded tree (so a body keeps the sender's element
//!   order, version and namespaces): the Data of every `Cred` (SyncHdr, Status and any
//!   command's), every `NextNonce`, and the Data of every Item whose Target or Source
//!   names a secret node (`AAuthSecret`, `AAuthData`, `ClientPW`, `ServerPW`,
//!   `ClientNonce`, `ServerNonce`) in Add, Replace, Results or anywhere else;
//! - the `mac` of `x-syncml-hmac`, `Authorization` and `Proxy-Authorization` headers;
//! - a body dmct cannot decode, whole (it says so), and the Package 0 (its digest is
//!   keyed with the server's secret);
//! - then every string of the transcript and the report (details, excerpts, probes,
//!   why a session closed) loses every secret found so, and every secret the run was
//!   told ([`remember`]: the account's secrets and nonces, in plain, base64, hex and
//!   MD5 digest forms, and the `--exec` command line).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use dmct_proto::auth::HMAC_HEADER;
use dmct_proto::transcript::{Body, Transcript};
use dmct_proto::tree::{Element, Node};
use dmct_report::RunReport;

/// Base64 of `REDACTED`: keeps fields that must be base64 well formed.
pub const PLACEHOLDER: &str = "UkVEQUNURUQ=";

/// What a body dmct could not decode becomes: it cannot tell the secrets in it apart.
pub const UNDECODABLE: &str =
    "REDACTED: dmct could not decode this body, so --redact left it out whole";

/// The Item targets and sources whose value is a secret.
const SECRET_NODES: [&str; 6] = [
    "AAuthSecret",
    "AAuthData",
    "ClientPW",
    "ServerPW",
    "ClientNonce",
    "ServerNonce",
];

static ACTIVE: AtomicBool = AtomicBool::new(false);
static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Whether this process redacts (something was [`remember`]ed or [`activate`] called).
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// This process redacts what it writes and prints.
pub fn activate() {
    ACTIVE.store(true, Ordering::Relaxed);
}

fn add_known(forms: impl IntoIterator<Item = String>) {
    activate();
    let mut k = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    for f in forms {
        if f.len() >= 4 && f != PLACEHOLDER && !k.contains(&f) {
            k.push(f);
        }
    }
}

/// The text forms of `bytes`: as text (when UTF-8), base64, and hex both cases.
fn forms(bytes: &[u8]) -> Vec<String> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut v = vec![B64.encode(bytes), hex.to_uppercase(), hex];
    if let Ok(s) = std::str::from_utf8(bytes) {
        v.push(s.to_owned());
    }
    v
}

/// A secret this run was told (a secret, a nonce, a command line holding them): it is
/// left out of everything written or printed, in plain, base64 and hex form.
pub fn remember(secret: &str) {
    add_known(forms(secret.as_bytes()));
}

/// A nonce given in base64: the text and the bytes it stands for.
pub fn remember_nonce_b64(nonce: &str) {
    let mut f = vec![nonce.to_owned()];
    if let Ok(bytes) = B64.decode(nonce.trim()) {
        f.extend(forms(&bytes));
    }
    add_known(f);
}

/// An account (user and secret, or ServerID and server secret): the secret and what
/// is derived from it alone, B64(MD5("user:secret")) in every form, and the Basic
/// credential.
pub fn remember_account(user: &str, secret: &str) {
    remember(secret);
    let c = dmct_proto::auth::Credentials {
        user: user.into(),
        secret: secret.into(),
    };
    let inner = dmct_proto::auth::inner_digest(&c);
    let mut f = forms(inner.as_bytes());
    if let Ok(raw) = B64.decode(&inner) {
        f.extend(forms(&raw));
    }
    f.push(dmct_proto::auth::basic(&c));
    add_known(f);
}

/// Everything [`remember`]ed.
pub fn known() -> Vec<String> {
    KNOWN.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// What a command line given `--redact` tells the run, as its flags hold it: every
/// secret in it is remembered before anything runs ([`remember_command_line`]).
#[derive(Debug, Clone, Default)]
pub struct CommandLine {
    pub server_secret: Option<String>,
    pub server_user: Option<String>,
    pub server_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_user: Option<String>,
    /// `--nonce` (base64).
    pub nonces: Vec<String>,
    /// `--pkg0-nonce` (a stored nonce as `b64:VALUE`).
    pub pkg0_nonces: Vec<String>,
    /// `--exec`: the lab's command line may hold any secret it hands the device.
    pub exec: Vec<String>,
}

/// One thing a command line told, as it is remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Told {
    Account(String, String),
    NonceB64(String),
    Plain(String),
}

/// Everything `c` tells, the built-in peers' accounts included (a run may use them).
fn told(c: &CommandLine) -> Vec<Told> {
    let defaults = [
        crate::peers::default_client_creds(),
        crate::peers::default_server_creds(),
    ];
    let mut out: Vec<Told> = defaults
        .iter()
        .map(|d| Told::Account(d.user.clone(), d.secret.clone()))
        .collect();
    let server_secret = c
        .server_secret
        .clone()
        .unwrap_or_else(|| defaults[1].secret.clone());
    for user in [&c.server_user, &c.server_id].into_iter().flatten() {
        out.push(Told::Account(user.clone(), server_secret.clone()));
    }
    out.push(Told::Account(
        defaults[1].user.clone(),
        server_secret.clone(),
    ));
    out.push(Told::Account(
        crate::peers::DEFAULT_SERVER_ID.to_owned(),
        server_secret,
    ));
    if let Some(secret) = &c.client_secret {
        let user = c
            .client_user
            .clone()
            .unwrap_or_else(|| defaults[0].user.clone());
        out.push(Told::Account(user, secret.clone()));
    }
    out.extend(c.nonces.iter().cloned().map(Told::NonceB64));
    out.extend(
        c.pkg0_nonces
            .iter()
            .filter_map(|n| n.strip_prefix("b64:"))
            .map(|b64| Told::NonceB64(b64.to_owned())),
    );
    out.extend(c.exec.iter().cloned().map(Told::Plain));
    out
}

/// Remember every secret of a command line given `--redact`, and redact from now on.
pub fn remember_command_line(c: &CommandLine) {
    for t in told(c) {
        match t {
            Told::Account(user, secret) => remember_account(&user, &secret),
            Told::NonceB64(n) => remember_nonce_b64(&n),
            Told::Plain(s) => remember(&s),
        }
    }
    activate();
}

/// The local name of an element (`m:NextNonce` is `NextNonce`).
fn local(e: &Element) -> &str {
    e.name.rsplit(':').next().unwrap_or(&e.name)
}

fn child<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    e.children.iter().find_map(|n| match n {
        Node::Element(c) if local(c) == name => Some(c),
        _ => None,
    })
}

fn text_of(e: &Element) -> String {
    let mut s = String::new();
    for n in &e.children {
        match n {
            Node::Text(t) => s.push_str(t),
            Node::Element(c) => s.push_str(&text_of(c)),
            Node::Opaque(_) => {}
        }
    }
    s
}

/// Replace the content of a secret-bearing element with the placeholder; what it held
/// goes to `secrets` (opaque bytes in their text forms).
fn take_secret(e: &mut Element, secrets: &mut Vec<String>) {
    for n in &e.children {
        match n {
            Node::Text(t) => secrets.push(t.trim().to_owned()),
            Node::Opaque(b) => secrets.extend(forms(b)),
            Node::Element(c) => secrets.push(text_of(c).trim().to_owned()),
        }
    }
    e.children = vec![Node::Text(PLACEHOLDER.into())];
}

/// Whether an Item names a secret node.
fn secret_item(item: &Element) -> bool {
    ["Target", "Source"].iter().any(|side| {
        child(item, side)
            .and_then(|s| child(s, "LocURI"))
            .map(text_of)
            .is_some_and(|uri| {
                let last = uri
                    .trim()
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                SECRET_NODES.iter().any(|n| last.eq_ignore_ascii_case(n))
            })
    })
}

/// Take every secret element's value out of a tree.
fn take_secrets(e: &mut Element, secrets: &mut Vec<String>) {
    let name = local(e).to_owned();
    if name == "NextNonce" {
        return take_secret(e, secrets);
    }
    if name == "Cred" || (name == "Item" && secret_item(e)) {
        for n in &mut e.children {
            if let Node::Element(c) = n
                && local(c) == "Data"
            {
                take_secret(c, secrets);
            }
        }
    }
    for n in &mut e.children {
        if let Node::Element(c) = n {
            take_secrets(c, secrets);
        }
    }
}

/// Every text holding a secret loses it; opaque data holding one goes whole.
fn scrub_tree(e: &mut Element, secrets: &[String]) -> bool {
    let mut changed = false;
    for (_, v) in &mut e.attributes {
        let s = scrub(v, secrets);
        changed |= s != *v;
        *v = s;
    }
    for n in &mut e.children {
        match n {
            Node::Text(t) => {
                let s = scrub(t, secrets);
                changed |= s != *t;
                *t = s;
            }
            Node::Opaque(b) => {
                if secrets
                    .iter()
                    .any(|s| b.windows(s.len()).any(|w| w == s.as_bytes()))
                {
                    *b = PLACEHOLDER.as_bytes().to_vec();
                    changed = true;
                }
            }
            Node::Element(c) => changed |= scrub_tree(c, secrets),
        }
    }
    changed
}

/// A body as redaction sees it: the tree it was decoded from, or why there is none.
enum Parsed {
    Wbxml(dmct_proto::wbxml::Document),
    Xml(Element),
    Empty,
    Undecodable,
}

fn parse(body: &Body) -> Parsed {
    let bytes = body.as_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Parsed::Empty;
    }
    match dmct_proto::decode(bytes) {
        Ok(d) => match d.wbxml_document() {
            Some(doc) => Parsed::Wbxml(doc),
            None => match dmct_proto::xml::parse_tree(bytes) {
                Ok(root) => Parsed::Xml(root),
                Err(_) => Parsed::Undecodable,
            },
        },
        Err(_) => Parsed::Undecodable,
    }
}

fn redact_headers(h: &mut dmct_proto::transcript::Headers, secrets: &mut Vec<String>) {
    for (name, value) in &mut h.0 {
        if name.eq_ignore_ascii_case(HMAC_HEADER) {
            match dmct_proto::auth::HmacHeader::parse(value) {
                Ok(mut hh) => {
                    secrets.push(std::mem::replace(&mut hh.mac, PLACEHOLDER.into()));
                    *value = hh.to_header_value();
                }
                Err(_) => secrets.push(std::mem::replace(value, "REDACTED".into())),
            }
        } else if name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            secrets.push(std::mem::replace(value, "REDACTED".into()));
        }
    }
}

/// The secrets worth looking for: long enough not to match by chance, longest first
/// (so a secret that contains another goes whole).
fn tidy(mut secrets: Vec<String>) -> Vec<String> {
    secrets.retain(|s| s.len() >= 4 && s != PLACEHOLDER && s != "REDACTED");
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    secrets.dedup();
    secrets
}

/// Every string in a JSON value loses every secret, except under the keys `skip`.
fn scrub_json(v: &mut serde_json::Value, secrets: &[String], skip: &[&str]) {
    match v {
        serde_json::Value::String(s) => *s = scrub(s, secrets),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| scrub_json(x, secrets, skip)),
        serde_json::Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if !skip.contains(&k.as_str()) {
                    scrub_json(x, secrets, skip);
                }
            }
        }
        _ => {}
    }
}

/// `value` with every string scrubbed (through its JSON form); `false`, and `value`
/// unchanged, should the round trip fail.
fn scrub_serde<T: serde::Serialize + serde::de::DeserializeOwned>(
    value: &mut T,
    secrets: &[String],
    skip: &[&str],
) -> bool {
    let Ok(mut v) = serde_json::to_value(&*value) else {
        return false;
    };
    scrub_json(&mut v, secrets, skip);
    match serde_json::from_value(v) {
        Ok(t) => {
            *value = t;
            true
        }
        Err(_) => false,
    }
}

/// A redacted copy of a transcript, and the secret strings it held (with the ones
/// [`remember`]ed).
pub fn transcript(t: &Transcript) -> (Transcript, Vec<String>) {
    let mut t = t.clone();
    let mut secrets = Vec::new();
    // First every secret of every message, then every message loses all of them: a
    // nonce one message carried is quoted by another.
    let mut bodies: Vec<(&mut Body, Parsed)> = Vec::new();
    for e in &mut t.exchanges {
        redact_headers(&mut e.request.headers, &mut secrets);
        let p = parse(&e.request.body);
        bodies.push((&mut e.request.body, p));
        if let Some(r) = &mut e.response {
            redact_headers(&mut r.headers, &mut secrets);
            let p = parse(&r.body);
            bodies.push((&mut r.body, p));
        }
    }
    let mut taken = Vec::with_capacity(bodies.len());
    for (_, p) in &mut bodies {
        let before = secrets.len();
        match p {
            Parsed::Wbxml(doc) => take_secrets(&mut doc.root, &mut secrets),
            Parsed::Xml(root) => take_secrets(root, &mut secrets),
            Parsed::Empty | Parsed::Undecodable => {}
        }
        taken.push(secrets.len() > before);
    }
    secrets.extend(known());
    let secrets = tidy(secrets);
    for ((body, p), taken) in bodies.into_iter().zip(taken) {
        match p {
            Parsed::Wbxml(mut doc) => {
                if scrub_tree(&mut doc.root, &secrets) || taken {
                    *body = dmct_proto::wbxml::encode_document(&doc).into();
                }
            }
            Parsed::Xml(mut root) => {
                if scrub_tree(&mut root, &secrets) || taken {
                    *body = dmct_proto::xml::encode_element(&root).into();
                }
            }
            Parsed::Empty => {}
            Parsed::Undecodable => *body = UNDECODABLE.as_bytes().to_vec().into(),
        }
    }
    for e in &mut t.exchanges {
        for (_, v) in &mut e.request.headers.0 {
            *v = scrub(v, &secrets);
        }
        if let Some(r) = &mut e.response {
            for (_, v) in &mut r.headers.0 {
                *v = scrub(v, &secrets);
            }
        }
    }
    // Package 0 carries a digest keyed with the server's secret.
    if t.package0.is_some() {
        t.package0 = Some(b"REDACTED".to_vec().into());
    }
    // What is left: probes naming the nonce they were keyed with, why recording
    // stopped (a failed --exec command), failures, the transport.
    if !scrub_serde(&mut t, &secrets, &["body", "package0"]) {
        // Never expected; should it happen, the probes still lose their nonces.
        for p in &mut t.probes {
            p.detail = scrub(&p.detail, &secrets);
            if let Some(n) = &mut p.nonce {
                *n = scrub(n, &secrets);
            }
        }
    }
    (t, secrets)
}

/// Replace every secret in a text (and every [`remember`]ed one).
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), PLACEHOLDER);
        }
    }
    out
}

/// A text with every [`remember`]ed secret left out: for what is printed.
pub fn scrub_known(text: &str) -> String {
    scrub(text, &tidy(known()))
}

/// Scrub every string of a report (details, excerpts, notes), and leave out the run
/// seed: with it, the nonces of the run could be derived again.
pub fn report(r: &mut RunReport, secrets: &[String]) {
    r.seeds.clear();
    // A span points into the body as recorded; the transcripts written are redacted and
    // encoded again, so its offsets would name other bytes there.
    for f in r.cases.iter_mut().flat_map(|c| c.findings.iter_mut()) {
        f.span = None;
    }
    let mut all = secrets.to_vec();
    all.extend(known());
    let all = tidy(all);
    if !scrub_serde(r, &all, &[]) {
        // Never expected; should it happen, details and excerpts still lose them.
        for c in &mut r.cases {
            for f in &mut c.findings {
                f.detail = scrub(&f.detail, &all);
                if let Some(e) = &mut f.excerpt {
                    *e = scrub(e, &all);
                }
            }
        }
    }
}

/// Redact the runs' transcripts and the report made from them, in place.
pub fn outputs(r: &mut RunReport, runs: &mut [crate::runner::CaseRun]) {
    let mut secrets = Vec::new();
    for run in runs.iter_mut() {
        let (t, s) = transcript(&run.transcript);
        run.transcript = t;
        secrets.extend(s);
    }
    report(r, &secrets);
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
                time: None,
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

    /// Secrets inside commands and in tree values, in XML and WBXML: a Cred in Add,
    /// the Data of AAuthSecret in Replace and of ClientPW in Results, and a NextNonce;
    /// every other text quoting one of them loses it too.
    #[test]
    fn secrets_in_commands_and_tree_values_go() {
        let msg = concat!(
            r#"<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>"#,
            "<VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>2</MsgID>",
            "<Target><LocURI>IMEI:1</LocURI></Target><Source><LocURI>http://s</LocURI></Source>",
            "</SyncHdr><SyncBody>",
            "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>",
            r#"<Chal><Meta><NextNonce xmlns="syncml:metinf">"#,
            "bm9uY2UtMTIzNDU=</NextNonce></Meta></Chal>",
            "<Data>401</Data></Status>",
            "<Add><CmdID>2</CmdID><Cred><Data>Y21kLWNyZWQtdmFsdWU=</Data></Cred>",
            "<Item><Target><LocURI>./x</LocURI></Target><Data>1</Data></Item></Add>",
            "<Replace><CmdID>3</CmdID><Item><Target><LocURI>./DMAcc/a/AppAuth/1/AAuthSecret",
            "</LocURI></Target><Data>tree-secret-1</Data></Item></Replace>",
            "<Results><CmdID>4</CmdID><MsgRef>1</MsgRef><CmdRef>2</CmdRef><Item><Source>",
            "<LocURI>./DMAcc/b/ClientPW</LocURI></Source><Data>tree-secret-2</Data></Item>",
            "</Results><Alert><CmdID>5</CmdID><Data>1100</Data><Item><Data>",
            "tree-secret-1 bm9uY2UtMTIzNDU=</Data></Item></Alert><Final/></SyncBody></SyncML>"
        );
        let wbxml = dmct_proto::wbxml::encode_document(&Document {
            version: 0x02,
            public_id: PublicId::Numeric(dmct_proto::wbxml::PUBLIC_ID_SYNCML_1_2),
            root: dmct_proto::xml::parse_tree(msg.as_bytes()).unwrap(),
        });
        for body in [msg.as_bytes().to_vec(), wbxml] {
            let (t, _) = transcript(&one_request(body));
            let d = dmct_proto::decode(t.exchanges[0].request.body.as_bytes()).unwrap();
            let text = d.wire_text();
            for secret in [
                "bm9uY2UtMTIzNDU=",
                "Y21kLWNyZWQtdmFsdWU=",
                "tree-secret-1",
                "tree-secret-2",
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
            assert!(text.contains("./DMAcc/b/ClientPW"), "{text}");
        }
    }

    /// A body dmct cannot decode goes whole, saying so; an empty one stays empty.
    #[test]
    fn undecodable_bodies_go_whole() {
        let mut t = one_request(b"user=me&password=hunter22".to_vec());
        t.exchanges[0].response = Some(dmct_proto::transcript::HttpResponse {
            status: 401,
            headers: Headers(vec![]),
            body: Vec::new().into(),
        });
        let (t, _) = transcript(&t);
        assert_eq!(
            t.exchanges[0].request.body.as_bytes(),
            UNDECODABLE.as_bytes()
        );
        assert!(t.exchanges[0].response.as_ref().unwrap().body.is_empty());
    }

    /// Every string of a report and of its transcripts goes through the scrub: why a
    /// case was not run quotes a secret here; the report keeps its cases and loses
    /// its seed.
    #[test]
    fn reports_and_transcripts_lose_secrets_in_every_string() {
        let sc = crate::scenario::builtin()
            .unwrap()
            .into_iter()
            .find(|s| s.id == "session/get-replace")
            .unwrap();
        let secret = "why-Secret-5t6y";
        let mut runs = vec![crate::runner::skipped(
            &sc,
            &format!("`run {secret}` failed"),
        )];
        let mut r = crate::report_with("run", &runs, 1, &Default::default(), 7);
        assert!(serde_json::to_string(&r).unwrap().contains(secret));
        let cases = r.cases.len();
        // A finding's span names bytes of the body as recorded, which redaction rewrites.
        let spanned = dmct_rules::Finding {
            span: Some(dmct_rules::ByteSpan { start: 0, end: 9 }),
            ..r.cases[0].findings[0].clone()
        };
        r.cases[0].findings.push(spanned);
        let (t, _) = transcript(&runs[0].transcript);
        runs[0].transcript = t;
        report(&mut r, &[secret.to_owned()]);
        assert_eq!(r.cases.len(), cases);
        assert!(r.seeds.is_empty());
        assert!(r.cases[0].findings.iter().all(|f| f.span.is_none()));
        assert!(!serde_json::to_string(&r).unwrap().contains(secret));
        let mut t = runs[0].transcript.clone();
        assert!(scrub_serde(&mut t, &[secret.to_owned()], &["body"]));
        assert!(!serde_json::to_string(&t).unwrap().contains(secret));
    }

    #[test]
    fn a_command_line_tells_its_accounts_nonces_and_exec() {
        let c = CommandLine {
            server_secret: Some("lab-server-secret".into()),
            server_id: Some("lab-id".into()),
            client_user: Some("dev".into()),
            client_secret: Some("dev-secret".into()),
            nonces: vec!["AAAAAA==".into()],
            pkg0_nonces: vec!["resync".into(), "b64:c3RvcmVk".into()],
            exec: vec!["wake --token t0ps3cret".into()],
            ..CommandLine::default()
        };
        let t = told(&c);
        let account = |u: &str, s: &str| Told::Account(u.into(), s.into());
        for want in [
            account("lab-id", "lab-server-secret"),
            account(crate::peers::DEFAULT_SERVER_ID, "lab-server-secret"),
            account("dev", "dev-secret"),
            Told::NonceB64("AAAAAA==".into()),
            Told::NonceB64("c3RvcmVk".into()),
            Told::Plain("wake --token t0ps3cret".into()),
        ] {
            assert!(t.contains(&want), "{want:?} in {t:?}");
        }
        // `resync` names no secret.
        assert!(
            !t.iter()
                .any(|x| matches!(x, Told::NonceB64(n) if n == "resync"))
        );
    }
}
