//! `--redact` on the command line: the flags that hold secrets, read as given (or
//! defaulted) before anything runs, for `dmct_suite::redact::remember_command_line`.

use dmct_suite::redact::CommandLine;

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
    dmct_suite::redact::remember_command_line(&CommandLine {
        server_secret: one(m, "server_secret"),
        server_user: one(m, "server_user"),
        server_id: one(m, "server_id"),
        client_secret: one(m, "client_secret"),
        client_user: one(m, "client_user"),
        nonces: raw(m, "nonce"),
        pkg0_nonces: raw(m, "pkg0_nonce"),
        exec: raw(m, "exec"),
    });
}
