//! Credentials of SyncML DM (OMA DM Protocol §9, DM Security): Basic, the MD5 digest,
//! and the HMAC-style integrity digest of the `x-syncml-hmac` header.
//!
//! Nonces are raw bytes here; on the wire they travel base64-encoded in NextNonce.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use std::fmt;
use std::str::FromStr;

pub const AUTH_BASIC: &str = "syncml:auth-basic";
pub const AUTH_MD5: &str = "syncml:auth-md5";
/// Note the upper-case MAC, unlike `auth-md5`.
pub const AUTH_HMAC: &str = "syncml:auth-MAC";
pub const FORMAT_B64: &str = "b64";

/// An authentication scheme, as named by Meta Type in Cred and Chal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Basic,
    Md5,
    Hmac,
}

impl Scheme {
    pub const ALL: [Scheme; 3] = [Scheme::Basic, Scheme::Md5, Scheme::Hmac];

    pub fn meta_type(self) -> &'static str {
        match self {
            Scheme::Basic => AUTH_BASIC,
            Scheme::Md5 => AUTH_MD5,
            Scheme::Hmac => AUTH_HMAC,
        }
    }

    /// Peers vary in case (`auth-MAC` vs `auth-mac`), so the match ignores it.
    pub fn from_meta_type(s: &str) -> Option<Scheme> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|x| x.meta_type().eq_ignore_ascii_case(s))
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Basic => "basic",
            Scheme::Md5 => "md5",
            Scheme::Hmac => "hmac",
        }
    }
}

impl FromStr for Scheme {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Self, AuthError> {
        Self::ALL
            .into_iter()
            .find(|x| x.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| AuthError::UnknownScheme(s.to_owned()))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub secret: String,
}

/// A nonce as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nonce(pub Vec<u8>);

impl Nonce {
    /// The "special nonce value 0x00000000" of [NOT] §5.1, read as four zero bytes: the
    /// one nonce the text gives both sides without any exchange, so what credentials
    /// sent before any challenge are keyed with when no earlier nonce is stored
    /// ([SEC] §5.3.3: "the last nonce used shall be reused").
    pub fn resync() -> Nonce {
        Nonce(vec![0; 4])
    }

    pub fn from_b64(s: &str) -> Result<Nonce, AuthError> {
        B64.decode(s.trim())
            .map(Nonce)
            .map_err(|_| AuthError::BadBase64 { what: "nonce" })
    }

    pub fn to_b64(&self) -> String {
        B64.encode(&self.0)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The `counter`-th nonce of a run seeded with `seed`: MD5(label, seed, counter),
    /// 16 bytes. The one derivation of every nonce dmct hands out (its client, server
    /// and proxy), so a run is repeatable from its seed; `label` keeps parties that
    /// share a seed apart. The core draws no random numbers: the caller brings the seed.
    pub fn derive(label: &[u8], seed: u64, counter: u64) -> Nonce {
        Nonce(md5(&[label, &seed.to_be_bytes(), &counter.to_be_bytes()]).to_vec())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the {what} is not valid base64")]
    BadBase64 { what: &'static str },
    #[error("Basic credentials hold no ':' between user name and password")]
    NoColon,
    #[error("Basic credentials are not UTF-8 text")]
    NotText,
    #[error("MD5 credentials need a nonce, and none was given")]
    NonceRequired,
    #[error("HMAC credentials travel in the x-syncml-hmac HTTP header, not in Cred")]
    NotInCred,
    #[error("unknown authentication scheme {0:?} (expected basic, md5 or hmac)")]
    UnknownScheme(String),
    #[error("malformed x-syncml-hmac header: {0}")]
    BadHmacHeader(String),
    #[error("{scheme} credentials do not match")]
    Mismatch { scheme: Scheme },
}

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// B64(MD5("user:secret")), the inner value of both digests.
pub fn inner_digest(c: &Credentials) -> String {
    B64.encode(md5(&[c.user.as_bytes(), b":", c.secret.as_bytes()]))
}

/// `syncml:auth-basic`: B64("user:secret").
pub fn basic(c: &Credentials) -> String {
    B64.encode(format!("{}:{}", c.user, c.secret))
}

/// Split Basic credentials at the first ':' (a password may contain ':').
pub fn decode_basic(data: &str) -> Result<Credentials, AuthError> {
    let raw = B64.decode(data.trim()).map_err(|_| AuthError::BadBase64 {
        what: "Basic credential",
    })?;
    let text = String::from_utf8(raw).map_err(|_| AuthError::NotText)?;
    let (user, secret) = text.split_once(':').ok_or(AuthError::NoColon)?;
    Ok(Credentials {
        user: user.into(),
        secret: secret.into(),
    })
}

/// `syncml:auth-md5`: B64(MD5(B64(MD5("user:secret")) ":" nonce)).
pub fn md5_digest(c: &Credentials, nonce: &[u8]) -> String {
    B64.encode(keyed_md5(&c.user, &c.secret, nonce, None))
}

/// The `mac` of the `x-syncml-hmac` header (DM Security). Despite the name it is not
/// RFC 2104 HMAC: B64(MD5(B64(MD5("user:secret")) ":" nonce ":" B64(MD5(body)))).
pub fn hmac_mac(c: &Credentials, nonce: &[u8], body: &[u8]) -> String {
    B64.encode(keyed_md5(&c.user, &c.secret, nonce, Some(body)))
}

/// The one keyed digest of DM: MD5(B64(MD5(name ":" secret)) ":" nonce), with
/// ":" B64(MD5(content)) before the outer MD5 when a content is signed. The MD5
/// credential ([SEC] §5.4.2), the HMAC header's mac ([SEC] §5.4.3) and the Package 0
/// digest ([NOT] §6.2.2, over the trigger, keyed by the ServerID) are all this.
pub fn keyed_md5(name: &str, secret: &str, nonce: &[u8], content: Option<&[u8]>) -> [u8; 16] {
    let inner = B64.encode(md5(&[name.as_bytes(), b":", secret.as_bytes()]));
    match content {
        None => md5(&[inner.as_bytes(), b":", nonce]),
        Some(content) => {
            let signed = B64.encode(md5(&[content]));
            md5(&[inner.as_bytes(), b":", nonce, b":", signed.as_bytes()])
        }
    }
}

/// Cred/Data for a scheme. Basic ignores the nonce.
pub fn credential_data(
    scheme: Scheme,
    c: &Credentials,
    nonce: Option<&Nonce>,
) -> Result<String, AuthError> {
    match scheme {
        Scheme::Basic => Ok(basic(c)),
        Scheme::Md5 => Ok(md5_digest(
            c,
            nonce.ok_or(AuthError::NonceRequired)?.as_bytes(),
        )),
        Scheme::Hmac => Err(AuthError::NotInCred),
    }
}

/// Equal-length comparison that does not stop at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Check received Cred/Data against what the peer should have sent.
pub fn verify(
    scheme: Scheme,
    data: &str,
    expected: &Credentials,
    nonce: Option<&Nonce>,
) -> Result<(), AuthError> {
    let ok = match scheme {
        Scheme::Basic => {
            let got = decode_basic(data)?;
            same(got.user.as_bytes(), expected.user.as_bytes())
                & same(got.secret.as_bytes(), expected.secret.as_bytes())
        }
        _ => {
            let want = credential_data(scheme, expected, nonce)?;
            same(data.trim().as_bytes(), want.as_bytes())
        }
    };
    if ok {
        Ok(())
    } else {
        Err(AuthError::Mismatch { scheme })
    }
}

/// Name of the HTTP header that carries HMAC credentials (DM Security).
pub const HMAC_HEADER: &str = "x-syncml-hmac";

/// The parameters of an `x-syncml-hmac` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacHeader {
    /// `MD5` when absent (the only algorithm defined).
    pub algorithm: Option<String>,
    pub username: String,
    pub mac: String,
}

impl HmacHeader {
    /// `algorithm=MD5, username="…", mac=…`, the form of the spec's ABNF.
    pub fn to_header_value(&self) -> String {
        let mut s = String::new();
        if let Some(a) = &self.algorithm {
            s.push_str(&format!("algorithm={a}, "));
        }
        let user = self.username.replace('\\', "\\\\").replace('"', "\\\"");
        s.push_str(&format!("username=\"{user}\", mac={}", self.mac));
        s
    }

    /// Parse the header value: comma-separated parameters, spaces optional (peers
    /// differ), `username` a quoted string, `mac` a token.
    pub fn parse(value: &str) -> Result<HmacHeader, AuthError> {
        let (mut algorithm, mut username, mut mac) = (None, None, None);
        let mut rest = value.trim();
        while !rest.is_empty() {
            let (name, after) = rest
                .split_once('=')
                .ok_or_else(|| AuthError::BadHmacHeader(format!("no '=' in {rest:?}")))?;
            let name = name.trim().to_ascii_lowercase();
            let after = after.trim_start();
            let (val, tail) = if let Some(q) = after.strip_prefix('"') {
                // A quoted string, with backslash escapes.
                let mut out = String::new();
                let mut chars = q.char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                out.push(n);
                            }
                        }
                        '"' => {
                            end = Some(i + 1);
                            break;
                        }
                        c => out.push(c),
                    }
                }
                let end = end
                    .ok_or_else(|| AuthError::BadHmacHeader("unterminated quoted string".into()))?;
                (out, &q[end..])
            } else {
                let cut = after.find(',').unwrap_or(after.len());
                (after[..cut].trim().to_owned(), &after[cut..])
            };
            match name.as_str() {
                "algorithm" => algorithm = Some(val),
                "username" => username = Some(val),
                "mac" => mac = Some(val),
                // Unknown parameters are allowed by the #rule and ignored.
                _ => {}
            }
            rest = tail.trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        Ok(HmacHeader {
            algorithm,
            username: username.ok_or_else(|| AuthError::BadHmacHeader("no username".into()))?,
            mac: mac.ok_or_else(|| AuthError::BadHmacHeader("no mac".into()))?,
        })
    }
}

#[cfg(test)]
mod tests {
    //! Known answers computed outside this code; the shell command sits beside each.
    use super::*;

    fn bruce() -> Credentials {
        Credentials {
            user: "Bruce2".into(),
            secret: "OhBehave".into(),
        }
    }

    #[test]
    fn basic_known_answer_from_the_spec() {
        // printf 'Bruce2:OhBehave' | base64
        assert_eq!(basic(&bruce()), "QnJ1Y2UyOk9oQmVoYXZl");
        assert_eq!(decode_basic("QnJ1Y2UyOk9oQmVoYXZl").unwrap(), bruce());
    }

    #[test]
    fn md5_known_answer_from_the_spec() {
        // printf 'Bruce2:OhBehave' | openssl md5 -binary | base64
        assert_eq!(inner_digest(&bruce()), "PtEdr8lBQ45IbT1bZIkrOQ==");
        // inner=$(printf 'Bruce2:OhBehave' | openssl md5 -binary | base64)
        // printf '%s:Nonce' "$inner" | openssl md5 -binary | base64
        assert_eq!(md5_digest(&bruce(), b"Nonce"), "Zz6EivR3yeaaENcRN6lpAQ==");
        let n = Nonce(b"Nonce".to_vec());
        assert!(verify(Scheme::Md5, "Zz6EivR3yeaaENcRN6lpAQ==", &bruce(), Some(&n)).is_ok());
    }

    #[test]
    fn nonces_derive_as_md5_of_label_seed_and_counter() {
        // python3: hashlib.md5(label + struct.pack('>QQ', seed, counter)).hexdigest()
        let hex = |n: Nonce| n.0.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(Nonce::derive(b"", 0x646d_6374, 1)),
            "fe78c86467ce3593c552b412e323ab8d"
        );
        assert_eq!(
            hex(Nonce::derive(b"dmct-proxy", 7, 0)),
            "388639741ddb026d30c48adc89e8075e"
        );
    }

    #[test]
    fn md5_known_answers_with_binary_nonces() {
        // printf '%s:' "$inner" > x; printf 'LG3iZQhhdmKNHg==' | base64 -d >> x
        // openssl md5 -binary x | base64
        let n = Nonce::from_b64("LG3iZQhhdmKNHg==").unwrap();
        assert_eq!(
            md5_digest(&bruce(), n.as_bytes()),
            "LAK2i25Fh0nxxGGaAzRRpg=="
        );
        // inner2=$(printf 'dmct-client:dmct-client-secret' | openssl md5 -binary | base64)
        // { printf '%s:' "$inner2"; printf '\x00\x01\xff\x3a'; } | openssl md5 -binary | base64
        let c = Credentials {
            user: "dmct-client".into(),
            secret: "dmct-client-secret".into(),
        };
        assert_eq!(inner_digest(&c), "P/DBiD2a3mCUuJ9kz20PkQ==");
        assert_eq!(
            md5_digest(&c, &[0x00, 0x01, 0xff, 0x3a]),
            "9X/v3MsEIC8adKz15Q9eqg=="
        );
    }

    #[test]
    fn md5_without_the_inner_base64_does_not_verify() {
        // { printf 'Bruce2:OhBehave' | openssl md5 -binary; printf ':Nonce'; } \
        //     | openssl md5 -binary | base64
        let n = Nonce(b"Nonce".to_vec());
        assert_eq!(
            verify(Scheme::Md5, "rsHCZ5DWrfjZfxvC+nPnFg==", &bruce(), Some(&n)),
            Err(AuthError::Mismatch {
                scheme: Scheme::Md5
            })
        );
        // The SyncML 1.0-style digest:
        // printf 'Bruce2:OhBehave:Nonce' | openssl md5 -binary | base64
        assert!(verify(Scheme::Md5, "UmkqAAZhiQvXXhfaf/u+OQ==", &bruce(), Some(&n)).is_err());
    }

    #[test]
    fn hmac_known_answer() {
        // b=$(printf '<SyncML/>' | openssl md5 -binary | base64)   # p7fHQr43AfxW0tZLC6QiAA==
        // printf '%s:Nonce:%s' "$inner" "$b" | openssl md5 -binary | base64
        assert_eq!(
            hmac_mac(&bruce(), b"Nonce", b"<SyncML/>"),
            "urdCeS3JUmjFgi8SX3webw=="
        );
    }

    #[test]
    fn verify_refuses_what_it_should() {
        let n = Nonce(b"Nonce".to_vec());
        let good = md5_digest(&bruce(), b"Nonce");
        let wrong_secret = Credentials {
            secret: "OhBehave!".into(),
            ..bruce()
        };
        let wrong_user = Credentials {
            user: "Bruce1".into(),
            ..bruce()
        };
        assert!(verify(Scheme::Md5, &good, &wrong_secret, Some(&n)).is_err());
        assert!(verify(Scheme::Md5, &good, &wrong_user, Some(&n)).is_err());
        assert!(
            verify(
                Scheme::Md5,
                &good,
                &bruce(),
                Some(&Nonce(b"nonce".to_vec()))
            )
            .is_err()
        );
        assert_eq!(
            verify(Scheme::Md5, &good, &bruce(), None),
            Err(AuthError::NonceRequired)
        );
        assert!(verify(Scheme::Basic, "QnJ1Y2UyOk9oQmVoYXZl", &wrong_secret, None).is_err());
        assert_eq!(
            verify(Scheme::Basic, "!!not base64!!", &bruce(), None),
            Err(AuthError::BadBase64 {
                what: "Basic credential"
            })
        );
        assert_eq!(
            credential_data(Scheme::Hmac, &bruce(), Some(&n)),
            Err(AuthError::NotInCred)
        );
    }

    #[test]
    fn basic_splits_at_the_first_colon() {
        // printf 'u:pa:ss' | base64
        assert_eq!(
            decode_basic("dTpwYTpzcw==").unwrap(),
            Credentials {
                user: "u".into(),
                secret: "pa:ss".into()
            }
        );
        // printf 'nocolon' | base64
        assert_eq!(decode_basic("bm9jb2xvbg=="), Err(AuthError::NoColon));
    }

    #[test]
    fn hmac_header_both_spellings() {
        let h = HmacHeader {
            algorithm: Some("MD5".into()),
            username: "Bruce2".into(),
            mac: "urdCeS3JUmjFgi8SX3webw==".into(),
        };
        let v = h.to_header_value();
        assert_eq!(
            v,
            r#"algorithm=MD5, username="Bruce2", mac=urdCeS3JUmjFgi8SX3webw=="#
        );
        assert_eq!(HmacHeader::parse(&v).unwrap(), h);
        // Without spaces, as some clients send it.
        let tight = r#"algorithm=MD5,username="Bruce2",mac=urdCeS3JUmjFgi8SX3webw=="#;
        assert_eq!(HmacHeader::parse(tight).unwrap(), h);
        // algorithm is optional; odd user names survive quoting.
        let odd = HmacHeader {
            algorithm: None,
            username: r#"a"b\c, d"#.into(),
            mac: "m".into(),
        };
        assert_eq!(HmacHeader::parse(&odd.to_header_value()).unwrap(), odd);
        assert!(HmacHeader::parse("username=\"x\"").is_err());
        assert!(HmacHeader::parse("mac=abc").is_err());
        assert!(HmacHeader::parse(r#"username="open, mac=x"#).is_err());
    }

    #[test]
    fn scheme_names() {
        assert_eq!(
            Scheme::from_meta_type(" syncml:auth-mac "),
            Some(Scheme::Hmac)
        );
        assert_eq!(Scheme::from_meta_type("syncml:auth-clear"), None);
        assert_eq!("MD5".parse::<Scheme>(), Ok(Scheme::Md5));
        assert!("x509".parse::<Scheme>().is_err());
    }
}
