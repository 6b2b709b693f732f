//! Signals (SIGINT, SIGTERM, SIGHUP) at a random point of `dmct run` and `dmct proxy`.

use super::*;

impl Harness {
    /// (a) A signal at a random point of the built-in run, `iterations` times.
    pub fn signals_run(&self, rng: &mut Rng, iterations: usize) -> Tally {
        let mut tally = Tally::default();
        // How long a whole run takes, and the code it ends with, untouched.
        let base = self.dir("signals-run-base");
        let started = Instant::now();
        let mut p = Proc::spawn(self.cmd(
            &Limits::default(),
            &["run", "--seed", "1", "--out", s(&base)],
        ));
        let finished_code = match p.wait(self.deadline) {
            Ok(st) => st.code(),
            Err(e) => {
                tally.fail(format!("signals/run: the untouched run: {e}"));
                return tally;
            }
        };
        let whole = started.elapsed();
        if let Err(e) = self.check_out(&base, true) {
            tally.fail(format!("signals/run: the untouched run: {e}"));
        }
        self.note(&format!(
            "signals/run: an untouched run takes {} ms and ends with {finished_code:?}",
            whole.as_millis()
        ));
        for i in 0..iterations {
            tally.runs += 1;
            let out = self.dir(&format!("signals-run-{i}"));
            let (sig, num) = *rng.pick(&SIGNALS);
            let twice = rng.chance(4);
            // Half of them early: judging and writing take much of a whole run.
            let span = whole.as_micros() as usize * if rng.chance(2) { 3 } else { 11 } / 10;
            let delay = Duration::from_micros(rng.below(span + 1) as u64);
            let what = format!(
                "signals/run #{i}: SIG{sig}{} after {} ms",
                if twice { " twice" } else { "" },
                delay.as_millis()
            );
            let mut p = Proc::spawn(self.cmd(&Limits::default(), &["run", "--out", s(&out)]));
            std::thread::sleep(delay);
            p.signal(sig);
            if twice {
                p.signal(rng.pick(&SIGNALS).0);
            }
            let st = match p.wait(self.deadline) {
                Ok(st) => st,
                Err(e) => {
                    tally.fail(format!("{what}: {e}"));
                    continue;
                }
            };
            let log = p.log();
            if let Err(e) =
                self.judge_signalled(&out, &st, num, finished_code, twice, &log, &mut tally)
            {
                tally.fail(format!("{what}: {e}\nlog:\n{log}"));
            }
        }
        tally
    }

    /// The files and the status a signalled `run` or `proxy --sessions` left.
    #[allow(clippy::too_many_arguments)]
    fn judge_signalled(
        &self,
        out: &Path,
        st: &ExitStatus,
        signal: i32,
        finished_code: Option<i32>,
        twice: bool,
        log: &str,
        tally: &mut Tally,
    ) -> Result<(), String> {
        if log.contains("panicked") {
            return Err(format!("a panic ({})", status_words(st)));
        }
        // Only a second signal may stop the reports being written (a first one after
        // the run ended lets them be written).
        let while_writing = log.contains("while the reports were written");
        if while_writing && !twice {
            return Err(format!(
                "one signal stopped the reports being written ({})",
                status_words(st)
            ));
        }
        let report = out.join("report.json");
        match (st.code(), st.signal()) {
            (Some(130), _) => {
                // Only a signal while the reports are written may leave some unwritten.
                let r = self.check_out(out, !(twice || while_writing))?;
                match r {
                    Some(r) if !while_writing && r["interrupted"] != true => {
                        return Err("exit 130 but report.json is not marked interrupted".into());
                    }
                    _ => {}
                }
                tally.saw(if while_writing {
                    "130, second signal while the reports were written"
                } else {
                    "130, interrupted report"
                });
            }
            (Some(c), _) if Some(c) == finished_code => {
                let r = self.check_out(out, true)?.unwrap_or_default();
                if r.get("interrupted").is_some_and(|v| v == true) {
                    return Err(format!("exit {c} but the report says interrupted"));
                }
                tally.saw(if log.contains("the run has ended; writing its reports") {
                    "finished, the signal came while its reports were written"
                } else {
                    "finished before the signal"
                });
            }
            (None, Some(sig)) if sig == signal || twice => {
                // Before dmct catches signals (its first milliseconds) the default
                // action ends it: nothing may have been written then.
                if report.exists() || out.join("transcripts").exists() {
                    return Err(format!(
                        "killed by signal {sig}, yet it had written reports (after it \
                         caught signals, a signal must give exit 130)"
                    ));
                }
                tally.saw("ended by the signal before dmct caught it");
            }
            _ => return Err(format!("unexpected {}", status_words(st))),
        }
        Ok(())
    }

    /// (a) A signal at a random point of `dmct proxy --sessions` while reference clients
    /// run sessions through it; every answer a client got is in the proxy's transcripts.
    pub fn signals_proxy(&self, rng: &mut Rng, iterations: usize) -> Tally {
        let mut tally = Tally::default();
        let (_server, upstream) = self.peer_server();
        for i in 0..iterations {
            tally.runs += 1;
            let out = self.dir(&format!("signals-proxy-{i}"));
            let clients = self.dir(&format!("signals-proxy-{i}-clients"));
            std::fs::create_dir_all(&clients).expect("scratch");
            let (sig, num) = *rng.pick(&SIGNALS);
            let twice = rng.chance(4);
            let delay = Duration::from_millis(rng.below(1500) as u64);
            let what = format!(
                "signals/proxy #{i}: SIG{sig}{} after {} ms",
                if twice { " twice" } else { "" },
                delay.as_millis()
            );
            let p = Proc::spawn(self.cmd(
                &Limits::default(),
                &[
                    "proxy",
                    "--listen",
                    "127.0.0.1:0",
                    "--upstream",
                    &upstream,
                    "--sessions",
                    "100000",
                    "--out",
                    s(&out),
                ],
            ));
            let Some(line) = p.line("dmct: proxy at ", Duration::from_secs(20)) else {
                tally.fail(format!("{what}: the proxy did not start:\n{}", p.log()));
                continue;
            };
            let url = proxy_url(&line);
            let (stop, driver) = self.client_loop(&url, &clients, 2);
            std::thread::sleep(delay);
            p.signal(sig);
            if twice {
                p.signal(rng.pick(&SIGNALS).0);
            }
            let mut p = p;
            let st = p.wait(self.deadline);
            stop.store(true, Ordering::SeqCst);
            let client_failures = driver.join().unwrap_or_default();
            for f in client_failures {
                tally.fail(format!("{what}: {f}"));
            }
            let st = match st {
                Ok(st) => st,
                Err(e) => {
                    tally.fail(format!("{what}: {e}"));
                    continue;
                }
            };
            let log = p.log();
            if let Err(e) = self.judge_signalled(&out, &st, num, None, twice, &log, &mut tally) {
                tally.fail(format!("{what}: {e}\nlog:\n{log}"));
                continue;
            }
            // A second signal may stop it before the transcripts are written.
            if !twice
                && !log.contains("while the reports were written")
                && let Err(e) = answered_are_recorded(&clients, &out)
            {
                tally.fail(format!("{what}: {e}"));
            }
        }
        tally
    }

    /// Reference clients (`per_round` at once) through `url` until `stop`, each writing
    /// its transcript into `dir`; what went wrong with them (a panic, a hang).
    fn client_loop(
        &self,
        url: &str,
        dir: &Path,
        per_round: usize,
    ) -> (Arc<AtomicBool>, std::thread::JoinHandle<Vec<String>>) {
        let stop = Arc::new(AtomicBool::new(false));
        let (url, dir, dmct, deadline) = (
            url.to_owned(),
            dir.to_owned(),
            self.dmct.clone(),
            self.deadline,
        );
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut failures = Vec::new();
            let mut n = 0;
            while !flag.load(Ordering::SeqCst) {
                let mut round = Vec::new();
                for _ in 0..per_round {
                    n += 1;
                    let t = dir.join(format!("client-{n}.json"));
                    let mut c = Command::new(&dmct);
                    c.args(["peer", "client", "--url", &url, "--transcript", s(&t)]);
                    round.push(Proc::spawn(c));
                }
                for mut c in round {
                    match c.wait(deadline) {
                        Ok(st) if matches!(st.code(), Some(0 | 1)) => {}
                        Ok(st) => failures.push(format!(
                            "a reference client ended with {}:\n{}",
                            status_words(&st),
                            c.log()
                        )),
                        Err(e) => failures.push(format!("a reference client: {e}")),
                    }
                }
            }
            failures
        });
        (stop, handle)
    }
}
