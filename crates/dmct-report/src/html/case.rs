//! One case: its header, the findings table, and the marks that colour its exchanges.

use super::*;

/// Both messages of one exchange, prepared once for the diagram and the listing.
pub(super) struct ExchangeView<'a> {
    pub(super) ex: &'a Exchange,
    pub(super) request: BodyView,
    pub(super) response: Option<BodyView>,
}

/// How the findings of a case touch one message.
#[derive(Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Mark {
    #[default]
    None,
    Inconclusive,
    Fail,
}

pub(super) fn mark_of(v: Verdict) -> Mark {
    match v {
        Verdict::Fail => Mark::Fail,
        Verdict::Inconclusive => Mark::Inconclusive,
        Verdict::Pass | Verdict::NotApplicable => Mark::None,
    }
}

/// Does `f` point at message `side` of exchange `k`? A finding naming the exchange but
/// no side points at both.
pub(super) fn names(f: &Finding, k: usize, side: Side) -> bool {
    f.exchange == Some(k) && f.message.is_none_or(|m| m == side)
}

pub(super) fn side_mark(findings: &[Finding], k: usize, side: Side) -> Mark {
    findings
        .iter()
        .filter(|f| names(f, k, side))
        .map(|f| mark_of(f.verdict))
        .max()
        .unwrap_or_default()
}

pub(super) fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Fail => 0,
        Verdict::Inconclusive => 1,
        Verdict::Pass => 2,
        Verdict::NotApplicable => 3,
    }
}

/// The body views of the last transcript shown. The cases of one transcript (both roles
/// of a file `dmct check` judged) come one after the other and share it, so each body is
/// decoded for the page once, not once per case.
#[derive(Default)]
pub(super) struct ViewCache {
    of: Option<*const Transcript>,
    views: Vec<(BodyView, Option<BodyView>)>,
}

impl ViewCache {
    fn views(&mut self, t: &Transcript) -> &[(BodyView, Option<BodyView>)] {
        let key = std::ptr::from_ref(t);
        if self.of != Some(key) {
            self.views = t
                .exchanges
                .iter()
                .map(|ex| {
                    let response = ex.response.as_ref().map(|r| body_view(&r.body));
                    (body_view(&ex.request.body), response)
                })
                .collect();
            self.of = Some(key);
        }
        &self.views
    }
}

pub(super) fn case_section(
    out: &mut String,
    i: usize,
    c: &CaseResult,
    t: Option<&Transcript>,
    cache: &mut ViewCache,
) {
    let v = c.verdict.as_str();
    let open = !matches!(c.verdict, CaseVerdict::Pass | CaseVerdict::NotApplicable);
    let _ = writeln!(out, "<section class=\"case {v}\" id=\"case-{i}\">");
    let _ = writeln!(
        out,
        "<h2>{} <span class=\"num\">#{i}</span> <code>{}</code> &mdash; {}</h2>",
        badge(v, &v.to_uppercase()),
        escape(&c.id),
        escape(&c.title)
    );
    let _ = write!(
        out,
        "<p class=\"meta\"><span>Role under test: <strong>{}</strong></span> \
         <span>Peer: <code>{}</code></span> <span>{} exchange{}</span>",
        c.role,
        escape(&c.peer.label()),
        c.exchanges,
        plural(c.exchanges)
    );
    if let Some(file) = &c.transcript {
        let _ = write!(
            out,
            " <span>Transcript: <code>{}</code></span>",
            escape(file)
        );
    }
    if let Some(e) = &c.ended {
        let _ = write!(
            out,
            " <span>Session ended ({}): {}{}</span>",
            e.how.as_str(),
            escape(&e.detail),
            e.at.as_deref()
                .map(|at| format!(", at {}", escape(at)))
                .unwrap_or_default()
        );
    } else if let Some(t) = t {
        let _ = write!(
            out,
            " <span>Observation ended: {}</span>",
            escape(&closing_text(&t.closing))
        );
    }
    out.push_str("</p>\n");
    if !c.peer.identity.is_empty() {
        let ids = c
            .peer
            .identity
            .iter()
            .map(|(k, v)| format!("{} = <code>{}</code>", escape(k), escape(v)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "<p class=\"meta\">Peer identity: {ids}</p>");
    }

    let n_ex = t.map_or(0, |t| t.exchanges.len());
    findings_table(out, i, c, n_ex, open);

    let Some(t) = t else {
        out.push_str(
            "<p class=\"na-transcript\">Transcript not available: no sequence diagram or \
             exchanges to show.</p>\n</section>\n",
        );
        return;
    };
    let views: Vec<ExchangeView> = t
        .exchanges
        .iter()
        .zip(cache.views(t))
        .map(|(ex, (request, response))| ExchangeView {
            ex,
            request: request.clone(),
            response: response.clone(),
        })
        .collect();

    out.push_str("<details class=\"seq\" open><summary>Sequence diagram</summary>\n");
    sequence_diagram(out, i, c, t, &views);
    out.push_str("</details>\n");

    let _ = writeln!(
        out,
        "<details class=\"exchanges\"{}><summary>Exchanges ({})</summary>",
        if open { " open" } else { "" },
        views.len()
    );
    if let Some(p0) = &t.package0 {
        let _ = writeln!(
            out,
            "<div class=\"exchange package0\" id=\"case-{i}-package0\"><h3>Package 0 \
             (server-initiated trigger, {} bytes, sent out of band)</h3>",
            p0.len()
        );
        let shown = p0.as_bytes().get(..HEX_LIMIT).unwrap_or(p0.as_bytes());
        let _ = writeln!(
            out,
            "<pre class=\"body\">{}</pre></div>",
            escape(&hex_dump(shown))
        );
    }
    if views.is_empty() {
        out.push_str("<p class=\"muted\">No exchange was recorded.</p>\n");
    }
    let ctx = CaseCtx {
        i,
        findings: &c.findings,
        views: &views,
    };
    for (k, view) in views.iter().enumerate() {
        exchange(out, &ctx, k, view);
    }
    out.push_str("</details>\n</section>\n");
}

pub(super) fn findings_table(out: &mut String, i: usize, c: &CaseResult, n_ex: usize, open: bool) {
    let count = |v| c.findings.iter().filter(|f| f.verdict == v).count();
    let (fail, inco, pass, na) = (
        count(Verdict::Fail),
        count(Verdict::Inconclusive),
        count(Verdict::Pass),
        count(Verdict::NotApplicable),
    );
    let _ = writeln!(
        out,
        "<details class=\"rules\"{}><summary>Rules exercised: {fail} fail, {inco} inconclusive, \
         {pass} pass, {na} not applicable</summary>",
        if open { " open" } else { "" }
    );
    if c.findings.is_empty() {
        out.push_str("<p class=\"muted\">No rule was judged.</p>\n</details>\n");
        return;
    }
    out.push_str(
        "<table class=\"findings\"><thead><tr><th>Verdict</th><th>Rule</th><th>Clause</th>\
         <th>Level</th><th>Binds</th><th>Where</th><th>Detail</th></tr></thead><tbody>\n",
    );
    let mut order: Vec<usize> = (0..c.findings.len()).collect();
    order.sort_by_key(|&j| c.findings.get(j).map_or(9, |f| verdict_rank(f.verdict)));
    for j in order {
        let Some(f) = c.findings.get(j) else { continue };
        let v = f.verdict.as_str();
        let place = match f.exchange {
            Some(k) => {
                let side = match f.message {
                    Some(Side::Request) => " request",
                    Some(Side::Response) => " response",
                    None => "",
                };
                if k < n_ex {
                    format!("<a href=\"#case-{i}-ex-{k}\">exchange #{k}{side}</a>")
                } else {
                    format!("exchange #{k}{side} <span class=\"muted\">(not in transcript)</span>")
                }
            }
            None => "<span class=\"muted\">&ndash;</span>".into(),
        };
        let excerpt = match &f.excerpt {
            Some(e) => format!(
                "<details class=\"excerpt\"><summary>excerpt</summary><pre>{}</pre></details>",
                escape(e)
            ),
            None => String::new(),
        };
        // A failure carries what it is held against, so it can be disputed on its own.
        let requirement = if f.verdict == Verdict::Fail {
            let lines: String = requirement_lines(f)
                .iter()
                .map(|l| format!("<li>{}</li>", escape(l)))
                .collect();
            format!("<ul class=\"requirement\">{lines}</ul>")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr class=\"finding {v}\" id=\"case-{i}-f-{j}\"><td>{}</td><td><code>{}</code></td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{place}</td>\
             <td>{}{requirement}{excerpt}</td></tr>",
            badge(v, v),
            escape(&f.rule),
            escape(&f.clause),
            f.level.as_str(),
            f.role,
            escape(&f.detail)
        );
    }
    out.push_str("</tbody></table>\n</details>\n");
}

// ---------------------------------------------------------------------------------------
// Sequence diagram

pub(super) fn cut_label(s: &str) -> String {
    if s.chars().count() <= LABEL_CHARS {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(LABEL_CHARS - 1).collect();
    t.push('\u{2026}');
    t
}
