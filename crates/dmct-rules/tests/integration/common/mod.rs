//! Transcripts typed by hand: SyncHdrs, exchanges, and the finding of one rule.

use dmct_proto::transcript::{Body, Exchange, Headers, HttpRequest, HttpResponse, Transcript};
use dmct_rules::{Finding, Role, check};

pub const SERVER: &str = "http://www.syncml.org/mgmt-server";
pub const DEVICE: &str = "IMEI:493005100592800";

pub fn hdr(msg_id: u32, target: &str, source: &str, cred: &str) -> String {
    format!(
        "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID>\
         <MsgID>{msg_id}</MsgID><Target><LocURI>{target}</LocURI></Target>\
         <Source><LocURI>{source}</LocURI></Source>{cred}</SyncHdr>"
    )
}

pub fn exchange(request: String, response: String) -> Exchange {
    let mut headers = Headers::default();
    headers.push("Content-Type", "application/vnd.syncml.dm+xml");
    Exchange {
        request: HttpRequest {
            method: "POST".into(),
            target: "/mgmt-server".into(),
            headers: headers.clone(),
            body: Body::from(request.into_bytes()),
        },
        response: Some(HttpResponse {
            status: 200,
            headers,
            body: Body::from(response.into_bytes()),
        }),
        failure: None,
        time: None,
    }
}

/// The finding of `rule` for the peer playing `role`.
pub fn finding(t: &Transcript, rule: &str, role: Role) -> Finding {
    check(t)
        .into_iter()
        .find(|f| f.rule == rule && f.role == role)
        .unwrap_or_else(|| panic!("{rule} gave no finding for the {role}"))
}
