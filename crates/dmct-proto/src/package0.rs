//! Package 0, the General Notification Initiated Session Alert (DM Notification §6):
//! the server's trigger that asks a device to open a DM session.
//!
//! Layout, big-endian and bit-packed: digest (128 bits) | version (10) | ui-mode (2) |
//! initiator (1) | future use (27, zero) | session id (16) | length of the server
//! identifier (8) | server identifier | vendor-specific data. The digest is
//! MD5(B64(MD5("server-id:password")) ":" nonce ":" B64(MD5(trigger))), raw, where the
//! trigger is every byte after the digest.

use crate::auth::Nonce;
use std::fmt;
use std::str::FromStr;

/// The `<version>` field every Package 0 of DM 1.2 carries ([NOT] §6.2.6: "MUST have
/// <version> field 10-bit binary value '0000001011'"). The field counts tenths, so 11
/// is notification version 1.1, not DM 1.1.
pub const NOTIFICATION_VERSION: u16 = 11;

/// The "special nonce value, 0x00000000" a device SHOULD re-verify a Package 0 with
/// when its stored server nonce fails ([NOT] §5.1), read as the 32-bit value the
/// notation writes: four zero bytes.
pub const RESYNC_NONCE: [u8; 4] = [0; 4];

/// The same notation read as its 10 ASCII characters, as some clients do. Which
/// reading the text means is unconfirmed.
pub const RESYNC_NONCE_ASCII: &[u8; 10] = b"0x00000000";

/// The nonce a server signs its Package 0 with. The digest must use the server nonce
/// the device holds (SRVCRED AAuthData); a server that does not know it can only count
/// on the resync nonce of [NOT] §5.1, hence the default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Package0Nonce {
    /// [`RESYNC_NONCE`]: four zero bytes.
    #[default]
    Resync,
    /// [`RESYNC_NONCE_ASCII`]: the ten characters `0x00000000`.
    ResyncAscii,
    /// No bytes at all.
    Empty,
    /// The device's stored server nonce: what a lab provisioned, or what the device
    /// last issued to the server in a Chal.
    Stored(Nonce),
}

impl Package0Nonce {
    /// The bytes that go between the colons of the digest.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Package0Nonce::Resync => &RESYNC_NONCE,
            Package0Nonce::ResyncAscii => RESYNC_NONCE_ASCII,
            Package0Nonce::Empty => &[],
            Package0Nonce::Stored(n) => n.as_bytes(),
        }
    }

    pub fn to_nonce(&self) -> Nonce {
        Nonce(self.bytes().to_vec())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Package0NonceError {
    #[error("unknown Package 0 nonce {0:?} (expected resync, resync-ascii, empty or b64:VALUE)")]
    Unknown(String),
    #[error("the Package 0 nonce after b64: is not valid base64")]
    BadBase64,
}

/// `resync`, `resync-ascii`, `empty` or `b64:VALUE` (the stored nonce as NextNonce
/// carries it).
impl FromStr for Package0Nonce {
    type Err = Package0NonceError;
    fn from_str(s: &str) -> Result<Self, Package0NonceError> {
        match s.trim() {
            "resync" => Ok(Package0Nonce::Resync),
            "resync-ascii" => Ok(Package0Nonce::ResyncAscii),
            "empty" => Ok(Package0Nonce::Empty),
            other => match other.strip_prefix("b64:") {
                Some(v) => Nonce::from_b64(v)
                    .map(Package0Nonce::Stored)
                    .map_err(|_| Package0NonceError::BadBase64),
                None => Err(Package0NonceError::Unknown(s.to_owned())),
            },
        }
    }
}

/// The form [`FromStr`] reads.
impl fmt::Display for Package0Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Package0Nonce::Resync => f.write_str("resync"),
            Package0Nonce::ResyncAscii => f.write_str("resync-ascii"),
            Package0Nonce::Empty => f.write_str("empty"),
            Package0Nonce::Stored(n) => write!(f, "b64:{}", n.to_b64()),
        }
    }
}

const DIGEST_LEN: usize = 16;
/// Bytes after the digest before the server identifier.
const FIXED_LEN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiMode {
    NotSpecified = 0,
    Background = 1,
    Informative = 2,
    UserInteraction = 3,
}

impl UiMode {
    fn from_bits(b: u8) -> UiMode {
        match b & 0b11 {
            0 => UiMode::NotSpecified,
            1 => UiMode::Background,
            2 => UiMode::Informative,
            _ => UiMode::UserInteraction,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    Client = 0,
    Server = 1,
}

/// The trigger: everything the digest covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub version: u16,
    pub ui_mode: UiMode,
    pub initiator: Initiator,
    /// The 27 bits of future use; MUST be zero, kept so a checker can say they were not.
    pub future: u32,
    pub session_id: u16,
    pub server_id: String,
    pub vendor: Vec<u8>,
}

impl Notification {
    /// A trigger as DM 1.2 writes it ([NOT] §6.1): this version, future-use bits 0, no
    /// vendor data, server-initiated with no ui-mode recommendation.
    pub fn new(server_id: impl Into<String>, session_id: u16) -> Self {
        Notification {
            version: NOTIFICATION_VERSION,
            ui_mode: UiMode::NotSpecified,
            initiator: Initiator::Server,
            future: 0,
            session_id,
            server_id: server_id.into(),
            vendor: Vec::new(),
        }
    }

    /// The trigger bytes, as they follow the digest.
    pub fn trigger(&self) -> Vec<u8> {
        let head: u64 = (u64::from(self.version & 0x3FF) << 30)
            | ((self.ui_mode as u64) << 28)
            | ((self.initiator as u64) << 27)
            | u64::from(self.future & 0x07FF_FFFF);
        let mut out = head.to_be_bytes()[3..].to_vec();
        out.extend_from_slice(&self.session_id.to_be_bytes());
        out.push(self.server_id.len() as u8);
        out.extend_from_slice(self.server_id.as_bytes());
        out.extend_from_slice(&self.vendor);
        out
    }

    /// The SessionID the client must use in Package #1: upper-case hex without
    /// leading zeros.
    pub fn session_id_hex(&self) -> String {
        format!("{:X}", self.session_id)
    }
}

/// A decoded Package 0 with the bytes it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package0 {
    pub digest: [u8; DIGEST_LEN],
    pub notification: Notification,
    pub raw: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Package0Error {
    #[error("Package 0 is {len} bytes; at least {min} are needed")]
    TooShort { len: usize, min: usize },
    #[error("server identifier length {claimed} runs past the end ({left} bytes left)")]
    ServerIdOverrun { claimed: usize, left: usize },
    #[error("server identifier is not ASCII text")]
    ServerIdNotText,
    #[error("server identifier is longer than 255 bytes")]
    ServerIdTooLong,
    #[error("session identifier 0 is outside 1 through FFFF ([NOT] §6.2.10)")]
    SessionIdZero,
}

/// The digest over a trigger (raw 16 bytes).
pub fn digest(server_id: &str, password: &str, nonce: &[u8], trigger: &[u8]) -> [u8; DIGEST_LEN] {
    crate::auth::keyed_md5(server_id, password, nonce, Some(trigger))
}

/// Build a Package 0 signed with the server's password and the device's nonce.
pub fn encode(n: &Notification, password: &str, nonce: &[u8]) -> Result<Vec<u8>, Package0Error> {
    if n.server_id.len() > 255 {
        return Err(Package0Error::ServerIdTooLong);
    }
    // <server-identifier> is CHARs ([NOT] §6.1; RFC 2234: %x01-7F).
    if !n.server_id.bytes().all(|b| (0x01..=0x7F).contains(&b)) {
        return Err(Package0Error::ServerIdNotText);
    }
    if n.session_id == 0 {
        return Err(Package0Error::SessionIdZero);
    }
    let trigger = n.trigger();
    let mut out = digest(&n.server_id, password, nonce, &trigger).to_vec();
    out.extend_from_slice(&trigger);
    Ok(out)
}

pub fn decode(bytes: &[u8]) -> Result<Package0, Package0Error> {
    let min = DIGEST_LEN + FIXED_LEN;
    if bytes.len() < min {
        return Err(Package0Error::TooShort {
            len: bytes.len(),
            min,
        });
    }
    let mut digest = [0u8; DIGEST_LEN];
    digest.copy_from_slice(&bytes[..DIGEST_LEN]);
    let t = &bytes[DIGEST_LEN..];
    let mut head = [0u8; 8];
    head[3..].copy_from_slice(&t[..5]);
    let head = u64::from_be_bytes(head);
    let len = usize::from(t[7]);
    let rest = &t[FIXED_LEN..];
    if rest.len() < len {
        return Err(Package0Error::ServerIdOverrun {
            claimed: len,
            left: rest.len(),
        });
    }
    let server_id = std::str::from_utf8(&rest[..len])
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or(Package0Error::ServerIdNotText)?
        .to_owned();
    Ok(Package0 {
        digest,
        notification: Notification {
            version: ((head >> 30) & 0x3FF) as u16,
            ui_mode: UiMode::from_bits((head >> 28) as u8),
            initiator: if (head >> 27) & 1 == 1 {
                Initiator::Server
            } else {
                Initiator::Client
            },
            future: (head & 0x07FF_FFFF) as u32,
            session_id: u16::from_be_bytes([t[5], t[6]]),
            server_id,
            vendor: rest[len..].to_vec(),
        },
        raw: bytes.to_vec(),
    })
}

impl Package0 {
    /// The bytes the digest covers: trigger-hdr and trigger-body ([NOT] §6.1).
    pub fn trigger(&self) -> &[u8] {
        &self.raw[DIGEST_LEN..]
    }

    /// Does the digest hold for this password and nonce? Compares without stopping at
    /// the first differing byte.
    pub fn verify(&self, password: &str, nonce: &[u8]) -> bool {
        let want = digest(
            &self.notification.server_id,
            password,
            nonce,
            self.trigger(),
        );
        want.iter()
            .zip(self.digest.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_example() -> Notification {
        // The fields of the DM Notification appendix example: version 1.1, ui-mode 1,
        // initiator 0, session 0x1234, server "com.mgmtsrv.manage".
        Notification {
            ui_mode: UiMode::Background,
            initiator: Initiator::Client,
            ..Notification::new("com.mgmtsrv.manage", 0x1234)
        }
    }

    #[test]
    fn trigger_bytes_match_the_spec_example() {
        let t = spec_example().trigger();
        assert_eq!(&t[..8], &[0x02, 0xD0, 0x00, 0x00, 0x00, 0x12, 0x34, 0x12]);
        assert_eq!(&t[8..], b"com.mgmtsrv.manage");
        assert_eq!(spec_example().session_id_hex(), "1234");
    }

    #[test]
    fn digest_known_answers() {
        // printf '\x02\xd0\x00\x00\x00\x12\x34\x12com.mgmtsrv.manage' > trig
        // a=$(printf 'com.mgmtsrv.manage:secret' | openssl md5 -binary | base64)
        // t=$(openssl md5 -binary trig | base64)
        // { printf '%s:' "$a"; printf '\x00\x00\x00\x00'; printf ':%s' "$t"; } \
        //     | openssl md5 -binary | xxd -p
        let pkg = encode(&spec_example(), "secret", Package0Nonce::Resync.bytes()).unwrap();
        let hex: String = pkg[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "4e94c58c36a8c50aabcdbe0c296b2ba7");
        // { printf '%s:0x00000000:%s' "$a" "$t"; } | openssl md5 -binary | xxd -p
        let pkg = encode(
            &spec_example(),
            "secret",
            Package0Nonce::ResyncAscii.bytes(),
        )
        .unwrap();
        let hex: String = pkg[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "ed2be65e9e73d7dc3826b3141edf462f");
    }

    #[test]
    fn nonce_settings_read_and_print() {
        for (text, bytes) in [
            ("resync", &[0u8, 0, 0, 0][..]),
            ("resync-ascii", b"0x00000000"),
            ("empty", b""),
            ("b64:bGFiLW5vbmNl", b"lab-nonce"),
        ] {
            let n: Package0Nonce = text.parse().unwrap();
            assert_eq!(n.bytes(), bytes, "{text}");
            assert_eq!(n.to_string(), text);
        }
        assert_eq!(Package0Nonce::default(), Package0Nonce::Resync);
        assert_eq!(
            "zero".parse::<Package0Nonce>(),
            Err(Package0NonceError::Unknown("zero".into()))
        );
        assert_eq!(
            "b64:not base64!".parse::<Package0Nonce>(),
            Err(Package0NonceError::BadBase64)
        );
    }

    #[test]
    fn decode_encode_and_verify() {
        let mut n = spec_example();
        n.initiator = Initiator::Server;
        n.ui_mode = UiMode::UserInteraction;
        n.session_id = 0x00AB;
        n.vendor = vec![1, 2, 3];
        let bytes = encode(&n, "pw", b"nonce").unwrap();
        let p = decode(&bytes).unwrap();
        assert_eq!(p.notification, n);
        assert_eq!(p.notification.session_id_hex(), "AB");
        assert!(p.verify("pw", b"nonce"));
        assert!(!p.verify("pw", b"other"));
        assert!(!p.verify("wrong", b"nonce"));
    }

    #[test]
    fn bad_input() {
        assert!(matches!(
            decode(&[0; 23]),
            Err(Package0Error::TooShort { .. })
        ));
        let mut b = encode(&spec_example(), "s", b"").unwrap();
        b[16 + 7] = 200;
        assert!(matches!(
            decode(&b),
            Err(Package0Error::ServerIdOverrun { claimed: 200, .. })
        ));
        let mut b = encode(&spec_example(), "s", b"").unwrap();
        b[16 + 8] = 0xFF;
        assert_eq!(decode(&b), Err(Package0Error::ServerIdNotText));
        let mut n = spec_example();
        n.server_id = "dmct\u{e9}".into();
        assert_eq!(encode(&n, "s", b""), Err(Package0Error::ServerIdNotText));
        n.server_id = "x".repeat(256);
        assert_eq!(encode(&n, "s", b""), Err(Package0Error::ServerIdTooLong));
        let n = Notification::new("dmct", 0);
        assert_eq!(encode(&n, "s", b""), Err(Package0Error::SessionIdZero));
    }
}
