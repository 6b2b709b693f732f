//! Authentication rules (DM Protocol §9).

use super::{clip, obs};
use crate::{Observation, Role, Rule, Side, Verdict, View};
use dmct_proto::{Command, SyncML};

/// §9: after a Package #2 with no (or invalid) server credentials and no commands, the
/// client must not send back only a Status for the SyncHdr carrying a challenge.
pub struct NoSynchdrOnlyChallenge;

/// A package whose whole body is one Status for the SyncHdr with a Chal.
pub(crate) fn is_synchdr_only_challenge(m: &SyncML) -> bool {
    matches!(m.body.commands.as_slice(),
        [Command::Status(s)] if s.is_for_synchdr() && s.chal.is_some())
}

impl Rule for NoSynchdrOnlyChallenge {
    fn id(&self) -> &'static str {
        "auth/no-synchdr-only-challenge"
    }

    fn check(&self, view: &View, _role: Role) -> Vec<Observation> {
        let mut out = Vec::new();
        for e in &view.exchanges {
            let (Some(client), Some(pkg2)) = (e.client_msg(), e.server_msg()) else {
                continue;
            };
            // Package #2: the answer to a Package #1, without commands or challenge.
            if !client.is_session_setup()
                || pkg2.operations().next().is_some()
                || pkg2.challenge().is_some()
            {
                continue;
            }
            let Some(next) = view.next_in_session(e.index) else {
                out.push(obs(
                    Verdict::Pass,
                    e.index,
                    Side::Response,
                    "Package #2 had no commands; the client sent nothing more",
                    None,
                ));
                continue;
            };
            let Some(reply) = next.client_msg() else {
                continue;
            };
            let rejected = reply
                .synchdr_status()
                .and_then(|s| s.code())
                .is_some_and(|c| c == 401 || c == 407);
            let no_or_invalid_cred = pkg2.hdr.cred.is_none() || rejected;
            if no_or_invalid_cred && is_synchdr_only_challenge(reply) {
                let excerpt = next
                    .request
                    .as_ref()
                    .ok()
                    .and_then(|d| d.command_excerpt(0))
                    .map(clip);
                let why = if pkg2.hdr.cred.is_none() {
                    "carried no server credentials"
                } else {
                    "carried credentials the client refused"
                };
                out.push(obs(
                    Verdict::Fail,
                    next.index,
                    Side::Request,
                    format!(
                        "Package #2 (exchange {}) {why} and no commands; the client answered \
                         with only a Status for the SyncHdr carrying a Chal",
                        e.index
                    ),
                    excerpt,
                ));
            } else {
                out.push(obs(
                    Verdict::Pass,
                    next.index,
                    Side::Request,
                    "the client's answer to the command-less Package #2 is not a \
                     SyncHdr-only challenge",
                    None,
                ));
            }
        }
        out
    }
}
