//! A transcript with every body decoded once, and the lookups rules share.

use dmct_proto::SyncML;
use dmct_proto::transcript::{Exchange, Transcript};
use dmct_proto::xml::{DecodeError, Decoded};

pub struct ExchangeView<'t> {
    pub index: usize,
    pub exchange: &'t Exchange,
    /// The client's message, when the request body is a SyncML DM message.
    pub request: Result<Decoded, DecodeError>,
    /// The server's message; `None` when no response arrived.
    pub response: Option<Result<Decoded, DecodeError>>,
    /// CmdID lookups of the request's and the response's message, built when first
    /// asked: resolving every CmdRef of a message by a scan would cost its length
    /// squared.
    pub(crate) ids: [std::sync::OnceLock<crate::rules::CmdIds>; 2],
}

impl ExchangeView<'_> {
    pub fn client_msg(&self) -> Option<&SyncML> {
        self.request.as_ref().ok().map(|d| &d.message)
    }

    pub fn server_msg(&self) -> Option<&SyncML> {
        self.response
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|d| &d.message)
    }

    /// The client's request never arrived whole: the connection closed in the middle
    /// of its body (a device that crashed or reset the connection mid-request). Such a
    /// request is no message of the client's, and the client sent nothing in it.
    pub fn broke_off(&self) -> bool {
        self.request.is_err()
            && matches!(
                self.exchange.failure,
                Some(dmct_proto::transcript::ExchangeFailure::ConnectionClosed { .. })
            )
    }

    pub fn server_decoded(&self) -> Option<&Decoded> {
        self.response.as_ref().and_then(|r| r.as_ref().ok())
    }
}

pub struct View<'t> {
    pub transcript: &'t Transcript,
    pub exchanges: Vec<ExchangeView<'t>>,
    /// Who sent which message, by session, MsgID and the references answering it, built
    /// when first asked: rules that look up a peer's message (or its answer) for every
    /// message would otherwise scan the whole transcript each time.
    pub(crate) index: std::sync::OnceLock<crate::rules::Index>,
}

impl<'t> View<'t> {
    pub fn new(transcript: &'t Transcript) -> Self {
        let exchanges = transcript
            .exchanges
            .iter()
            .enumerate()
            .map(|(index, exchange)| ExchangeView {
                index,
                exchange,
                // Bodies are read whatever their Content-Type says: a wrong label is
                // for the HTTP binding rules to judge, not a reason to stop reading.
                // The decoded message shares the transcript's bytes, not a copy.
                request: dmct_proto::decode_shared(&exchange.request.body.0),
                response: exchange
                    .response
                    .as_ref()
                    .map(|r| dmct_proto::decode_shared(&r.body.0)),
                ids: Default::default(),
            })
            .collect();
        View {
            transcript,
            exchanges,
            index: std::sync::OnceLock::new(),
        }
    }

    /// The first client message after exchange `i`, in any session.
    pub fn next_client_msg(&self, i: usize) -> Option<&ExchangeView<'t>> {
        self.exchanges[i + 1..]
            .iter()
            .find(|e| e.client_msg().is_some())
    }

    /// The first client message after exchange `i` in the same DM session as `i`'s.
    pub fn next_in_session(&self, i: usize) -> Option<&ExchangeView<'t>> {
        let session = self.exchanges[i]
            .client_msg()?
            .hdr
            .session_id
            .trim()
            .to_owned();
        self.exchanges[i + 1..].iter().find(|e| {
            e.client_msg()
                .is_some_and(|m| m.hdr.session_id.trim() == session)
        })
    }
}
