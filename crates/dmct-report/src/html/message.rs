//! One exchange and its two messages, with the findings that point at each.

use super::*;
use dmct_rules::{ByteSpan, ExchangeView};
use std::cell::OnceCell;

/// What the exchange listing of one case needs to hand around.
pub(super) struct CaseCtx<'a> {
    pub(super) i: usize,
    pub(super) by_exchange: &'a ByExchange<'a>,
    pub(super) view: &'a View<'a>,
    /// The shown text of every message of the case (`None`: a hex dump), made only when
    /// an excerpt is looked for outside its own message.
    pub(super) texts: OnceCell<Vec<(Option<String>, Option<String>)>>,
}

impl CaseCtx<'_> {
    /// The first message of the case whose shown body holds the excerpt.
    fn quoted_from(&self, excerpt: &str) -> Option<(usize, Side)> {
        let texts = self.texts.get_or_init(|| {
            let text = |body: &Body, decoded: &Result<Decoded, DecodeError>| {
                let v = body_view(body, decoded, &[]);
                (!v.hex).then(|| v.text.into_owned())
            };
            self.view
                .exchanges
                .iter()
                .map(|e| {
                    let ex = e.exchange;
                    let response = ex.response.as_ref().zip(e.response.as_ref());
                    (
                        text(&ex.request.body, &e.request),
                        response.and_then(|(r, d)| text(&r.body, d)),
                    )
                })
                .collect()
        });
        let hit = |t: &Option<String>| {
            t.as_ref()
                .is_some_and(|t| find_in_body(t, excerpt).is_some())
        };
        texts
            .iter()
            .enumerate()
            .find_map(|(k, (request, response))| {
                if hit(request) {
                    Some((k, Side::Request))
                } else if hit(response) {
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

fn mark_class(m: Mark) -> &'static str {
    match m {
        Mark::Fail => " fail",
        Mark::Inconclusive => " inconclusive",
        Mark::None => "",
    }
}

pub(super) fn exchange(ctx: &CaseCtx, k: usize, v: &ExchangeView) -> Markup {
    let (i, ex) = (ctx.i, v.exchange);
    let worst = ctx
        .by_exchange
        .mark(k, Side::Request)
        .max(ctx.by_exchange.mark(k, Side::Response));
    let outcome = match (&ex.response, &ex.failure) {
        (Some(r), _) => status_line(r.status),
        (None, Some(f)) => format!("no response: {f}"),
        (None, None) => "no response".into(),
    };
    let req_head = head_text(
        &format!("{} {} HTTP/1.1", ex.request.method, ex.request.target),
        &ex.request.headers,
    );
    let request = body_view(
        &ex.request.body,
        &v.request,
        &highlighted_spans(ctx, k, Side::Request),
    );
    let response = ex
        .response
        .as_ref()
        .zip(v.response.as_ref())
        .map(|(r, decoded)| {
            let head = head_text(&status_line(r.status), &r.headers);
            let spans = highlighted_spans(ctx, k, Side::Response);
            (head, body_view(&r.body, decoded, &spans))
        });
    html! {
        div class={ "exchange" (mark_class(worst)) } id={ "case-" (i) "-ex-" (k) } {
            "\n" h3 {
                "Exchange #" (k) ": "
                code { (Text(&ex.request.method)) " " (Text(&ex.request.target)) }
                " \u{2192} " code { (Text(&outcome)) }
            } "\n"
            (message(ctx, k, Side::Request, Some((&req_head, &request))))
            (message(ctx, k, Side::Response, response.as_ref().map(|(h, b)| (h.as_str(), b))))
        } "\n"
    }
}

pub(super) fn side_findings(ctx: &CaseCtx, k: usize, side: Side) -> Markup {
    let list: Vec<&Finding> = ctx
        .by_exchange
        .at(k, side)
        .filter(|f| matches!(f.verdict, Verdict::Fail | Verdict::Inconclusive))
        .collect();
    if list.is_empty() {
        return html! {};
    }
    html! {
        ul class="here" {
            "\n"
            @for f in list {
                @let v = f.verdict.as_str();
                li class=(v) {
                    (badge(v, v)) " " code { (Text(&f.rule)) } " (" (f.level.as_str()) ") "
                    (Text(&f.detail))
                } "\n"
            }
        } "\n"
    }
}

/// One message of an exchange: the findings about it, the head, the evidence and the
/// body. `None`: the message never came (a response that is missing).
pub(super) fn message(
    ctx: &CaseCtx,
    k: usize,
    side: Side,
    shown: Option<(&str, &BodyView)>,
) -> Markup {
    let mark = ctx.by_exchange.mark(k, side);
    let title = match side {
        Side::Request => "Request (client \u{2192} server)",
        Side::Response => "Response (server \u{2192} client)",
    };
    let failure = ctx
        .view
        .exchanges
        .get(k)
        .and_then(|v| v.exchange.failure.as_ref());
    if shown.is_none() && mark == Mark::None && failure.is_none() {
        return html! { p class="failure" { "\u{2717} No response was recorded." } "\n" };
    }

    // The evidence of each failing finding on this message: in the body, else in the
    // head, else shown on its own above the body.
    let mut in_body = Vec::new();
    let mut in_head = Vec::new();
    // (rule, excerpt, whether its span lies past the cut of the body shown)
    let mut loose: Vec<(&str, &str, bool)> = Vec::new();
    for f in ctx
        .by_exchange
        .at(k, side)
        .filter(|f| f.verdict == Verdict::Fail)
    {
        let Some(e) = &f.excerpt else { continue };
        // The span where the view shows its element (exact): what of it the cut text
        // shows, or, past the cut, nothing to search for (an element like it shown
        // earlier is not the one). Without a span, the excerpt looked for in the text.
        let mark = shown.and_then(|(_, body)| body.mark(span_here(f, side)?));
        // A marked finding that is not in the shown text lies past the cut.
        let past_cut = mark.is_some();
        let in_shown = match (shown, mark) {
            (Some((_, body)), Some(r)) => shown_part(&body.text, r).map(|r| (true, r)),
            (Some((head, body)), None) => {
                let b = if body.hex {
                    None
                } else {
                    find_in_body(&body.text, e)
                };
                match b {
                    Some(r) => Some((true, r)),
                    None => find_in_head(head, e).map(|r| (false, r)),
                }
            }
            (None, _) => None,
        };
        match in_shown {
            Some((true, r)) => add_highlight(&mut in_body, r, &f.rule),
            Some((false, r)) => add_highlight(&mut in_head, r, &f.rule),
            None => loose.push((&f.rule, e, past_cut)),
        }
    }

    html! {
        div class={ "msg" (mark_class(mark)) } {
            "\n" h4 { (title) } "\n"
            (side_findings(ctx, k, side))
            @if shown.is_none() {
                @if let Some(f) = failure {
                    p class="failure" {
                        "\u{2717} No complete response: " (Text(&f.to_string()))
                    } "\n"
                } @else {
                    p class="failure" { "\u{2717} No response was recorded." } "\n"
                }
            }
            @if let Some((head, _)) = shown {
                pre class="head" { (Marked(head, &in_head)) } "\n"
            }
            @for (rule, e, past_cut) in &loose {
                p class="evidence-label" {
                    "Evidence for " code { (Text(rule)) } ", as the rule quoted it "
                    @if *past_cut {
                        "(in this message's body, past the part shown"
                    } @else {
                        "(not found verbatim in this message"
                    }
                    @if let Some((j, s)) = ctx
                        .quoted_from(e)
                        .filter(|at| !*past_cut && *at != (k, side))
                    {
                        "; the quoted text is in "
                        a href={ "#case-" (ctx.i) "-ex-" (j) } {
                            "exchange #" (j) " " (side_word(s))
                        }
                    }
                    "):"
                } "\n"
                pre class="evidence" { mark class="violation" { (Text(e)) } } "\n"
            }
            @if let Some((_, body)) = shown {
                @if body.text.is_empty() && body.label == "empty body" {
                    p class="muted" { "(empty body)" } "\n"
                } @else {
                    details class="body" open[mark == Mark::Fail] {
                        summary { "Body: " (Text(&body.label)) } "\n"
                        @if let Some(note) = &body.cut_note {
                            p class="note" { (Text(note)) } "\n"
                        }
                        pre class="body" { (Marked(&body.text, &in_body)) } "\n"
                    } "\n"
                }
            }
        } "\n"
    }
}

/// The spans of the failing findings on message `side` of exchange `k` that have an
/// excerpt to highlight: the only ones its body view looks for.
fn highlighted_spans(ctx: &CaseCtx, k: usize, side: Side) -> Vec<ByteSpan> {
    ctx.by_exchange
        .at(k, side)
        .filter(|f| f.verdict == Verdict::Fail && f.excerpt.is_some())
        .filter_map(|f| span_here(f, side))
        .collect()
}

/// A finding's span, where it names a byte range of message `side`'s body (a span is
/// kept only for the message the finding names).
fn span_here(f: &Finding, side: Side) -> Option<ByteSpan> {
    f.span.filter(|_| f.message == Some(side))
}

/// The part of the view's range `r` that the shown text (the view, maybe cut) holds:
/// `None` where the cut falls before it, or it is not on character boundaries.
fn shown_part(text: &str, r: Range<usize>) -> Option<Range<usize>> {
    let r = r.start..r.end.min(text.len());
    (r.start < r.end && text.get(r.clone()).is_some()).then_some(r)
}

// ---------------------------------------------------------------------------------------
// Small pieces

pub(super) fn badge(class: &str, text: &str) -> Markup {
    html! { span class={ "badge " (class) } { (Text(text)) } }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(super) fn code_list(items: &[String]) -> Markup {
    html! {
        @for (j, r) in items.iter().enumerate() {
            @if j > 0 { ", " }
            code { (Text(r)) }
        }
    }
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
