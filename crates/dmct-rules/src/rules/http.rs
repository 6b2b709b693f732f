//! The HTTP binding: method, media types, status codes.

use super::obs;
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, Side, Verdict, View};
use dmct_proto::transcript::Headers;
use dmct_proto::xml::Encoding;
use dmct_proto::{CONTENT_TYPE_WBXML, CONTENT_TYPE_XML};

/// Each DM message of `role`: (exchange, side, headers, decoded encoding and VerProto).
fn messages<'a>(
    view: &'a crate::View,
    role: Role,
) -> Vec<(usize, Side, &'a Headers, Encoding, &'a str)> {
    view.exchanges
        .iter()
        .filter_map(|e| match role {
            Role::Client => {
                let d = e.request.as_ref().ok()?;
                Some((
                    e.index,
                    Side::Request,
                    &e.exchange.request.headers,
                    d.encoding,
                    d.message.hdr.ver_proto.as_str(),
                ))
            }
            Role::Server => {
                let d = e.response.as_ref()?.as_ref().ok()?;
                let r = e.exchange.response.as_ref()?;
                Some((
                    e.index,
                    Side::Response,
                    &r.headers,
                    d.encoding,
                    d.message.hdr.ver_proto.as_str(),
                ))
            }
        })
        .collect()
}

fn header_excerpt(h: &Headers, name: &str) -> Option<String> {
    Some(format!("{name}: {}", h.get(name).unwrap_or("(absent)")))
}

/// DM messages are sent with POST.
pub struct Post;

impl Rule for Post {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/post",
            status: RuleStatus::Testable,
            clause: "[HTTP] ?",
            unconfirmed: Some(
                "the SyncML HTTP Binding 1.2 is not among the documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Client,
            summary: "DM messages travel in HTTP POST requests.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        view.exchanges
            .iter()
            .filter(|e| e.request.is_ok())
            .map(|e| {
                let m = &e.exchange.request.method;
                if m.eq_ignore_ascii_case("POST") {
                    obs(Verdict::Pass, e.index, Side::Request, "POST", None)
                } else {
                    obs(
                        Verdict::Fail,
                        e.index,
                        Side::Request,
                        format!("a DM message sent with {m}, not POST"),
                        Some(format!("{m} {}", e.exchange.request.target)),
                    )
                }
            })
            .collect()
    }
}

/// A DM message is labelled with a DM media type.
pub struct ContentType;

impl Rule for ContentType {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/content-type",
            status: RuleStatus::Testable,
            clause: "[REP] §5, §6.2.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "A DM message is labelled application/vnd.syncml.dm+xml or \
                application/vnd.syncml.dm+wbxml.",
            allowed: &[
                "parameters (charset, verproto, verdtd) after the type",
                "any letter case",
            ],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/get-replace-wbxml"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        messages(view, role)
            .into_iter()
            // Only the type is judged: parameters (charset, verproto, verdtd) are not
            // findings of this rule, even malformed ones.
            .map(|(i, side, h, enc, _)| match h.media_type() {
                Some(Ok(t)) if t == CONTENT_TYPE_XML || t == CONTENT_TYPE_WBXML => {
                    obs(Verdict::Pass, i, side, "a DM media type", None)
                }
                Some(Err(e)) => obs(
                    Verdict::Fail,
                    i,
                    side,
                    format!(
                        "Content-Type is not a media type ({e}), so not {CONTENT_TYPE_XML} or \
                        {CONTENT_TYPE_WBXML}"
                    ),
                    header_excerpt(h, "Content-Type"),
                ),
                Some(Ok(t)) => obs(
                    Verdict::Fail,
                    i,
                    side,
                    wrong_type(&t, enc),
                    header_excerpt(h, "Content-Type"),
                ),
                None => obs(
                    Verdict::Fail,
                    i,
                    side,
                    format!(
                        "no Content-Type: a DM message in {} is labelled {}",
                        encoding_name(enc),
                        dm_type(enc)
                    ),
                    header_excerpt(h, "Content-Type"),
                ),
            })
            .collect()
    }
}

/// Why a media type that is not a DM one fails http/content-type, for a body in
/// `enc`; the SyncML DS types (what a DS stack sends by mistake) are named as such.
fn wrong_type(t: &str, enc: Encoding) -> String {
    let (name, dm) = (encoding_name(enc), dm_type(enc));
    if t == "application/vnd.syncml+xml" || t == "application/vnd.syncml+wbxml" {
        format!(
            "Content-Type {t} is the SyncML Data Synchronization type, not a DM one; a DM message \
                in {name} is labelled {dm}"
        )
    } else {
        format!("Content-Type {t} is not a DM type; a DM message in {name} is labelled {dm}")
    }
}

/// The DM media type of an encoding.
fn dm_type(e: Encoding) -> &'static str {
    match e {
        Encoding::Xml => CONTENT_TYPE_XML,
        Encoding::Wbxml => CONTENT_TYPE_WBXML,
    }
}

/// An encoding as people name it.
fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Xml => "XML",
        Encoding::Wbxml => "WBXML",
    }
}

/// Each body of `role` labelled with a DM media type that does not decode as a SyncML
/// DM message: (exchange, side, headers, the decoder's reason).
fn undecodable<'a>(view: &'a crate::View, role: Role) -> Vec<(usize, Side, &'a Headers, String)> {
    view.exchanges
        .iter()
        .filter_map(|e| {
            let (side, headers, decoded) = match role {
                Role::Client => (Side::Request, &e.exchange.request.headers, &e.request),
                Role::Server => (
                    Side::Response,
                    &e.exchange.response.as_ref()?.headers,
                    e.response.as_ref()?,
                ),
            };
            // A body cut short by the connection closing or a harness limit is not the
            // body its sender labelled: what it would have been cannot be told.
            if e.exchange.failure.is_some() {
                return None;
            }
            // An empty body is no message at all: whether one was owed is for the
            // session rules.
            let err = decoded.as_ref().err().filter(|_| !body_empty(e, side))?;
            let t = headers.media_type()?.ok()?;
            (t == CONTENT_TYPE_XML || t == CONTENT_TYPE_WBXML)
                .then(|| (e.index, side, headers, err.to_string()))
        })
        .collect()
}

fn body_empty(e: &crate::ExchangeView, side: Side) -> bool {
    match side {
        Side::Request => e.exchange.request.body.as_bytes().is_empty(),
        Side::Response => e
            .exchange
            .response
            .as_ref()
            .is_none_or(|r| r.body.as_bytes().is_empty()),
    }
}

/// The media type says the encoding the body is in: a body labelled as a DM message
/// that does not decode as one is in neither encoding. This is the one rule such a
/// body fails; rules about what a message says have no message to judge there.
pub struct ContentTypeMatches;

impl Rule for ContentTypeMatches {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/content-type-matches-body",
            status: RuleStatus::Testable,
            clause: "[REP] §5, §6.2.1",
            unconfirmed: None,
            level: Level::Must,
            binds: Binds::Both,
            summary: "The body is in the encoding its media type says: XML for +xml, WBXML for \
                +wbxml.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/get-replace-wbxml"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        let garbled = undecodable(view, role)
            .into_iter()
            .map(|(i, side, h, why)| {
                obs(
                    Verdict::Fail,
                    i,
                    side,
                    format!(
                        "labelled a DM message, but the body does not decode as SyncML DM: {why}"
                    ),
                    header_excerpt(h, "Content-Type"),
                )
            });
        messages(view, role)
            .into_iter()
            .filter_map(|(i, side, h, enc, _)| {
                let label = match h.media_type()?.ok()?.as_str() {
                    CONTENT_TYPE_XML => Encoding::Xml,
                    CONTENT_TYPE_WBXML => Encoding::Wbxml,
                    _ => return None,
                };
                Some(if label == enc {
                    obs(
                        Verdict::Pass,
                        i,
                        side,
                        "the body is in the labelled encoding",
                        None,
                    )
                } else {
                    obs(
                        Verdict::Fail,
                        i,
                        side,
                        format!(
                            "labelled as {}, but the body is {}",
                            encoding_name(label),
                            encoding_name(enc)
                        ),
                        header_excerpt(h, "Content-Type"),
                    )
                })
            })
            .chain(garbled)
            .collect()
    }
}

/// A verproto parameter of the media type equals the message's VerProto.
pub struct VerProtoParam;

impl Rule for VerProtoParam {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/verproto-param",
            status: RuleStatus::Testable,
            clause: "[REP] Appendix C ?",
            unconfirmed: Some(
                "the verproto parameter is defined in the media-type registrations ([REP] \
                    Appendix C), which are not among the documents dmct's audit could read",
            ),
            level: Level::Must,
            binds: Binds::Both,
            summary: "A verproto parameter on the media type equals the message's VerProto.",
            allowed: &["no verproto parameter at all"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace@client"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, role: Role) -> Vec<Observation> {
        messages(view, role)
            .into_iter()
            .filter_map(|(i, side, h, _, ver_proto)| {
                let ct = match h.content_type()? {
                    Ok(ct) => ct,
                    // A bare `verproto=DM/1.2` is no parameter at all in RFC 7231 syntax
                    // ('/' is not a token character): what it says cannot be read.
                    Err(e) => {
                        return Some(obs(
                            Verdict::Inconclusive,
                            i,
                            side,
                            format!(
                                "the Content-Type is not RFC 7231 syntax ({e}), so no verproto \
                            can be read"
                            ),
                            header_excerpt(h, "Content-Type"),
                        ));
                    }
                };
                // No parameter is the catalog's allowed behaviour: the message is
                // judged and conforms, so a case naming the rule passes, not inconclusive.
                let Some(param) = ct.param("verproto") else {
                    return Some(obs(
                        Verdict::Pass,
                        i,
                        side,
                        "no verproto parameter (allowed)",
                        None,
                    ));
                };
                Some(if param == ver_proto.trim() {
                    obs(Verdict::Pass, i, side, "verproto matches VerProto", None)
                } else {
                    obs(
                        Verdict::Fail,
                        i,
                        side,
                        format!(
                            "verproto={param} but VerProto is \
                        {ver_proto}"
                        ),
                        header_excerpt(h, "Content-Type"),
                    )
                })
            })
            .collect()
    }
}

/// The server carries its DM messages in HTTP 200.
pub struct Status200;

impl Rule for Status200 {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/status-200",
            status: RuleStatus::Testable,
            clause: "[HTTP] ?",
            unconfirmed: Some(
                "the SyncML HTTP Binding 1.2 is not among the documents dmct's audit could read",
            ),
            level: Level::Should,
            binds: Binds::Server,
            summary: "The server carries its DM messages in HTTP 200 responses.",
            allowed: &["another status for a transport-level failure without a DM message"],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        view.exchanges
            .iter()
            .filter_map(|e| {
                let r = e.exchange.response.as_ref()?;
                e.response.as_ref()?.as_ref().ok()?;
                Some(if r.status == 200 {
                    obs(Verdict::Pass, e.index, Side::Response, "HTTP 200", None)
                } else {
                    obs(
                        Verdict::Fail,
                        e.index,
                        Side::Response,
                        format!("a DM message in HTTP {}", r.status),
                        Some(format!("HTTP/1.1 {}", r.status)),
                    )
                })
            })
            .collect()
    }
}

/// The server answers in the encoding the client used.
pub struct SameEncoding;

impl Rule for SameEncoding {
    fn decl(&self) -> &'static Decl {
        &Decl {
            id: "http/same-encoding",
            status: RuleStatus::Testable,
            clause: "[HTTP] ?",
            unconfirmed: Some(
                "the SyncML HTTP Binding 1.2 is not among the documents dmct's audit could read; \
                    the check also ignores the client's Accept header",
            ),
            level: Level::Should,
            binds: Binds::Server,
            summary: "The server answers in the encoding the client used.",
            allowed: &[],
            conditions: &[],
            capability: None,
            scenarios: &["session/get-replace", "session/get-replace-wbxml"],
            reason: None,
            replaced_by: None,
        }
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        view.exchanges
            .iter()
            .filter_map(|e| {
                let req = e.request.as_ref().ok()?;
                let resp = e.response.as_ref()?.as_ref().ok()?;
                Some(if req.encoding == resp.encoding {
                    obs(
                        Verdict::Pass,
                        e.index,
                        Side::Response,
                        "answered in the client's encoding",
                        None,
                    )
                } else {
                    obs(
                        Verdict::Fail,
                        e.index,
                        Side::Response,
                        format!(
                            "the client wrote {:?}; the server answered {:?}",
                            req.encoding, resp.encoding
                        ),
                        None,
                    )
                })
            })
            .collect()
    }
}
