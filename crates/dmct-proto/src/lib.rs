//! The SyncML DM 1.2 protocol core of dmct: a typed message model, its XML and WBXML
//! codecs, credentials (Basic, MD5 digest, the `x-syncml-hmac` digest), Package 0, HTTP
//! content types ([`media_type`]) and the [`transcript`] of what crossed the wire.
//!
//! Sans-IO: nothing here opens a socket, reads a clock or draws a random number. Nonces
//! and identifiers come in from the caller.

pub mod auth;
pub mod media_type;
pub mod model;
pub mod namespace;
pub mod package0;
pub mod stream;
pub mod transcript;
pub mod tree;
pub mod url;
pub mod wbxml;
pub mod xml;

pub use model::*;

/// `Content-Type` of SyncML DM messages in XML ([IANA] registration).
pub const CONTENT_TYPE_XML: &str = "application/vnd.syncml.dm+xml";
/// `Content-Type` of SyncML DM messages in WBXML.
pub const CONTENT_TYPE_WBXML: &str = "application/vnd.syncml.dm+wbxml";

/// Decode a message in either encoding. The bytes tell which: WBXML opens with its
/// version byte (1 to 3), XML with '<', a BOM or white space. Labels (Content-Type) are
/// for the HTTP binding rules to judge, not a reason to misread a body.
pub fn decode(bytes: &[u8]) -> Result<xml::Decoded, xml::DecodeError> {
    match bytes.first() {
        Some(0x01..=0x03) => wbxml::decode(bytes),
        _ => xml::decode(bytes),
    }
}

/// [`decode`] of bytes the caller shares (a transcript's [`transcript::Body`]): the
/// decoded message keeps them as they are instead of a copy.
pub fn decode_shared(bytes: &bytes::Bytes) -> Result<xml::Decoded, xml::DecodeError> {
    match bytes.first() {
        Some(0x01..=0x03) => wbxml::decode_keeping(bytes, || bytes.clone()),
        _ => xml::decode_keeping(bytes, || bytes.clone()),
    }
}

/// Encode a message in the given encoding.
pub fn encode(message: &SyncML, encoding: xml::Encoding) -> Vec<u8> {
    match encoding {
        xml::Encoding::Xml => xml::encode(message),
        xml::Encoding::Wbxml => wbxml::encode(message),
    }
}
