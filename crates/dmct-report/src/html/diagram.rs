//! The sequence diagram of a case, inline SVG: one arrow per message, coloured by the
//! worst finding that points at it.

use super::*;

pub(super) const RED: &str = "#b3261e";
pub(super) const AMBER: &str = "#9a5b00";
pub(super) const INK: &str = "#24292f";
pub(super) const GREY: &str = "#8c959f";

pub(super) fn arrow_color(m: Mark) -> &'static str {
    match m {
        Mark::Fail => RED,
        Mark::Inconclusive => AMBER,
        Mark::None => INK,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn arrow(
    out: &mut String,
    href: Option<&str>,
    y: f64,
    rightward: bool,
    color: &str,
    dashed: bool,
    label: &str,
    ex_no: Option<usize>,
) {
    const CLIENT_X: f64 = 130.0;
    const SERVER_X: f64 = 770.0;
    let (x1, x2) = if rightward {
        (CLIENT_X, SERVER_X)
    } else {
        (SERVER_X, CLIENT_X)
    };
    let head = if rightward { x2 - 10.0 } else { x2 + 10.0 };
    if let Some(h) = href {
        let _ = write!(out, "<a href=\"{h}\">");
    }
    let _ = write!(out, "<g><title>{}</title>", escape(label));
    if let Some(k) = ex_no {
        let _ = write!(
            out,
            "<text x=\"8\" y=\"{:.0}\" font-size=\"11\" fill=\"{GREY}\">#{k}</text>",
            y + 4.0
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{x1:.0}\" y1=\"{y:.0}\" x2=\"{head:.0}\" y2=\"{y:.0}\" stroke=\"{color}\" \
         stroke-width=\"{}\"{}/>",
        if color == INK { "1.5" } else { "2.5" },
        if dashed {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        }
    );
    let _ = write!(
        out,
        "<polygon points=\"{x2:.0},{y:.0} {head:.0},{:.1} {head:.0},{:.1}\" fill=\"{color}\"/>",
        y - 5.0,
        y + 5.0
    );
    let _ = write!(
        out,
        "<text x=\"450\" y=\"{:.0}\" text-anchor=\"middle\" font-size=\"12\" \
         font-family=\"ui-monospace,Menlo,Consolas,monospace\" fill=\"{color}\">{}</text>",
        y - 6.0,
        escape(&cut_label(label))
    );
    out.push_str("</g>");
    if href.is_some() {
        out.push_str("</a>");
    }
    out.push('\n');
}

pub(super) fn sequence_diagram(
    out: &mut String,
    i: usize,
    c: &CaseResult,
    t: &Transcript,
    views: &[ExchangeView],
) {
    const ROW: f64 = 34.0;
    const TOP: f64 = 64.0;
    let rows = views
        .iter()
        .map(|v| {
            if v.ex.failure.is_some() && v.response.is_some() {
                3
            } else {
                2
            }
        })
        .sum::<usize>()
        + usize::from(t.package0.is_some());
    let height = TOP + ROW * rows as f64 + 40.0;
    let peer = cut_label_to(&c.peer.label(), 28);
    let (client_sub, server_sub) = match c.role {
        dmct_rules::Role::Client => (format!("under test: {peer}"), "dmct".to_string()),
        dmct_rules::Role::Server => ("dmct".to_string(), format!("under test: {peer}")),
    };
    let _ = writeln!(
        out,
        "<svg class=\"seq\" viewBox=\"0 0 900 {height:.0}\" width=\"900\" height=\"{height:.0}\" \
         role=\"img\" aria-label=\"Sequence diagram of case {i}: {} exchanges\" \
         font-family=\"system-ui,sans-serif\">",
        views.len()
    );
    for (x, name, sub, under) in [
        (
            130.0,
            "DM client",
            client_sub.as_str(),
            c.role == dmct_rules::Role::Client,
        ),
        (
            770.0,
            "DM server",
            server_sub.as_str(),
            c.role == dmct_rules::Role::Server,
        ),
    ] {
        let _ = writeln!(
            out,
            "<line x1=\"{x:.0}\" y1=\"44\" x2=\"{x:.0}\" y2=\"{:.0}\" stroke=\"{GREY}\" \
             stroke-dasharray=\"3 3\"/><rect x=\"{:.0}\" y=\"4\" width=\"240\" height=\"40\" \
             rx=\"4\" fill=\"{}\" stroke=\"{INK}\"/><text x=\"{x:.0}\" y=\"20\" \
             text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" \
             fill=\"{INK}\">{name}</text><text x=\"{x:.0}\" y=\"36\" \
             text-anchor=\"middle\" font-size=\"11\" fill=\"{INK}\">{}</text>",
            height - 12.0,
            x - 120.0,
            if under { "#ddf4ff" } else { "#f6f8fa" },
            escape(sub)
        );
    }
    let mut y = TOP + ROW - 10.0;
    if let Some(p0) = &t.package0 {
        let href = format!("#case-{i}-package0");
        arrow(
            out,
            Some(&href),
            y,
            false,
            GREY,
            true,
            &format!("Package 0 (trigger, {} bytes, out of band)", p0.len()),
            None,
        );
        y += ROW;
    }
    for (k, v) in views.iter().enumerate() {
        let href = format!("#case-{i}-ex-{k}");
        let req = &v.ex.request;
        let label = format!("{} {} \u{2014} {}", req.method, req.target, v.request.dm);
        let m = side_mark(&c.findings, k, Side::Request);
        arrow(
            out,
            Some(&href),
            y,
            true,
            arrow_color(m),
            false,
            &label,
            Some(k),
        );
        y += ROW;
        if let (Some(resp), Some(rv)) = (&v.ex.response, &v.response) {
            let label = format!(
                "{} \u{2014} {}",
                status_line(resp.status).trim_start_matches("HTTP/1.1 "),
                rv.dm
            );
            let m = side_mark(&c.findings, k, Side::Response);
            arrow(
                out,
                Some(&href),
                y,
                false,
                arrow_color(m),
                false,
                &label,
                None,
            );
            y += ROW;
        }
        if let Some(fail) = &v.ex.failure {
            let label = format!("\u{2717} no complete response: {fail}");
            arrow(out, Some(&href), y, false, RED, true, &label, None);
            y += ROW;
        } else if v.ex.response.is_none() {
            arrow(
                out,
                Some(&href),
                y,
                false,
                RED,
                true,
                "\u{2717} no response recorded",
                None,
            );
            y += ROW;
        }
    }
    let _ = writeln!(
        out,
        "<text x=\"450\" y=\"{:.0}\" text-anchor=\"middle\" font-size=\"11\" font-style=\"italic\" \
         fill=\"{GREY}\">observation ended: {}</text>",
        height - 16.0,
        escape(&cut_label(&closing_text(&t.closing)))
    );
    out.push_str("</svg>\n");
}

pub(super) fn cut_label_to(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
    t.push('\u{2026}');
    t
}

// ---------------------------------------------------------------------------------------
// Exchanges, with the evidence highlighted
