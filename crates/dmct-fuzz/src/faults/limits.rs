//! Tight process limits (descriptors, address space), and too few descriptors for
//! dmct's own sockets: a harness limit named, never a failure blamed on the peer.

use super::*;

impl Harness {
    /// (d) Few file descriptors, little address space or data: the run completes with a
    /// valid report or fails with a clear message; never a panic, a crash or a hang.
    pub fn tight_limits(&self, rng: &mut Rng, iterations: usize) -> Tally {
        let mut tally = Tally::default();
        let (_server, upstream) = self.peer_server();
        let nofile = |n| Limits {
            nofile: Some(n),
            ..Limits::default()
        };
        // Too few descriptors to start (a clear refusal), and enough to run; memory
        // tight but workable.
        let choices = [
            nofile(6),
            nofile(7),
            nofile(8),
            nofile(16),
            nofile(64),
            Limits {
                address_space: Some(64 << 20),
                ..Limits::default()
            },
            Limits {
                address_space: Some(96 << 20),
                ..Limits::default()
            },
            Limits {
                data: Some(16 << 20),
                ..Limits::default()
            },
            Limits {
                data: Some(32 << 20),
                ..Limits::default()
            },
        ];
        for i in 0..iterations {
            let limits = if i < choices.len() {
                choices[i].clone()
            } else {
                rng.pick(&choices).clone()
            };
            let lim = limits.describe();
            // The built-in run, then the proxy with one session through it.
            tally.runs += 1;
            let out = self.dir(&format!("limits-run-{i}"));
            let mut p = Proc::spawn(self.cmd(&limits, &["run", "--seed", "3", "--out", s(&out)]));
            let r = p
                .wait(self.deadline)
                .and_then(|st| self.judge_limited(&out, &st, &p.log(), &limits, &mut tally));
            if let Err(e) = r {
                tally.fail(format!("limits/run #{i} ({lim}): {e}"));
            }
            tally.runs += 1;
            let out = self.dir(&format!("limits-proxy-{i}"));
            let p = Proc::spawn(self.cmd(
                &limits,
                &[
                    "proxy",
                    "--listen",
                    "127.0.0.1:0",
                    "--upstream",
                    &upstream,
                    "--sessions",
                    "1",
                    "--out",
                    s(&out),
                ],
            ));
            let mut p = p;
            if let Some(line) = p.line("dmct: proxy at ", Duration::from_secs(20)) {
                let mut c = Command::new(&self.dmct);
                c.args(["peer", "client", "--url", &proxy_url(&line)]);
                let mut c = Proc::spawn(c);
                if let Err(e) = c.wait(self.deadline) {
                    tally.fail(format!("limits/proxy #{i} ({lim}): the client: {e}"));
                }
                // A session the proxy could not relay may never end: then it is stopped.
                if p.wait(Duration::from_secs(5)).is_err() {
                    tally.saw("limits: the proxy stopped by a signal");
                }
            }
            let r = p.wait(self.deadline).and_then(|st| {
                if st.signal() == Some(9) {
                    // Killed above as a stuck session: its files must still be whole.
                    return self.check_out(&out, false).map(|_| ());
                }
                self.judge_limited(&out, &st, &p.log(), &limits, &mut tally)
            });
            if let Err(e) = r {
                tally.fail(format!("limits/proxy #{i} ({lim}): {e}"));
            }
        }
        tally
    }

    /// (d') Descriptors enough to start but not for dmct's own loopback sessions (its
    /// listener cannot accept, or its client cannot open a socket): a valid report, no
    /// case failed, and every case not passed says it was dmct's limit (`ulimit -n`),
    /// not a timeout or the peer's silence.
    pub fn own_descriptors(&self, nofiles: &[u64]) -> Tally {
        let mut tally = Tally::default();
        for &n in nofiles {
            tally.runs += 1;
            let limits = Limits {
                nofile: Some(n),
                ..Limits::default()
            };
            let out = self.dir(&format!("descriptors-{n}"));
            let args = [
                "run",
                "--seed",
                "3",
                "--case",
                "session/get-replace",
                "--case",
                "auth/accept-200",
                "--out",
                s(&out),
            ];
            let mut p = Proc::spawn(self.cmd(&limits, &args));
            let r = p.wait(self.deadline).and_then(|st| {
                if p.log().contains("panicked") || st.code().is_none_or(|c| c == 101) {
                    return Err(format!("{}: {}", status_words(&st), p.log()));
                }
                let Some(report) = self.check_out(&out, false)? else {
                    // Too few to start at all: refused in words before anything ran.
                    if st.code() == Some(2) && p.log().contains("dmct: error:") {
                        tally.saw("descriptors: refused with a message");
                        return Ok(());
                    }
                    return Err(format!("{} and no report: {}", status_words(&st), p.log()));
                };
                own_limit_named(&report)?;
                tally.saw(format!(
                    "descriptors: report naming the limit, {}",
                    status_words(&st)
                ));
                Ok(())
            });
            if let Err(e) = r {
                tally.fail(format!("descriptors (nofile {n}): {e}"));
            }
        }
        // The proxy with descriptors for one connection at a time: the device's next
        // request is refused at dmct's limit, unread, so its session's silence is dmct's.
        let (_server, upstream) = self.peer_server();
        for &n in nofiles {
            tally.runs += 1;
            let limits = Limits {
                nofile: Some(n + 4),
                ..Limits::default()
            };
            let out = self.dir(&format!("descriptors-proxy-{n}"));
            let args = [
                "proxy",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                &upstream,
                "--sessions",
                "1",
                "--idle",
                "2",
                "--out",
                s(&out),
            ];
            let mut p = Proc::spawn(self.cmd(&limits, &args));
            let Some(line) = p.line("dmct: proxy at ", Duration::from_secs(20)) else {
                // Too few to start: a refusal in words, judged as for the run.
                let r = p.wait(self.deadline).and_then(|st| {
                    if st.code() == Some(2) && p.log().contains("dmct: error:") {
                        tally.saw("descriptors/proxy: refused with a message");
                        Ok(())
                    } else {
                        Err(format!("{}: {}", status_words(&st), p.log()))
                    }
                });
                if let Err(e) = r {
                    tally.fail(format!("descriptors/proxy (nofile {}): {e}", n + 4));
                }
                continue;
            };
            let mut c = Command::new(&self.dmct);
            c.args(["peer", "client", "--url", &proxy_url(&line)]);
            let mut c = Proc::spawn(c);
            let _ = c.wait(self.deadline);
            // The session ends in silence (--idle 2), whoever's: the proxy then exits.
            let r = p.wait(self.deadline).and_then(|st| {
                if p.log().contains("panicked") || st.code().is_none_or(|c| c == 101) {
                    return Err(format!("{}: {}", status_words(&st), p.log()));
                }
                let report = self.check_out(&out, true)?.ok_or("no report.json")?;
                no_case_failed(&report)?;
                tally.saw("descriptors/proxy: report, no case failed");
                Ok(())
            });
            if let Err(e) = r {
                tally.fail(format!("descriptors/proxy (nofile {}): {e}", n + 4));
            }
        }
        tally
    }

    fn judge_limited(
        &self,
        out: &Path,
        st: &ExitStatus,
        log: &str,
        limits: &Limits,
        tally: &mut Tally,
    ) -> Result<(), String> {
        // Rust aborts when an allocation fails; with little memory that may happen
        // (never a panic), and every file left must still be whole.
        let memory = limits.address_space.is_some() || limits.data.is_some();
        if memory && st.signal() == Some(6) && log.contains("memory allocation of") {
            self.check_out(out, false)?;
            tally.saw(format!(
                "limits: out of memory ({}), aborted naming the allocation",
                limits.describe()
            ));
            return Ok(());
        }
        if log.contains("panicked") || st.code().is_none_or(|c| c == 101) {
            return Err(format!("{}: {log}", status_words(st)));
        }
        match self.check_out(out, false)? {
            Some(_) => tally.saw(format!("limits: report written, {}", status_words(st))),
            None => {
                if st.code() != Some(2) || !log.contains("dmct: error:") {
                    return Err(format!(
                        "{} without a report or a clear message: {log}",
                        status_words(st)
                    ));
                }
                tally.saw("limits: refused with a message");
            }
        }
        Ok(())
    }
}
