//! Small builders for the messages both engines send.

use dmct_proto::auth::{self, Credentials, FORMAT_B64, Nonce, Scheme};
use dmct_proto::*;

/// Builds one message, numbering its commands (CmdID is unique within a message).
#[derive(Debug, Clone)]
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

    /// The message as it would be finished, without consuming the builder.
    pub fn preview(&self, final_: bool) -> SyncML {
        self.clone().finish(final_)
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
    let id = Text::from(id);
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
    Command::status(Status {
        msg_ref: peer.msg_id.as_str().into(),
        cmd_ref: "0".into(),
        cmd: "SyncHdr".into(),
        target_ref: vec![peer.target.loc_uri.to_string()],
        source_ref: vec![peer.source.loc_uri.to_string()],
        chal: chal.map(Box::new),
        data: code.to_string().into(),
        ..Default::default()
    })
}

/// The Status answering one of a peer's commands.
pub fn command_status(msg_id: &str, cmd: &Command, code: u16) -> Command {
    Command::status(Status {
        msg_ref: msg_id.into(),
        cmd_ref: cmd.cmd_id().unwrap_or("0").into(),
        cmd: cmd.name().into(),
        data: code.to_string().into(),
        ..Default::default()
    })
}

/// The Statuses of a message refused for authentication: `code` for every command it
/// holds, Results included ([PRO] §9.1: "A Status command MUST be provided for every
/// command received in the request"), except Statuses, which nothing answers. Each
/// carries `chal`: a 401 or 407 to a command must include one as well ([PRO] §9.1:
/// "If the response code to a request (message or command) is 401 ... or 407 ..., the
/// Status command to the request MUST include a Chal element").
pub fn refusal_statuses<'a>(
    msg: &'a SyncML,
    code: u16,
    chal: &'a Chal,
) -> impl Iterator<Item = Command> + 'a {
    msg.body
        .commands
        .iter()
        .filter(|c| !matches!(c, Command::Status(_)))
        .map(move |c| {
            let mut s = command_status(&msg.hdr.msg_id, c, code);
            if let Command::Status(x) = &mut s {
                x.chal = Some(Box::new(chal.clone()));
            }
            s
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

/// A size a peer announces in its SyncHdr Meta (MaxMsgSize, MaxObjSize); it stays in
/// force until the peer announces another.
pub fn announced(hdr: &SyncHdr, pick: fn(&Meta) -> Option<&String>) -> Option<usize> {
    hdr.meta
        .as_ref()
        .and_then(pick)
        .and_then(|v| v.trim().parse().ok())
}

/// The scheme a Cred or Chal names in its Meta Type.
pub fn scheme_of(meta: Option<&Meta>) -> Option<Scheme> {
    meta.and_then(|m| m.r#type.as_deref())
        .and_then(Scheme::from_meta_type)
}

/// Commands waiting to go out, for packages that take several messages (DM Protocol
/// §2.1: MaxMsgSize) and objects that take several chunks (§2.2: MoreData).
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    queue: std::collections::VecDeque<Queued>,
}

#[derive(Debug, Clone)]
struct Queued {
    cmd: Command,
    /// The rest of an object already partly sent: no Meta Size on this chunk.
    continued: bool,
}

/// The smallest share of a message a chunk may use; below this, cutting makes no
/// progress worth a message.
const MIN_CHUNK: usize = 16;

impl Outbox {
    pub fn push(&mut self, cmd: Command) {
        self.queue.push_back(Queued {
            cmd,
            continued: false,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Fill `b` with queued commands while the encoded message stays within `max`
    /// bytes (`None`: no limit). A command that does not fit even alone is cut when it
    /// carries one text Item (Add, Replace, Results): the chunk goes now with MoreData
    /// (and the object's total Size on its first chunk), the rest stays queued. Returns
    /// the message; Final only when the outbox is empty.
    pub fn compose(
        &mut self,
        mut b: MessageBuilder,
        max: Option<usize>,
        encoding: dmct_proto::xml::Encoding,
    ) -> SyncML {
        let size = |b: &MessageBuilder| dmct_proto::encode(&b.preview(true), encoding).len();
        let Some(max) = max else {
            while let Some(q) = self.queue.pop_front() {
                b.push(q.cmd);
            }
            return b.finish(true);
        };
        let mut placed = 0;
        while let Some(q) = self.queue.pop_front() {
            let mut trial = b.clone();
            trial.push(q.cmd.clone());
            if size(&trial) <= max {
                b = trial;
                placed += 1;
                continue;
            }
            // Does not fit. Cut it if it is a lone object in a message of its own, or
            // if it is an object and the message still has room worth using.
            match cut(&b, &q, max, encoding) {
                Some((chunk, rest)) => {
                    b.push(chunk);
                    self.queue.push_front(rest);
                }
                None if placed == 0 => {
                    // Nothing else to do: it goes alone, over the limit.
                    b.push(q.cmd);
                }
                None => self.queue.push_front(q),
            }
            break;
        }
        let fin = self.queue.is_empty();
        b.finish(fin)
    }
}

/// Cut the object of `q` so that `b` plus the first chunk fits in `max`.
fn cut(
    b: &MessageBuilder,
    q: &Queued,
    max: usize,
    encoding: dmct_proto::xml::Encoding,
) -> Option<(Command, Queued)> {
    let text = single_text_item(&q.cmd)?.to_owned();
    let total = text.len();
    let make = |n: usize| -> (Command, Command) {
        let mut split = n.min(total);
        while !text.is_char_boundary(split) {
            split -= 1;
        }
        let (head, tail) = text.split_at(split);
        let mut chunk = q.cmd.clone();
        let mut rest = q.cmd.clone();
        with_item(&mut chunk, |item| {
            item.data = Some(Data::Text(head.to_owned()));
            item.extras.more_data = true;
            let meta = item.meta.get_or_insert_with(Default::default);
            meta.size = if q.continued {
                None
            } else {
                Some(total.to_string())
            };
        });
        with_item(&mut rest, |item| {
            item.data = Some(Data::Text(tail.to_owned()));
            if let Some(m) = item.meta.as_mut() {
                m.size = None;
            }
        });
        (chunk, rest)
    };
    let fits = |n: usize| {
        let mut trial = b.clone();
        trial.push(make(n).0);
        dmct_proto::encode(&trial.preview(true), encoding).len() <= max
    };
    if total <= MIN_CHUNK || !fits(MIN_CHUNK) {
        return None;
    }
    // The largest chunk that fits: binary search over its length.
    let (mut lo, mut hi) = (MIN_CHUNK, total - 1);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    let (chunk, rest) = make(lo);
    Some((
        chunk,
        Queued {
            cmd: rest,
            continued: true,
        },
    ))
}

/// The text of a command's only Item, if it is an object that may be chunked.
fn single_text_item(cmd: &Command) -> Option<&str> {
    let items = match cmd {
        Command::Add(c) | Command::Replace(c) => &c.items,
        Command::Results(r) => &r.items,
        _ => return None,
    };
    match items.as_slice() {
        [item] => item.data.as_ref().and_then(Data::as_text),
        _ => None,
    }
}

fn with_item(cmd: &mut Command, f: impl FnOnce(&mut Item)) {
    let items = match cmd {
        Command::Add(c) | Command::Replace(c) => &mut c.items,
        Command::Results(r) => &mut r.items,
        _ => return,
    };
    if let Some(item) = items.first_mut() {
        f(item);
    }
}
