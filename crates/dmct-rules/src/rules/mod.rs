//! Rule checks, one module per area.

pub mod auth;
pub mod session;

use crate::{Observation, Side, Verdict};

pub(crate) fn obs(
    verdict: Verdict,
    exchange: usize,
    message: Side,
    detail: impl Into<String>,
    excerpt: Option<String>,
) -> Observation {
    Observation {
        verdict,
        exchange: Some(exchange),
        message: Some(message),
        detail: detail.into(),
        excerpt,
    }
}

/// At most this many bytes of wire text in an excerpt.
const EXCERPT_MAX: usize = 600;

pub(crate) fn clip(s: String) -> String {
    if s.len() <= EXCERPT_MAX {
        return s;
    }
    let mut end = EXCERPT_MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}
