//! The command line's settings turned into the suite's: run options, TLS, a capability
//! profile, the scenarios; and what depends on the terminal (progress, colour).

use crate::*;

/// A progress bar on standard error when it is a terminal (coloured unless NO_COLOR);
/// otherwise (a CI log, a pipe) one plain line per case, without control characters.
pub(crate) fn progress() -> Option<dmct_suite::runner::Progress> {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() {
        return Some(dmct_suite::runner::Progress(std::sync::Arc::new(
            |done, total, case| eprintln!("dmct: case {done}/{total} done: {case}"),
        )));
    }
    let bar = indicatif::ProgressBar::new(0);
    let template = if colour(true) {
        "{bar:30.cyan/blue} {pos}/{len} cases {wide_msg}"
    } else {
        "{bar:30} {pos}/{len} cases {wide_msg}"
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    Some(dmct_suite::runner::Progress(std::sync::Arc::new(
        move |done, total, case| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(case.to_owned());
            if done == total {
                bar.finish_and_clear();
            }
        },
    )))
}

/// Colour on a terminal unless NO_COLOR is set to anything but the empty string
/// (no-color.org).
pub(crate) fn colour(terminal: bool) -> bool {
    colour_with(terminal, std::env::var_os("NO_COLOR").as_deref())
}

pub(crate) fn colour_with(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// `dmct --version`: dmct's version and the rule catalog built in, by its rule count and
/// the MD5 of `testcases/rules.toml` (what report.json records as `catalog`).
pub(crate) fn long_version() -> &'static str {
    static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let c = dmct_suite::catalog_id();
        format!(
            "{}\nrule catalog: version {}, {} rules, md5 {}",
            env!("CARGO_PKG_VERSION"),
            env!("CARGO_PKG_VERSION"),
            c.rules,
            c.md5
        )
    });
    &TEXT
}

/// The run's options; `--out` is checked first, so a run never ends unable to write
/// what it found.
pub(crate) fn options(c: &Common) -> Result<Options> {
    output::check_dir(&c.out).context("--out cannot take the reports")?;
    Ok(Options {
        progress: progress(),
        limits: dmct_net::Limits {
            max_body: c.max_body,
            exchange_timeout: Duration::from_secs(c.exchange_timeout),
            notices: dmct_net::Notices::stderr(),
            ..dmct_net::Limits::default()
        },
        client_tls: client_tls(&c.trust)?,
        seed: c.seed.value()?,
        ..Options::default()
    })
}

/// Read a capability profile; names the catalog does not know are refused, so a typo
/// never waives nothing in silence.
pub(crate) fn profile(file: Option<&Path>) -> Result<dmct_rules::Profile> {
    let Some(file) = file else {
        return Ok(dmct_rules::Profile::default());
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let p: dmct_rules::Profile = toml::from_str(&text)
        .with_context(|| format!("{} is not a capability profile", file.display()))?;
    let known = dmct_rules::Profile::known_capabilities();
    for cap in &p.lacks {
        if !known.contains(cap.as_str()) {
            bail!(
                "{}: unknown capability {cap:?} (known: {})",
                file.display(),
                known.iter().copied().collect::<Vec<_>>().join(", ")
            );
        }
    }
    Ok(p)
}

pub(crate) fn check_url(url: &str) -> Result<()> {
    if let Err(e) = dmct_proto::url::Url::parse(url) {
        bail!("{e}: {url}");
    }
    Ok(())
}

pub(crate) fn client_tls(t: &Trust) -> Result<Option<dmct_net::ClientTls>> {
    let tls = match t.insecure {
        true => Some(dmct_net::ClientTls::insecure()?),
        false => dmct_net::ClientTls::trusting_roots(!t.no_system_ca, t.ca_file.as_deref())?,
    };
    Ok(match (tls, &t.client_cert, &t.client_key) {
        (Some(tls), Some(cert), Some(key)) => Some(tls.with_client_cert(cert, key)?),
        (None, Some(_), _) => bail!(
            "--client-cert is presented over https only, and no CA is trusted: the system's \
             store has none readable; say which servers to trust with --ca-file or --insecure"
        ),
        (tls, _, _) => tls,
    })
}

/// The listener's certificate: the operator's, or a generated one whose PEM is written
/// out so clients can be told to trust it.
pub(crate) fn server_tls(l: &Listen) -> Result<Option<dmct_net::ServerTls>> {
    if !l.tls {
        return Ok(None);
    }
    let tls = server_identity(l)?;
    Ok(Some(match &l.client_ca {
        Some(ca) => {
            eprintln!(
                "dmct: clients must present a TLS certificate issued by a CA in {}",
                ca.display()
            );
            tls.requiring_client_cert(ca)?
        }
        None => tls,
    }))
}

/// The listener's own certificate and key.
pub(crate) fn server_identity(l: &Listen) -> Result<dmct_net::ServerTls> {
    if let (Some(cert), Some(key)) = (&l.cert, &l.key) {
        return Ok(dmct_net::ServerTls::from_pem_files(cert, key)?);
    }
    let mut names = vec!["localhost", "127.0.0.1"];
    names.extend(l.cert_name.iter().map(String::as_str));
    let tls = dmct_net::ServerTls::generate(&names)?;
    if let Some(dir) = l.ca_out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&l.ca_out, tls.cert_pem())
        .with_context(|| format!("cannot write {}", l.ca_out.display()))?;
    eprintln!(
        "dmct: generated a certificate for {}; clients trust it with --ca-file {}",
        names.join(", "),
        l.ca_out.display()
    );
    Ok(tls)
}

pub(crate) fn scenarios(c: &Common) -> Result<Vec<Scenario>> {
    Ok(match &c.scenarios {
        Some(dir) => dmct_suite::scenario::load_dir(dir)?,
        None => dmct_suite::scenario::builtin()?,
    })
}

pub(crate) fn elapsed_ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// A line for the operator, on standard error.
pub(crate) fn say(line: &str) {
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_turns_colour_off_unless_empty() {
        use std::ffi::OsStr;
        assert!(colour_with(true, None));
        assert!(colour_with(true, Some(OsStr::new(""))));
        assert!(!colour_with(true, Some(OsStr::new("1"))));
        assert!(!colour_with(false, None));
    }
}
