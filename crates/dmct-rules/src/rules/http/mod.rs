//! The HTTP binding: method, media types, status codes.

use super::obs;
use crate::{Binds, Decl, Level, Observation, Role, Rule, RuleStatus, Side, Verdict, View};
use dmct_proto::transcript::Headers;
use dmct_proto::xml::Encoding;
use dmct_proto::{CONTENT_TYPE_WBXML, CONTENT_TYPE_XML};

// The rule files of this area, collected by build.rs: one `pub struct` per file.
include!(concat!(env!("OUT_DIR"), "/rules_http.rs"));

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
