//! The SyncML DM 1.2 protocol core of dmct: a typed message model, its XML codec,
//! credentials (Basic and MD5 digest), HTTP content types and the [`transcript`] of what
//! crossed the wire.
//!
//! Sans-IO: nothing here opens a socket, reads a clock or draws a random number. Nonces
//! and identifiers come in from the caller.

pub mod auth;
pub mod model;
pub mod transcript;
pub mod tree;
pub mod xml;

pub use model::*;

/// `Content-Type` of SyncML DM messages in XML ([IANA] registration).
pub const CONTENT_TYPE_XML: &str = "application/vnd.syncml.dm+xml";
/// `Content-Type` of SyncML DM messages in WBXML.
pub const CONTENT_TYPE_WBXML: &str = "application/vnd.syncml.dm+wbxml";
