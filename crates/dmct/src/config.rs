//! The lab configuration file: one TOML file per device (`dmct run --config FILE`), its
//! template (`dmct init`), and how it becomes `run`'s flags.
//!
//! Every key is one `run` flag, in one table ([`KEYS`]): the loader, the template and
//! the test that every key names a real flag all read it, so the file can never offer
//! what the command line cannot do. A flag given on the command line wins over the
//! file's key for it. Paths in the file are relative to the file.

use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How a key's value becomes flag arguments.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// A string, passed as it is.
    Text,
    /// A path, made relative to the configuration file's directory.
    Path,
    /// A whole number.
    Number,
    /// A number of seconds, whole or not (`idle = 0.5`).
    Seconds,
    /// true: the flag alone; false: nothing.
    Switch,
    /// A list of strings: the flag once per entry.
    List,
}

/// One key of the file: its section, its name, the `run` flag it sets, how its value is
/// read, and the example and help the template shows.
#[derive(Debug)]
pub(crate) struct Key {
    pub(crate) section: &'static str,
    pub(crate) name: &'static str,
    pub(crate) flag: &'static str,
    pub(crate) kind: Kind,
    pub(crate) example: &'static str,
    pub(crate) help: &'static str,
}

/// The sections in the order the template writes them, with what each is for.
pub(crate) const SECTIONS: &[(&str, &str)] = &[
    (
        "device",
        "The device's DM account: what dmct's server presents (SRVCRED) and expects (CLCRED)",
    ),
    ("transport", "Where the device reaches dmct, and how"),
    (
        "trigger",
        "How each case wakes the device: --exec with a Package 0, or the device starts sessions",
    ),
    (
        "timeouts",
        "Seconds dmct waits (raise them for a slow device)",
    ),
    (
        "selection",
        "Which cases and rules run, and what fails the run",
    ),
    ("reports", "Where the reports go and what they keep"),
];

use Kind::*;

pub(crate) const KEYS: &[Key] = &[
    // device
    Key {
        section: "device",
        name: "name",
        flag: "--device-name",
        kind: Text,
        example: "\"lab-device-a\"",
        help: "the device's name for baselines and the matrix (default: its DevInfo DevId)",
    },
    Key {
        section: "device",
        name: "server_id",
        flag: "--server-id",
        kind: Text,
        example: "\"dmct-server\"",
        help: "the ServerID the device holds for this server (DMAcc ServerID)",
    },
    Key {
        section: "device",
        name: "server_user",
        flag: "--server-user",
        kind: Text,
        example: "\"dmct-server\"",
        help: "SRVCRED AAuthName: the name dmct's server presents",
    },
    Key {
        section: "device",
        name: "server_secret",
        flag: "--server-secret",
        kind: Text,
        example: "\"server-secret\"",
        help: "SRVCRED AAuthSecret: the secret dmct's server presents",
    },
    Key {
        section: "device",
        name: "client_user",
        flag: "--client-user",
        kind: Text,
        example: "\"dmct-client\"",
        help: "CLCRED AAuthName: the name the device presents",
    },
    Key {
        section: "device",
        name: "client_secret",
        flag: "--client-secret",
        kind: Text,
        example: "\"dmct-client-secret\"",
        help: "CLCRED AAuthSecret: the secret the device presents",
    },
    Key {
        section: "device",
        name: "auth",
        flag: "--auth",
        kind: Text,
        example: "\"md5\"",
        help: "the scheme dmct's server challenges with: none, basic, md5 or hmac",
    },
    Key {
        section: "device",
        name: "nonce",
        flag: "--nonce",
        kind: Text,
        example: "\"AAAAAA==\"",
        help: "CLCRED AAuthData (base64): the nonce the device holds from its account",
    },
    // transport
    Key {
        section: "transport",
        name: "serve",
        flag: "--serve",
        kind: Text,
        example: "\"0.0.0.0:8080\"",
        help: "listen here and wait for the device in each case",
    },
    Key {
        section: "transport",
        name: "public_url",
        flag: "--public-url",
        kind: Text,
        example: "\"https://dm.lab.example:8080/dm\"",
        help: "the server URL the device is told, when it differs from http://ADDR/dm",
    },
    Key {
        section: "transport",
        name: "tls",
        flag: "--tls",
        kind: Switch,
        example: "true",
        help: "serve HTTPS",
    },
    Key {
        section: "transport",
        name: "cert",
        flag: "--cert",
        kind: Path,
        example: "\"server.pem\"",
        help: "the server's certificate chain (PEM); with key",
    },
    Key {
        section: "transport",
        name: "key",
        flag: "--key",
        kind: Path,
        example: "\"server.key\"",
        help: "the server's private key (PEM); with cert",
    },
    Key {
        section: "transport",
        name: "ca_out",
        flag: "--ca-out",
        kind: Path,
        example: "\"dmct-ca.pem\"",
        help: "where the CA of a generated certificate is written, for the device to trust",
    },
    Key {
        section: "transport",
        name: "cert_names",
        flag: "--cert-name",
        kind: List,
        example: "[\"dm.lab.example\"]",
        help: "names a generated certificate is valid for",
    },
    Key {
        section: "transport",
        name: "client_ca",
        flag: "--client-ca",
        kind: Path,
        example: "\"device-ca.pem\"",
        help: "ask the device for a TLS client certificate issued by this CA",
    },
    Key {
        section: "transport",
        name: "target_server",
        flag: "--target-server",
        kind: Text,
        example: "\"https://dm.vendor.example/dm\"",
        help: "test the DM server at this URL instead, dmct playing the client",
    },
    Key {
        section: "transport",
        name: "ca_file",
        flag: "--ca-file",
        kind: Path,
        example: "\"server-ca.pem\"",
        help: "CA certificates (PEM) dmct trusts for the server under test",
    },
    Key {
        section: "transport",
        name: "no_system_ca",
        flag: "--no-system-ca",
        kind: Switch,
        example: "false",
        help: "trust only ca_file, not the operating system's CA roots",
    },
    Key {
        section: "transport",
        name: "insecure",
        flag: "--insecure",
        kind: Switch,
        example: "false",
        help: "accept any server certificate (never for a verdict you sign)",
    },
    Key {
        section: "transport",
        name: "client_cert",
        flag: "--client-cert",
        kind: Path,
        example: "\"client.pem\"",
        help: "TLS client certificate dmct's client presents; with client_key",
    },
    Key {
        section: "transport",
        name: "client_key",
        flag: "--client-key",
        kind: Path,
        example: "\"client.key\"",
        help: "its private key; with client_cert",
    },
    Key {
        section: "transport",
        name: "encoding",
        flag: "--encoding",
        kind: Text,
        example: "\"wbxml\"",
        help: "the encoding dmct's client speaks to a server: xml or wbxml",
    },
    Key {
        section: "transport",
        name: "verproto_param",
        flag: "--verproto-param",
        kind: Text,
        example: "\"quoted\"",
        help: "how Content-Type carries verproto: quoted or omit",
    },
    Key {
        section: "transport",
        name: "max_body",
        flag: "--max-body",
        kind: Number,
        example: "16777216",
        help: "largest HTTP body accepted, in bytes",
    },
    Key {
        section: "transport",
        name: "max_inflight_bytes",
        flag: "--max-inflight-bytes",
        kind: Number,
        example: "268435456",
        help: "bytes of request bodies held at once, all connections together",
    },
    Key {
        section: "transport",
        name: "max_connections",
        flag: "--max-connections",
        kind: Number,
        example: "1024",
        help: "connections kept open at once",
    },
    // trigger
    Key {
        section: "trigger",
        name: "exec",
        flag: "--exec",
        kind: Text,
        example: "\"./wake-device.sh\"",
        help: "shell command that wakes the device (Package 0 in DMCT_PKG0_FILE)",
    },
    Key {
        section: "trigger",
        name: "pkg0_nonce",
        flag: "--pkg0-nonce",
        kind: Text,
        example: "\"resync\"",
        help: "nonce of Package 0's digest: resync, resync-ascii, empty or b64:VALUE",
    },
    Key {
        section: "trigger",
        name: "pkg0_ui_mode",
        flag: "--pkg0-ui-mode",
        kind: Text,
        example: "\"not-specified\"",
        help: "Package 0's ui-mode: not-specified, background, informative, user-interaction",
    },
    Key {
        section: "trigger",
        name: "pkg0_initiator",
        flag: "--pkg0-initiator",
        kind: Text,
        example: "\"server\"",
        help: "Package 0's initiator: server or user",
    },
    Key {
        section: "trigger",
        name: "client_initiated",
        flag: "--client-initiated",
        kind: Switch,
        example: "false",
        help: "the device starts its sessions itself (no Package 0 reaches it)",
    },
    // timeouts
    Key {
        section: "timeouts",
        name: "wait",
        flag: "--wait",
        kind: Number,
        example: "300",
        help: "for the device's first package of each case",
    },
    Key {
        section: "timeouts",
        name: "session",
        flag: "--session-timeout",
        kind: Number,
        example: "300",
        help: "for one whole session (case)",
    },
    Key {
        section: "timeouts",
        name: "idle",
        flag: "--idle",
        kind: Seconds,
        example: "10",
        help: "of silence after which a session is taken as over (fractions allowed: 0.5)",
    },
    Key {
        section: "timeouts",
        name: "exchange",
        flag: "--exchange-timeout",
        kind: Number,
        example: "30",
        help: "for one HTTP exchange",
    },
    // selection
    Key {
        section: "selection",
        name: "cases",
        flag: "--case",
        kind: List,
        example: "[\"client-*\"]",
        help: "case id patterns to run",
    },
    Key {
        section: "selection",
        name: "rules",
        flag: "--rule",
        kind: List,
        example: "[\"auth/*\"]",
        help: "rule id patterns to judge",
    },
    Key {
        section: "selection",
        name: "levels",
        flag: "--level",
        kind: List,
        example: "[\"MUST\", \"MUST NOT\"]",
        help: "requirement levels to judge",
    },
    Key {
        section: "selection",
        name: "partition",
        flag: "--partition",
        kind: Text,
        example: "\"1/3\"",
        help: "run only shard i of N of the cases (a CI matrix; dmct merge joins them)",
    },
    Key {
        section: "selection",
        name: "fail_on",
        flag: "--fail-on",
        kind: Text,
        example: "\"any\"",
        help: "what fails the run: any or new (against the baseline)",
    },
    Key {
        section: "selection",
        name: "profile",
        flag: "--profile",
        kind: Path,
        example: "\"device-profile.toml\"",
        help: "capability profile (lacks = [...]): rules on what it lacks are not applicable",
    },
    Key {
        section: "selection",
        name: "scenarios",
        flag: "--scenarios",
        kind: Path,
        example: "\"my-scenarios\"",
        help: "load scenarios from this directory instead of the built-in ones",
    },
    Key {
        section: "selection",
        name: "deviations",
        flag: "--deviations",
        kind: Path,
        example: "\"deviations.toml\"",
        help: "known deviations the lab has accepted",
    },
    // reports
    Key {
        section: "reports",
        name: "out",
        flag: "--out",
        kind: Path,
        example: "\"reports/device-a\"",
        help: "directory of report.json, report.txt, report.html, junit.xml, transcripts/",
    },
    Key {
        section: "reports",
        name: "baseline",
        flag: "--baseline",
        kind: Path,
        example: "\"reports/device-a-last/report.json\"",
        help: "an earlier report.json to compare with",
    },
    Key {
        section: "reports",
        name: "seed",
        flag: "--seed",
        kind: Number,
        example: "42",
        help: "seed of every SessionID and nonce dmct generates (replays a run)",
    },
    Key {
        section: "reports",
        name: "write_deviations",
        flag: "--write-deviations",
        kind: Path,
        example: "\"deviations.toml\"",
        help: "write this run's failures as a deviations file to review",
    },
    Key {
        section: "reports",
        name: "redact",
        flag: "--redact",
        kind: Switch,
        example: "true",
        help: "leave every secret out of the reports and transcripts",
    },
];

/// The flag `--config` and the subcommand that reads it.
pub(crate) const FLAG: &str = "--config";
pub(crate) const SUBCOMMAND: &str = "run";

/// The command line with the configuration file's keys spliced in after `run`, for every
/// flag the command line does not give itself; unchanged without `--config`.
/// `long_names` tells which spellings (aliases included) set the same flag.
pub(crate) fn expand(
    args: Vec<OsString>,
    long_names: &dyn Fn(&str) -> Vec<String>,
) -> Result<Vec<OsString>> {
    if args.get(1).is_none_or(|a| a != SUBCOMMAND) {
        return Ok(args);
    }
    let flags: Vec<String> = args[2..]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut file = None;
    for (i, a) in flags.iter().enumerate() {
        if a == FLAG {
            let Some(v) = flags.get(i + 1) else {
                bail!("{FLAG} needs a file: dmct run {FLAG} device.toml");
            };
            file = Some(PathBuf::from(v));
        } else if let Some(v) = a.strip_prefix("--config=") {
            file = Some(PathBuf::from(v));
        }
    }
    let Some(file) = file else {
        return Ok(args);
    };
    let given: Vec<&str> = flags
        .iter()
        .filter(|a| a.starts_with("--"))
        .map(|a| a.split('=').next().unwrap_or(a))
        .collect();
    let mut out: Vec<OsString> = args[..2].to_vec();
    for (key, values) in load(&file)? {
        let overridden = long_names(key.flag)
            .iter()
            .any(|n| given.contains(&n.as_str()));
        if !overridden {
            out.extend(values.into_iter().map(OsString::from));
        }
    }
    out.extend(args.into_iter().skip(2));
    Ok(out)
}

/// The file's keys, each with the flag arguments it stands for, in [`KEYS`] order.
pub(crate) fn load(file: &Path) -> Result<Vec<(&'static Key, Vec<String>)>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the configuration {}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new(""));
    parse(&text, base).with_context(|| format!("in the configuration {}", file.display()))
}

/// [`load`] of a text; `base` is the directory relative paths start from.
pub(crate) fn parse(text: &str, base: &Path) -> Result<Vec<(&'static Key, Vec<String>)>> {
    let table: toml::Table = toml::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
    for (section, body) in &table {
        if !SECTIONS.iter().any(|(s, _)| s == section) {
            let names = SECTIONS.iter().map(|(s, _)| *s);
            bail!("unknown section [{section}]{}", nearest(section, names));
        }
        let Some(body) = body.as_table() else {
            bail!("{section} must be a section ([{section}]), not a value");
        };
        for name in body.keys() {
            if !KEYS.iter().any(|k| k.section == section && k.name == name) {
                bail!("{}", unknown_key(section, name));
            }
        }
    }
    let mut out = Vec::new();
    for key in KEYS {
        let Some(value) = table.get(key.section).and_then(|s| s.get(key.name)) else {
            continue;
        };
        out.push((key, arguments(key, value, base)?));
    }
    Ok(out)
}

/// The flag arguments one key's value stands for.
fn arguments(key: &Key, value: &toml::Value, base: &Path) -> Result<Vec<String>> {
    let at = format!("{}.{}", key.section, key.name);
    let wrong = |want: &str| {
        anyhow::anyhow!(
            "{at} must be {want} (e.g. {} = {}), not {}",
            key.name,
            key.example,
            value.type_str()
        )
    };
    let flag = key.flag.to_owned();
    Ok(match key.kind {
        Text => vec![
            flag,
            value.as_str().ok_or_else(|| wrong("a string"))?.to_owned(),
        ],
        Path => {
            let p = value.as_str().ok_or_else(|| wrong("a string (a path)"))?;
            vec![flag, base.join(p).to_string_lossy().into_owned()]
        }
        Number => {
            let n = value.as_integer().ok_or_else(|| wrong("a whole number"))?;
            if n < 0 {
                bail!("{at} must not be negative, not {n}");
            }
            vec![flag, n.to_string()]
        }
        Seconds => {
            let n = match value {
                toml::Value::Integer(n) => *n as f64,
                toml::Value::Float(n) => *n,
                _ => return Err(wrong("a number of seconds")),
            };
            if !(n >= 0.0 && n.is_finite()) {
                bail!("{at} must be a number of seconds from 0 up, not {value}");
            }
            vec![flag, n.to_string()]
        }
        Switch => match value.as_bool().ok_or_else(|| wrong("true or false"))? {
            true => vec![flag],
            false => vec![],
        },
        List => {
            let items = value.as_array().ok_or_else(|| wrong("a list of strings"))?;
            let mut out = Vec::new();
            for item in items {
                let s = item.as_str().ok_or_else(|| wrong("a list of strings"))?;
                out.extend([flag.clone(), s.to_owned()]);
            }
            out
        }
    })
}

/// "unknown key" with the nearest known one, in this section or any other.
fn unknown_key(section: &str, name: &str) -> String {
    let here = KEYS.iter().filter(|k| k.section == section).map(|k| k.name);
    let best = KEYS
        .iter()
        .map(|k| (strsim::levenshtein(name, k.name), k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= 3 && k.section != section => format!(
            "unknown key {section}.{name}: did you mean {}.{} (in [{}])?",
            k.section, k.name, k.section
        ),
        _ => format!("unknown key {section}.{name}{}", nearest(name, here)),
    }
}

/// ": did you mean X?" for the closest of `names`, or ": known keys are ..." when none is
/// close.
fn nearest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let best = names
        .iter()
        .map(|n| (strsim::levenshtein(name, n), *n))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, n)) if d <= 3 => format!(": did you mean {n}?"),
        _ => format!(": known ones are {}", names.join(", ")),
    }
}

/// The commented template `dmct init` writes: every key, commented out, with its flag
/// and what it does; loading it as it is sets nothing.
pub(crate) fn template() -> String {
    let mut t = String::from(
        "# dmct lab configuration for one device: dmct run --config THIS-FILE\n\
         # Every key is one `dmct run` flag (named beside it); a flag given on the command\n\
         # line wins over the key. Paths are relative to this file. Uncomment what you need.\n",
    );
    for (section, about) in SECTIONS {
        t.push_str(&format!("\n# {about}.\n[{section}]\n"));
        for k in KEYS.iter().filter(|k| k.section == *section) {
            t.push_str(&format!("# {}: {} ({})\n", k.name, k.help, k.flag));
            t.push_str(&format!("# {} = {}\n", k.name, k.example));
        }
    }
    t
}

/// `dmct init [FILE]`: write the template, never over an existing file.
pub(crate) fn init(file: &Path) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .with_context(|| {
            if file.exists() {
                format!(
                    "{} exists already; dmct init never overwrites",
                    file.display()
                )
            } else {
                format!("cannot create {}", file.display())
            }
        })?;
    f.write_all(template().as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spellings(flag: &str) -> Vec<String> {
        match flag {
            "--client-user" => vec!["--client-user".into(), "--user".into()],
            f => vec![f.to_owned()],
        }
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn every_key_is_a_run_flag_of_its_kind() {
        use clap::ArgAction;
        let cli = <crate::args::Cli as clap::CommandFactory>::command();
        let run = cli.find_subcommand(SUBCOMMAND).unwrap();
        for k in KEYS {
            let arg = run
                .get_arguments()
                .find(|a| a.get_long() == k.flag.strip_prefix("--"))
                .unwrap_or_else(|| panic!("{}.{}: run has no {}", k.section, k.name, k.flag));
            let fits = match k.kind {
                Switch => matches!(arg.get_action(), ArgAction::SetTrue),
                List => matches!(arg.get_action(), ArgAction::Append),
                Text | Path | Number | Seconds => matches!(arg.get_action(), ArgAction::Set),
            };
            assert!(fits, "{}: {:?} vs {:?}", k.name, k.kind, arg.get_action());
            assert!(
                SECTIONS.iter().any(|(s, _)| *s == k.section),
                "{}",
                k.section
            );
        }
    }

    #[test]
    fn the_template_loads_and_sets_nothing() {
        assert_eq!(parse(&template(), Path::new("")).unwrap().len(), 0);
    }

    #[test]
    fn the_template_uncommented_sets_every_key() {
        // Uncomment each `# key = example` line; help lines stay comments.
        let text: String = template()
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(kv)
                    if KEYS
                        .iter()
                        .any(|k| kv.starts_with(&format!("{} = ", k.name))) =>
                {
                    kv
                }
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let keys = parse(&text, Path::new("lab")).unwrap();
        assert_eq!(keys.len(), KEYS.len(), "{text}");
        let out = keys.iter().find(|(k, _)| k.name == "out").unwrap();
        assert_eq!(out.1, ["--out", "lab/reports/device-a"]);
    }

    #[test]
    fn unknown_keys_name_the_nearest_known_one() {
        let e = parse("[device]\nserver_idd = \"x\"\n", Path::new("")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown key device.server_idd: did you mean server_id?"
        );
        let e = parse("[device]\nidle = 3\n", Path::new("")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown key device.idle: did you mean timeouts.idle (in [timeouts])?"
        );
        let e = parse("[timeout]\nidle = 3\n", Path::new("")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown section [timeout]: did you mean timeouts?"
        );
        let e = parse("[device]\nzzzzzzzzzzzz = 1\n", Path::new("")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("unknown key device.zzzzzzzzzzzz: known ones are name, server_id")
        );
    }

    #[test]
    fn wrong_types_say_what_the_key_takes() {
        let e = parse("[timeouts]\nwait = \"ten\"\n", Path::new("")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "timeouts.wait must be a whole number (e.g. wait = 300), not string"
        );
        let e = parse("[timeouts]\nwait = -1\n", Path::new("")).unwrap_err();
        assert_eq!(e.to_string(), "timeouts.wait must not be negative, not -1");
        let e = parse("[timeouts]\nidle = \"ten\"\n", Path::new("")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "timeouts.idle must be a number of seconds (e.g. idle = 10), not string"
        );
        for bad in ["-1", "-0.5", "nan", "inf"] {
            let e = parse(&format!("[timeouts]\nidle = {bad}\n"), Path::new("")).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("timeouts.idle must be a number of seconds from 0 up, not {bad}")
            );
        }
        // Fractions reach the flag as written, whole seconds as before.
        for (idle, flag) in [("0.5", "0.5"), ("20", "20"), ("2.0", "2")] {
            let keys = parse(&format!("[timeouts]\nidle = {idle}\n"), Path::new("")).unwrap();
            assert_eq!(keys[0].1, ["--idle", flag]);
        }
        let e = parse("[selection]\ncases = \"a\"\n", Path::new("")).unwrap_err();
        assert!(e.to_string().contains("must be a list of strings"), "{e}");
        let e = parse("device = 1\n", Path::new("")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "device must be a section ([device]), not a value"
        );
    }

    #[test]
    fn keys_become_flags_and_the_command_line_wins() {
        let dir = std::env::temp_dir().join(format!("dmct-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("device.toml");
        std::fs::write(
            &file,
            "[device]\nclient_user = \"lab\"\nserver_id = \"srv\"\n\
             [transport]\ntls = false\n[timeouts]\nidle = 20\n\
             [selection]\ncases = [\"a\", \"b\"]\n[reports]\nredact = true\nout = \"r\"\n",
        )
        .unwrap();
        let config = file.to_string_lossy().into_owned();
        let args = os(&[
            "dmct", "run", "--user", "cli", "--config", &config, "--idle=5",
        ]);
        let got = expand(args, &spellings).unwrap();
        let out = dir.join("r").to_string_lossy().into_owned();
        assert_eq!(
            got,
            os(&[
                "dmct",
                "run",
                "--server-id",
                "srv",
                "--case",
                "a",
                "--case",
                "b",
                "--out",
                &out,
                "--redact",
                "--user",
                "cli",
                "--config",
                &config,
                "--idle=5",
            ])
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn without_config_the_command_line_is_untouched() {
        let args = os(&["dmct", "check", "--config", "x"]);
        assert_eq!(expand(args.clone(), &spellings).unwrap(), args);
        let args = os(&["dmct", "run", "--idle", "3"]);
        assert_eq!(expand(args.clone(), &spellings).unwrap(), args);
        let e = expand(os(&["dmct", "run", "--config"]), &spellings).unwrap_err();
        assert!(e.to_string().contains("needs a file"), "{e}");
    }
}
