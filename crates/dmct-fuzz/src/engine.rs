//! A seeded mutation fuzzer for the stable toolchain: each target gets its share of the
//! time, its inputs are seeds from its corpus mutated one to four times (bit flips,
//! interesting bytes, inserted or deleted bytes, repeated chunks, splices, truncations,
//! tokens of the formats). A panic, an input that takes longer than `slow`, or one still
//! running after `stuck` (the process then exits) is written to the crash directory.

use crate::rng::Rng;
use crate::targets::{Corpus, Target};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Config {
    pub seed: u64,
    /// Time for each target.
    pub per_target: Duration,
    pub crash_dir: PathBuf,
    /// Longer than this to process one input is a finding.
    pub slow: Duration,
    /// Still running after this: the process writes the input and exits with 1.
    pub stuck: Duration,
    pub max_len: usize,
}

impl Config {
    pub fn new(seed: u64, per_target: Duration, crash_dir: PathBuf) -> Config {
        Config {
            seed,
            per_target,
            crash_dir,
            slow: Duration::from_secs(1),
            stuck: Duration::from_secs(20),
            max_len: 256 * 1024,
        }
    }
}

/// What one target's run found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub target: &'static str,
    pub inputs: u64,
    pub slowest: Duration,
    /// Each finding: the file holding the input, and what happened.
    pub findings: Vec<(PathBuf, String)>,
}

/// What the watchdog sees: the input running, since when, for which target.
type Running = Arc<Mutex<Option<(Instant, &'static str, Vec<u8>)>>>;

thread_local! {
    static PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Run every target of `targets` for its share of the time.
pub fn run(targets: &[&'static Target], corpus: &Corpus, config: &Config) -> Vec<Outcome> {
    let running: Running = Arc::default();
    let watchdog = {
        let running = running.clone();
        let dir = config.crash_dir.clone();
        let (stuck, seed) = (config.stuck, config.seed);
        std::thread::spawn(move || {
            // Ends with the run, when it holds the last reference.
            while Arc::strong_count(&running) > 1 {
                std::thread::sleep(Duration::from_millis(200));
                let guard = running.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((since, target, input)) = guard.as_ref()
                    && since.elapsed() > stuck
                {
                    let path = save(&dir, target, seed, "stuck", input);
                    eprintln!(
                        "fuzz {target}: an input still runs after {} s (a hang): {}",
                        stuck.as_secs(),
                        path.display()
                    );
                    std::process::exit(1);
                }
            }
        })
    };
    // Panics are findings, recorded quietly; the previous hook comes back afterwards.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PANIC.with(|p| *p.borrow_mut() = Some(format!("panic{at}: {msg}")));
    }));
    let outcomes = targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let seed = config.seed.wrapping_add(i as u64);
            one_target(t, &(t.corpus)(corpus), seed, config, &running)
        })
        .collect();
    std::panic::set_hook(previous);
    drop(running);
    let _ = watchdog.join();
    outcomes
}

fn one_target(
    target: &'static Target,
    seeds: &[Vec<u8>],
    seed: u64,
    config: &Config,
    running: &Running,
) -> Outcome {
    let mut out = Outcome {
        target: target.name,
        ..Outcome::default()
    };
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    // The seeds as they are first, then mutations until the time is up.
    let mut n = 0usize;
    while started.elapsed() < config.per_target || n < seeds.len() {
        let input = if n < seeds.len() {
            seeds[n].clone()
        } else if seeds.is_empty() {
            let len = rng.below(64);
            (0..len).map(|_| rng.next_u64() as u8).collect()
        } else {
            mutate(&mut rng, seeds, config.max_len)
        };
        n += 1;
        *running.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), target.name, input.clone()));
        let t0 = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input)));
        let took = t0.elapsed();
        *running.lock().unwrap_or_else(|e| e.into_inner()) = None;
        out.inputs += 1;
        out.slowest = out.slowest.max(took);
        let finding = match result {
            Err(_) => Some(
                PANIC
                    .with(|p| p.borrow_mut().take())
                    .unwrap_or_else(|| "panic".into()),
            ),
            Ok(()) if took > config.slow => Some(format!(
                "took {} ms (more than {} ms)",
                took.as_millis(),
                config.slow.as_millis()
            )),
            Ok(()) => None,
        };
        if let Some(what) = finding {
            let kind = if what.starts_with("panic") {
                "crash"
            } else {
                "slow"
            };
            let path = save(&config.crash_dir, target.name, seed, kind, &input);
            let _ = std::fs::write(path.with_extension("txt"), format!("{what}\n"));
            out.findings.push((path, what));
            // One target's findings are usually one bug: a few are enough to fix it.
            if out.findings.len() >= 5 {
                break;
            }
        }
    }
    out
}

/// Write a finding's input; its name tells the target, the seed and the kind.
fn save(dir: &Path, target: &str, seed: u64, kind: &str, input: &[u8]) -> PathBuf {
    let _ = std::fs::create_dir_all(dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    let path = dir.join(format!("{target}-{kind}-seed{seed}-{hash:016x}.bin"));
    let _ = std::fs::write(&path, input);
    path
}

/// Tokens of the formats the targets read, for insertions.
const TOKENS: &[&[u8]] = &[
    b"<",
    b"</",
    b">",
    b"/>",
    b"&amp;",
    b"&#",
    b"&#x10FFFF;",
    b"&unknown;",
    b"<![CDATA[",
    b"]]>",
    b"<!DOCTYPE x [<!ENTITY a \"b\">]>",
    b"<?xml version=\"1.0\"?>",
    b"<!--",
    b"-->",
    b"xmlns=\"syncml:metinf\"",
    b"<SyncML>",
    b"<SyncHdr>",
    b"<SyncBody>",
    b"<Final/>",
    b"<MoreData/>",
    b"<Data>",
    b"</Data>",
    b"<Item>",
    b"<Meta>",
    b"<Chal>",
    b"<Cred>",
    b"<CmdID>1</CmdID>",
    b"<MsgID>1</MsgID>",
    b"<Size>4294967296</Size>",
    b"<MaxMsgSize>0</MaxMsgSize>",
    b"<RespURI>",
    b"\x00",
    b"\x01",
    b"\x02",
    b"\x03",
    b"\x04",
    b"\x40",
    b"\x80",
    b"\xC3",
    b"\xC3\xFF\xFF\xFF\xFF\x0F",
    b"\x83\xFF\xFF\xFF\x7F",
    b"\xFF\xFF\xFF\xFF\x7F",
    b"\xEF\xBB\xBF",
    b"; ",
    b"=\"",
    b"\\",
    b"\"",
    b"\"body\":\"",
    b"\"body_base64\":\"",
    b"{\"",
    b"[[",
    b"null",
    b"1e999",
    b"-1",
];

const INTERESTING: &[u8] = &[
    0, 1, 2, 3, 0x7f, 0x80, 0xff, b'<', b'>', b'&', b'"', b'/', b';',
];

/// One input: a seed changed one to four times.
pub fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], max_len: usize) -> Vec<u8> {
    let mut d = rng.pick(seeds).clone();
    for _ in 0..=rng.below(4) {
        let len = d.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                d[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                d[i] = *rng.pick(INTERESTING);
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                d.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                d.drain(i..i + n);
            }
            4 if len > 0 => {
                // A chunk repeated: deep nesting, long runs, many elements.
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(32));
                let chunk = d[i..i + n].to_vec();
                let most = if rng.chance(8) { 4096 } else { 16 };
                let times = 1 + rng.below(most);
                let repeated: Vec<u8> = chunk.iter().copied().cycle().take(n * times).collect();
                d.splice(i..i, repeated);
            }
            5 => {
                let other = rng.pick(seeds);
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                d.truncate(cut);
                d.extend_from_slice(&other[from..]);
            }
            6 => d.truncate(rng.below(len + 1)),
            7 => {
                let i = rng.below(len + 1);
                d.splice(i..i, rng.pick(TOKENS).iter().copied());
            }
            8 if len > 1 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(16));
                for b in &mut d[i..i + n] {
                    *b = rng.next_u64() as u8;
                }
            }
            _ => {
                let i = rng.below(len + 1);
                d.insert(i, *rng.pick(INTERESTING));
            }
        }
    }
    d.truncate(max_len);
    d
}

/// Run `target` on one file's bytes: what it did, for a reproduction.
pub fn replay(target: &Target, input: &[u8]) -> Result<Duration, String> {
    let t0 = Instant::now();
    std::panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input)))
        .map(|()| t0.elapsed())
        .map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panic".into())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_the_same_inputs() {
        let seeds = vec![b"<SyncML><SyncHdr/></SyncML>".to_vec(), vec![2, 0, 0, 106]];
        let a: Vec<_> = (0..50)
            .scan(Rng::new(7), |r, _| Some(mutate(r, &seeds, 1024)))
            .collect();
        let b: Vec<_> = (0..50)
            .scan(Rng::new(7), |r, _| Some(mutate(r, &seeds, 1024)))
            .collect();
        assert_eq!(a, b);
        assert!(a.iter().any(|x| !seeds.contains(x)));
        assert!(a.iter().all(|x| x.len() <= 1024));
    }

    #[test]
    fn a_panicking_target_is_a_finding_with_its_input_written() {
        static T: Target = Target {
            name: "test-panics",
            what: "panics on a 0x42 byte",
            run: |d| assert!(!d.contains(&0x42), "found 0x42"),
            corpus: |_| vec![b"AAAA".to_vec()],
        };
        let dir = std::env::temp_dir().join(format!("dmct-fuzz-engine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut config = Config::new(1, Duration::from_millis(300), dir.clone());
        config.max_len = 64;
        let out = run(&[&T], &Corpus::default(), &config);
        assert!(out[0].inputs > 10);
        assert!(!out[0].findings.is_empty(), "{out:?}");
        let (path, what) = &out[0].findings[0];
        assert!(what.contains("found 0x42"), "{what}");
        assert!(std::fs::read(path).unwrap().contains(&0x42));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
