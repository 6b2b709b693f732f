//! What dmct tells the operator before a run: whether a server URL is a DM server at
//! all (the probe), and the DM account a device must hold to reach `run --serve`.

use dmct_proto::auth::{Credentials, Scheme};
use dmct_suite::{Options, TargetServer};
use std::process::ExitCode;

/// Probe the server at `target` before the suite. On a DM server, say so and go on
/// (`None`); otherwise print one line saying what answered instead and give exit code 2,
/// with no report: a page of MUST failures against a web server helps nobody. A server
/// error on Package #1 is only a warning: a failing DM server's faults are findings.
pub async fn probe(target: &TargetServer, opts: &Options) -> Option<ExitCode> {
    match dmct_suite::probe::probe(target, opts).await {
        Ok(ok) => {
            eprintln!(
                "dmct: {} answers as a DM server ({}); running the suite",
                target.url, ok.why
            );
            None
        }
        Err(e) if e.stops_the_run() => {
            eprintln!("dmct: {e}");
            Some(dmct_suite::exit::Exit::Usage.into())
        }
        Err(e) => {
            eprintln!("dmct: warning: {e}; running the suite: each case records what it answers");
            None
        }
    }
}

/// The DM account a device needs for dmct's listener, as a lab enters it (DMAcc).
pub struct DeviceAccount<'a> {
    /// AppAddr/Addr: where the device sends its DM sessions.
    pub server_url: &'a str,
    /// ServerID.
    pub server_id: &'a str,
    /// CLCRED: what the device presents and dmct checks.
    pub client: &'a Credentials,
    /// The scheme dmct challenges a device with when its credentials are missing or
    /// wrong; `None`: it demands none (`--auth none`).
    pub challenge: Option<Scheme>,
    /// SRVCRED: what dmct presents to the device.
    pub server: &'a Credentials,
    /// dmct's listener speaks HTTPS.
    pub tls: bool,
}

/// The account, one field a line, for the operator to configure the device with. With
/// `redact`, the secrets are left out (the names stay: a lab needs to know which
/// account is meant).
pub fn describe(a: &DeviceAccount, redact: bool) -> String {
    let secret = |s: &str| {
        if redact {
            "(redacted)".to_owned()
        } else {
            s.to_owned()
        }
    };
    let challenge = match a.challenge {
        Some(Scheme::Basic) => {
            "dmct challenges with BASIC (syncml:auth-basic) unless a case asks for another"
        }
        Some(Scheme::Md5) => {
            "dmct challenges with DIGEST (syncml:auth-md5) unless a case asks for another"
        }
        Some(Scheme::Hmac) => {
            "dmct challenges with HMAC (syncml:auth-MAC) unless a case asks for another"
        }
        None => "dmct demands none (--auth none): no case challenges the device",
    };
    let transport = if a.tls {
        "HTTPS (trust dmct's certificate on the device)"
    } else {
        "HTTP"
    };
    format!(
        "dmct: configure the device's DM account (DMAcc) as follows:\n\
         \x20     server URL (AppAddr):         {url} over {transport}\n\
         \x20     ServerID:                     {id}\n\
         \x20     client credentials (CLCRED):  AAuthName {cu}, AAuthSecret {cs}\n\
         \x20                                   {challenge}; credentials sent before a \
         challenge may be Basic, MD5 or HMAC\n\
         \x20     server credentials (SRVCRED): AAuthName {su}, AAuthSecret {ss}\n\
         \x20                                   dmct presents them in Basic unless the device \
         challenges it for another scheme",
        url = a.server_url,
        id = a.server_id,
        cu = a.client.user,
        cs = secret(&a.client.secret),
        su = a.server.user,
        ss = secret(&a.server.secret),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_names_every_field_and_hides_secrets_when_redacted() {
        let client = Credentials {
            user: "dev-user".into(),
            secret: "dev-secret".into(),
        };
        let server = Credentials {
            user: "srv-user".into(),
            secret: "srv-secret".into(),
        };
        let a = DeviceAccount {
            server_url: "http://lab:8080/dm",
            server_id: "lab-server",
            client: &client,
            challenge: Some(Scheme::Md5),
            server: &server,
            tls: false,
        };
        let text = describe(&a, false);
        for want in [
            "http://lab:8080/dm over HTTP",
            "ServerID:                     lab-server",
            "AAuthName dev-user, AAuthSecret dev-secret",
            "DIGEST (syncml:auth-md5)",
            "AAuthName srv-user, AAuthSecret srv-secret",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
        let redacted = describe(&a, true);
        assert!(!redacted.contains("dev-secret") && !redacted.contains("srv-secret"));
        assert!(redacted.contains("AAuthName dev-user, AAuthSecret (redacted)"));
    }
}
