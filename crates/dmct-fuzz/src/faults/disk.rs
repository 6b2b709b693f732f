//! A full disk and an unwritable `--out`: the report is whole or refused, never cut.

use super::*;

impl Harness {
    /// (b) A full disk: a file-size limit (always) and a small tmpfs (when mounting is
    /// permitted). dmct exits non-zero naming the file; no report.json is truncated.
    pub fn full_disk(&self, rng: &mut Rng, iterations: usize) -> Tally {
        let mut tally = Tally::default();
        // The sizes of an untouched run's files, to cut inside each of them.
        let base = self.dir("full-disk-base");
        let mut p = Proc::spawn(self.cmd(
            &Limits::default(),
            &["run", "--seed", "2", "--out", s(&base)],
        ));
        if let Err(e) = p.wait(self.deadline) {
            tally.fail(format!("full-disk: the untouched run: {e}"));
            return tally;
        }
        let mut sizes: Vec<u64> = walk_files(&base)
            .iter()
            .filter_map(|f| f.metadata().ok().map(|m| m.len()))
            .collect();
        sizes.sort_unstable();
        for i in 0..iterations {
            // Below the probe file, inside the transcripts, around each report.
            let size = match i % 3 {
                0 => 1 + rng.below(64) as u64,
                _ => {
                    let s = *rng.pick(&sizes);
                    (s / 2 + rng.below(s as usize + 1) as u64).max(512)
                }
            };
            // Half the time over a previous whole run: it must survive whole.
            let previous = rng.chance(2);
            let out = self.dir(&format!("full-disk-fsize-{i}"));
            if previous {
                copy_dir(&base, &out);
            }
            tally.runs += 1;
            let what = format!(
                "full-disk/fsize #{i}: {size} B{}",
                if previous { " over a previous run" } else { "" }
            );
            let limits = Limits {
                fsize: Some(size),
                ..Limits::default()
            };
            let mut p = Proc::spawn(self.cmd(&limits, &["run", "--seed", "2", "--out", s(&out)]));
            let r = p
                .wait(self.deadline)
                .and_then(|st| self.judge_full(&out, &st, &p.log(), previous, &mut tally));
            if let Err(e) = r {
                tally.fail(format!("{what}: {e}"));
            }
        }
        match Mount::tmpfs(&self.dir("full-disk-tmpfs-probe"), 16 * 1024) {
            Err(why) => tally
                .skipped
                .push(format!("full-disk/tmpfs: mount refused ({why})")),
            Ok(m) => {
                drop(m);
                for i in 0..iterations.div_ceil(2) {
                    let kib = [16u64, 64, 256, 1024][i % 4] + rng.below(64) as u64;
                    let dir = self.dir(&format!("full-disk-tmpfs-{i}"));
                    let mount = match Mount::tmpfs(&dir, kib * 1024) {
                        Ok(m) => m,
                        Err(e) => {
                            tally.fail(format!("full-disk/tmpfs #{i}: {e}"));
                            continue;
                        }
                    };
                    tally.runs += 1;
                    let out = dir.join("out");
                    let mut p = Proc::spawn(self.cmd(
                        &Limits::default(),
                        &["run", "--seed", "2", "--out", s(&out)],
                    ));
                    let r = p
                        .wait(self.deadline)
                        .and_then(|st| self.judge_full(&out, &st, &p.log(), false, &mut tally));
                    if let Err(e) = r {
                        tally.fail(format!("full-disk/tmpfs #{i}: {kib} KiB: {e}"));
                    }
                    drop(mount);
                }
            }
        }
        tally
    }

    fn judge_full(
        &self,
        out: &Path,
        st: &ExitStatus,
        log: &str,
        previous: bool,
        tally: &mut Tally,
    ) -> Result<(), String> {
        if log.contains("panicked") || st.code().is_none_or(|c| c == 101) {
            return Err(format!("{}: {log}", status_words(st)));
        }
        // Whatever is there is whole; over a previous run, report.json stays; a failed
        // write removes its temporary file.
        let r = self.check_out(out, previous)?;
        if let Some(t) = walk_files(out)
            .iter()
            .find(|f| f.to_string_lossy().contains(".tmp-"))
        {
            return Err(format!("a temporary file was left: {}", t.display()));
        }
        if st.success() || r.is_some() && st.code() != Some(2) && !previous {
            // The limit was not reached: the run finished.
            if r.is_none() {
                return Err(format!("{} and no report.json", status_words(st)));
            }
            tally.saw("full disk: the limit was not reached");
            return Ok(());
        }
        if st.code() != Some(2) {
            return Err(format!(
                "{} (a harness error is exit 2): {log}",
                status_words(st)
            ));
        }
        let line = log
            .lines()
            .find(|l| l.starts_with("dmct: error:"))
            .ok_or_else(|| format!("no error message: {log}"))?;
        if !line.contains(s(out)) {
            return Err(format!("the message does not name the file: {line}"));
        }
        if !line.contains("cannot") {
            return Err(format!("the message does not say what failed: {line}"));
        }
        // In words, once (not the OS's text after it).
        if line.contains("(os error") {
            return Err(format!("the reason is not in words: {line}"));
        }
        tally.saw("full disk: exit 2 naming the file");
        Ok(())
    }

    /// (c) `--out` that cannot be written: a read-only bind mount (when mounting is
    /// permitted), a path under /proc and /sys, a regular file. Exit 2 with the reason,
    /// nothing run, nothing written.
    pub fn read_only_out(&self) -> Tally {
        let mut tally = Tally::default();
        let file = self.dir("read-only-file");
        std::fs::create_dir_all(&file).expect("scratch");
        let file = file.join("a-file");
        std::fs::write(&file, "not a directory").expect("scratch");
        let mut places: Vec<(String, PathBuf)> = vec![
            ("a file".into(), file.clone()),
            ("a file's child".into(), file.join("sub")),
        ];
        // Only where they are the kernel's (a container may lack them: root could then
        // write there).
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
        for (fs, dir, place) in [
            ("proc", "/proc", "/proc/dmct-fault-test"),
            ("sysfs", "/sys", "/sys/kernel"),
        ] {
            if mounts
                .lines()
                .any(|l| l.split(' ').nth(1) == Some(dir) && l.split(' ').nth(2) == Some(fs))
            {
                places.push((dir.into(), PathBuf::from(place)));
            } else {
                tally
                    .skipped
                    .push(format!("read-only/{dir}: no {fs} mounted there"));
            }
        }
        let ro = self.dir("read-only-mount");
        std::fs::create_dir_all(&ro).expect("scratch");
        let mount = match Mount::read_only(&ro) {
            Ok(m) => {
                places.push(("a read-only mount".into(), ro.clone()));
                places.push(("below a read-only mount".into(), ro.join("sub")));
                Some(m)
            }
            Err(why) => {
                tally
                    .skipped
                    .push(format!("read-only/bind mount: mount refused ({why})"));
                None
            }
        };
        let before = listing(&ro);
        for (what, place) in &places {
            let o = s(place);
            for args in [
                vec!["run", "--out", o],
                vec!["run", "--serve", "127.0.0.1:0", "--wait", "1", "--out", o],
                vec!["proxy", "--upstream", "http://127.0.0.1:9/", "--out", o],
            ] {
                tally.runs += 1;
                let mut p = Proc::spawn(self.cmd(&Limits::default(), &args));
                let r = p.wait(self.deadline).and_then(|st| {
                    let log = p.log();
                    if st.code() != Some(2) {
                        return Err(format!("{} (want exit 2): {log}", status_words(&st)));
                    }
                    if !log.contains("--out cannot take the reports") || !log.contains(o) {
                        return Err(format!("no clear reason naming {o}: {log}"));
                    }
                    if log.contains("listening") || log.contains("proxy at") {
                        return Err(format!("it ran anyway: {log}"));
                    }
                    Ok(())
                });
                match r {
                    Ok(()) => tally.saw("read-only: exit 2 with the reason"),
                    Err(e) => tally.fail(format!("read-only/{what}: {args:?}: {e}")),
                }
            }
        }
        if std::fs::read_to_string(&file).ok().as_deref() != Some("not a directory") {
            tally.fail("read-only/a file: the file was changed");
        }
        drop(mount);
        if listing(&ro) != before {
            tally.fail("read-only/bind mount: something was written below it");
        }
        if Path::new("/proc/dmct-fault-test").exists() {
            tally.fail("read-only//proc: a directory appeared");
        }
        tally
    }
}

/// A mount made for a check, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, bytes: u64) -> Result<Mount, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        mount(&[
            "-t",
            "tmpfs",
            "-o",
            &format!("size={bytes}"),
            "tmpfs",
            s(dir),
        ])?;
        Ok(Mount(dir.to_owned()))
    }

    fn read_only(dir: &Path) -> Result<Mount, String> {
        mount(&["--bind", s(dir), s(dir)])?;
        let m = Mount(dir.to_owned());
        mount(&["-o", "remount,bind,ro", s(dir)])?;
        Ok(m)
    }
}

fn mount(args: &[&str]) -> Result<(), String> {
    let o = Command::new("mount")
        .args(args)
        .output()
        .map_err(|e| format!("mount: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).trim().to_owned())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}
