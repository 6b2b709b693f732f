//! The HTML report: one self-contained page a lab reviews and a certification body files.
//!
//! Everything is inline (CSS, SVG sequence diagrams, a few lines of optional script);
//! nothing is fetched. The page reads the same with script off: expand and collapse is
//! `<details>`. The markup is written with maud, so every string that came from a peer
//! or a finding is escaped by construction ([`Text`] adds the control pictures). The
//! output is a function of the report and the transcripts only (no clock, no random ids).

use crate::model::*;
use dmct_proto::transcript::{Body, Closing, Headers, Transcript};
use dmct_proto::xml::{DecodeError, Decoded, Encoding};
use dmct_rules::{Finding, Level, Side, Verdict, View};
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::ops::Range;
use std::rc::Rc;

mod assets;
mod body;
mod case;
mod diagram;
mod highlight;
mod message;

use assets::*;
pub use body::closing_text;
use body::*;
use case::*;
use diagram::*;
use highlight::*;
use message::*;

/// Bodies are shown up to this many bytes of text.
const TEXT_LIMIT: usize = 64 * 1024;
/// Non-UTF-8 bodies are shown as hex up to this many bytes (about 64 KiB of dump).
const HEX_LIMIT: usize = 12 * 1024;
/// Sequence-diagram labels longer than this are cut (the full text is the tooltip).
const LABEL_CHARS: usize = 86;

const LEVELS: [Level; 5] = [
    Level::Must,
    Level::MustNot,
    Level::Should,
    Level::ShouldNot,
    Level::May,
];

/// Text from outside (a peer, a finding, a file name) as the page shows it: maud
/// escapes it; C0 control characters other than tab, line feed and carriage return (and
/// DEL) are shown as their Unicode control pictures, since HTML text may not hold them.
pub(super) struct Text<'a>(pub(super) &'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        let control = |b: &u8| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || *b == 0x7f;
        let mut rest = self.0;
        // A control character is one ASCII byte, so every split is on a char boundary.
        while let Some(at) = rest.bytes().position(|b| control(&b)) {
            let (before, after) = rest.split_at(at);
            before.render_to(buffer);
            let b = after.as_bytes().first().copied().unwrap_or_default();
            let picture = if b == 0x7f {
                0x2421
            } else {
                0x2400 + u32::from(b)
            };
            buffer.push(char::from_u32(picture).unwrap_or('\u{fffd}'));
            rest = after.get(1..).unwrap_or_default();
        }
        rest.render_to(buffer);
    }
}

/// The HTML report of a run. `transcripts[i]` is the transcript of `report.cases[i]`;
/// cases past the end of the slice are shown without one ("transcript not available").
pub fn render_html(report: &RunReport, transcripts: &[&Transcript]) -> String {
    page(report, Shown::Transcripts(transcripts))
}

/// [`render_html`] of transcripts decoded already (`views[i]` is the one of
/// `report.cases[i]`), as the checker decoded them: no body is decoded again.
pub fn render_html_decoded(report: &RunReport, views: &[&View]) -> String {
    page(report, Shown::Decoded(views))
}

/// Where the cases' exchanges come from.
#[derive(Clone, Copy)]
enum Shown<'a> {
    Transcripts(&'a [&'a Transcript]),
    Decoded(&'a [&'a View<'a>]),
}

impl Shown<'_> {
    fn transcript(&self, i: usize) -> Option<&Transcript> {
        match self {
            Shown::Transcripts(t) => t.get(i).copied(),
            Shown::Decoded(v) => v.get(i).map(|v| v.transcript),
        }
    }
}

/// About how long the page of a run is: its text grows with the bodies it shows (cut
/// at [`TEXT_LIMIT`]) and the exchanges' frames, so one allocation usually holds it.
fn size_hint(report: &RunReport, shown: Shown) -> usize {
    let bodies = |t: &Transcript| -> usize {
        t.exchanges
            .iter()
            .map(|e| {
                let shown = |b: &Body| b.as_bytes().len().min(TEXT_LIMIT) * 3 / 2 + 2048;
                shown(&e.request.body) + e.response.as_ref().map_or(512, |r| shown(&r.body))
            })
            .sum()
    };
    let cases: usize = (0..report.cases.len())
        .map(|i| 4096 + shown.transcript(i).map_or(0, bodies))
        .sum();
    64 * 1024 + cases
}

fn page(report: &RunReport, shown: Shown) -> String {
    let title = format!(
        "{} {} {} report",
        report.tool.name, report.tool.version, report.command
    );
    let views = Views {
        shown,
        last: RefCell::new(None),
    };
    html! {
        (Reserve(size_hint(report, shown))) (DOCTYPE) "\n"
        html lang="en" {
            "\n" head {
                "\n" meta charset="utf-8"; "\n"
                meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
                title { (Text(&title)) } "\n"
                style { "\n" (PreEscaped(CSS)) } "\n"
            } "\n"
            body {
                "\n" main {
                    "\n" (summary(report))
                    (rules(report))
                    (index(report))
                    @for (i, c) in report.cases.iter().enumerate() {
                        @let view = views.of(i);
                        @let view = view.as_deref();
                        @let open =
                            !matches!(c.verdict, CaseVerdict::Pass | CaseVerdict::NotApplicable);
                        // Written straight into the page, as are its exchanges: a long
                        // transcript's case is not built apart and then copied.
                        section class={ "case " (c.verdict.as_str()) } id={ "case-" (i) } {
                            "\n" (case_head(i, c, view))
                            (findings_table(i, c, view.map_or(0, |v| v.exchanges.len()), open))
                            @if let Some(view) = view {
                                @let by_exchange = ByExchange::new(&c.findings);
                                @let ctx = CaseCtx {
                                    i,
                                    by_exchange: &by_exchange,
                                    view,
                                    texts: Default::default(),
                                };
                                details class="seq" open {
                                    summary { "Sequence diagram" } "\n"
                                    (sequence_diagram(&ctx, c))
                                } "\n"
                                details class="exchanges" open[open] {
                                    summary { "Exchanges (" (view.exchanges.len()) ")" } "\n"
                                    (package0(i, view.transcript))
                                    @if view.exchanges.is_empty() {
                                        p class="muted" { "No exchange was recorded." } "\n"
                                    }
                                    (ExchangeList(&ctx))
                                } "\n"
                            } @else {
                                p class="na-transcript" {
                                    "Transcript not available: no sequence diagram or exchanges \
                                    to show."
                                } "\n"
                            }
                        } "\n"
                    }
                    footer {
                        "Generated by " (Text(&report.tool.name)) " " (Text(&report.tool.version))
                        " from the run report (schema " (report.schema_version) "). \
                        Self-contained: no external resources."
                    } "\n"
                } "\n"
                script { "\n" (PreEscaped(SCRIPT)) } "\n"
            } "\n"
        } "\n"
    }
    .into_string()
}

/// Sizes the buffer it is rendered into: the page's, first thing, so the cases (written
/// straight into it) do not make it grow and move again and again.
struct Reserve(usize);

impl Render for Reserve {
    fn render_to(&self, buffer: &mut String) {
        buffer.reserve(self.0);
    }
}

/// The decoded transcript of each case. Cases that share one transcript (both roles of
/// a file `dmct check` judged) come one after the other and share one decoding of it;
/// only the one being shown is held.
struct Views<'a> {
    shown: Shown<'a>,
    last: RefCell<Option<Rc<View<'a>>>>,
}

/// A case's decoded transcript: the caller's, or one decoded here.
enum CaseView<'a> {
    Held(&'a View<'a>),
    Shared(Rc<View<'a>>),
}

impl<'a> std::ops::Deref for CaseView<'a> {
    type Target = View<'a>;

    fn deref(&self) -> &View<'a> {
        match self {
            CaseView::Held(v) => v,
            CaseView::Shared(v) => v,
        }
    }
}

impl<'a> Views<'a> {
    fn of(&self, i: usize) -> Option<CaseView<'a>> {
        match self.shown {
            Shown::Decoded(views) => views.get(i).map(|v| CaseView::Held(v)),
            Shown::Transcripts(ts) => {
                let t = ts.get(i)?;
                let mut last = self.last.borrow_mut();
                if !last
                    .as_ref()
                    .is_some_and(|v| std::ptr::eq(v.transcript, *t))
                {
                    *last = Some(Rc::new(View::new(t)));
                }
                last.clone().map(CaseView::Shared)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Summary and index

fn summary(r: &RunReport) -> Markup {
    let s = &r.summary;
    let overall = if s.fail > 0 {
        CaseVerdict::Fail
    } else if s.inconclusive > 0 {
        CaseVerdict::Inconclusive
    } else {
        CaseVerdict::Pass
    };
    // Findings that did not pass, per level.
    let mut failed = [0usize; 5];
    let mut inconclusive = [0usize; 5];
    let mut failed_cases = [0usize; 5];
    for c in &r.cases {
        let mut seen = [false; 5];
        for f in &c.findings {
            let Some(li) = LEVELS.iter().position(|l| *l == f.level) else {
                continue;
            };
            match f.verdict {
                Verdict::Fail => {
                    failed[li] += 1;
                    seen[li] = true;
                }
                Verdict::Inconclusive => inconclusive[li] += 1,
                Verdict::Pass | Verdict::NotApplicable => {}
            }
        }
        for (li, s) in seen.iter().enumerate() {
            if *s {
                failed_cases[li] += 1;
            }
        }
    }
    let tiles = [
        ("cases", "cases", s.cases),
        ("pass", "pass", s.pass),
        ("fail", "fail", s.fail),
        ("inconclusive", "inconclusive", s.inconclusive),
    ];
    html! {
        section id="summary" {
            "\n" h1 {
                (Text(&r.tool.name)) " " (Text(&r.tool.version)) " "
                span class="cmd" { (Text(&r.command)) }
            } "\n"
            p class="lead" {
                (badge(overall.as_str(), overall_word(overall))) " "
                span class="sub" {
                    "Command " code { (Text(&r.command)) } " \u{b7} "
                    (s.cases) " case" (plural(s.cases)) " \u{b7} duration "
                    (duration(r.duration_ms))
                }
            } "\n"
            @if r.interrupted {
                p class="lead" {
                    strong { "Interrupted" } ": the run was stopped by a signal; these are the \
                    cases until then."
                } "\n"
            }
            // Case counts, as tiles and as a bar.
            div class="tiles" {
                "\n"
                @for (class, label, n) in tiles {
                    div class={ "tile " (class) } {
                        div class="n" data-count=(class) { (n) }
                        div class="l" { (label) }
                    } "\n"
                }
            } "\n"
            (verdict_bar(s))
            h2 { "Findings that did not pass, by level" } "\n"
            table class="levels" {
                thead { tr {
                    th { "Level" } th { "Failed findings" } th { "Cases with a failure" }
                    th { "Inconclusive findings" }
                } }
                tbody {
                    "\n"
                    @for (li, level) in LEVELS.iter().enumerate() {
                        tr class=[(failed[li] > 0).then_some("bad")] data-level=(level.as_str()) {
                            td { (level.as_str()) } td { (failed[li]) } td { (failed_cases[li]) }
                            td { (inconclusive[li]) }
                        } "\n"
                    }
                }
            } "\n"
            p class="note" {
                "A failed MUST or MUST NOT rule fails its case; a failed SHOULD, SHOULD NOT or \
                MAY rule is reported as a deviation."
            } "\n"
            @if failed.iter().any(|&n| n > 0) {
                p class="note" { (DISPUTE_HINT) } "\n"
            }
            (peers(r))
            @if let Some(st) = &r.selftest {
                (selftest(st))
            }
        } "\n"
    }
}

fn overall_word(v: CaseVerdict) -> &'static str {
    match v {
        CaseVerdict::Pass | CaseVerdict::NotApplicable => "ALL PASS",
        CaseVerdict::Inconclusive => "INCONCLUSIVE",
        CaseVerdict::Fail => "FAILURES",
    }
}

fn verdict_bar(s: &Summary) -> Markup {
    if s.cases == 0 {
        return html! {};
    }
    let width = 600.0;
    let total = s.cases as f64;
    let mut x = 0.0;
    let mut rects = Vec::new();
    for (n, color) in [
        (s.pass, "#1e7b34"),
        (s.fail, "#b3261e"),
        (s.inconclusive, "#9a5b00"),
    ] {
        if n == 0 {
            continue;
        }
        let w = width * n as f64 / total;
        rects.push((format!("{x:.1}"), format!("{w:.1}"), color));
        x += w;
    }
    html! {
        svg class="bar" viewBox="0 0 600 14" width="600" height="14" role="img"
            aria-label={ (s.pass) " pass, " (s.fail) " fail, " (s.inconclusive) " inconclusive" } {
            @for (x, w, color) in &rects {
                rect x=(x) y="0" width=(w) height="14" fill=(color) {}
            }
        } "\n"
    }
}

fn peers(r: &RunReport) -> Markup {
    // Distinct peers, in order of first appearance, with their case count.
    let mut list: Vec<(&Peer, usize)> = Vec::new();
    for c in &r.cases {
        match list.iter_mut().find(|(p, _)| **p == c.peer) {
            Some(entry) => entry.1 += 1,
            None => list.push((&c.peer, 1)),
        }
    }
    if list.is_empty() {
        return html! {};
    }
    html! {
        details class="peers" open[list.len() <= 8] {
            summary { h2 {
                "Peer" (if list.len() == 1 { "" } else { "s" }) " under test (" (list.len()) ")"
            } } "\n"
            table {
                thead { tr {
                    th { "Peer" } th { "Faults" } th { "Identity (DevInfo)" } th { "Cases" }
                } }
                tbody {
                    "\n"
                    @for (p, n) in &list {
                        tr {
                            td { code { (Text(&p.name)) } }
                            td {
                                @if p.faults.is_empty() {
                                    span class="muted" { "none (conformant)" }
                                }
                                (code_list(&p.faults))
                            }
                            td {
                                @if p.identity.is_empty() {
                                    span class="muted" { "not reported" }
                                }
                                @for (j, (k, v)) in p.identity.iter().enumerate() {
                                    @if j > 0 { br; }
                                    (Text(k)) " = " code { (Text(v)) }
                                }
                            }
                            td { (n) }
                        } "\n"
                    }
                }
            } "\n"
        } "\n"
    }
}

fn selftest(st: &Selftest) -> Markup {
    let total = st.faults.len();
    let caught = st.faults.iter().filter(|f| f.is_caught()).count();
    let missed = total - caught;
    let score = format!("{:.1}%", st.mutation_score * 100.0);
    html! {
        div id="selftest" {
            "\n" h2 { "Selftest" } "\n"
            p {
                "Mutation score " strong { (score) } ": " (caught) " of " (total) " fault"
                (plural(total)) " caught, "
                span class=(if missed > 0 { "bad" } else { "good" }) { (missed) " missed" }
                ". Conformant peers "
                @if st.conformant_pass {
                    span class="good" { "pass every case" }
                } @else {
                    span class="bad" { "do NOT pass every case" }
                }
                "."
            } "\n"
            @if missed > 0 {
                ul class="missed" {
                    "\n"
                    @for f in st.faults.iter().filter(|f| !f.is_caught()) {
                        li {
                            strong { "MISSED" } " " code { (Text(&f.peer)) } " fault "
                            code { (Text(&f.fault)) } ": never failed " (code_list(&f.missed))
                        } "\n"
                    }
                } "\n"
            }
            details open[missed > 0] {
                summary { "Faults and the rules that caught them (" (total) ")" } "\n"
                table {
                    thead { tr {
                        th { "Result" } th { "Peer" } th { "Fault" } th { "Rules it breaks" }
                        th { "Caught by (rule in case)" }
                    } }
                    tbody {
                        "\n"
                        @for f in &st.faults {
                            tr class=(if f.is_caught() { "caught" } else { "missed" }) {
                                td {
                                    @if f.is_caught() {
                                        (badge("pass", "caught"))
                                    } @else {
                                        (badge("fail", "MISSED"))
                                    }
                                }
                                td { code { (Text(&f.peer)) } }
                                td { code { (Text(&f.fault)) } }
                                td { (code_list(&f.breaks)) }
                                td {
                                    @for (j, (rule, case)) in f.caught.iter().enumerate() {
                                        @if j > 0 { br; }
                                        code { (Text(rule)) } " in " (Text(case))
                                    }
                                    @for (j, rule) in f.missed.iter().enumerate() {
                                        @if j + f.caught.len() > 0 { br; }
                                        code { (Text(rule)) } " " strong { "never failed" }
                                    }
                                }
                            } "\n"
                        }
                    }
                } "\n"
            } "\n"
        } "\n"
    }
}

/// The per-rule summary, failing rules first (what a lab acts on), before the cases:
/// each rule's level, clause, requirement and its findings counted by verdict.
fn rules(r: &RunReport) -> Markup {
    let rules = crate::rule_summary_failing_first(&r.cases);
    if rules.is_empty() {
        return html! {};
    }
    let worst = |x: &crate::RuleSummary| match () {
        _ if x.fail > 0 => "fail",
        _ if x.inconclusive > 0 => "inconclusive",
        _ if x.pass > 0 => "pass",
        _ => "not-applicable",
    };
    html! {
        section id="rules" {
            h2 { "Rules" }
            p class="note" {
                (rules.len()) " rules judged, failing first; each counts its findings \
                over all cases."
            }
            table id="rules-table" {
                thead { tr {
                    th { "Rule" } th { "Level" } th { "Clause" } th { "Requirement" }
                    th { "Fail" } th { "Inconclusive" } th { "Pass" } th { "Not applicable" }
                } }
                tbody {
                    @for x in &rules {
                        tr class=(worst(x)) data-rule=(Text(&x.rule)) {
                            td { code { (Text(&x.rule)) } }
                            td { (x.level.as_str()) }
                            td { (Text(&x.clause)) }
                            td { (Text(&x.requirement)) }
                            td data-count="fail" { (x.fail) }
                            td data-count="inconclusive" { (x.inconclusive) }
                            td data-count="pass" { (x.pass) }
                            td data-count="not-applicable" { (x.not_applicable) }
                        }
                    }
                }
            }
        } "\n"
    }
}

fn index(r: &RunReport) -> Markup {
    if r.cases.is_empty() {
        return html! { p class="note" { "No cases were run." } "\n" };
    }
    html! {
        nav id="index" {
            "\n" h2 { "Cases" } "\n"
            table {
                thead { tr {
                    th { "#" } th { "Verdict" } th { "Case" } th { "Role under test" }
                    th { "Peer" } th { "Did not pass" }
                } }
                tbody {
                    "\n"
                    @for (i, c) in r.cases.iter().enumerate() {
                        @let not_passed = c
                            .findings
                            .iter()
                            .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Inconclusive));
                        tr class=(c.verdict.as_str()) {
                            td { (i) }
                            td { (badge(c.verdict.as_str(), &c.verdict.as_str().to_uppercase())) }
                            td {
                                a href={ "#case-" (i) } { code { (Text(&c.id)) } }
                                " " (Text(&c.title))
                            }
                            td { (c.role) }
                            td { (Text(&c.peer.label())) }
                            td {
                                @for (j, f) in not_passed.enumerate() {
                                    @if j > 0 { " " }
                                    code class=(f.verdict.as_str()) { (Text(&f.rule)) }
                                }
                            }
                        } "\n"
                    }
                }
            } "\n"
        } "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(s: &str) -> String {
        Text(s).render().into_string()
    }

    #[test]
    fn text_is_escaped_and_controls_are_shown_as_pictures() {
        assert_eq!(
            shown("<script>alert('x')</script>"),
            "&lt;script&gt;alert('x')&lt;/script&gt;"
        );
        assert_eq!(shown("a & b \"c\""), "a &amp; b &quot;c&quot;");
        assert_eq!(shown("&amp;"), "&amp;amp;");
        assert_eq!(shown("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
        assert_eq!(shown("\u{0}\u{1b}\u{7f}"), "\u{2400}\u{241b}\u{2421}");
        assert_eq!(shown("a\u{1}<\u{2}"), "a\u{2401}&lt;\u{2402}");
        assert_eq!(shown("plain ü €"), "plain ü €");
    }

    #[test]
    fn excerpts_are_found_across_indentation() {
        let text = "<SyncML>\n  <SyncHdr>\n    <MsgID>2</MsgID>\n  </SyncHdr>\n</SyncML>\n";
        let r = find_in_body(text, "<SyncHdr><MsgID>2</MsgID></SyncHdr>").unwrap();
        assert_eq!(&text[r], "<SyncHdr>\n    <MsgID>2</MsgID>\n  </SyncHdr>");
        let r = find_in_body(text, "[WBXML, shown as XML] <MsgID>2</MsgID>").unwrap();
        assert_eq!(&text[r], "<MsgID>2</MsgID>");
        // Cut by the checker: matched by its start, highlighted to the element's end.
        let r = find_in_body(text, "<SyncHdr><MsgID>2</Ms...").unwrap();
        assert_eq!(&text[r], "<SyncHdr>\n    <MsgID>2</MsgID>\n  </SyncHdr>");
        assert!(find_in_body(text, "<MsgID>3</MsgID>").is_none());
        assert!(find_in_body(text, "   ").is_none());
    }

    #[test]
    fn head_excerpts_ignore_case() {
        let head = "POST /dm HTTP/1.1\ncontent-type: text/xml\n";
        let r = find_in_head(head, "Content-Type: text/xml").unwrap();
        assert_eq!(&head[r], "content-type: text/xml");
    }

    #[test]
    fn overlapping_highlights_merge() {
        let mut l = Vec::new();
        add_highlight(&mut l, 5..10, "a");
        add_highlight(&mut l, 0..2, "b");
        add_highlight(&mut l, 8..12, "c");
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].range, 0..2);
        assert_eq!(l[1].range, 5..12);
        assert_eq!(l[1].rules, vec!["c".to_string(), "a".to_string()]);
        let text = "ab<de&ghijkl";
        let html = Marked(text, &l).render().into_string();
        assert_eq!(
            html,
            "<mark class=\"violation\" title=\"evidence: b\">ab</mark>&lt;de<mark \
             class=\"violation\" title=\"evidence: c, a\">&amp;ghijkl</mark>"
        );
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let s = "é".repeat(TEXT_LIMIT);
        let (shown, note) = cut_text(&s);
        assert!(shown.len() <= TEXT_LIMIT);
        assert!(note.unwrap().contains("cut"));
        assert!(cut_text("short").1.is_none());
    }

    #[test]
    fn hex_dump_shows_offsets_and_ascii() {
        let d = hex_dump(&[0x03, 0xff, b'A']);
        assert!(d.starts_with("00000000  03 ff 41"), "{d}");
        assert!(d.ends_with("|..A|\n"), "{d}");
    }

    #[test]
    fn the_idle_wait_is_told_apart_from_the_harness_limits() {
        let idle = closing_text(&Closing::IdleTimeout { after_ms: 10_000 });
        assert!(idle.contains("10000 ms of idle (--idle)"), "{idle}");
        assert!(!idle.contains("gave up"), "{idle}");
        let limit = closing_text(&Closing::SessionTimeout {
            after_ms: 300_000,
            awaiting: "the client's next package".into(),
        });
        assert!(limit.starts_with("we gave up waiting"), "{limit}");
        assert!(
            limit.contains("awaiting the client's next package"),
            "{limit}"
        );
    }
}
