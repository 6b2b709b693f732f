//! Small builders for the messages both engines send.

use dmct_proto::auth::{self, Credentials, FORMAT_B64, Nonce, Scheme};
use dmct_proto::*;

/// Builds one message, numbering its commands (CmdID is unique within a message).
pub struct MessageBuilder {
    hdr: SyncHdr,
    commands: Vec<Command>,
    next_cmd_id: u32,
}

impl MessageBuilder {
    pub fn new(session_id: &str, msg_id: u32, target: &str, source: LocRef) -> Self {
        MessageBuilder {
            hdr: SyncHdr {
                ver_dtd: VER_DTD.into(),
                ver_proto: VER_PROTO.into(),
                session_id: session_id.into(),
                msg_id: msg_id.to_string(),
                target: LocRef::uri(target),
                source,
                ..Default::default()
            },
            commands: Vec::new(),
            next_cmd_id: 1,
        }
    }

    pub fn hdr_mut(&mut self) -> &mut SyncHdr {
        &mut self.hdr
    }

    pub fn next_cmd_id(&mut self) -> String {
        let id = self.next_cmd_id;
        self.next_cmd_id += 1;
        id.to_string()
    }

    /// Append a command; its CmdID is assigned here.
    pub fn push(&mut self, mut cmd: Command) -> &mut Self {
        let id = self.next_cmd_id();
        set_cmd_id(&mut cmd, id);
        self.commands.push(cmd);
        self
    }

    pub fn finish(self, final_: bool) -> SyncML {
        SyncML {
            hdr: self.hdr,
            body: SyncBody {
                commands: self.commands,
                final_,
            },
        }
    }
}

pub fn set_cmd_id(cmd: &mut Command, id: String) {
    match cmd {
        Command::Add(c)
        | Command::Copy(c)
        | Command::Delete(c)
        | Command::Exec(c)
        | Command::Get(c)
        | Command::Replace(c) => c.cmd_id = id,
        Command::Alert(a) => a.cmd_id = id,
        Command::Results(r) => r.cmd_id = id,
        Command::Status(s) => s.cmd_id = id,
        Command::Atomic(c) | Command::Sequence(c) => c.cmd_id = id,
        Command::Other(_) => {}
    }
}

/// The Status answering a peer's SyncHdr (CmdRef 0), optionally with a challenge.
pub fn synchdr_status(peer: &SyncHdr, code: u16, chal: Option<Chal>) -> Command {
    Command::Status(Status {
        msg_ref: peer.msg_id.clone(),
        cmd_ref: "0".into(),
        cmd: "SyncHdr".into(),
        target_ref: vec![peer.target.loc_uri.clone()],
        source_ref: vec![peer.source.loc_uri.clone()],
        chal,
        data: code.to_string(),
        ..Default::default()
    })
}

/// The Status answering one of a peer's commands.
pub fn command_status(msg_id: &str, cmd: &Command, code: u16) -> Command {
    Command::Status(Status {
        msg_ref: msg_id.into(),
        cmd_ref: cmd.cmd_id().unwrap_or("0").into(),
        cmd: cmd.name().into(),
        data: code.to_string(),
        ..Default::default()
    })
}

/// A Chal asking for `scheme`; MD5 and HMAC carry a NextNonce (DM Protocol §9).
pub fn chal(scheme: Scheme, nonce: Option<&Nonce>) -> Chal {
    Chal {
        meta: Meta {
            r#type: Some(scheme.meta_type().into()),
            format: Some(FORMAT_B64.into()),
            next_nonce: nonce.map(Nonce::to_b64),
            ..Default::default()
        },
    }
}

/// A Cred of `scheme`; `None` when the scheme does not travel in Cred (HMAC) or MD5
/// has no nonce yet.
pub fn cred(scheme: Scheme, creds: &Credentials, nonce: Option<&Nonce>) -> Option<Cred> {
    let data = auth::credential_data(scheme, creds, nonce).ok()?;
    Some(Cred {
        meta: Some(Meta {
            r#type: Some(scheme.meta_type().into()),
            format: Some(FORMAT_B64.into()),
            ..Default::default()
        }),
        data,
    })
}

/// The scheme a Cred or Chal names in its Meta Type.
pub fn scheme_of(meta: Option<&Meta>) -> Option<Scheme> {
    meta.and_then(|m| m.r#type.as_deref())
        .and_then(Scheme::from_meta_type)
}
