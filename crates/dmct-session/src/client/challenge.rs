//! The client's side of authentication beyond its own credentials: checking the
//! server's, challenging it, and answering the server's challenges.

use super::*;

impl Client {
    /// Check the server's credentials; Ok is the Status for its SyncHdr, Err the code to
    /// challenge it with (407 missing, 401 refused).
    pub(super) fn check_server(
        &mut self,
        resp: &HttpResponse,
        msg: &SyncML,
    ) -> Result<Command, u16> {
        let Some(expected) = self.config.server_creds.clone() else {
            // The transport vouches for the server; acknowledge what it sent.
            let code = if msg.hdr.cred.is_some() { 212 } else { 200 };
            return Ok(build::synchdr_status(&msg.hdr, code, None));
        };
        // Only the scheme SRVCRED names is accepted: a server that answers a challenge
        // with another type has not answered it (DM Protocol §9).
        let want = self.config.server_scheme;
        if let Some(value) = resp.headers.get(HMAC_HEADER)
            && want == Scheme::Hmac
        {
            let header = HmacHeader::parse(value).map_err(|_| 401u16)?;
            let nonce = self.server_nonce.clone().ok_or(401u16)?;
            let mac = auth::hmac_mac(&expected, nonce.as_bytes(), resp.body.as_bytes());
            if (header.username != expected.user || header.mac.trim() != mac)
                && !self.fault(ClientFault::AcceptsWrongServerCred)
            {
                return Err(401);
            }
            // HMAC: 200, never 212, and a new nonce for the next message.
            let n = self.fresh_server_nonce();
            return Ok(build::synchdr_status(
                &msg.hdr,
                200,
                Some(build::chal(Scheme::Hmac, Some(&n))),
            ));
        }
        if let Some(cred) = &msg.hdr.cred {
            let scheme = build::scheme_of(cred.meta.as_ref()).ok_or(401u16)?;
            if scheme != want {
                return Err(401);
            }
            let verified = auth::verify(scheme, &cred.data, &expected, self.server_nonce.as_ref());
            if verified.is_err() && !self.fault(ClientFault::AcceptsWrongServerCred) {
                return Err(401);
            }
            self.server_accepted = true;
            return Ok(build::synchdr_status(&msg.hdr, 212, None));
        }
        if self.server_accepted {
            return Ok(build::synchdr_status(&msg.hdr, 200, None));
        }
        Err(407)
    }

    /// Refuse an unauthenticated server's package: a Status for its SyncHdr with a Chal,
    /// and the same code for every command, none executed (DM Protocol §9).
    pub(super) fn challenge_server(&mut self, msg: &SyncML, code: u16) -> ClientStep {
        self.server_challenges += 1;
        if self.server_challenges > MAX_CHALLENGES {
            return ClientStep::Done(format!(
                "the server failed to authenticate {} times: ending the session",
                self.server_challenges - 1
            ));
        }
        let scheme = self.config.server_scheme;
        let nonce = (scheme != Scheme::Basic).then(|| self.fresh_server_nonce());
        let mut b = self.begin();
        let chal = build::chal(scheme, nonce.as_ref());
        b.push(build::synchdr_status(&msg.hdr, code, Some(chal.clone())));
        for status in build::refusal_statuses(msg, code, &chal) {
            b.push(status);
        }
        let m = b.finish(true);
        ClientStep::Send(self.send(m))
    }

    pub(super) fn reauthenticate(
        &mut self,
        msg: &SyncML,
        chal: &Chal,
        was_setup: bool,
    ) -> ClientStep {
        self.challenges += 1;
        // Each probe is refused once more than the account's credentials would be.
        if self.challenges as usize > MAX_CHALLENGES as usize + self.probes.planned() {
            return ClientStep::Done(format!("challenged {} times: giving up", self.challenges));
        }
        let Some(scheme) = build::scheme_of(Some(&chal.meta)) else {
            // §9: answer with the requested type or end the session.
            return ClientStep::Done(
                "challenge names an unknown scheme: ending the session".into(),
            );
        };
        // "Once authentication has occurred, the authentication type ... MUST be kept
        // same for the whole session" ([PRO] §9.1): a challenge for another scheme can
        // only be answered by ending the session ([SEC] §5.4.1).
        if let Some(a) = self.authenticated.filter(|a| *a != scheme) {
            return ClientStep::Done(format!(
                "challenged for {scheme} after the session authenticated with {a}: \
                 ending the session"
            ));
        }
        if was_setup && self.fault(ClientFault::QuitsAfterChallenge) {
            return ClientStep::Done("quits after the server's challenge (fault)".into());
        }
        // Starting over with the credentials asked for is allowed; the fault starts over
        // with its old ones.
        let new_session = was_setup && self.fault(ClientFault::ReauthNewSession);
        if !new_session && !self.fault(ClientFault::ReauthSameScheme) {
            self.scheme = scheme;
        }
        if let Some(n) = chal
            .meta
            .next_nonce
            .as_deref()
            .and_then(|n| Nonce::from_b64(n).ok())
        {
            self.store_nonce(n);
        }
        self.resend_cred = true;
        self.offered = true;
        if let Some(uri) = &msg.hdr.resp_uri
            && !self.fault(ClientFault::ReauthIgnoresRespUri)
        {
            self.url = uri.clone();
        }
        if new_session {
            self.session_id = format!("{}1", self.session_id);
            self.msg_id = 0;
            self.url = self.config.server_url.clone();
            let m = self.setup_package(None, true);
            return ClientStep::Send(self.send(m));
        }
        let with_setup = was_setup && !self.fault(ClientFault::ReauthWithoutSetup);
        let m = if with_setup {
            self.setup_package(Some(&msg.hdr), true)
        } else {
            // Outside setup (or by fault): answer the server's commands again with
            // the new credentials.
            let mut b = self.begin();
            b.push(build::synchdr_status(&msg.hdr, 200, None));
            let mut out = Vec::new();
            for cmd in &msg.body.commands {
                self.execute(&msg.hdr.msg_id, cmd, &mut out);
            }
            for c in out {
                b.push(c);
            }
            b.finish(true)
        };
        ClientStep::Send(self.send(m))
    }
}
