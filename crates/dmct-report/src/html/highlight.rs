//! Evidence highlighted in the bodies: where a finding's excerpt sits in the text the
//! page shows.

use super::*;

/// A highlighted range of the shown text and the rules it is evidence for.
pub(super) struct Highlight {
    pub(super) range: Range<usize>,
    pub(super) rules: Vec<String>,
}

/// Strip what the checker adds to an excerpt that is not part of the message text: the
/// WBXML label in front, and the `...` of an excerpt cut at its length limit (reported
/// as `true`).
pub(super) fn excerpt_core(e: &str) -> (&str, bool) {
    let e = e
        .strip_prefix(dmct_proto::xml::WBXML_EXCERPT_LABEL)
        .unwrap_or(e)
        .trim();
    match e.strip_suffix("...") {
        Some(prefix) => (prefix.trim_end(), true),
        None => (e, false),
    }
}

/// `s` without white space that sits between a `>` and a `<` (the indentation), and for
/// each byte kept, its offset in `s`.
pub(super) fn squeeze(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    let mut pending: Option<usize> = None; // start of a white-space run
    let mut last: Option<char> = None; // last non-white-space character
    for (ix, ch) in s.char_indices() {
        if ch.is_whitespace() {
            if pending.is_none() {
                pending = Some(ix);
            }
            continue;
        }
        if let Some(start) = pending.take() {
            let drop = last == Some('>') && ch == '<';
            if !drop {
                let run = s.get(start..ix).unwrap_or_default();
                for (o, b) in run.char_indices() {
                    out.push(b);
                    for n in 0..b.len_utf8() {
                        map.push(start + o + n);
                    }
                }
            }
        }
        out.push(ch);
        for n in 0..ch.len_utf8() {
            map.push(ix + n);
        }
        last = Some(ch);
    }
    // Trailing white space is never part of a match.
    (out, map)
}

/// The name of the first element an excerpt opens (after any declaration or comment).
pub(super) fn first_element_name(e: &str) -> Option<&str> {
    let mut rest = e;
    loop {
        let at = rest.find('<')?;
        rest = rest.get(at + 1..)?;
        if !rest.starts_with(['?', '!', '/']) {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(rest.len());
            return rest.get(..end).filter(|n| !n.is_empty());
        }
    }
}

/// Offset of the next tag `<name` or `</name` (as given in `prefix`) that really is that
/// element, not one whose name merely starts the same.
pub(super) fn find_tag(hay: &str, prefix: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = hay.get(from..)?.find(prefix) {
        let at = from + at;
        let next = hay.get(at + prefix.len()..)?.chars().next();
        if matches!(next, Some('>' | '/') | Some(' ' | '\t' | '\n' | '\r')) {
            return Some(at);
        }
        from = at + prefix.len();
    }
    None
}

/// End of the element `name` that opens at `start` in `text` (nesting counted).
pub(super) fn element_end(text: &str, start: usize, name: &str) -> Option<usize> {
    let open = format!("<{name}");
    let close = format!("</{name}");
    let mut depth = 0usize;
    let mut at = start;
    loop {
        let rest = text.get(at..)?;
        let o = find_tag(rest, &open);
        let c = find_tag(rest, &close);
        match (o, c) {
            (Some(o), c) if c.is_none_or(|c| o < c) => {
                let gt = o + rest.get(o..)?.find('>')?;
                let self_closing = rest.get(..gt)?.ends_with('/');
                at += gt + 1;
                if !self_closing {
                    depth += 1;
                } else if depth == 0 {
                    return Some(at);
                }
            }
            (_, Some(c)) => {
                let gt = c + rest.get(c..)?.find('>')?;
                depth = depth.checked_sub(1)?;
                at += gt + 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => return None,
        }
    }
}

/// Where the excerpt's text is in the shown body: verbatim, or equal but for the
/// indentation between elements. An excerpt the checker cut short is matched by what it
/// kept, and the highlight runs on to the end of the element it opened.
pub(super) fn find_in_body(text: &str, excerpt: &str) -> Option<Range<usize>> {
    let (e, clipped) = excerpt_core(excerpt);
    if e.is_empty() {
        return None;
    }
    let found = match text.find(e) {
        Some(at) => at..at + e.len(),
        None => {
            let (hay, map) = squeeze(text);
            let (needle, _) = squeeze(e);
            if needle.is_empty() {
                return None;
            }
            let at = hay.find(&needle)?;
            let start = *map.get(at)?;
            let end = *map.get(at + needle.len() - 1)? + 1;
            start..end
        }
    };
    if !(found.start < found.end
        && text.is_char_boundary(found.start)
        && text.is_char_boundary(found.end))
    {
        return None;
    }
    if clipped {
        let whole = first_element_name(e).and_then(|name| {
            let open = found.start + find_tag(text.get(found.start..)?, &format!("<{name}"))?;
            element_end(text, open, name)
        });
        if let Some(end) = whole.filter(|end| *end > found.end) {
            return Some(found.start..end);
        }
    }
    Some(found)
}

/// Where the excerpt is in the request/status line and headers (case-insensitive: header
/// names are).
pub(super) fn find_in_head(head: &str, excerpt: &str) -> Option<Range<usize>> {
    let (e, _) = excerpt_core(excerpt);
    if e.is_empty() {
        return None;
    }
    let at = head.to_ascii_lowercase().find(&e.to_ascii_lowercase())?;
    let end = at + e.len();
    (head.is_char_boundary(at) && head.is_char_boundary(end)).then_some(at..end)
}

/// Add a highlight, merging it with any it overlaps (marks do not nest).
pub(super) fn add_highlight(list: &mut Vec<Highlight>, range: Range<usize>, rule: &str) {
    let mut merged = Highlight {
        range,
        rules: vec![rule.to_owned()],
    };
    let mut keep = Vec::with_capacity(list.len());
    for h in list.drain(..) {
        if h.range.start < merged.range.end && merged.range.start < h.range.end {
            merged.range = merged.range.start.min(h.range.start)..merged.range.end.max(h.range.end);
            for r in h.rules {
                if !merged.rules.contains(&r) {
                    merged.rules.push(r);
                }
            }
        } else {
            keep.push(h);
        }
    }
    keep.push(merged);
    keep.sort_by_key(|h| h.range.start);
    *list = keep;
}

/// The text, escaped, with each highlight wrapped in `<mark class="violation">`.
pub(super) struct Marked<'a>(pub(super) &'a str, pub(super) &'a [Highlight]);

impl Render for Marked<'_> {
    fn render_to(&self, buffer: &mut String) {
        let Marked(text, highlights) = *self;
        let mut at = 0;
        for h in highlights {
            let (Some(before), Some(inside)) =
                (text.get(at..h.range.start), text.get(h.range.clone()))
            else {
                continue;
            };
            Text(before).render_to(buffer);
            html! {
                mark class="violation" title={ "evidence: " (Text(&h.rules.join(", "))) } {
                    (Text(inside))
                }
            }
            .render_to(buffer);
            at = h.range.end;
        }
        Text(text.get(at..).unwrap_or_default()).render_to(buffer);
    }
}
