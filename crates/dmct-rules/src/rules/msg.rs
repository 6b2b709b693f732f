//! Message structure (SyncML RepPro as profiled by DM 1.2): the SyncHdr and CmdIDs.

use super::{announced, answered, flatten, sent};
use crate::Role;
use std::collections::{BTreeMap, BTreeSet};

rule!(
    /// VerDTD is 1.2 in every message.
    VerDtd, "msg/verdtd", |view, role| {
        sent(view, role)
            .iter()
            .map(|m| match m.m.hdr.ver_dtd.trim() {
                "1.2" => m.pass("VerDTD 1.2"),
                other => m.fail(format!("VerDTD is {other:?}, not \"1.2\""), m.hdr_excerpt()),
            })
            .collect()
    }
);

rule!(
    /// VerProto is DM/1.2 in every message.
    VerProto, "msg/verproto", |view, role| {
        sent(view, role)
            .iter()
            .map(|m| match m.m.hdr.ver_proto.trim() {
                "DM/1.2" => m.pass("VerProto DM/1.2"),
                other => m.fail(format!("VerProto is {other:?}, not \"DM/1.2\""), m.hdr_excerpt()),
            })
            .collect()
    }
);

rule!(
    /// One SessionID for the whole session.
    SessionIdConstant, "msg/sessionid-constant", |view, role| {
        let mut out = Vec::new();
        match role {
            Role::Server => {
                for m in sent(view, Role::Server) {
                    let Some(req) = answered(view, role, &m) else { continue };
                    if m.session() == req.session() {
                        out.push(m.pass("the answer keeps the request's SessionID"));
                    } else {
                        out.push(m.fail(
                            format!(
                                "SessionID {:?} answers a message of session {:?}",
                                m.m.hdr.session_id, req.m.hdr.session_id
                            ),
                            m.hdr_excerpt(),
                        ));
                    }
                }
            }
            Role::Client => {
                let msgs = sent(view, Role::Client);
                for w in msgs.windows(2) {
                    let (prev, m) = (&w[0], &w[1]);
                    // A new Package #1 with MsgID 1 opens a new session legitimately.
                    if m.m.hdr.msg_id_number() == Some(1) {
                        continue;
                    }
                    if m.session() == prev.session() {
                        out.push(m.pass("same SessionID as the client's previous message"));
                    } else {
                        out.push(m.fail(
                            format!(
                                "SessionID {:?} differs from the previous message's {:?} \
                                 within one session (MsgID {})",
                                m.m.hdr.session_id, prev.m.hdr.session_id, m.m.hdr.msg_id
                            ),
                            m.hdr_excerpt(),
                        ));
                    }
                }
            }
        }
        out
    }
);

rule!(
    /// A sender's MsgIDs identify its messages unambiguously within a session: none
    /// repeats. The DM text asks no more ([PRO] §8.3-§8.6 item 1): the start at 1 and the
    /// increase rest on SyncML RepPro, which is not readable here, so another start, a
    /// gap or a MsgID that is not a number is no finding (errata to issue 13, item 3).
    MsgIdSequence, "msg/msgid-sequence", |view, role| {
        let mut out = Vec::new();
        // Per session, the MsgIDs the sender has used (numbers compared as numbers).
        let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in sent(view, role) {
            let id = m.m.hdr.msg_id.trim();
            let key = m.m.hdr.msg_id_number().map_or_else(|| id.to_owned(), |n| n.to_string());
            // MsgID 1 starts the count again only where a session starts (SessionIDs
            // come back in time): the client's Package #1 and the server's answer to it.
            let opens = match role {
                Role::Client => m.m.is_session_setup(),
                Role::Server => answered(view, role, &m).is_some_and(|p| super::opens_session(p.m)),
            };
            if key == "1" && opens {
                used.insert(m.session().to_owned(), BTreeSet::new());
            }
            if used.entry(m.session().to_owned()).or_default().insert(key) {
                out.push(m.pass(format!("MsgID {id} is new in the session")));
            } else {
                out.push(m.fail(
                    format!(
                        "MsgID {id} repeats within session {}: it no longer identifies one \
                         message of the sender",
                        m.m.hdr.session_id.trim()
                    ),
                    m.hdr_excerpt(),
                ));
            }
        }
        out
    }
);

rule!(
    /// CmdIDs are unique within a message (nested commands included).
    CmdIdUnique, "msg/cmdid-unique", |view, role| {
        sent(view, role)
            .iter()
            .map(|m| {
                let mut seen = BTreeSet::new();
                for c in flatten(m.m) {
                    if let Some(id) = c.cmd_id()
                        && !seen.insert(id.trim())
                    {
                        return m.fail(
                            format!("CmdID {id} is used twice in MsgID {}", m.m.hdr.msg_id),
                            m.excerpt_of(c),
                        );
                    }
                }
                m.pass("every CmdID is unique in the message")
            })
            .collect()
    }
);

rule!(
    /// Target and Source LocURI in every SyncHdr.
    SourceTarget, "msg/source-target", |view, role| {
        sent(view, role)
            .iter()
            .map(|m| {
                let h = &m.m.hdr;
                if h.target.loc_uri.trim().is_empty() || h.source.loc_uri.trim().is_empty() {
                    m.fail("the SyncHdr lacks a Target or Source LocURI", m.hdr_excerpt())
                } else {
                    m.pass("Target and Source LocURI present")
                }
            })
            .collect()
    }
);

rule!(
    /// The server addresses the device: Target LocURI is the client's Source LocURI.
    TargetIsClient, "msg/target-is-client", |view, role| {
        let mut out = Vec::new();
        for m in sent(view, Role::Server) {
            let Some(req) = answered(view, role, &m) else { continue };
            let want = req.m.hdr.source.loc_uri.trim();
            if m.m.hdr.target.loc_uri.trim() == want {
                out.push(m.pass("Target LocURI is the device's"));
            } else {
                out.push(m.fail(
                    format!(
                        "Target LocURI {:?} is not the client's Source LocURI {want:?}",
                        m.m.hdr.target.loc_uri
                    ),
                    m.hdr_excerpt(),
                ));
            }
        }
        out
    }
);

rule!(
    /// Cred only in the SyncHdr.
    NoCredInCommands, "msg/no-cred-in-commands", |view, role| {
        sent(view, role)
            .iter()
            .map(|m| {
                for c in flatten(m.m) {
                    let has = match c {
                        dmct_proto::Command::Add(x)
                        | dmct_proto::Command::Copy(x)
                        | dmct_proto::Command::Delete(x)
                        | dmct_proto::Command::Exec(x)
                        | dmct_proto::Command::Get(x)
                        | dmct_proto::Command::Replace(x) => x.cred.is_some(),
                        dmct_proto::Command::Alert(a) => a.cred.is_some(),
                        dmct_proto::Command::Status(s) => s.cred.is_some(),
                        _ => false,
                    };
                    if has {
                        return m.fail(
                            format!("{} carries a Cred; Cred belongs in the SyncHdr only", c.name()),
                            m.excerpt_of(c),
                        );
                    }
                }
                m.pass("no Cred outside the SyncHdr")
            })
            .collect()
    }
);

rule!(
    /// Every element outside Data content is SyncML's or MetInf's: a foreign
    /// namespace where a SyncML element stands makes the message no SyncML document
    /// (errata to issue 14, item 7). WBXML cannot carry a namespace outside its code
    /// pages, so only XML can break this.
    SyncmlNamespace, "msg/syncml-namespace", |view, role| {
        sent(view, role)
            .iter()
            .map(|m| {
                let found = &m.decoded.foreign;
                let Some(first) = found.first.first() else {
                    return m.pass("every element outside Data is SyncML's or MetInf's");
                };
                let more = match found.count {
                    1 => String::new(),
                    n => format!(" ({} such elements in the message)", n),
                };
                m.fail(
                    format!(
                        "{} is in namespace {:?} where a SyncML element stands{more}",
                        first.path, first.namespace
                    ),
                    m.decoded.excerpt(&first.span),
                )
            })
            .collect()
    }
);

rule!(
    /// No message larger than the MaxMsgSize the peer announced.
    MaxMsgSize, "msg/max-msg-size", |view, role| {
        let peer = super::other(role);
        sent(view, role)
            .iter()
            .filter_map(|m| {
                let max = announced(view, peer, m.session(), m.index, |meta| meta.max_msg_size.as_ref())?;
                Some(if m.body.len() <= max {
                    m.pass(format!("{} bytes, within the peer's MaxMsgSize {max}", m.body.len()))
                } else {
                    m.fail(
                        format!("the message is {} bytes; the peer's MaxMsgSize is {max}", m.body.len()),
                        m.hdr_excerpt(),
                    )
                })
            })
            .collect()
    }
);
