//! Ctrl-C, SIGTERM and SIGHUP during `run` and `proxy`: the first stops the run and lets
//! the CLI write the reports of what happened so far (exit 130); a second one, while
//! they are being written, exits at once. Reports are written by rename
//! (`output::write_atomic`), so every file left is whole either way.

use anyhow::{Context, Result};
use std::future::Future;
use tokio::sync::mpsc;

/// The status a shell reports for a process stopped by Ctrl-C (128 + SIGINT); dmct
/// uses it for every interrupting signal, as its reports are written alike.
pub const INTERRUPTED: u8 = dmct_suite::exit::Exit::Interrupted.code();

/// The interrupting signals, caught from now on (they no longer kill the process).
pub struct Signals(mpsc::UnboundedReceiver<&'static str>);

impl Signals {
    /// Catch the signals. Call it before telling anyone the run has started, so a
    /// signal sent on that word is never the default one that kills.
    pub fn catch() -> Result<Signals> {
        let (tx, rx) = mpsc::unbounded_channel();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            for (kind, name) in [
                (SignalKind::interrupt(), "SIGINT"),
                (SignalKind::terminate(), "SIGTERM"),
                (SignalKind::hangup(), "SIGHUP"),
            ] {
                let mut s = signal(kind).with_context(|| format!("cannot catch {name}"))?;
                let tx = tx.clone();
                tokio::spawn(async move {
                    while s.recv().await.is_some() {
                        if tx.send(name).is_err() {
                            break;
                        }
                    }
                });
            }
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if tx.send("Ctrl-C").is_err() {
                    break;
                }
            }
        });
        Ok(Signals(rx))
    }

    /// The next signal's name.
    pub async fn next(&mut self) -> &'static str {
        // The senders live as long as the runtime; a closed channel never ends a run.
        match self.0.recv().await {
            Some(name) => name,
            None => std::future::pending().await,
        }
    }

    /// Run `work` to its end, or until a signal: then `Err(signal name)`, and `work`
    /// is dropped where it stood.
    pub async fn race<T>(&mut self, work: impl Future<Output = T>) -> Result<T, &'static str> {
        tokio::select! {
            // The work first: its first poll registers the case it starts, so a signal
            // already waiting still finds that case to mark stopped.
            biased;
            t = work => Ok(t),
            name = self.next() => Err(name),
        }
    }

    /// From now on (the reports are being written), a second signal ends the process
    /// at once with [`INTERRUPTED`]. `signalled`: a signal already stopped the run, so the
    /// next is the second; else the first one lets the reports of the run that ended be
    /// written (exiting at once then lost a whole run's report).
    pub fn exit_on_next(mut self, signalled: bool) {
        tokio::spawn(async move {
            if !signalled {
                let name = self.next().await;
                eprintln!(
                    "dmct: {name}: the run has ended; writing its reports (a second signal \
                     exits at once)"
                );
            }
            let name = self.next().await;
            eprintln!(
                "dmct: {name} while the reports were written: stopping now; the files \
                 already written are whole"
            );
            std::process::exit(i32::from(INTERRUPTED));
        });
    }
}

/// What the operator reads when a signal stops a run.
pub fn announce(signal: &str) {
    eprintln!(
        "dmct: {signal}: stopping; writing the reports of what happened so far \
         (the case that was running is inconclusive; a second signal exits at once)"
    );
}
