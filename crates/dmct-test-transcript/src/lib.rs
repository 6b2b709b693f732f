//! A builder of hand-written transcripts: SyncML DM messages written as XML text, from
//! the elements the DM texts name, and paired into exchanges. Nothing here comes from
//! dmct's reference peers, so a fixture holds the checker against the text, not against
//! dmct's own engines.

use dmct_proto::transcript::{
    Body, Closing, Exchange, ExchangeFailure, Headers, HttpRequest, HttpResponse, Transcript,
};

pub const SERVER: &str = "http://www.syncml.org/mgmt-server";
pub const DEVICE: &str = "IMEI:493005100592800";

/// A `<Meta>` of metinf elements, e.g. `meta(&[("Size", "10")])`.
pub fn meta(fields: &[(&str, &str)]) -> String {
    let inner: String = fields
        .iter()
        .map(|(n, v)| format!("<{n} xmlns=\"syncml:metinf\">{v}</{n}>"))
        .collect();
    format!("<Meta>{inner}</Meta>")
}

/// An `<Item>`: `loc` is the Target (server commands) or Source (client) LocURI.
pub fn item(side: &str, loc: &str, meta: &str, data: &str, more_data: bool) -> String {
    let more = if more_data { "<MoreData/>" } else { "" };
    format!("<Item><{side}><LocURI>{loc}</LocURI></{side}>{meta}<Data>{data}</Data>{more}</Item>")
}

/// One SyncML DM message. CmdIDs are given in order, from 1.
pub struct Msg {
    session: String,
    msg_id: u32,
    target: &'static str,
    source: &'static str,
    loc_name: Option<String>,
    /// SyncHdr children after Source, in call order: the DTD wants Cred before Meta.
    hdr_extra: String,
    body: Vec<String>,
    final_: bool,
}

impl Msg {
    /// A client message (to SERVER from DEVICE) of session 1.
    pub fn client(msg_id: u32) -> Self {
        Msg::new(msg_id, SERVER, DEVICE)
    }

    /// A server message (to DEVICE from SERVER) of session 1.
    pub fn server(msg_id: u32) -> Self {
        Msg::new(msg_id, DEVICE, SERVER)
    }

    fn new(msg_id: u32, target: &'static str, source: &'static str) -> Self {
        Msg {
            session: "1".into(),
            msg_id,
            target,
            source,
            loc_name: None,
            hdr_extra: String::new(),
            body: Vec::new(),
            final_: true,
        }
    }

    pub fn session(mut self, id: &str) -> Self {
        self.session = id.into();
        self
    }

    pub fn loc_name(mut self, name: &str) -> Self {
        self.loc_name = Some(name.into());
        self
    }

    /// A SyncHdr Cred of Meta Type `scheme` (e.g. `syncml:auth-md5`), Format b64.
    pub fn cred(mut self, scheme: &str, data: &str) -> Self {
        let m = meta(&[("Type", scheme), ("Format", "b64")]);
        self.hdr_extra += &format!("<Cred>{m}<Data>{data}</Data></Cred>");
        self
    }

    /// A SyncHdr Meta (MaxMsgSize, MaxObjSize).
    pub fn hdr_meta(mut self, fields: &[(&str, &str)]) -> Self {
        self.hdr_extra += &meta(fields);
        self
    }

    pub fn resp_uri(mut self, uri: &str) -> Self {
        self.hdr_extra = format!("<RespURI>{uri}</RespURI>{}", self.hdr_extra);
        self
    }

    fn next_id(&self) -> usize {
        self.body.len() + 1
    }

    /// A command `<name>` with its CmdID first and `inner` after it.
    pub fn cmd(mut self, name: &str, inner: &str) -> Self {
        let id = self.next_id();
        self.body
            .push(format!("<{name}><CmdID>{id}</CmdID>{inner}</{name}>"));
        self
    }

    /// A command written whole, CmdID included (for numberings of its own).
    pub fn raw(mut self, xml: &str) -> Self {
        self.body.push(xml.into());
        self
    }

    pub fn alert(self, code: &str) -> Self {
        self.cmd("Alert", &format!("<Data>{code}</Data>"))
    }

    /// A Status answering command `cmd_ref` (0 and "SyncHdr" for the header) of the
    /// peer's message `msg_ref`; `extra` goes before Data (a Chal, for instance).
    pub fn status_with(
        self,
        msg_ref: u32,
        cmd_ref: u32,
        cmd: &str,
        code: u16,
        extra: &str,
    ) -> Self {
        self.cmd(
            "Status",
            &format!(
                "<MsgRef>{msg_ref}</MsgRef><CmdRef>{cmd_ref}</CmdRef><Cmd>{cmd}</Cmd>{extra}\
                 <Data>{code}</Data>"
            ),
        )
    }

    pub fn status(self, msg_ref: u32, cmd_ref: u32, cmd: &str, code: u16) -> Self {
        self.status_with(msg_ref, cmd_ref, cmd, code, "")
    }

    /// The Status for the peer's SyncHdr of message `msg_ref`.
    pub fn hdr_status(self, msg_ref: u32, code: u16) -> Self {
        self.status(msg_ref, 0, "SyncHdr", code)
    }

    pub fn get(self, uri: &str) -> Self {
        self.cmd(
            "Get",
            &format!("<Item><Target><LocURI>{uri}</LocURI></Target></Item>"),
        )
    }

    /// Results for the Get `cmd_ref` of message `msg_ref`, one Item from `uri`.
    pub fn results(self, msg_ref: u32, cmd_ref: u32, uri: &str, data: &str) -> Self {
        self.cmd(
            "Results",
            &format!(
                "<MsgRef>{msg_ref}</MsgRef><CmdRef>{cmd_ref}</CmdRef>{}",
                item("Source", uri, "", data, false)
            ),
        )
    }

    /// Package #1's Alert and its DevInfo Replace ([PRO] §8.3 items 2-3).
    pub fn setup(self, alert: &str) -> Self {
        let devinfo: String = [
            ("DevId", DEVICE),
            ("Man", "Example"),
            ("Mod", "X1"),
            ("DmV", "1.2"),
            ("Lang", "en-US"),
        ]
        .iter()
        .map(|(n, v)| item("Source", &format!("./DevInfo/{n}"), "", v, false))
        .collect();
        self.alert(alert).cmd("Replace", &devinfo)
    }

    /// No Final: the package goes on in a later message.
    pub fn more(mut self) -> Self {
        self.final_ = false;
        self
    }

    pub fn xml(&self) -> String {
        let loc_name = self
            .loc_name
            .as_ref()
            .map_or(String::new(), |n| format!("<LocName>{n}</LocName>"));
        let fin = if self.final_ { "<Final/>" } else { "" };
        format!(
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
             <VerProto>DM/1.2</VerProto><SessionID>{}</SessionID><MsgID>{}</MsgID>\
             <Target><LocURI>{}</LocURI></Target><Source><LocURI>{}</LocURI>{loc_name}</Source>\
             {}</SyncHdr><SyncBody>{}{fin}</SyncBody></SyncML>",
            self.session,
            self.msg_id,
            self.target,
            self.source,
            self.hdr_extra,
            self.body.concat()
        )
    }
}

fn request(m: &Msg, target: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        target: target.into(),
        headers: dm_headers(),
        body: Body::from(m.xml().into_bytes()),
    }
}

fn dm_headers() -> Headers {
    let mut h = Headers::default();
    h.push("Content-Type", "application/vnd.syncml.dm+xml");
    h
}

/// A transcript being written: exchanges in order, how recording ended.
#[derive(Default)]
pub struct Session {
    t: Transcript,
}

impl Session {
    pub fn new() -> Self {
        Session {
            t: Transcript {
                closing: Closing::PeerDone,
                ..Default::default()
            },
        }
    }

    /// A client message and the server's answer.
    pub fn exchange(self, client: Msg, server: Msg) -> Self {
        self.exchange_at("/mgmt-server", client, server)
    }

    /// [`Session::exchange`], the request posted to `path` (a RespURI's, say).
    pub fn exchange_at(mut self, path: &str, client: Msg, server: Msg) -> Self {
        self.t.exchanges.push(Exchange {
            request: request(&client, path),
            response: Some(HttpResponse {
                status: 200,
                headers: dm_headers(),
                body: Body::from(server.xml().into_bytes()),
            }),
            failure: None,
            time: None,
        });
        self
    }

    /// A client message the server closed the connection on.
    pub fn unanswered(mut self, client: Msg) -> Self {
        self.t.exchanges.push(Exchange {
            request: request(&client, "/mgmt-server"),
            response: None,
            failure: Some(ExchangeFailure::ConnectionClosed {
                detail: "closed before a response".into(),
            }),
            time: None,
        });
        self
    }

    /// A client body labelled as a DM message that is not one, refused with an HTTP 400
    /// without a body.
    pub fn undecodable(mut self, body: &str) -> Self {
        self.t.exchanges.push(Exchange {
            request: HttpRequest {
                body: Body::from(body.as_bytes().to_vec()),
                ..request(&Msg::client(0), "/mgmt-server")
            },
            response: Some(HttpResponse {
                status: 400,
                headers: Headers::default(),
                body: Body::from(Vec::new()),
            }),
            failure: None,
            time: None,
        });
        self
    }

    /// A client message answered, in HTTP 200 labelled as a DM message, by `body`.
    pub fn answered_with(mut self, client: Msg, body: &str) -> Self {
        self.t.exchanges.push(Exchange {
            request: request(&client, "/mgmt-server"),
            response: Some(HttpResponse {
                status: 200,
                headers: dm_headers(),
                body: Body::from(body.as_bytes().to_vec()),
            }),
            failure: None,
            time: None,
        });
        self
    }

    /// The Package 0 that woke the client.
    pub fn package0(mut self, bytes: Vec<u8>) -> Self {
        self.t.package0 = Some(Body::from(bytes));
        self
    }

    /// How recording ended (`PeerDone` unless told).
    pub fn closing(mut self, closing: Closing) -> Self {
        self.t.closing = closing;
        self
    }

    pub fn done(self) -> Transcript {
        self.t
    }
}
