//! One case: its header, the findings table, and the marks that colour its exchanges.

use super::*;
use std::collections::HashMap;

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

pub(super) fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Fail => 0,
        Verdict::Inconclusive => 1,
        Verdict::Pass => 2,
        Verdict::NotApplicable => 3,
    }
}

/// The findings of a case by the exchange they name, so each message finds its own
/// without a scan of them all.
pub(super) struct ByExchange<'a>(HashMap<usize, Vec<&'a Finding>>);

impl<'a> ByExchange<'a> {
    pub(super) fn new(findings: &'a [Finding]) -> Self {
        let mut map: HashMap<usize, Vec<&Finding>> = HashMap::new();
        for f in findings {
            if let Some(k) = f.exchange {
                map.entry(k).or_default().push(f);
            }
        }
        ByExchange(map)
    }

    /// The findings that point at message `side` of exchange `k`, in case order.
    pub(super) fn at(&self, k: usize, side: Side) -> impl Iterator<Item = &'a Finding> + '_ {
        self.0
            .get(&k)
            .into_iter()
            .flatten()
            .copied()
            .filter(move |f| names(f, k, side))
    }

    pub(super) fn mark(&self, k: usize, side: Side) -> Mark {
        self.at(k, side)
            .map(|f| mark_of(f.verdict))
            .max()
            .unwrap_or_default()
    }
}

/// A case's heading: its verdict, id and title, who and what it ran against, how it
/// ended.
pub(super) fn case_head(i: usize, c: &CaseResult, view: Option<&View>) -> Markup {
    let v = c.verdict.as_str();
    html! {
        h2 {
            (badge(v, &v.to_uppercase())) " " span class="num" { "#" (i) } " "
            code { (Text(&c.id)) } " \u{2014} " (Text(&c.title))
        } "\n"
        p class="meta" {
            span { "Role under test: " strong { (c.role) } } " "
            span { "Peer: " code { (Text(&c.peer.label())) } } " "
            span { (c.exchanges) " exchange" (plural(c.exchanges)) }
            @if let Some(file) = &c.transcript {
                " " span { "Transcript: " code { (Text(file)) } }
            }
            @if let Some(e) = &c.ended {
                " " span {
                    "Session ended (" (e.how.as_str()) "): " (Text(&e.detail))
                    @if let Some(at) = &e.at { ", at " (Text(at)) }
                }
            } @else if let Some(v) = view {
                " " span { "Observation ended: " (Text(&closing_text(&v.transcript.closing))) }
            }
        } "\n"
        @if !c.peer.identity.is_empty() {
            p class="meta" {
                "Peer identity: "
                @for (j, (k, v)) in c.peer.identity.iter().enumerate() {
                    @if j > 0 { ", " }
                    (Text(k)) " = " code { (Text(v)) }
                }
            } "\n"
        }
    }
}

/// The Package 0 that woke the device, when one was sent.
pub(super) fn package0(i: usize, t: &Transcript) -> Markup {
    let Some(p0) = &t.package0 else {
        return html! {};
    };
    html! {
        div class="exchange package0" id={ "case-" (i) "-package0" } {
            h3 {
                "Package 0 (server-initiated trigger, " (p0.len()) " bytes, sent out of band)"
            } "\n"
            pre class="body" {
                (Text(&hex_dump(p0.as_bytes().get(..HEX_LIMIT).unwrap_or(p0.as_bytes()))))
            }
        } "\n"
    }
}

/// Every exchange of a case, written straight into the case's markup.
pub(super) struct ExchangeList<'a>(pub(super) &'a CaseCtx<'a>);

impl Render for ExchangeList<'_> {
    fn render_to(&self, buffer: &mut String) {
        for (k, ex) in self.0.view.exchanges.iter().enumerate() {
            exchange(self.0, k, ex).render_to(buffer);
        }
    }
}

pub(super) fn findings_table(i: usize, c: &CaseResult, n_ex: usize, open: bool) -> Markup {
    let count = |v| c.findings.iter().filter(|f| f.verdict == v).count();
    let mut order: Vec<usize> = (0..c.findings.len()).collect();
    order.sort_by_key(|&j| c.findings.get(j).map_or(9, |f| verdict_rank(f.verdict)));
    html! {
        details class="rules" open[open] {
            summary {
                "Rules exercised: " (count(Verdict::Fail)) " fail, " (count(Verdict::Inconclusive))
                " inconclusive, " (count(Verdict::Pass)) " pass, " (count(Verdict::NotApplicable))
                " not applicable"
            } "\n"
            @if c.findings.is_empty() {
                p class="muted" { "No rule was judged." } "\n"
            } @else {
                table class="findings" {
                    thead { tr {
                        th { "Verdict" } th { "Rule" } th { "Clause" } th { "Level" }
                        th { "Binds" } th { "Where" } th { "Detail" }
                    } }
                    tbody {
                        "\n"
                        @for j in order {
                            @if let Some(f) = c.findings.get(j) {
                                (finding_row(i, j, f, n_ex)) "\n"
                            }
                        }
                    }
                } "\n"
            }
        } "\n"
    }
}

fn finding_row(i: usize, j: usize, f: &Finding, n_ex: usize) -> Markup {
    let v = f.verdict.as_str();
    let side = match f.message {
        Some(Side::Request) => " request",
        Some(Side::Response) => " response",
        None => "",
    };
    html! {
        tr class={ "finding " (v) } id={ "case-" (i) "-f-" (j) } {
            td { (badge(v, v)) }
            td { code { (Text(&f.rule)) } }
            td { (Text(&f.clause)) }
            td { (f.level.as_str()) }
            td { (f.role) }
            td {
                @match f.exchange {
                    Some(k) if k < n_ex => {
                        a href={ "#case-" (i) "-ex-" (k) } { "exchange #" (k) (side) }
                    }
                    Some(k) => {
                        "exchange #" (k) (side) " "
                        span class="muted" { "(not in transcript)" }
                    }
                    None => { span class="muted" { "\u{2013}" } }
                }
            }
            td {
                (Text(&f.detail))
                // A failure carries what it is held against, so it can be disputed on
                // its own.
                @if f.verdict == Verdict::Fail {
                    ul class="requirement" {
                        @for l in requirement_lines(f) { li { (Text(&l)) } }
                    }
                }
                @if let Some(e) = &f.excerpt {
                    details class="excerpt" { summary { "excerpt" } pre { (Text(e)) } }
                }
            }
        }
    }
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
