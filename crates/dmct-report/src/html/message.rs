//! One exchange and its two messages, with the findings that point at each.

use super::*;

/// What the exchange listing of one case needs to hand around.
pub(super) struct CaseCtx<'a> {
    pub(super) i: usize,
    pub(super) findings: &'a [Finding],
    pub(super) views: &'a [ExchangeView<'a>],
}

impl CaseCtx<'_> {
    /// The first message of the case whose shown body holds the excerpt.
    fn quoted_from(&self, excerpt: &str) -> Option<(usize, Side)> {
        self.views.iter().enumerate().find_map(|(k, v)| {
            let hit = |b: &BodyView| !b.hex && find_in_body(&b.text, excerpt).is_some();
            if hit(&v.request) {
                Some((k, Side::Request))
            } else if v.response.as_ref().is_some_and(hit) {
                Some((k, Side::Response))
            } else {
                None
            }
        })
    }
}

pub(super) fn side_word(side: Side) -> &'static str {
    match side {
        Side::Request => "request",
        Side::Response => "response",
    }
}

pub(super) fn exchange(out: &mut String, ctx: &CaseCtx, k: usize, v: &ExchangeView) {
    let (i, findings, ex) = (ctx.i, ctx.findings, v.ex);
    let worst = side_mark(findings, k, Side::Request).max(side_mark(findings, k, Side::Response));
    let class = match worst {
        Mark::Fail => " fail",
        Mark::Inconclusive => " inconclusive",
        Mark::None => "",
    };
    let outcome = match (&ex.response, &ex.failure) {
        (Some(r), _) => status_line(r.status),
        (None, Some(f)) => format!("no response: {f}"),
        (None, None) => "no response".into(),
    };
    let _ = writeln!(
        out,
        "<div class=\"exchange{class}\" id=\"case-{i}-ex-{k}\">\n<h3>Exchange #{k}: <code>{} \
         {}</code> &rarr; <code>{}</code></h3>",
        escape(&ex.request.method),
        escape(&ex.request.target),
        escape(&outcome)
    );
    let req_head = head_text(
        &format!("{} {} HTTP/1.1", ex.request.method, ex.request.target),
        &ex.request.headers,
    );
    message(out, ctx, k, Side::Request, Some((&req_head, &v.request)));
    match (&ex.response, &v.response) {
        (Some(r), Some(rv)) => {
            let head = head_text(&status_line(r.status), &r.headers);
            message(out, ctx, k, Side::Response, Some((&head, rv)));
        }
        _ => message(out, ctx, k, Side::Response, None),
    }
    out.push_str("</div>\n");
}

pub(super) fn side_findings(out: &mut String, findings: &[Finding], k: usize, side: Side) {
    let list: Vec<&Finding> = findings
        .iter()
        .filter(|f| names(f, k, side) && matches!(f.verdict, Verdict::Fail | Verdict::Inconclusive))
        .collect();
    if list.is_empty() {
        return;
    }
    out.push_str("<ul class=\"here\">\n");
    for f in list {
        let v = f.verdict.as_str();
        let _ = writeln!(
            out,
            "<li class=\"{v}\">{} <code>{}</code> ({}) {}</li>",
            badge(v, v),
            escape(&f.rule),
            f.level.as_str(),
            escape(&f.detail)
        );
    }
    out.push_str("</ul>\n");
}

/// One message of an exchange: the findings about it, the head, the evidence and the
/// body. `None`: the message never came (a response that is missing).
pub(super) fn message(
    out: &mut String,
    ctx: &CaseCtx,
    k: usize,
    side: Side,
    shown: Option<(&str, &BodyView)>,
) {
    let findings = ctx.findings;
    let mark = side_mark(findings, k, side);
    let class = match mark {
        Mark::Fail => " fail",
        Mark::Inconclusive => " inconclusive",
        Mark::None => "",
    };
    let title = match side {
        Side::Request => "Request (client \u{2192} server)",
        Side::Response => "Response (server \u{2192} client)",
    };
    if shown.is_none()
        && mark == Mark::None
        && ctx.views.get(k).is_some_and(|v| v.ex.failure.is_none())
    {
        let _ = writeln!(
            out,
            "<p class=\"failure\">\u{2717} No response was recorded.</p>"
        );
        return;
    }
    let _ = writeln!(out, "<div class=\"msg{class}\">\n<h4>{title}</h4>");
    side_findings(out, findings, k, side);
    if shown.is_none() {
        match ctx.views.get(k).and_then(|v| v.ex.failure.as_ref()) {
            Some(f) => {
                let _ = writeln!(
                    out,
                    "<p class=\"failure\">\u{2717} No complete response: {}</p>",
                    escape(&f.to_string())
                );
            }
            None => out.push_str("<p class=\"failure\">\u{2717} No response was recorded.</p>\n"),
        }
    }

    // The evidence of each failing finding on this message: in the body, else in the
    // head, else shown on its own above the body.
    let mut in_body = Vec::new();
    let mut in_head = Vec::new();
    let mut loose: Vec<(&str, &str)> = Vec::new();
    for f in findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail && names(f, k, side))
    {
        let Some(e) = &f.excerpt else { continue };
        let in_shown = shown.and_then(|(head, body)| {
            let b = if body.hex {
                None
            } else {
                find_in_body(&body.text, e)
            };
            match b {
                Some(r) => Some((true, r)),
                None => find_in_head(head, e).map(|r| (false, r)),
            }
        });
        match in_shown {
            Some((true, r)) => add_highlight(&mut in_body, r, &f.rule),
            Some((false, r)) => add_highlight(&mut in_head, r, &f.rule),
            None => loose.push((&f.rule, e)),
        }
    }

    if let Some((head, _)) = shown {
        let _ = writeln!(out, "<pre class=\"head\">{}</pre>", marked(head, &in_head));
    }
    for (rule, e) in &loose {
        let whence = match ctx.quoted_from(e) {
            Some((j, s)) if (j, s) != (k, side) => format!(
                "; the quoted text is in <a href=\"#case-{}-ex-{j}\">exchange #{j} {}</a>",
                ctx.i,
                side_word(s)
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "<p class=\"evidence-label\">Evidence for <code>{}</code>, as the rule quoted it \
             (not found verbatim in this message{whence}):</p>\n<pre class=\"evidence\"><mark \
             class=\"violation\">{}</mark></pre>",
            escape(rule),
            escape(e)
        );
    }
    let Some((_, body)) = shown else {
        out.push_str("</div>\n");
        return;
    };
    if body.text.is_empty() && body.label == "empty body" {
        out.push_str("<p class=\"muted\">(empty body)</p>\n</div>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<details class=\"body\"{}><summary>Body: {}</summary>",
        if mark == Mark::Fail { " open" } else { "" },
        escape(&body.label)
    );
    if let Some(note) = &body.cut_note {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    let _ = writeln!(
        out,
        "<pre class=\"body\">{}</pre>",
        marked(&body.text, &in_body)
    );
    out.push_str("</details>\n</div>\n");
}

// ---------------------------------------------------------------------------------------
// Small pieces

pub(super) fn badge(class: &str, text: &str) -> String {
    format!("<span class=\"badge {class}\">{}</span>", escape(text))
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(super) fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|r| format!("<code>{}</code>", escape(r)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 120_000 {
        format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}
