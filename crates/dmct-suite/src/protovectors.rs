//! Language-neutral vectors of the protocol core: codec pairs (`.xml` + `.wbxml` of one
//! message), credential known answers, and Package 0 triggers (`.bin`), each with a
//! JSON file naming its clause.
//!
//! Every credential and Package 0 vector carries a shell command (printf, base64,
//! openssl) that recomputes its expected value from its inputs alone; the tests run it,
//! so the expected values do not rest on dmct's own code. Codec vectors are checked
//! against libwbxml in `dmct-proto`'s oracle tests.

use dmct_proto::auth::{self, Credentials, Nonce, Scheme};
use dmct_proto::package0::{self, Initiator, Notification, UiMode};
use dmct_proto::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodecVector {
    pub vector_format: u32,
    pub name: String,
    pub clause: String,
    pub description: String,
    /// File names, beside this JSON file.
    pub xml: String,
    pub wbxml: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthVector {
    pub vector_format: u32,
    pub name: String,
    pub clause: String,
    /// `basic`, `md5` or `hmac`.
    pub scheme: Scheme,
    pub user: String,
    pub secret: String,
    /// Raw nonce, base64 (as NextNonce carries it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_b64: Option<String>,
    /// The HMAC body, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub expected: String,
    /// Recomputes `expected` from the inputs with printf, base64 and openssl.
    pub shell: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package0Vector {
    pub vector_format: u32,
    pub name: String,
    pub clause: String,
    pub bin: String,
    pub server_id: String,
    pub password: String,
    pub nonce_hex: String,
    pub session_id: u16,
    pub session_id_hex: String,
    pub ui_mode: u8,
    pub initiator: u8,
    pub digest_hex: String,
    /// Recomputes `digest_hex` from the inputs with printf and openssl.
    pub shell: String,
}

/// Bytes as a printf format that writes exactly them.
fn printf_escaped(b: &[u8]) -> String {
    b.iter().map(|x| format!("\\x{x:02x}")).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn creds(user: &str, secret: &str) -> Credentials {
    Credentials {
        user: user.into(),
        secret: secret.into(),
    }
}

fn inner_cmd(user: &str, secret: &str) -> String {
    format!(
        "inner=$(printf '{}' | openssl md5 -binary | base64)",
        printf_escaped(format!("{user}:{secret}").as_bytes())
    )
}

pub fn auth_vectors() -> Vec<AuthVector> {
    let clause = "OMA DM Protocol 1.2 §9; OMA DM Security 1.2";
    let mut v = Vec::new();
    let mut basic = |name: &str, user: &str, secret: &str| {
        v.push(AuthVector {
            vector_format: 1,
            name: name.into(),
            clause: clause.into(),
            scheme: Scheme::Basic,
            user: user.into(),
            secret: secret.into(),
            nonce_b64: None,
            body: None,
            expected: auth::basic(&creds(user, secret)),
            shell: format!(
                "printf '{}' | base64",
                printf_escaped(format!("{user}:{secret}").as_bytes())
            ),
        });
    };
    basic("basic-spec-example", "Bruce2", "OhBehave");
    basic("basic-colon-in-secret", "dmct-client", "pa:ss:word");
    let mut md5 = |name: &str, user: &str, secret: &str, nonce: &[u8]| {
        v.push(AuthVector {
            vector_format: 1,
            name: name.into(),
            clause: clause.into(),
            scheme: Scheme::Md5,
            user: user.into(),
            secret: secret.into(),
            nonce_b64: Some(Nonce(nonce.to_vec()).to_b64()),
            body: None,
            expected: auth::md5_digest(&creds(user, secret), nonce),
            shell: format!(
                "{}; {{ printf '%s:' \"$inner\"; printf '{}'; }} | openssl md5 -binary | base64",
                inner_cmd(user, secret),
                printf_escaped(nonce)
            ),
        });
    };
    md5("md5-spec-example", "Bruce2", "OhBehave", b"Nonce");
    md5(
        "md5-binary-nonce",
        "Bruce2",
        "OhBehave",
        &Nonce::from_b64("LG3iZQhhdmKNHg==")
            .map(|n| n.0)
            .unwrap_or_default(),
    );
    md5(
        "md5-nonce-with-nul",
        "dmct-client",
        "dmct-client-secret",
        &[0, 1, 0xff, 0x3a],
    );
    md5("md5-empty-nonce", "u", "s", b"");
    let body = "<SyncML/>";
    v.push(AuthVector {
        vector_format: 1,
        name: "hmac-small-body".into(),
        clause: clause.into(),
        scheme: Scheme::Hmac,
        user: "Bruce2".into(),
        secret: "OhBehave".into(),
        nonce_b64: Some(Nonce(b"Nonce".to_vec()).to_b64()),
        body: Some(body.into()),
        expected: auth::hmac_mac(&creds("Bruce2", "OhBehave"), b"Nonce", body.as_bytes()),
        shell: format!(
            "{}; b=$(printf '{}' | openssl md5 -binary | base64); \
             {{ printf '%s:' \"$inner\"; printf '{}'; printf ':%s' \"$b\"; }} \
             | openssl md5 -binary | base64",
            inner_cmd("Bruce2", "OhBehave"),
            printf_escaped(body.as_bytes()),
            printf_escaped(b"Nonce")
        ),
    });
    v
}

pub fn package0_vectors() -> Vec<(Package0Vector, Vec<u8>)> {
    let clause = "OMA DM Notification 1.2 §6 (Package 0)";
    struct Case {
        name: &'static str,
        session_id: u16,
        ui_mode: UiMode,
        initiator: Initiator,
        server_id: &'static str,
        password: &'static str,
        nonce: &'static [u8],
        vendor: &'static [u8],
    }
    let spec = |name, nonce| Case {
        name,
        session_id: 0x1234,
        ui_mode: UiMode::Background,
        initiator: Initiator::Client,
        server_id: "com.mgmtsrv.manage",
        password: "secret",
        nonce,
        vendor: b"",
    };
    let cases = [
        // The two readings of [NOT] §5.1's resync nonce, as dmct signs with them.
        spec("spec-example-zero-nonce", &package0::RESYNC_NONCE),
        spec("spec-example-ascii-nonce", package0::RESYNC_NONCE_ASCII),
        Case {
            name: "server-initiated-ui",
            session_id: 0x00AB,
            ui_mode: UiMode::UserInteraction,
            initiator: Initiator::Server,
            server_id: "dmct",
            password: "dmct-server-secret",
            nonce: b"nonce-1",
            vendor: b"",
        },
        Case {
            name: "vendor-data",
            session_id: 0xFFFF,
            ui_mode: UiMode::Informative,
            initiator: Initiator::Server,
            server_id: "lab.example",
            password: "pw",
            nonce: &[0x10, 0x00, 0xff],
            vendor: &[0xCA, 0xFE],
        },
    ];
    cases
        .into_iter()
        .map(
            |Case {
                 name,
                 session_id,
                 ui_mode,
                 initiator,
                 server_id,
                 password,
                 nonce,
                 vendor,
             }| {
                let n = Notification {
                    ui_mode,
                    initiator,
                    vendor: vendor.to_vec(),
                    ..Notification::new(server_id, session_id)
                };
                let bytes = package0::encode(&n, password, nonce).unwrap_or_default();
                let trigger = n.trigger();
                let shell = format!(
                    "printf '{}' > trigger.bin; a=$(printf '{}' | openssl md5 -binary | base64); \
                 t=$(openssl md5 -binary trigger.bin | base64); \
                 {{ printf '%s:' \"$a\"; printf '{}'; printf ':%s' \"$t\"; }} \
                 | openssl md5 -binary | od -An -tx1 | tr -d ' \\n'",
                    printf_escaped(&trigger),
                    printf_escaped(format!("{server_id}:{password}").as_bytes()),
                    printf_escaped(nonce)
                );
                (
                    Package0Vector {
                        vector_format: 1,
                        name: name.into(),
                        clause: clause.into(),
                        bin: format!("{name}.bin"),
                        server_id: server_id.into(),
                        password: password.into(),
                        nonce_hex: hex(nonce),
                        session_id,
                        session_id_hex: n.session_id_hex(),
                        ui_mode: ui_mode as u8,
                        initiator: initiator as u8,
                        digest_hex: hex(&bytes[..16.min(bytes.len())]),
                        shell,
                    },
                    bytes,
                )
            },
        )
        .collect()
}

fn meta_chr() -> Option<Box<Meta>> {
    Some(Box::new(Meta {
        format: Some("chr".into()),
        r#type: Some("text/plain".into()),
        ..Default::default()
    }))
}

fn hdr(msg_id: &str, from_client: bool) -> SyncHdr {
    let (t, s) = if from_client {
        ("http://dm.example/dm", "IMEI:493005100592800")
    } else {
        ("IMEI:493005100592800", "http://dm.example/dm")
    };
    SyncHdr {
        ver_dtd: VER_DTD.into(),
        ver_proto: VER_PROTO.into(),
        session_id: "1".into(),
        msg_id: msg_id.into(),
        target: LocRef::uri(t),
        source: LocRef::uri(s),
        ..Default::default()
    }
}

fn item(target: Option<&str>, source: Option<&str>, data: Option<&str>) -> Item {
    Item {
        target: target.map(LocRef::uri),
        source: source.map(LocRef::uri),
        data: data.map(|d| Data::Text(d.into())),
        ..Default::default()
    }
}

/// Hand-built messages covering each command kind and the header forms DM uses.
pub fn codec_messages() -> Vec<(&'static str, &'static str, &'static str, SyncML)> {
    let clause_pkg = "OMA DM Protocol 1.2 §8 (packages); SyncML RepPro 1.2";
    let mut pkg1 = hdr("1", true);
    pkg1.source.loc_name = Some("Bruce2".into());
    pkg1.cred = Some(Cred {
        meta: Some(Meta {
            r#type: Some(auth::AUTH_MD5.into()),
            format: Some("b64".into()),
            ..Default::default()
        }),
        data: "Zz6EivR3yeaaENcRN6lpAQ==".into(),
    });
    pkg1.meta = Some(Meta {
        max_msg_size: Some("5000".into()),
        max_obj_size: Some("65536".into()),
        ..Default::default()
    });
    let devinfo = ["DevId", "Man", "Mod", "DmV", "Lang"]
        .iter()
        .zip([
            "IMEI:493005100592800",
            "Example Corp",
            "Phone 1",
            "1.2",
            "en-US",
        ])
        .map(|(n, v)| Item {
            meta: meta_chr(),
            ..item(None, Some(&format!("./DevInfo/{n}")), Some(v))
        })
        .collect();
    let package1 = SyncML {
        hdr: pkg1,
        body: SyncBody {
            commands: vec![
                Command::alert(Alert {
                    cmd_id: "1".into(),
                    data: Some("1201".into()),
                    ..Default::default()
                }),
                Command::Replace(ItemCmd {
                    cmd_id: "2".into(),
                    items: devinfo,
                    ..Default::default()
                }),
            ],
            final_: true,
        },
    };
    let status = |cmd_id: &str, cmd_ref: &str, cmd: &str, code: &str, chal: Option<Chal>| {
        Command::status(Status {
            cmd_id: cmd_id.into(),
            msg_ref: "1".into(),
            cmd_ref: cmd_ref.into(),
            cmd: cmd.into(),
            chal: chal.map(Box::new),
            data: code.into(),
            ..Default::default()
        })
    };
    let mut pkg2_hdr = hdr("1", false);
    pkg2_hdr.resp_uri = Some("http://dm.example/dm?s=1&m=1".into());
    let challenge = SyncML {
        hdr: pkg2_hdr,
        body: SyncBody {
            commands: vec![
                status(
                    "1",
                    "0",
                    "SyncHdr",
                    "401",
                    Some(Chal {
                        meta: Meta {
                            r#type: Some(auth::AUTH_MD5.into()),
                            format: Some("b64".into()),
                            next_nonce: Some("ZG9iZWhhdmUNCg==".into()),
                            ..Default::default()
                        },
                    }),
                ),
                status("2", "1", "Alert", "401", None),
                status("3", "2", "Replace", "401", None),
            ],
            final_: true,
        },
    };
    let mgmt = SyncML {
        hdr: hdr("2", false),
        body: SyncBody {
            commands: vec![
                status("1", "0", "SyncHdr", "212", None),
                Command::Get(ItemCmd {
                    cmd_id: "2".into(),
                    items: vec![item(Some("./DevDetail/FwV"), None, None)],
                    ..Default::default()
                }),
                Command::atomic(Container {
                    cmd_id: "3".into(),
                    commands: vec![
                        Command::Add(ItemCmd {
                            cmd_id: "4".into(),
                            items: vec![item(Some("./Vendor/App/Setting"), None, Some("on"))],
                            extras: CmdExtras {
                                meta: meta_chr().map(|m| *m),
                                ..Default::default()
                            }
                            .into(),
                        }),
                        Command::Delete(ItemCmd {
                            cmd_id: "5".into(),
                            items: vec![item(Some("./Vendor/App/Old"), None, None)],
                            ..Default::default()
                        }),
                    ],
                    ..Default::default()
                }),
                Command::sequence(Container {
                    cmd_id: "6".into(),
                    commands: vec![
                        Command::Copy(ItemCmd {
                            cmd_id: "7".into(),
                            items: vec![item(Some("./Vendor/B"), Some("./Vendor/A"), None)],
                            ..Default::default()
                        }),
                        Command::Exec(ItemCmd {
                            cmd_id: "8".into(),
                            items: vec![item(Some("./FUMO/Update"), None, None)],
                            extras: CmdExtras {
                                correlator: Some("abc123".into()),
                                ..Default::default()
                            }
                            .into(),
                        }),
                    ],
                    ..Default::default()
                }),
                Command::alert(Alert {
                    cmd_id: "9".into(),
                    data: Some("1101".into()),
                    items: vec![
                        item(None, None, Some("MINDT=10")),
                        item(None, None, Some("Install now?")),
                    ],
                    ..Default::default()
                }),
            ],
            final_: true,
        },
    };
    let results = SyncML {
        hdr: hdr("3", true),
        body: SyncBody {
            commands: vec![
                status("1", "0", "SyncHdr", "200", None),
                status("2", "2", "Get", "200", None),
                Command::results(Results {
                    cmd_id: "3".into(),
                    msg_ref: Some("2".into()),
                    cmd_ref: "2".into(),
                    items: vec![Item {
                        meta: meta_chr(),
                        ..item(None, Some("./DevDetail/FwV"), Some("1.0.7 <beta> & co"))
                    }],
                    ..Default::default()
                }),
                Command::alert(Alert {
                    cmd_id: "4".into(),
                    data: Some("1226".into()),
                    correlator: Some("abc123".into()),
                    items: vec![Item {
                        source: Some(LocRef::uri("./FUMO/Update")),
                        meta: Some(
                            Meta {
                                r#type: Some(
                                    "org.openmobilealliance.dm.firmwareupdate.devicerequest".into(),
                                ),
                                format: Some("int".into()),
                                mark: Some("critical".into()),
                                emi: vec!["vendor-hint".into()],
                                ..Default::default()
                            }
                            .into(),
                        ),
                        data: Some(Data::Text("200".into())),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            ],
            final_: true,
        },
    };
    let chunk = SyncML {
        hdr: hdr("4", false),
        body: SyncBody {
            commands: vec![Command::Replace(ItemCmd {
                cmd_id: "1".into(),
                extras: CmdExtras {
                    meta: Some(Meta {
                        format: Some("b64".into()),
                        r#type: Some("application/octet-stream".into()),
                        size: Some("100000".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
                .into(),
                items: vec![{
                    let mut chunk = item(
                        Some("./FUMO/Update/PkgData"),
                        None,
                        Some("UEsDBBQAAAAIAA=="),
                    );
                    chunk.extras.more_data = true;
                    chunk
                }],
            })],
            // A chunk in the middle of a large object is not the end of the package.
            final_: false,
        },
    };
    let mut v112 = package1.clone();
    v112.hdr.ver_dtd = "1.1".into();
    v112.hdr.ver_proto = "DM/1.1".into();
    vec![
        (
            "package1-md5",
            clause_pkg,
            "Package #1: Alert 1201, DevInfo Replace, MD5 Cred, MaxMsgSize and MaxObjSize",
            package1,
        ),
        (
            "package2-md5-challenge",
            "OMA DM Protocol 1.2 §9",
            "Package #2: Status 401 with a Chal of syncml:auth-md5 and RespURI",
            challenge,
        ),
        (
            "package2-management",
            clause_pkg,
            "Management commands: Get, Atomic (Add, Delete), Sequence (Copy, Exec with \
             Correlator), Alert 1101 with two Items",
            mgmt,
        ),
        (
            "package3-results",
            clause_pkg,
            "Package #3: Status, Results with escaped text, Generic Alert 1226 with Correlator, \
             Mark and EMI",
            results,
        ),
        (
            "large-object-chunk",
            "OMA DM Protocol 1.2 (large objects)",
            "A first chunk: Meta Size, MoreData, no Final",
            chunk,
        ),
        (
            "package1-dm112",
            "OMA DM 1.1.2",
            "Package #1 in the DM 1.1.2 form (VerDTD 1.1, DM/1.1)",
            v112,
        ),
    ]
}

/// Pretty JSON with a trailing newline.
fn json<T: Serialize>(v: &T) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

/// Every proto-level vector file: (path under `testcases/vectors/`, bytes).
pub fn files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, clause, description, msg) in codec_messages() {
        out.push((format!("codec/{name}.xml"), xml::encode(&msg)));
        out.push((format!("codec/{name}.wbxml"), wbxml::encode(&msg)));
        let v = CodecVector {
            vector_format: 1,
            name: name.into(),
            clause: clause.into(),
            description: description.into(),
            xml: format!("{name}.xml"),
            wbxml: format!("{name}.wbxml"),
        };
        out.push((format!("codec/{name}.json"), json(&v)));
    }
    for v in auth_vectors() {
        out.push((format!("auth/{}.json", v.name), json(&v)));
    }
    for (v, bin) in package0_vectors() {
        out.push((format!("package0/{}", v.bin), bin));
        out.push((format!("package0/{}.json", v.name), json(&v)));
    }
    out
}
