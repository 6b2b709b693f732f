//! The sequence diagram of a case, inline SVG: one arrow per message, coloured by the
//! worst finding that points at it.
//!
//! Every coordinate is a whole number, so they are written as integers (the `.0` of the
//! arrow heads' corners is kept as the page always had it), not formatted as floats.

use super::*;

pub(super) const RED: &str = "#b3261e";
pub(super) const AMBER: &str = "#9a5b00";
pub(super) const INK: &str = "#24292f";
pub(super) const GREY: &str = "#8c959f";

const ROW: i64 = 34;
const TOP: i64 = 64;
const CLIENT_X: i64 = 130;
const SERVER_X: i64 = 770;

pub(super) fn arrow_color(m: Mark) -> &'static str {
    match m {
        Mark::Fail => RED,
        Mark::Inconclusive => AMBER,
        Mark::None => INK,
    }
}

/// One arrow of the diagram, a link to the exchange it shows.
pub(super) struct Arrow<'a> {
    pub(super) href: &'a str,
    pub(super) y: i64,
    pub(super) rightward: bool,
    pub(super) color: &'a str,
    pub(super) dashed: bool,
    pub(super) label: &'a str,
    pub(super) ex_no: Option<usize>,
}

impl Render for Arrow<'_> {
    fn render_to(&self, buffer: &mut String) {
        let Arrow {
            href,
            y,
            rightward,
            color,
            dashed,
            label,
            ex_no,
        } = *self;
        let (x1, x2) = if rightward {
            (CLIENT_X, SERVER_X)
        } else {
            (SERVER_X, CLIENT_X)
        };
        let head = if rightward { x2 - 10 } else { x2 + 10 };
        html! {
            a href=(href) { g {
                title { (Text(label)) }
                @if let Some(k) = ex_no {
                    text x="8" y=(y + 4) font-size="11" fill=(GREY) { "#" (k) }
                }
                line x1=(x1) y1=(y) x2=(head) y2=(y) stroke=(color)
                    stroke-width=(if color == INK { "1.5" } else { "2.5" })
                    stroke-dasharray=[dashed.then_some("6 4")] {}
                polygon points={
                    (x2) "," (y) " " (head) "," (y - 5) ".0 " (head) "," (y + 5) ".0"
                } fill=(color) {}
                text x="450" y=(y - 6) text-anchor="middle" font-size="12"
                    font-family="ui-monospace,Menlo,Consolas,monospace" fill=(color) {
                    (Text(&cut_label(label)))
                }
            } } "\n"
        }
        .render_to(buffer);
    }
}

pub(super) fn sequence_diagram(ctx: &CaseCtx, c: &CaseResult) -> Markup {
    let (i, view) = (ctx.i, ctx.view);
    let t = view.transcript;
    let rows = view
        .exchanges
        .iter()
        .map(|v| {
            if v.exchange.failure.is_some() && v.exchange.response.is_some() {
                3
            } else {
                2
            }
        })
        .sum::<i64>()
        + i64::from(t.package0.is_some());
    let height = TOP + ROW * rows + 40;
    let peer = cut_label_to(&c.peer.label(), 28);
    let (client_sub, server_sub) = match c.role {
        dmct_rules::Role::Client => (format!("under test: {peer}"), "dmct".to_string()),
        dmct_rules::Role::Server => ("dmct".to_string(), format!("under test: {peer}")),
    };
    let lifelines = [
        (
            CLIENT_X,
            "DM client",
            client_sub.as_str(),
            c.role == dmct_rules::Role::Client,
        ),
        (
            SERVER_X,
            "DM server",
            server_sub.as_str(),
            c.role == dmct_rules::Role::Server,
        ),
    ];
    html! {
        svg class="seq" viewBox={ "0 0 900 " (height) } width="900" height=(height) role="img"
            aria-label={ "Sequence diagram of case " (i) ": " (view.exchanges.len()) " exchanges" }
            font-family="system-ui,sans-serif" {
            "\n"
            @for (x, name, sub, under) in lifelines {
                line x1=(x) y1="44" x2=(x) y2=(height - 12) stroke=(GREY)
                    stroke-dasharray="3 3" {}
                rect x=(x - 120) y="4" width="240" height="40" rx="4"
                    fill=(if under { "#ddf4ff" } else { "#f6f8fa" }) stroke=(INK) {}
                text x=(x) y="20" text-anchor="middle" font-size="13" font-weight="bold"
                    fill=(INK) { (name) }
                text x=(x) y="36" text-anchor="middle" font-size="11" fill=(INK) { (Text(sub)) }
                "\n"
            }
            (Arrows(ctx))
            text x="450" y=(height - 16) text-anchor="middle" font-size="11" font-style="italic"
                fill=(GREY) {
                "observation ended: " (Text(&cut_label(&closing_text(&t.closing))))
            } "\n"
        } "\n"
    }
}

/// The arrows of every exchange, written straight into the diagram.
struct Arrows<'a>(&'a CaseCtx<'a>);

impl Render for Arrows<'_> {
    fn render_to(&self, buffer: &mut String) {
        let (i, view) = (self.0.i, self.0.view);
        let mut y = TOP + ROW - 10;
        let mut arrow = |href: &str, rightward, color, dashed, label: &str, ex_no| {
            Arrow {
                href,
                y,
                rightward,
                color,
                dashed,
                label,
                ex_no,
            }
            .render_to(buffer);
            y += ROW;
        };
        if let Some(p0) = &view.transcript.package0 {
            let label = format!("Package 0 (trigger, {} bytes, out of band)", p0.len());
            arrow(
                &format!("#case-{i}-package0"),
                false,
                GREY,
                true,
                &label,
                None,
            );
        }
        for (k, v) in view.exchanges.iter().enumerate() {
            let href = format!("#case-{i}-ex-{k}");
            let (ex, by) = (v.exchange, self.0.by_exchange);
            let req = &ex.request;
            let label = format!(
                "{} {} \u{2014} {}",
                req.method,
                req.target,
                dm_line(&req.body, &v.request)
            );
            let m = by.mark(k, Side::Request);
            arrow(&href, true, arrow_color(m), false, &label, Some(k));
            if let (Some(resp), Some(decoded)) = (&ex.response, &v.response) {
                let label = format!(
                    "{} \u{2014} {}",
                    status_line(resp.status).trim_start_matches("HTTP/1.1 "),
                    dm_line(&resp.body, decoded)
                );
                let m = by.mark(k, Side::Response);
                arrow(&href, false, arrow_color(m), false, &label, None);
            }
            if let Some(fail) = &ex.failure {
                let label = format!("\u{2717} no complete response: {fail}");
                arrow(&href, false, RED, true, &label, None);
            } else if ex.response.is_none() {
                arrow(
                    &href,
                    false,
                    RED,
                    true,
                    "\u{2717} no response recorded",
                    None,
                );
            }
        }
    }
}

pub(super) fn cut_label_to(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
    t.push('\u{2026}');
    t
}
