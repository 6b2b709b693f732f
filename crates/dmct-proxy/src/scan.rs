//! What the response path needs to know of a message without decoding it: whether it
//! may carry a RespURI. (The request path keys its session with dmct-proto's streaming
//! reader, `dmct_proto::stream::session_head`: one XML scanner.)

/// Could this body carry a RespURI? XML: the element name occurs; WBXML: a byte that
/// could be its tag (code page 0 token 0x1F, with or without content and attribute
/// flags). False positives only cost a decode.
pub fn may_have_resp_uri(body: &[u8]) -> bool {
    match body.first() {
        Some(0x01..=0x03) => body.iter().any(|b| b & 0x3F == 0x1F),
        _ => {
            static RESP_URI: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
                std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"RespURI"));
            RESP_URI.find(body).is_some()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp_uri_prefilter() {
        assert!(may_have_resp_uri(b"<SyncML><RespURI>x</RespURI>"));
        assert!(!may_have_resp_uri(b"<SyncML><SyncHdr/>"));
        assert!(may_have_resp_uri(&[0x02, 0x00, 0x5F]));
        assert!(!may_have_resp_uri(&[0x02, 0x00, 0x6D]));
    }
}
