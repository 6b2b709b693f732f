//! The lab configuration file: one TOML file per device (`dmct run --config FILE`), its
//! template (`dmct init`), and how it becomes `run`'s flags.
//!
//! Every key is one `run` flag, in one table ([`KEYS`]): the loader, the template and
//! the test that every key names a real flag all read it, so the file can never offer
//! what the command line cannot do. A flag given on the command line wins over the
//! file's key for it. Paths in the file are relative to the file.

mod keys;

pub use keys::{KEYS, Key, Kind, SECTIONS};

use Kind::*;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The flag `--config` and the subcommand that reads it.
pub const FLAG: &str = "--config";
pub const SUBCOMMAND: &str = "run";

/// Why the configuration could not become flags, or its template not be written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--config needs a file: dmct run --config device.toml")]
    NeedsFile,
    #[error("cannot read the configuration {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("in the configuration {}", path.display())]
    Invalid { path: PathBuf, source: ParseError },
    #[error("{} exists already; dmct init never overwrites", path.display())]
    Exists {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create {}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What is wrong in a configuration's text.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not TOML (the TOML reader's own words).
    #[error("{0}")]
    Toml(String),
    #[error("unknown section [{section}]{hint}")]
    UnknownSection { section: String, hint: String },
    #[error("{section} must be a section ([{section}]), not a value")]
    NotASection { section: String },
    #[error("unknown key {section}.{name}{hint}")]
    UnknownKey {
        section: String,
        name: String,
        hint: String,
    },
    #[error("{at} must be {want} (e.g. {name} = {example}), not {found}")]
    WrongType {
        at: String,
        want: &'static str,
        name: &'static str,
        example: &'static str,
        found: &'static str,
    },
    #[error("{at} must not be negative, not {n}")]
    Negative { at: String, n: i64 },
    #[error("{at} must be a number of seconds from 0 up, not {value}")]
    NotSeconds { at: String, value: String },
}

/// The command line with the configuration file's keys spliced in after `run`, for every
/// flag the command line does not give itself; unchanged without `--config`.
/// `long_names` tells which spellings (aliases included) set the same flag.
pub fn expand(
    args: Vec<OsString>,
    long_names: &dyn Fn(&str) -> Vec<String>,
) -> Result<Vec<OsString>, ConfigError> {
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
                return Err(ConfigError::NeedsFile);
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
pub fn load(file: &Path) -> Result<Vec<(&'static Key, Vec<String>)>, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
        path: file.to_owned(),
        source,
    })?;
    let base = file.parent().unwrap_or(Path::new(""));
    parse(&text, base).map_err(|source| ConfigError::Invalid {
        path: file.to_owned(),
        source,
    })
}

/// [`load`] of a text; `base` is the directory relative paths start from.
pub fn parse(text: &str, base: &Path) -> Result<Vec<(&'static Key, Vec<String>)>, ParseError> {
    let table: toml::Table = toml::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
        .map_err(|e| ParseError::Toml(e.to_string().trim_end().to_owned()))?;
    for (section, body) in &table {
        if !SECTIONS.iter().any(|(s, _)| s == section) {
            let names = SECTIONS.iter().map(|(s, _)| *s);
            return Err(ParseError::UnknownSection {
                section: section.clone(),
                hint: nearest(section, names),
            });
        }
        let Some(body) = body.as_table() else {
            return Err(ParseError::NotASection {
                section: section.clone(),
            });
        };
        for name in body.keys() {
            if !KEYS.iter().any(|k| k.section == section && k.name == name) {
                return Err(unknown_key(section, name));
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
fn arguments(
    key: &'static Key,
    value: &toml::Value,
    base: &Path,
) -> Result<Vec<String>, ParseError> {
    let at = format!("{}.{}", key.section, key.name);
    let wrong = |want: &'static str| ParseError::WrongType {
        at: at.clone(),
        want,
        name: key.name,
        example: key.example,
        found: value.type_str(),
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
                return Err(ParseError::Negative { at, n });
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
                return Err(ParseError::NotSeconds {
                    at,
                    value: value.to_string(),
                });
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
fn unknown_key(section: &str, name: &str) -> ParseError {
    let here = KEYS.iter().filter(|k| k.section == section).map(|k| k.name);
    let best = KEYS
        .iter()
        .map(|k| (strsim::levenshtein(name, k.name), k))
        .min_by_key(|(d, _)| *d);
    let hint = match best {
        Some((d, k)) if d <= 3 && k.section != section => format!(
            ": did you mean {}.{} (in [{}])?",
            k.section, k.name, k.section
        ),
        _ => nearest(name, here),
    };
    ParseError::UnknownKey {
        section: section.to_owned(),
        name: name.to_owned(),
        hint,
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
pub fn template() -> String {
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
pub fn init(file: &Path) -> Result<(), ConfigError> {
    use std::io::Write;
    let path = file.to_owned();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|source| {
            if file.exists() {
                ConfigError::Exists { path, source }
            } else {
                ConfigError::Create { path, source }
            }
        })?;
    f.write_all(template().as_bytes())
        .map_err(|source| ConfigError::Write {
            path: file.to_owned(),
            source,
        })?;
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
