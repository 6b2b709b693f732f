//! Connections dropped at each exchange boundary by a relay, around dmct's client and
//! around the proxy's upstream.

use super::*;

impl Harness {
    /// (e) The connection dropped at each exchange boundary: before the k-th request
    /// reaches the server, after it but before its answer, and partway through the
    /// answer; between `dmct run --target-server` and a server, and between the proxy and
    /// its upstream. Reports valid, an affected case never passes, no answered exchange
    /// missing.
    pub fn dropped_connections(&self, cases: &[&str], max_k: Option<usize>) -> Tally {
        let mut tally = Tally::default();
        let (_server, upstream) = self.peer_server();
        let up_addr = addr_of(&upstream);
        // How many requests an untouched run makes.
        let count_requests = |cut: Option<Cut>, out: &Path| {
            let relay = Relay::start(&up_addr, cut);
            let url = format!("http://{}/dm", relay.addr);
            let mut args = vec!["run", "--target-server", &url, "--seed", "4"];
            for c in cases {
                args.extend(["--case", c]);
            }
            args.extend(["--out", s(out)]);
            let mut p = Proc::spawn(self.cmd(&Limits::default(), &args));
            let st = p.wait(self.deadline);
            (st, p.log(), relay.requests(), relay.answered())
        };
        let base = self.dir("dropped-base");
        let (st, log, turns, answered) = count_requests(None, &base);
        // Every answer but the probe's is an exchange of a case.
        match answered_in(&base) {
            Ok(n) if n + 1 == answered => {}
            Ok(n) => tally.fail(format!(
                "dropped/run: the untouched run: {n} answered exchanges in its transcripts, \
                 {answered} answers went through (one the probe's)"
            )),
            Err(e) => tally.fail(format!("dropped/run: the untouched run: {e}")),
        }
        if let Err(e) = st.map_err(|e| e.to_string()).and_then(|st| {
            if st.code() == Some(0) {
                Ok(())
            } else {
                Err(format!("{}: {log}", status_words(&st)))
            }
        }) {
            tally.fail(format!("dropped/run: the untouched run: {e}"));
            return tally;
        }
        let turns = max_k.map_or(turns, |m| turns.min(m));
        self.note(&format!("dropped/run: {turns} requests to cut"));
        for k in 1..=turns {
            for how in [CutAt::BeforeRequest, CutAt::BeforeAnswer, CutAt::InAnswer] {
                tally.runs += 1;
                let out = self.dir(&format!("dropped-run-{k}-{how:?}"));
                let cut = Cut {
                    request: k,
                    at: how,
                };
                let (st, log, _, answered) = count_requests(Some(cut), &out);
                let what = format!("dropped/run: request {k}, {how:?}");
                let r = st
                    .and_then(|st| self.judge_dropped(&out, &st, &log, k == 1, &mut tally))
                    .and_then(|()| match answered_in(&out) {
                        // No answered exchange is missing (the probe's is in none).
                        Ok(n) if k > 1 && n + 1 < answered => Err(format!(
                            "{answered} answers went through (one the probe's), only {n} \
                             answered exchanges are in the transcripts"
                        )),
                        Ok(_) => Ok(()),
                        Err(e) => Err(e),
                    });
                if let Err(e) = r {
                    tally.fail(format!("{what}: {e}"));
                }
            }
        }
        // The proxy, with the relay between it and the upstream.
        let clients = self.dir("dropped-proxy-clients");
        std::fs::create_dir_all(&clients).expect("scratch");
        let mut proxy_turns = usize::MAX;
        let mut k = 0;
        while k <= proxy_turns.min(max_k.unwrap_or(usize::MAX)) {
            let cuts: &[Option<CutAt>] = if k == 0 {
                &[None]
            } else {
                &[
                    Some(CutAt::BeforeRequest),
                    Some(CutAt::BeforeAnswer),
                    Some(CutAt::InAnswer),
                ]
            };
            for how in cuts {
                tally.runs += 1;
                let relay = Relay::start(&up_addr, how.map(|at| Cut { request: k, at }));
                let out = self.dir(&format!("dropped-proxy-{k}-{how:?}"));
                let what = format!("dropped/proxy: request {k}, {how:?}");
                let mut p = Proc::spawn(self.cmd(
                    &Limits::default(),
                    &[
                        "proxy",
                        "--listen",
                        "127.0.0.1:0",
                        "--upstream",
                        &format!("http://{}/dm", relay.addr),
                        "--out",
                        s(&out),
                    ],
                ));
                let Some(line) = p.line("dmct: proxy at ", Duration::from_secs(20)) else {
                    tally.fail(format!("{what}: the proxy did not start: {}", p.log()));
                    continue;
                };
                let t = clients.join(format!("client-{k}-{how:?}.json"));
                let mut c = Command::new(&self.dmct);
                c.args([
                    "peer",
                    "client",
                    "--url",
                    &proxy_url(&line),
                    "--transcript",
                    s(&t),
                ]);
                let mut c = Proc::spawn(c);
                let r = c.wait(self.deadline).and_then(|st| match st.code() {
                    Some(0) if how.is_some() => {
                        Err("the client's session ended well through a cut".into())
                    }
                    Some(0 | 1) => Ok(()),
                    _ => Err(format!("the client: {}: {}", status_words(&st), c.log())),
                });
                if let Err(e) = r {
                    tally.fail(format!("{what}: {e}"));
                }
                if how.is_none() {
                    proxy_turns = relay.requests();
                    self.note(&format!("dropped/proxy: {proxy_turns} requests to cut"));
                }
                // Without --sessions a signal is how the proxy stops.
                p.signal("TERM");
                let r = p.wait(self.deadline).and_then(|st| {
                    if !matches!(st.code(), Some(0..=3)) || p.log().contains("panicked") {
                        return Err(format!("{}: {}", status_words(&st), p.log()));
                    }
                    let r = self.check_out(&out, true)?.ok_or("no report.json")?;
                    // The upstream dropped it: the server's case, and the client's too,
                    // whose session was not all seen (what it did broke no rule, so it
                    // is inconclusive, never a pass).
                    if how.is_some() {
                        not_passed_where_cut(&out, &r, &["server", "client"])?;
                        upstream_blamed(&r)?;
                    }
                    let one = clients.join(format!("one-{k}"));
                    let _ = std::fs::remove_dir_all(&one);
                    std::fs::create_dir_all(&one).map_err(|e| e.to_string())?;
                    if t.exists() {
                        std::fs::copy(&t, one.join("client.json")).map_err(|e| e.to_string())?;
                    }
                    answered_are_recorded(&one, &out)
                });
                match r {
                    Ok(()) => tally.saw("dropped/proxy: valid report"),
                    Err(e) => tally.fail(format!("{what}: {e}")),
                }
            }
            k += 1;
        }
        tally
    }

    fn judge_dropped(
        &self,
        out: &Path,
        st: &ExitStatus,
        log: &str,
        probe: bool,
        tally: &mut Tally,
    ) -> Result<(), String> {
        if log.contains("panicked") || st.code().is_none_or(|c| c == 101) {
            return Err(format!("{}: {log}", status_words(st)));
        }
        if st.code() == Some(0) {
            return Err(format!("exit 0 though a connection was dropped: {log}"));
        }
        // The first request is the probe, before any case: refused with its reason.
        if probe && !out.join("report.json").exists() {
            if st.code() != Some(2) || !log.contains("dmct:") {
                return Err(format!(
                    "{} without a report or a reason: {log}",
                    status_words(st)
                ));
            }
            tally.saw("dropped: the probe's connection dropped, exit 2 with the reason");
            return Ok(());
        }
        let r = self.check_out(out, true)?.ok_or("no report.json")?;
        not_passed_where_cut(out, &r, &["server"])?;
        tally.saw(format!("dropped: report, {}", status_words(st)));
        Ok(())
    }
}

/// Where the relay drops the connection of the k-th request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutAt {
    /// The request arrived; the server never sees it.
    BeforeRequest,
    /// The server got the request; its answer is never passed on.
    BeforeAnswer,
    /// Part of the answer (its first 20 bytes) is passed on, then the connection drops.
    InAnswer,
}

#[derive(Debug, Clone, Copy)]
pub struct Cut {
    /// 1-based, over every connection through the relay.
    pub request: usize,
    pub at: CutAt,
}

/// A TCP relay to `upstream` that counts requests (a request starts when the client
/// sends after the server spoke, or on a fresh connection) and drops the connection once
/// at `cut`; every other connection passes untouched.
struct Relay {
    addr: String,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
}

/// What went through a relay: requests begun, answers passed on whole (the client went
/// on to its next request or closed after it), connections still open.
#[derive(Default)]
struct Counts {
    requests: AtomicUsize,
    answered: AtomicUsize,
    open: AtomicUsize,
}

impl Relay {
    fn start(upstream: &str, cut: Option<Cut>) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("relay binds");
        let addr = listener.local_addr().expect("bound").to_string();
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (up, c, flag) = (upstream.to_owned(), counts.clone(), stop.clone());
        listener.set_nonblocking(true).expect("nonblocking");
        std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (up, c) = (up.clone(), c.clone());
                        c.open.fetch_add(1, Ordering::SeqCst);
                        std::thread::spawn(move || {
                            relay_one(client, &up, &c, cut);
                            c.open.fetch_sub(1, Ordering::SeqCst);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Relay { addr, counts, stop }
    }

    fn requests(&self) -> usize {
        self.counts.requests.load(Ordering::SeqCst)
    }

    /// Answers passed on whole, once every connection has ended (the client is gone).
    fn answered(&self) -> usize {
        let end = Instant::now() + Duration::from_secs(5);
        while self.counts.open.load(Ordering::SeqCst) > 0 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.counts.answered.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One connection, turn by turn: the client's bytes until it waits, then the server's.
fn relay_one(mut client: TcpStream, upstream: &str, counts: &Counts, cut: Option<Cut>) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = client.set_read_timeout(Some(Duration::from_millis(5)));
    let _ = server.set_read_timeout(Some(Duration::from_millis(5)));
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_client = false;
    let mut this: Option<usize> = None;
    let mut answered = 0usize;
    let mut idle_since = Instant::now();
    // The answer to the current request went on whole: the client moved on.
    let answered_whole = |last_client: bool, this: Option<usize>| {
        if !last_client && this.is_some() {
            counts.answered.fetch_add(1, Ordering::SeqCst);
        }
    };
    loop {
        match client.read(&mut buf) {
            Ok(0) => return answered_whole(last_client, this),
            Ok(n) => {
                if !last_client {
                    answered_whole(last_client, this);
                    let k = counts.requests.fetch_add(1, Ordering::SeqCst) + 1;
                    this = Some(k);
                    answered = 0;
                    last_client = true;
                }
                if cut.is_some_and(|c| Some(c.request) == this && c.at == CutAt::BeforeRequest) {
                    return;
                }
                if server.write_all(&buf[..n]).is_err() {
                    return;
                }
                idle_since = Instant::now();
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) => return,
        }
        match server.read(&mut buf) {
            Ok(0) => return answered_whole(last_client, this),
            Ok(n) => {
                last_client = false;
                let c = cut.filter(|c| Some(c.request) == this);
                match c.map(|c| c.at) {
                    Some(CutAt::BeforeAnswer) => return,
                    Some(CutAt::InAnswer) => {
                        let keep = 20usize.saturating_sub(answered).min(n);
                        let _ = client.write_all(&buf[..keep]);
                        answered += keep;
                        if answered >= 20 || keep < n {
                            return;
                        }
                    }
                    _ => {
                        if client.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                }
                idle_since = Instant::now();
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) => return,
        }
        // Ends a connection both sides left idle for long (they have their own timeouts).
        if idle_since.elapsed() > Duration::from_secs(120) {
            return;
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}
