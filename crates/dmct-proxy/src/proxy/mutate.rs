//! The mutations the proxy applies around a relayed exchange (`--mutate`): before the
//! request goes upstream, and on the response coming back.

use super::*;

impl Shared {
    /// Mutations of the request: `challenge-pkg1`.
    pub(super) fn before(
        &self,
        s: &mut Session,
        request: &HttpRequest,
        decoded: Option<&Decoded>,
        relay: &mut Relay,
        notes: &mut Notes,
    ) -> Before {
        let Some(d) = decoded else {
            return Before::Forward(None);
        };
        let m = &d.message;
        let new_pkg1 = m.is_session_setup() && m.hdr.msg_id_number() == Some(1);
        if self.has(Mutation::ChallengePkg1) && new_pkg1 && s.spent.insert(Mutation::ChallengePkg1)
        {
            s.record.mutations.push(Mutation::ChallengePkg1);
            let sent = m
                .hdr
                .cred
                .as_ref()
                .and_then(|c| build::scheme_of(c.meta.as_ref()));
            let scheme = if sent == Some(Scheme::Md5) {
                Scheme::Basic
            } else {
                Scheme::Md5
            };
            let nonce = (scheme == Scheme::Md5).then(|| self.nonce());
            let code = if m.hdr.cred.is_none() && request.headers.get(HMAC_HEADER).is_none() {
                407
            } else {
                401
            };
            let mut b = MessageBuilder::new(
                &m.hdr.session_id,
                1,
                &m.hdr.source.loc_uri,
                LocRef::uri(&m.hdr.target.loc_uri),
            );
            let chal = build::chal(scheme, nonce.as_ref());
            b.push(build::synchdr_status(&m.hdr, code, Some(chal.clone())));
            // A 401/407 to a command carries the Chal too ([PRO] §9.1: "request (message
            // or command)").
            for cmd in m.operations() {
                let mut st = build::command_status(&m.hdr.msg_id, cmd, code);
                if let Command::Status(x) = &mut st {
                    x.chal = Some(Box::new(chal.clone()));
                }
                b.push(st);
            }
            let answer =
                dmct_session::dm_response(&b.finish(true), d.encoding, self.verproto_param);
            s.challenge = Some(Challenge {
                scheme,
                nonce,
                original: m.hdr.cred.clone(),
                msg_id: "1".into(),
                awaiting: true,
                answer: None,
            });
            let what = format!(
                "challenge-pkg1: answered Package #1 itself with {code} and a Chal of {}; \
                 not forwarded",
                scheme.meta_type()
            );
            relay.changes.push(what.clone());
            notes.push((NoteKind::Mutation, what));
            return Before::Answer(answer);
        }
        if new_pkg1 && s.challenge.as_ref().is_some_and(|c| !c.awaiting) {
            // A new session under the same SessionID: nothing to translate any more.
            s.challenge = None;
        }
        let Some(ch) = s.challenge.as_mut() else {
            return Before::Forward(None);
        };
        if ch.awaiting && m.is_session_setup() {
            ch.awaiting = false;
            let (verified, text) = self.verify_answer(ch, m.hdr.cred.as_ref());
            notes.push((NoteKind::CredentialCheck { verified }, text));
            ch.answer = m.hdr.cred.as_ref().map(|c| c.data.clone());
            let mut out = m.clone();
            out.hdr.cred = ch.original.clone();
            let msg_id = ch.msg_id.clone();
            let answers_challenge =
                |st: &dmct_proto::Status| st.is_for_synchdr() && st.msg_ref.trim() == msg_id;
            out.body
                .commands
                .retain(|c| !matches!(c, Command::Status(st) if answers_challenge(st)));
            let what = "challenge-pkg1: forwarded the repeated Package #1 with the client's \
                        original credentials and without its Status for the proxy's challenge"
                .to_owned();
            relay.changes.push(what.clone());
            notes.push((NoteKind::Mutation, what));
            return Before::Forward(Some(dmct_proto::encode(&out, d.encoding)));
        }
        if ch.awaiting {
            return Before::Forward(None);
        }
        // The rest of the session: the client numbers the server's messages one above
        // the server's own count (the proxy's challenge was its first), so references
        // go back down by one; its answer to the proxy's challenge, if sent again, is
        // replaced by the original credentials.
        let mut out = m.clone();
        let mut what = Vec::new();
        if let (Some(answer), Some(cred)) = (&ch.answer, &out.hdr.cred)
            && cred.data == *answer
        {
            out.hdr.cred = ch.original.clone();
            what.push("its credentials for the proxy's challenge replaced by its original ones");
        }
        let mut shifted = false;
        for c in &mut out.body.commands {
            let slot = match c {
                Command::Status(st) => Some(&mut st.msg_ref),
                Command::Results(r) => r.msg_ref.as_mut(),
                _ => None,
            };
            if let Some(r) = slot
                && let Ok(n) = r.trim().parse::<u64>()
                && n >= 2
            {
                *r = (n - 1).to_string().into();
                shifted = true;
            }
        }
        if shifted {
            what.push("MsgRefs to the server's messages lowered by one (the server's count)");
        }
        if what.is_empty() {
            return Before::Forward(None);
        }
        relay
            .changes
            .push(format!("challenge-pkg1: {}", what.join("; ")));
        Before::Forward(Some(dmct_proto::encode(&out, d.encoding)))
    }

    /// What `challenge-pkg1` can tell of the client's answer.
    pub(super) fn verify_answer(
        &self,
        ch: &Challenge,
        cred: Option<&Cred>,
    ) -> (Option<bool>, String) {
        let asked = ch.scheme.meta_type();
        let Some(cred) = cred else {
            return (
                Some(false),
                format!(
                    "challenge-pkg1: the repeated Package #1 carries no Cred; {asked} was asked for"
                ),
            );
        };
        match build::scheme_of(cred.meta.as_ref()) {
            Some(s) if s == ch.scheme => match &self.client_creds {
                Some(creds) => match auth::verify(s, &cred.data, creds, ch.nonce.as_ref()) {
                    Ok(()) => (
                        Some(true),
                        format!(
                            "challenge-pkg1: the repeated Package #1 carries {asked} credentials \
                             that verify against the configured client secret"
                        ),
                    ),
                    Err(e) => (
                        Some(false),
                        format!(
                            "challenge-pkg1: the repeated Package #1 carries {asked} credentials \
                             that do not verify against the configured client secret ({e})"
                        ),
                    ),
                },
                None => (
                    None,
                    format!(
                        "challenge-pkg1: the repeated Package #1 carries {asked} credentials \
                         (not verified: no client secret configured)"
                    ),
                ),
            },
            _ => (
                Some(false),
                format!(
                    "challenge-pkg1: the repeated Package #1 carries Cred of type {:?}; {asked} \
                     was asked for",
                    cred.meta
                        .as_ref()
                        .and_then(|m| m.r#type.as_deref())
                        .unwrap_or("(none)")
                ),
            ),
        }
    }

    /// Rewrites and mutations of the response. Returns (delay it, drop it).
    pub(super) fn after(
        &self,
        s: &mut Session,
        req_msg: Option<&SyncML>,
        response: &mut HttpResponse,
        decoded: Option<Decoded>,
        relay: &mut Relay,
        notes: &mut Notes,
    ) -> (bool, bool) {
        let mut original: Option<HttpResponse> = None;
        if let Some(d) = decoded {
            let (mut m, encoding) = (d.message, d.encoding);
            let mut model_changed = false;
            let mut drop_hmac = false;
            if let Some(uri) = m.hdr.resp_uri.clone()
                && let Some(mapped) = self.map_resp_uri(&uri)
            {
                m.hdr.resp_uri = Some(mapped.clone());
                model_changed = true;
                let what = format!("RespURI {uri} rewritten to {mapped}");
                relay.changes.push(what.clone());
                notes.push((NoteKind::RespUri, what));
            }
            if let Some(ch) = &s.challenge
                && !ch.awaiting
                && let Some(n) = m.hdr.msg_id_number()
            {
                // challenge-pkg1: the proxy's challenge was the server's MsgID 1 as the
                // client sees it, so the server's own count goes up by one.
                m.hdr.msg_id = (n + 1).to_string();
                model_changed = true;
                relay.changes.push(format!(
                    "challenge-pkg1: the server's MsgID {n} shown as {} (the proxy's \
                     challenge was MsgID 1)",
                    n + 1
                ));
            }
            let setup = req_msg.is_some_and(SyncML::is_session_setup);
            if self.has(Mutation::StripPkg2Cred)
                && setup
                && m.challenge().is_none()
                && s.spent.insert(Mutation::StripPkg2Cred)
            {
                s.record.mutations.push(Mutation::StripPkg2Cred);
                let had_cred = m.hdr.cred.take().is_some();
                let before = m.body.commands.len();
                m.body.commands.retain(|c| !c.is_operation());
                let removed = before - m.body.commands.len();
                drop_hmac = response.headers.get(HMAC_HEADER).is_some();
                model_changed = true;
                let what = format!(
                    "strip-pkg2-cred: removed from Package #2 the server's {}and {removed} \
                     management command(s)",
                    match (had_cred, drop_hmac) {
                        (true, true) => "Cred, its x-syncml-hmac header ",
                        (true, false) => "Cred ",
                        (false, true) => "x-syncml-hmac header ",
                        (false, false) => "credentials (there were none) ",
                    }
                );
                relay.changes.push(what.clone());
                notes.push((NoteKind::Mutation, what));
            }
            if self.has(Mutation::RenewNonce) && !s.spent.contains(&Mutation::RenewNonce) {
                let slot = m.body.commands.iter_mut().find_map(|c| match c {
                    Command::Status(st) => {
                        st.chal.as_mut().and_then(|ch| ch.meta.next_nonce.as_mut())
                    }
                    _ => None,
                });
                if let Some(n) = slot {
                    s.spent.insert(Mutation::RenewNonce);
                    s.record.mutations.push(Mutation::RenewNonce);
                    let fresh = self.nonce().to_b64();
                    let what = format!(
                        "renew-nonce: the server's NextNonce {} replaced by {fresh}, which the \
                         server does not know",
                        n.trim()
                    );
                    *n = fresh;
                    model_changed = true;
                    relay.changes.push(what.clone());
                    notes.push((NoteKind::Mutation, what));
                }
            }
            if model_changed {
                original.get_or_insert_with(|| response.clone());
                response.body = dmct_proto::encode(&m, encoding).into();
                if drop_hmac {
                    response
                        .headers
                        .0
                        .retain(|(n, _)| !n.eq_ignore_ascii_case(HMAC_HEADER));
                } else if response.headers.get(HMAC_HEADER).is_some() {
                    let what = "the server's x-syncml-hmac mac was over the original body; the \
                                rewritten body no longer matches it (the proxy does not re-sign)"
                        .to_owned();
                    relay.changes.push(what.clone());
                    notes.push((NoteKind::HmacInvalidated, what));
                }
            }
        }
        if self.has(Mutation::CorruptWbxml)
            && matches!(response.body.as_bytes().first(), Some(0x01..=0x03))
            && s.spent.insert(Mutation::CorruptWbxml)
        {
            s.record.mutations.push(Mutation::CorruptWbxml);
            original.get_or_insert_with(|| response.clone());
            let i = response.body.len() / 2;
            let mut bytes = response.body.as_bytes().to_vec();
            if let Some(b) = bytes.get_mut(i) {
                let was = *b;
                *b ^= 0xFF;
                let what = format!(
                    "corrupt-wbxml: byte {i} of the WBXML body flipped from {was:#04x} to {:#04x}",
                    *b
                );
                response.body = bytes.into();
                relay.changes.push(what.clone());
                notes.push((NoteKind::Mutation, what));
            }
        }
        let delay = self.has(Mutation::DelayResponse) && s.spent.insert(Mutation::DelayResponse);
        if delay {
            s.record.mutations.push(Mutation::DelayResponse);
            let what = format!(
                "delay-response: the response held back {} ms",
                self.delay.as_millis()
            );
            relay.changes.push(what.clone());
            notes.push((NoteKind::Mutation, what));
        }
        let drop_it = self.has(Mutation::DropResponse)
            && req_msg.is_some_and(|m| !m.is_session_setup())
            && s.spent.insert(Mutation::DropResponse);
        if drop_it {
            s.record.mutations.push(Mutation::DropResponse);
            let what = "drop-response: the connection was closed instead of relaying the \
                        server's answer to Package #3"
                .to_owned();
            relay.changes.push(what.clone());
            notes.push((NoteKind::Mutation, what));
            original.get_or_insert_with(|| response.clone());
        }
        relay.response = original;
        (delay, drop_it)
    }
}
