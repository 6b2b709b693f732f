//! `--redact` on the command line: every secret the run is told (the accounts'
//! secrets, the nonces, the `--exec` command line) is remembered before anything
//! runs, so nothing written or printed carries it (`dmct_suite::redact`).

use dmct_suite::redact;

/// The values of argument `id` as given (or defaulted) on the command line.
fn raw(m: &clap::ArgMatches, id: &str) -> Vec<String> {
    match m.try_get_raw(id) {
        Ok(Some(vals)) => vals.map(|v| v.to_string_lossy().into_owned()).collect(),
        _ => Vec::new(),
    }
}

fn one(m: &clap::ArgMatches, id: &str) -> Option<String> {
    raw(m, id).into_iter().next()
}

/// Remember the secrets of a subcommand given `--redact`.
pub fn remember(matches: &clap::ArgMatches) {
    let Some((_, m)) = matches.subcommand() else {
        return;
    };
    if !matches!(m.try_get_one::<bool>("redact"), Ok(Some(true))) {
        return;
    }
    let defaults = [
        dmct_suite::peers::default_client_creds(),
        dmct_suite::peers::default_server_creds(),
    ];
    for c in &defaults {
        redact::remember_account(&c.user, &c.secret);
    }
    let server_secret = one(m, "server_secret").unwrap_or_else(|| defaults[1].secret.clone());
    for user in [one(m, "server_user"), one(m, "server_id")]
        .into_iter()
        .flatten()
    {
        redact::remember_account(&user, &server_secret);
    }
    redact::remember_account(&defaults[1].user, &server_secret);
    redact::remember_account(dmct_suite::peers::DEFAULT_SERVER_ID, &server_secret);
    if let Some(secret) = one(m, "client_secret") {
        let user = one(m, "client_user").unwrap_or_else(|| defaults[0].user.clone());
        redact::remember_account(&user, &secret);
    }
    for n in raw(m, "nonce") {
        redact::remember_nonce_b64(&n);
    }
    for n in raw(m, "pkg0_nonce") {
        if let Some(b64) = n.strip_prefix("b64:") {
            redact::remember_nonce_b64(b64);
        }
    }
    // The lab's command line may hold any secret it hands the device.
    for c in raw(m, "exec") {
        redact::remember(&c);
    }
    redact::activate();
}
