//! dmct's own Package 0 held against the text of [NOT] §6, not against dmct's decoder:
//! its bytes against bytes worked out by hand from the layout, and a strict decoder
//! written here from the ABNF of §6.1 accepts the trigger dmct fires.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use dmct_proto::auth::Nonce;
use dmct_proto::package0::Package0Nonce;
use dmct_session::{ServerConfig, ServerFault};
use dmct_suite::peers;
use dmct_suite::runner::Trigger;
use md5::{Digest, Md5};
use std::collections::BTreeSet;
use std::time::Duration;

/// "the special nonce value, 0x00000000" ([NOT] §5.1) read as a 32-bit value: what
/// dmct signs with by default.
const RESYNC: &[u8] = &[0, 0, 0, 0];

fn server(server_id: &str, faults: &[ServerFault]) -> ServerConfig {
    let mut c = peers::server_config(
        "http://dm.example/dm",
        peers::default_client_creds(),
        &faults.iter().copied().collect::<BTreeSet<_>>(),
    );
    c.server_id = server_id.into();
    c
}

/// The default account's Package 0 for session 0x1A2B, byte by byte.
#[test]
fn dmcts_package0_is_the_hand_worked_bytes() {
    // trigger-hdr, 40 bits then whole bytes ([NOT] §6.1):
    //   version 0000001011 (§6.2.6) | ui-mode 00 | initiator 1 | future-use 27 x 0
    //   = 00000010 11001000 00000000 00000000 00000000 = 02 C8 00 00 00
    //   sessionid 0x1A2B = 1A 2B; length-identifier 4 = 04; "dmct" = 64 6D 63 74
    let trigger = [
        0x02, 0xC8, 0x00, 0x00, 0x00, 0x1A, 0x2B, 0x04, 0x64, 0x6D, 0x63, 0x74,
    ];
    // Digest = H(B64(H("dmct:dmct-server-secret")):nonce:B64(H(trigger))), nonce the
    // resync nonce of [NOT] §5.1 as four zero bytes (the default):
    // printf '\x02\xc8\x00\x00\x00\x1a\x2b\x04dmct' > trig.bin
    // a=$(printf 'dmct:dmct-server-secret' | openssl md5 -binary | base64)
    // t=$(openssl md5 -binary trig.bin | base64)
    // { printf '%s:' "$a"; printf '\x00\x00\x00\x00'; printf ':%s' "$t"; } | openssl md5 -binary | od -An -tx1
    let digest = [
        0x9f, 0xcf, 0xd0, 0xde, 0x30, 0x6c, 0xc1, 0xd8, 0x53, 0x45, 0xd9, 0xd3, 0x2d, 0xa7, 0xa8,
        0x79,
    ];
    let want: Vec<u8> = digest.iter().chain(&trigger).copied().collect();
    let got = server(peers::DEFAULT_SERVER_ID, &[])
        .package0(0x1A2B)
        .unwrap();
    assert_eq!(got, want);
}

/// Why a strict device refuses a Package 0.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    TooShort(usize),
    Version(u16),
    FutureUse(u32),
    LengthOverrun { claimed: usize, left: usize },
    NotChar,
    OtherServer(String),
    Digest,
}

/// What a strict device reads from an accepted Package 0.
#[derive(Debug, PartialEq, Eq)]
struct Accepted {
    ui_mode: u8,
    server_initiated: bool,
    session_id: u16,
    vendor: Vec<u8>,
}

/// A device's reading of [NOT] §6.1 and §6.2, written from the text alone: 128 bits of
/// digest, then version (10 bits, MUST be 0000001011), ui-mode (2), initiator (1),
/// future-use (27, MUST be 0), sessionid (16), length-identifier (8), that many CHARs
/// of server-identifier, the rest vendor-specific; big-endian. The digest is
/// H(B64(H(server-identifier:password)):nonce:B64(H(trigger))).
fn strict_decode(
    bytes: &[u8],
    server_id: &str,
    password: &str,
    nonce: &[u8],
) -> Result<Accepted, Refusal> {
    if bytes.len() < 16 + 8 {
        return Err(Refusal::TooShort(bytes.len()));
    }
    let (digest, trigger) = bytes.split_at(16);
    let bit = |i: usize| (trigger[i / 8] >> (7 - i % 8)) & 1;
    let field = |from: usize, len: usize| {
        (from..from + len).fold(0u32, |acc, i| (acc << 1) | u32::from(bit(i)))
    };
    let version = field(0, 10) as u16;
    if version != 0b00_0000_1011 {
        return Err(Refusal::Version(version));
    }
    let future = field(13, 27);
    if future != 0 {
        return Err(Refusal::FutureUse(future));
    }
    let claimed = usize::from(trigger[7]);
    let rest = &trigger[8..];
    if rest.len() < claimed {
        return Err(Refusal::LengthOverrun {
            claimed,
            left: rest.len(),
        });
    }
    let (id, vendor) = rest.split_at(claimed);
    if !id.iter().all(|b| (0x01..=0x7F).contains(b)) {
        return Err(Refusal::NotChar);
    }
    if id != server_id.as_bytes() {
        return Err(Refusal::OtherServer(
            String::from_utf8_lossy(id).into_owned(),
        ));
    }
    let b64_md5 = |data: &[u8]| B64.encode(Md5::digest(data));
    let cred = b64_md5(format!("{server_id}:{password}").as_bytes());
    let mut h = Md5::new();
    h.update(cred.as_bytes());
    h.update(b":");
    h.update(nonce);
    h.update(b":");
    h.update(b64_md5(trigger).as_bytes());
    if h.finalize().as_slice() != digest {
        return Err(Refusal::Digest);
    }
    Ok(Accepted {
        ui_mode: field(10, 2) as u8,
        server_initiated: bit(12) == 1,
        session_id: field(40, 16) as u16,
        vendor: vendor.to_vec(),
    })
}

/// The trigger a run fires (`run --serve --exec`), with a configured ServerID: a device
/// reading the text strictly accepts it; the faulty server's it refuses.
#[tokio::test]
async fn a_strict_decoder_accepts_the_trigger_dmct_fires() {
    let scenario = dmct_suite::scenario::builtin()
        .unwrap()
        .into_iter()
        .find(|s| s.id == "session/package0")
        .unwrap();
    let dir = std::env::temp_dir().join(format!("dmct-pkg0-{}", std::process::id()));
    let trigger = Trigger {
        command: "true".into(),
        dir: dir.clone(),
        package0: true,
    };
    let secret = peers::default_server_creds().secret;
    let fire = |sc: ServerConfig| {
        let (trigger, scenario) = (&trigger, &scenario);
        async move {
            trigger
                .fire(scenario, &sc, 0x1F2E, Duration::from_secs(30))
                .await
                .unwrap()
                .expect("a trigger with package0 hands one over")
        }
    };

    let bytes = fire(server("lab.example", &[])).await;
    let file = std::fs::read(dir.join("session__package0.pkg0")).unwrap();
    assert_eq!(
        file, bytes,
        "the file handed to the command is what was judged"
    );
    let got = strict_decode(&bytes, "lab.example", &secret, RESYNC).unwrap();
    assert_eq!(
        got,
        Accepted {
            ui_mode: 0,
            server_initiated: true,
            session_id: 0x1F2E,
            vendor: Vec::new(),
        }
    );
    assert_eq!(
        strict_decode(&bytes, peers::DEFAULT_SERVER_ID, &secret, RESYNC),
        Err(Refusal::OtherServer("lab.example".into()))
    );
    assert_eq!(
        strict_decode(&bytes, "lab.example", "another secret", RESYNC),
        Err(Refusal::Digest)
    );

    // A lab that knows the device's stored server nonce signs with it instead.
    let stored = b"nonce the device issued";
    let with_stored = fire(ServerConfig {
        package0_nonce: Package0Nonce::Stored(Nonce(stored.to_vec())),
        ..server("lab.example", &[])
    })
    .await;
    assert_eq!(&with_stored[16..], &bytes[16..], "only the digest differs");
    assert!(strict_decode(&with_stored, "lab.example", &secret, stored).is_ok());
    assert_eq!(
        strict_decode(&with_stored, "lab.example", &secret, RESYNC),
        Err(Refusal::Digest)
    );

    let faulty = fire(server("lab.example", &[ServerFault::Pkg0Version12])).await;
    assert_eq!(
        strict_decode(&faulty, "lab.example", &secret, RESYNC),
        Err(Refusal::Version(12))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The strict decoder's own checks can fail: each field the text constrains, broken.
#[test]
fn the_strict_decoder_refuses_what_the_text_forbids() {
    let secret = peers::default_server_creds().secret;
    let good = server("dmct", &[]).package0(0x1A2B).unwrap();
    let broken = |at: usize, value: u8| {
        let mut b = good.clone();
        b[16 + at] = value;
        strict_decode(&b, "dmct", &secret, RESYNC)
    };
    assert!(strict_decode(&good, "dmct", &secret, RESYNC).is_ok());
    assert_eq!(
        strict_decode(&good[..23], "dmct", &secret, RESYNC),
        Err(Refusal::TooShort(23))
    );
    // The lowest future-use bit (bit 39 of the trigger).
    assert_eq!(broken(4, 0x01), Err(Refusal::FutureUse(1)));
    assert_eq!(
        broken(7, 9),
        Err(Refusal::LengthOverrun {
            claimed: 9,
            left: 4
        })
    );
    assert_eq!(broken(8, 0x80), Err(Refusal::NotChar));
    assert_eq!(broken(11, b'u'), Err(Refusal::OtherServer("dmcu".into())));
    // One bit of the digest itself.
    let mut b = good.clone();
    b[0] ^= 1;
    assert_eq!(
        strict_decode(&b, "dmct", &secret, RESYNC),
        Err(Refusal::Digest)
    );
}
