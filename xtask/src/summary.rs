//! One line per measure of a bench, against its anchor and its goal (issue 17): what
//! `cargo xtask bench` prints at the end of a run of all the benches.

/// One measure: what was measured, against what, and whether it meets its goal.
#[derive(Debug, Clone)]
pub struct Measure {
    pub what: String,
    pub value: String,
    pub anchor: String,
    /// The measure over its anchor, where the goal is a ratio.
    pub ratio: Option<f64>,
    pub goal: String,
    pub met: bool,
}

impl Measure {
    /// A ratio (anchor over ours, or ours over the anchor: whichever the goal names)
    /// that must reach `min`.
    pub fn at_least(what: &str, value: String, anchor: String, ratio: f64, min: f64) -> Self {
        Measure {
            what: what.to_owned(),
            value,
            anchor,
            ratio: Some(ratio),
            goal: format!(">= {min}x"),
            met: ratio >= min,
        }
    }

    /// A ratio that must stay at or under `max`.
    pub fn at_most(what: &str, value: String, anchor: String, ratio: f64, max: f64) -> Self {
        Measure {
            what: what.to_owned(),
            value,
            anchor,
            ratio: Some(ratio),
            goal: format!("<= {max}x"),
            met: ratio <= max,
        }
    }

    /// An absolute goal, without an anchor.
    pub fn absolute(what: &str, value: String, goal: String, met: bool) -> Self {
        Measure {
            what: what.to_owned(),
            value,
            anchor: "-".to_owned(),
            ratio: None,
            goal,
            met,
        }
    }
}

/// The table of every measure, and how many met their goals.
pub fn table(measures: &[Measure]) -> String {
    let header = ["measure", "value", "anchor", "ratio", "goal", "met"];
    let rows: Vec<[String; 6]> = measures
        .iter()
        .map(|m| {
            [
                m.what.clone(),
                m.value.clone(),
                m.anchor.clone(),
                m.ratio
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x")),
                m.goal.clone(),
                if m.met { "met" } else { "MISSED" }.to_owned(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            // Text left, numbers right.
            let pad = " ".repeat(w - c.chars().count());
            match i {
                0 | 4 | 5 => s.push_str(&format!("{c}{pad}  ")),
                _ => s.push_str(&format!("{pad}{c}  ")),
            }
        }
        format!("{}\n", s.trim_end())
    };
    let mut out = line(&header.map(str::to_owned));
    out.push_str(&line(&width.map(|w| "-".repeat(w))));
    for r in &rows {
        out.push_str(&line(r));
    }
    let met = measures.iter().filter(|m| m.met).count();
    out.push_str(&format!("{met} of {} goals met\n", measures.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_are_judged_and_tabled() {
        let m = [
            Measure::at_least("rps", "90 req/s".into(), "nginx 100 req/s".into(), 0.9, 1.0),
            Measure::at_most("memory", "3 MiB".into(), "body 1 MiB".into(), 3.0, 4.0),
            Measure::absolute("32k", "6.0 s".into(), "< 5 s".into(), false),
        ];
        assert!(!m[0].met && m[1].met && !m[2].met);
        let t = table(&m);
        assert!(t.contains("0.90x"), "{t}");
        assert!(
            t.lines().nth(2).is_some_and(|l| l.ends_with("MISSED")),
            "{t}"
        );
        assert!(t.ends_with("1 of 3 goals met\n"), "{t}");
    }
}
