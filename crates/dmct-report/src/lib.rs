//! Renders what a dmct run found: the report model, a text summary for people and the
//! golden snapshots, versioned JSON for machines, JUnit XML for CI, and one
//! self-contained HTML file for review.
//!
//! The text form holds no times, ports or random ids, so it can be snapshotted.

mod html;
mod junit;
pub mod matrix;
mod model;
mod rules;
mod text;

pub use html::{closing_text, render_html};
pub use junit::render_junit;
pub use model::*;
pub use rules::{RuleSummary, rule_summary};
pub use text::render_text;

/// Pretty JSON with a trailing newline; key order is the struct order (stable).
pub fn render_json(report: &RunReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        // Every field is plain data; this would be a bug in the model.
        format!("{{\"error\": \"report could not be serialised: {e}\"}}")
    });
    s.push('\n');
    s
}
