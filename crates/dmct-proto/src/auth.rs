//! Interim credentials module (replaced by the full one).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};

pub const AUTH_BASIC: &str = "syncml:auth-basic";
pub const AUTH_MD5: &str = "syncml:auth-md5";
pub const AUTH_HMAC: &str = "syncml:auth-MAC";
pub const FORMAT_B64: &str = "b64";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Basic,
    Md5,
    Hmac,
}

impl Scheme {
    pub fn meta_type(self) -> &'static str {
        match self {
            Scheme::Basic => AUTH_BASIC,
            Scheme::Md5 => AUTH_MD5,
            Scheme::Hmac => AUTH_HMAC,
        }
    }
    pub fn from_meta_type(s: &str) -> Option<Scheme> {
        let s = s.trim();
        [Scheme::Basic, Scheme::Md5, Scheme::Hmac]
            .into_iter()
            .find(|x| x.meta_type().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nonce(pub Vec<u8>);

impl Nonce {
    pub fn from_b64(s: &str) -> Result<Nonce, AuthError> {
        B64.decode(s.trim())
            .map(Nonce)
            .map_err(|_| AuthError::BadBase64)
    }
    pub fn to_b64(&self) -> String {
        B64.encode(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("bad base64")]
    BadBase64,
    #[error("nonce required")]
    NonceRequired,
    #[error("not in cred")]
    NotInCred,
    #[error("mismatch")]
    Mismatch,
}

fn md5_b64(parts: &[&[u8]]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    B64.encode(h.finalize().as_slice())
}

pub fn basic(c: &Credentials) -> String {
    B64.encode(format!("{}:{}", c.user, c.secret))
}

pub fn md5_digest(c: &Credentials, nonce: &[u8]) -> String {
    let inner = md5_b64(&[format!("{}:{}", c.user, c.secret).as_bytes()]);
    md5_b64(&[inner.as_bytes(), b":", nonce])
}

pub fn credential_data(
    scheme: Scheme,
    c: &Credentials,
    nonce: Option<&Nonce>,
) -> Result<String, AuthError> {
    match scheme {
        Scheme::Basic => Ok(basic(c)),
        Scheme::Md5 => Ok(md5_digest(c, &nonce.ok_or(AuthError::NonceRequired)?.0)),
        Scheme::Hmac => Err(AuthError::NotInCred),
    }
}

pub fn verify(
    scheme: Scheme,
    data: &str,
    c: &Credentials,
    nonce: Option<&Nonce>,
) -> Result<(), AuthError> {
    if credential_data(scheme, c, nonce)? == data.trim() {
        Ok(())
    } else {
        Err(AuthError::Mismatch)
    }
}
