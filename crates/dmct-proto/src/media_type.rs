//! Media types as `Content-Type` carries them (RFC 7231 §3.1.1.1), read and written.
//!
//! ```text
//! media-type = type "/" subtype *( OWS ";" OWS parameter )
//! parameter  = token "=" ( token / quoted-string )
//! ```
//!
//! Type, subtype and parameter names compare case-insensitively and are kept
//! lower-cased; a parameter value is kept as it was meant (a quoted-string unquoted),
//! so `charset="utf-8"` and `charset=utf-8` read alike. This is the one reader of
//! Content-Type in dmct: the engines and the rules use it, none splits strings its own
//! way. Writing quotes any value that is not plainly a token, so what dmct sends parses
//! in any RFC 7231 stack.

use crate::xml::Encoding;
use crate::{CONTENT_TYPE_WBXML, CONTENT_TYPE_XML};
use std::fmt;

/// A parsed media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower-cased.
    pub essence: String,
    /// Parameters in order: name lower-cased, value unquoted.
    pub params: Vec<(String, String)>,
}

/// Why a Content-Type value is not a media type; `at` is a byte offset in the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaTypeError {
    #[error("expected a token (the {what}) at byte {at}")]
    Token { what: &'static str, at: usize },
    #[error("expected {expected:?} at byte {at}")]
    Expected { expected: char, at: usize },
    #[error("a quoted-string opened at byte {at} is not closed")]
    Unterminated { at: usize },
    #[error("byte {byte:#04x} at {at} is not allowed in a quoted-string")]
    BadQuoted { byte: u8, at: usize },
    #[error("unexpected {byte:?} after the parameters at byte {at}")]
    Trailing { byte: char, at: usize },
}

/// RFC 7230 §3.2.6 tchar.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn ows(&mut self) {
        while matches!(self.s.get(self.at), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn token(&mut self, what: &'static str) -> Result<String, MediaTypeError> {
        let start = self.at;
        while self.s.get(self.at).is_some_and(|&b| is_tchar(b)) {
            self.at += 1;
        }
        if self.at == start {
            return Err(MediaTypeError::Token { what, at: start });
        }
        // tchar is ASCII, so the slice is a str.
        Ok(String::from_utf8_lossy(&self.s[start..self.at]).into_owned())
    }

    fn expect(&mut self, c: u8) -> Result<(), MediaTypeError> {
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            Ok(())
        } else {
            Err(MediaTypeError::Expected {
                expected: c.into(),
                at: self.at,
            })
        }
    }

    /// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; the cursor is on DQUOTE.
    fn quoted(&mut self) -> Result<String, MediaTypeError> {
        let open = self.at;
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.at) else {
                return Err(MediaTypeError::Unterminated { at: open });
            };
            self.at += 1;
            match b {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => match self.s.get(self.at) {
                    Some(&q) if q == b'\t' || q == b' ' || q >= 0x21 && q != 0x7f => {
                        out.push(q);
                        self.at += 1;
                    }
                    Some(&q) => {
                        return Err(MediaTypeError::BadQuoted {
                            byte: q,
                            at: self.at,
                        });
                    }
                    None => return Err(MediaTypeError::Unterminated { at: open }),
                },
                // qdtext: HTAB, SP, visible ASCII but '"' and '\', obs-text.
                b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff => out.push(b),
                _ => {
                    return Err(MediaTypeError::BadQuoted {
                        byte: b,
                        at: self.at - 1,
                    });
                }
            }
        }
    }

    fn essence(&mut self) -> Result<String, MediaTypeError> {
        self.ows();
        let ty = self.token("type")?;
        self.expect(b'/')?;
        let sub = self.token("subtype")?;
        Ok(format!("{ty}/{sub}").to_ascii_lowercase())
    }
}

impl MediaType {
    /// A type without parameters.
    pub fn new(essence: &str) -> Self {
        MediaType {
            essence: essence.to_ascii_lowercase(),
            params: Vec::new(),
        }
    }

    /// Read a whole Content-Type value, strictly (leading and trailing OWS allowed, as
    /// a field value's are).
    pub fn parse(value: &str) -> Result<Self, MediaTypeError> {
        let mut c = Cursor {
            s: value.as_bytes(),
            at: 0,
        };
        let essence = c.essence()?;
        let mut params = Vec::new();
        loop {
            c.ows();
            match c.s.get(c.at) {
                None => break,
                Some(b';') => c.at += 1,
                Some(&b) => {
                    return Err(MediaTypeError::Trailing {
                        byte: b.into(),
                        at: c.at,
                    });
                }
            }
            c.ows();
            let name = c.token("parameter name")?.to_ascii_lowercase();
            c.expect(b'=')?;
            let v = if c.s.get(c.at) == Some(&b'"') {
                c.quoted()?
            } else {
                c.token("parameter value")?
            };
            params.push((name, v));
        }
        Ok(MediaType { essence, params })
    }

    /// Only `type/subtype`, lower-cased; what follows is not read, so a malformed
    /// parameter does not hide which type a message was labelled with (parameters are
    /// not what the rules' `ContentType` judges).
    pub fn essence_of(value: &str) -> Result<String, MediaTypeError> {
        let mut c = Cursor {
            s: value.as_bytes(),
            at: 0,
        };
        let essence = c.essence()?;
        c.ows();
        match c.s.get(c.at) {
            None | Some(b';') => Ok(essence),
            Some(&b) => Err(MediaTypeError::Trailing {
                byte: b.into(),
                at: c.at,
            }),
        }
    }

    /// The value of a parameter, by name (case-insensitive); the first if repeated.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Set a parameter, replacing every earlier value of that name.
    pub fn set_param(&mut self, name: &str, value: &str) {
        self.params.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.params
            .push((name.to_ascii_lowercase(), value.to_owned()));
    }
}

impl fmt::Display for MediaType {
    /// `type/subtype; name=value`, the value bare only when it is made of RFC 6838
    /// restricted-name characters (a subset of tchar that parsers of either RFC read),
    /// else quoted, which RFC 7231 makes equivalent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.essence)?;
        for (n, v) in &self.params {
            let bare = !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
            if bare {
                write!(f, "; {n}={v}")?;
            } else {
                write!(f, "; {n}=\"")?;
                for ch in v.chars() {
                    if ch == '"' || ch == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{ch}")?;
                }
                f.write_str("\"")?;
            }
        }
        Ok(())
    }
}

/// Whether dmct's DM messages carry the registration's optional `verproto` parameter.
///
/// Its value `DM/1.2` holds a '/', which is not a token character, so it can only be
/// sent as a quoted-string; sent bare it is a syntax error that strict HTTP stacks
/// refuse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum VerProtoParam {
    /// `verproto="DM/1.2"`: valid RFC 7231 syntax, and the version stays readable from
    /// the head, as the registration offers.
    #[default]
    Quoted,
    /// No parameter: the registration makes it optional, and no reader can misread
    /// what is not there.
    Omit,
}

impl VerProtoParam {
    pub const ALL: [VerProtoParam; 2] = [VerProtoParam::Quoted, VerProtoParam::Omit];

    pub fn name(self) -> &'static str {
        match self {
            VerProtoParam::Quoted => "quoted",
            VerProtoParam::Omit => "omit",
        }
    }
}

/// The Content-Type of a DM message in `encoding` speaking `ver_proto` (`DM/1.2`).
pub fn dm_content_type(encoding: Encoding, ver_proto: &str, verproto: VerProtoParam) -> String {
    let mut m = MediaType::new(match encoding {
        Encoding::Xml => CONTENT_TYPE_XML,
        Encoding::Wbxml => CONTENT_TYPE_WBXML,
    });
    if verproto == VerProtoParam::Quoted {
        m.set_param("verproto", ver_proto);
    }
    m.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_case_whitespace_and_both_value_forms() {
        let m = MediaType::parse(
            " Application/Vnd.SyncML.DM+XML ;Charset=utf-8 ;\tverproto=\"DM/1.2\" ",
        )
        .unwrap();
        assert_eq!(m.essence, CONTENT_TYPE_XML);
        assert_eq!(m.param("charset"), Some("utf-8"));
        assert_eq!(m.param("VERPROTO"), Some("DM/1.2"));
        let q = MediaType::parse(r#"a/b; x="a\"b\\c""#).unwrap();
        assert_eq!(q.param("x"), Some(r#"a"b\c"#));
    }

    #[test]
    fn refuses_what_rfc_7231_refuses() {
        for (bad, err) in [
            (
                "application/vnd.syncml.dm+xml; verproto=DM/1.2",
                MediaTypeError::Trailing { byte: '/', at: 42 },
            ),
            (
                "",
                MediaTypeError::Token {
                    what: "type",
                    at: 0,
                },
            ),
            (
                "text",
                MediaTypeError::Expected {
                    expected: '/',
                    at: 4,
                },
            ),
            (
                "text/",
                MediaTypeError::Token {
                    what: "subtype",
                    at: 5,
                },
            ),
            (
                "text /xml",
                MediaTypeError::Expected {
                    expected: '/',
                    at: 4,
                },
            ),
            (
                "a/b; =1",
                MediaTypeError::Token {
                    what: "parameter name",
                    at: 5,
                },
            ),
            (
                "a/b; x",
                MediaTypeError::Expected {
                    expected: '=',
                    at: 6,
                },
            ),
            (
                "a/b; x =1",
                MediaTypeError::Expected {
                    expected: '=',
                    at: 6,
                },
            ),
            (
                "a/b; x=",
                MediaTypeError::Token {
                    what: "parameter value",
                    at: 7,
                },
            ),
            ("a/b; x=\"1", MediaTypeError::Unterminated { at: 7 }),
            (
                "a/b; x=\"\x01\"",
                MediaTypeError::BadQuoted { byte: 1, at: 8 },
            ),
            ("a/b x", MediaTypeError::Trailing { byte: 'x', at: 4 }),
        ] {
            assert_eq!(MediaType::parse(bad), Err(err), "{bad:?}");
        }
    }

    #[test]
    fn the_essence_does_not_depend_on_the_parameters() {
        assert_eq!(
            MediaType::essence_of("Application/Vnd.SyncML.DM+WBXML; verproto=DM/1.2").as_deref(),
            Ok(CONTENT_TYPE_WBXML)
        );
        assert!(MediaType::essence_of("text xml").is_err());
    }

    #[test]
    fn writes_what_it_reads() {
        let xml = dm_content_type(Encoding::Xml, "DM/1.2", VerProtoParam::Quoted);
        assert_eq!(xml, "application/vnd.syncml.dm+xml; verproto=\"DM/1.2\"");
        assert_eq!(
            dm_content_type(Encoding::Wbxml, "DM/1.2", VerProtoParam::Omit),
            CONTENT_TYPE_WBXML
        );
        let mut m = MediaType::parse(&xml).unwrap();
        m.set_param("charset", "utf-8");
        m.set_param("x", "a\"b");
        assert_eq!(
            m.to_string(),
            r#"application/vnd.syncml.dm+xml; verproto="DM/1.2"; charset=utf-8; x="a\"b""#
        );
        assert_eq!(MediaType::parse(&m.to_string()), Ok(m));
    }
}
