//! What the client does with the server's commands: Get, Replace, Add, Delete, Copy,
//! Exec, Atomic (all or nothing), Sequence, and objects that arrive in chunks.

use super::*;

impl Client {
    /// Execute one server command, appending its Status (and Results for Get) to `out`.
    pub(super) fn execute(&mut self, msg_id: &str, cmd: &Command, out: &mut Vec<Command>) {
        if let Command::Add(c) | Command::Replace(c) = cmd
            && (self.chunk.is_some()
                || self.refused_object.is_some()
                || c.items.iter().any(|i| i.extras.more_data))
        {
            return self.chunked(msg_id, cmd, c, out);
        }
        let next_message = cmd
            .as_alert()
            .is_some_and(|a| a.data.as_deref().map(str::trim) == Some(alert_code::NEXT_MESSAGE));
        if cmd.is_operation() && !next_message {
            self.abandon_chunk(out);
        }
        match cmd {
            Command::Status(_) | Command::Results(_) => {}
            Command::Atomic(c) => {
                self.atomic(msg_id, cmd, c, out);
            }
            Command::Sequence(c) => {
                self.sequence(msg_id, cmd, c, out);
            }
            _ => {
                let (code, results) = self.run(cmd);
                answer(msg_id, cmd, code, results, out);
            }
        }
    }

    /// Sequence: in order; once one command fails the rest are not executed (215). The
    /// Sequence itself was carried out, so its Status is 200. Returns false on a failure.
    pub(super) fn sequence(
        &mut self,
        msg_id: &str,
        cmd: &Command,
        c: &Container,
        out: &mut Vec<Command>,
    ) -> bool {
        if !c.no_resp {
            out.push(build::command_status(msg_id, cmd, 200));
        }
        let mut ok = true;
        for inner in &c.commands {
            if !ok {
                answer(msg_id, inner, 215, Vec::new(), out);
                continue;
            }
            ok = match inner {
                Command::Atomic(a) => self.atomic(msg_id, inner, a, out),
                Command::Sequence(s) => self.sequence(msg_id, inner, s, out),
                _ => {
                    let (code, results) = self.run(inner);
                    answer(msg_id, inner, code, results, out);
                    succeeded(code)
                }
            };
        }
        ok
    }

    /// Atomic: all or nothing. On any failure the tree is restored, the Atomic gets 507,
    /// the failed commands keep their codes and the others get 216 (rolled back). Get and
    /// a nested Atomic are not allowed inside (500). Returns false on a failure.
    pub(super) fn atomic(
        &mut self,
        msg_id: &str,
        cmd: &Command,
        c: &Container,
        out: &mut Vec<Command>,
    ) -> bool {
        let before = self.tree.clone();
        let mut inner_out = Vec::new();
        let mut ok = true;
        for inner in &c.commands {
            let step_ok = match inner {
                Command::Get(_) | Command::Atomic(_) => {
                    answer(msg_id, inner, 500, Vec::new(), &mut inner_out);
                    false
                }
                Command::Sequence(s) => self.sequence(msg_id, inner, s, &mut inner_out),
                _ => {
                    let (code, results) = self.run(inner);
                    answer(msg_id, inner, code, results, &mut inner_out);
                    succeeded(code)
                }
            };
            ok &= step_ok;
        }
        if !ok && !self.config.faults.contains(&ClientFault::AtomicNoRollback) {
            self.tree = before;
            for r in &mut inner_out {
                if let Command::Status(s) = r
                    && s.code().is_some_and(succeeded)
                {
                    s.data = "216".into();
                }
            }
        }
        if !c.no_resp {
            out.push(build::command_status(
                msg_id,
                cmd,
                if ok { 200 } else { 507 },
            ));
        }
        out.extend(inner_out);
        ok
    }

    /// An Add or Replace while a large object is arriving, or its first chunk: buffer
    /// chunks (213), assemble on the last, check the announced Size (424) and
    /// MaxObjSize (413), then execute the whole object (DM Protocol §2.2).
    pub(super) fn chunked(
        &mut self,
        msg_id: &str,
        cmd: &Command,
        c: &ItemCmd,
        out: &mut Vec<Command>,
    ) {
        let Some(item) = c.items.first() else {
            return answer(msg_id, cmd, 400, Vec::new(), out);
        };
        let uri = target(item).to_owned();
        if self.chunk.as_ref().is_some_and(|ch| ch.target != uri) {
            self.abandon_chunk(out);
        }
        if self.refused_object.as_ref().is_some_and(|r| *r != uri) {
            self.refused_object = None;
        }
        let text = item.data.as_ref().and_then(Data::as_text).unwrap_or("");
        if self.refused_object.is_some() {
            if !item.extras.more_data {
                self.refused_object = None;
            }
            return answer(msg_id, cmd, 413, Vec::new(), out);
        }
        if self.chunk.is_none() {
            if !item.extras.more_data {
                // Not a chunk after all: a plain command.
                let (code, results) = self.run(cmd);
                return answer(msg_id, cmd, code, results, out);
            }
            let size = item
                .meta
                .as_deref()
                .or(c.extras.meta.as_ref())
                .and_then(|m| m.size.as_deref())
                .and_then(|v| v.trim().parse::<usize>().ok());
            let too_big = match (self.config.max_obj_size, size) {
                (None, _) => true,
                (Some(max), Some(n)) => n > max as usize,
                (Some(_), None) => false,
            };
            if too_big {
                self.refused_object = Some(uri);
                return answer(msg_id, cmd, 413, Vec::new(), out);
            }
            self.chunk = Some(Chunk {
                target: uri,
                data: String::new(),
                size,
            });
        }
        let Some(ch) = self.chunk.as_mut() else {
            return;
        };
        ch.data.push_str(text);
        if item.extras.more_data {
            return answer(msg_id, cmd, 213, Vec::new(), out);
        }
        let Some(ch) = self.chunk.take() else {
            return;
        };
        if ch.size.is_some_and(|n| n != ch.data.len()) {
            return answer(msg_id, cmd, 424, Vec::new(), out);
        }
        let mut whole = cmd.clone();
        if let Command::Add(w) | Command::Replace(w) = &mut whole
            && let Some(i) = w.items.first_mut()
        {
            i.data = Some(Data::Text(ch.data));
            i.extras.more_data = false;
        }
        let (code, results) = self.run(&whole);
        answer(msg_id, cmd, code, results, out);
    }

    /// A new command came before the last chunk of a large object: drop what was
    /// buffered and say so with Alert 1225, naming the object.
    pub(super) fn abandon_chunk(&mut self, out: &mut Vec<Command>) {
        self.refused_object = None;
        if let Some(ch) = self.chunk.take() {
            out.push(Command::alert(Alert {
                data: Some("1225".into()),
                items: vec![Item {
                    target: Some(LocRef::uri(ch.target)),
                    ..Default::default()
                }],
                ..Default::default()
            }));
        }
    }

    /// Carry out one plain command: its Status code and the Items of its Results.
    pub(super) fn run(&mut self, cmd: &Command) -> (u16, Vec<Item>) {
        match cmd {
            // One Status answers the whole Get: the first failure (a missing node is
            // 404), else 200. Results go only with a Get that succeeded ([PRO] §8.5
            // item 4: "Results MUST be returned ... for successful Get operations"), so
            // a 404 never comes with the values of the nodes that were found.
            Command::Get(c) => {
                let mut code = 200;
                let mut results = Vec::new();
                for item in &c.items {
                    let uri = item.target.as_ref().map_or("", |t| t.loc_uri.as_str());
                    match self.tree.get(uri) {
                        Ok(found) => {
                            let (value, format) = match found {
                                GetResult::Leaf { value, format } => (value, format),
                                GetResult::Interior { children } => (children, "node".into()),
                            };
                            results.push(Item {
                                source: Some(LocRef::uri(uri)),
                                meta: Some(
                                    Meta {
                                        format: Some(format),
                                        ..Default::default()
                                    }
                                    .into(),
                                ),
                                data: Some(Data::Text(value)),
                                ..Default::default()
                            });
                        }
                        Err(c) if code == 200 => code = c,
                        Err(_) => {}
                    }
                }
                if c.items.is_empty() {
                    // A Get without an Item names nothing to read.
                    code = 400;
                }
                if code != 200 && !self.fault(ClientFault::ResultsForFailedGet) {
                    results.clear();
                }
                (code, results)
            }
            Command::Replace(c) => (
                self.each_item(c, |tree, item, data, format| {
                    tree.replace(target(item), data.unwrap_or(""), format)
                }),
                Vec::new(),
            ),
            Command::Add(c) => (
                self.each_item(c, |tree, item, data, format| {
                    tree.add(target(item), data, format)
                }),
                Vec::new(),
            ),
            Command::Delete(c) => (
                self.each_item(c, |tree, item, _, _| tree.delete(target(item))),
                Vec::new(),
            ),
            Command::Copy(c) => (
                self.each_item(c, |tree, item, _, _| {
                    let source = item.source.as_ref().map_or("", |s| s.loc_uri.as_str());
                    tree.copy(source, target(item))
                }),
                Vec::new(),
            ),
            Command::Exec(c) => (
                self.each_item(c, |tree, item, _, _| tree.exec(target(item))),
                Vec::new(),
            ),
            // Display and Confirm are shown and accepted; other user interaction is an
            // optional feature this client lacks.
            Command::Alert(a) => match a.data.as_deref().map(str::trim) {
                // Display and Confirm; Next Message is served by `on_response`.
                Some("1100" | "1101" | "1222") => (200, Vec::new()),
                _ => (406, Vec::new()),
            },
            _ => (406, Vec::new()),
        }
    }

    /// Apply `op` to every Item; the command's Status is the first failure, else 200.
    pub(super) fn each_item(
        &mut self,
        cmd: &ItemCmd,
        op: impl Fn(&mut MgmtTree, &Item, Option<&str>, &str) -> u16,
    ) -> u16 {
        let mut code = 200;
        for item in &cmd.items {
            let format = item
                .meta
                .as_deref()
                .or(cmd.extras.meta.as_ref())
                .and_then(|m| m.format.as_deref())
                .unwrap_or("chr");
            let data = item.data.as_ref().and_then(Data::as_text);
            let c = op(&mut self.tree, item, data, format);
            if c != 200 && code == 200 {
                code = c;
            }
        }
        if cmd.items.is_empty() {
            // A command without an Item names nothing to act on.
            code = 400;
        }
        code
    }
}

/// A large object being received.
#[derive(Debug, Clone)]
pub(super) struct Chunk {
    pub(super) target: String,
    pub(super) data: String,
    /// The total Size the first chunk announced.
    pub(super) size: Option<usize>,
}

pub(super) fn target(item: &Item) -> &str {
    item.target.as_ref().map_or("", |t| t.loc_uri.as_str())
}

pub(super) fn succeeded(code: u16) -> bool {
    (200..300).contains(&code)
}

/// The Status for a command (unless it asked for none), then its Results.
pub(super) fn answer(
    msg_id: &str,
    cmd: &Command,
    code: u16,
    results: Vec<Item>,
    out: &mut Vec<Command>,
) {
    let no_resp = match cmd {
        Command::Add(c)
        | Command::Copy(c)
        | Command::Delete(c)
        | Command::Exec(c)
        | Command::Get(c)
        | Command::Replace(c) => c.extras.no_resp,
        Command::Atomic(c) | Command::Sequence(c) => c.no_resp,
        Command::Alert(a) => a.no_resp,
        _ => false,
    };
    if !no_resp {
        out.push(build::command_status(msg_id, cmd, code));
    }
    if !results.is_empty() {
        out.push(Command::results(Results {
            msg_ref: Some(msg_id.into()),
            cmd_ref: cmd.cmd_id().unwrap_or("0").into(),
            items: results,
            ..Default::default()
        }));
    }
}

pub(super) fn scheme_node(s: Scheme) -> &'static str {
    match s {
        Scheme::Basic => "BASIC",
        Scheme::Md5 => "DIGEST",
        Scheme::Hmac => "HMAC",
    }
}
