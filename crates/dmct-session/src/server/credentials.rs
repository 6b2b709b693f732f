//! How the server judges a client's credentials, faults that accept bad ones included.

use super::*;

impl Server {
    /// A faulty server's acceptance of credentials that failed with `code`: any that
    /// do not verify (accepts-any-password), or those keyed with a nonce it has replaced
    /// (accepts-stale-nonce); once a session each.
    pub(super) fn fault_accepts(
        &self,
        req: &HttpRequest,
        msg: &SyncML,
        st: &mut SessionState,
        code: u16,
    ) -> Option<Auth> {
        if code != 401 || !has_credentials(req, msg) {
            return None;
        }
        let stale = st
            .given
            .iter()
            .rev()
            .skip(1)
            .any(|n| self.check_cred(req, msg, st.expected, Some(n)).is_ok());
        let fault = if self.has(ServerFault::AcceptsAnyPassword) {
            ServerFault::AcceptsAnyPassword
        } else if self.has(ServerFault::AcceptsStaleNonce) && stale {
            ServerFault::AcceptsStaleNonce
        } else {
            return None;
        };
        if !st.spent.insert(fault) {
            return None;
        }
        st.authenticated = true;
        if req.headers.get(HMAC_HEADER).is_some() {
            st.hmac = true;
            return Some(Auth::AcceptedHmac);
        }
        st.accepted = msg
            .hdr
            .cred
            .as_ref()
            .and_then(|c| build::scheme_of(c.meta.as_ref()));
        Some(Auth::Accepted)
    }

    /// Check the client's credentials (Cred, or the HMAC header) against what this
    /// session expects; Ok is the scheme that passed, Err the Status code to challenge
    /// with (407 missing, 401 refused).
    pub(super) fn check_cred(
        &self,
        req: &HttpRequest,
        msg: &SyncML,
        expected: Option<Scheme>,
        nonce: Option<&Nonce>,
    ) -> Result<Scheme, u16> {
        if let Some(value) = req.headers.get(HMAC_HEADER) {
            if expected.is_some_and(|e| e != Scheme::Hmac) {
                return Err(401);
            }
            let header = HmacHeader::parse(value).map_err(|_| 401u16)?;
            let nonce = nonce.ok_or(401u16)?;
            let want = auth::hmac_mac(
                &self.config.client_creds,
                nonce.as_bytes(),
                req.body.as_bytes(),
            );
            return if header.username == self.config.client_creds.user && header.mac.trim() == want
            {
                Ok(Scheme::Hmac)
            } else {
                Err(401)
            };
        }
        let Some(cred) = &msg.hdr.cred else {
            return Err(407);
        };
        let Some(scheme) = build::scheme_of(cred.meta.as_ref()) else {
            return Err(401);
        };
        if expected.is_some_and(|e| e != scheme) || scheme == Scheme::Hmac {
            return Err(401);
        }
        auth::verify(scheme, &cred.data, &self.config.client_creds, nonce)
            .map(|()| scheme)
            .map_err(|_| 401)
    }
}

/// Whether a request carries client credentials at all: a Cred in its SyncHdr or the
/// HMAC header.
pub(super) fn has_credentials(req: &HttpRequest, msg: &SyncML) -> bool {
    msg.hdr.cred.is_some() || req.headers.get(HMAC_HEADER).is_some()
}
