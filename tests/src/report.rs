//! The comparison table and the timeline picture.

use std::fmt::Write as _;

use steadfast_core::breaker::CircuitState;

use crate::world::{Metrics, Second};

/// The table's header line.
#[must_use]
pub fn table_header() -> String {
    format!(
        "| {:<20} | {:<9} | {:>5} | {:>9} | {:>8} | {:>8} | {:>5} | {:>6} | {:>6} | {:>6} | {:>8} | {:>8} | {:>10} |\n|{}|",
        "scenario", "policy", "calls", "successes", "goodput", "att/succ", "429s", "outage", "dupes", "quota+", "p50 s", "p99 s", "violations",
        "-".repeat(22) + "|" + &"-".repeat(11) + "|" + &"-".repeat(7) + "|" + &"-".repeat(11) + "|" + &"-".repeat(10) + "|"
            + &"-".repeat(10) + "|" + &"-".repeat(7) + "|" + &"-".repeat(8) + "|" + &"-".repeat(8) + "|" + &"-".repeat(8) + "|"
            + &"-".repeat(10) + "|" + &"-".repeat(10) + "|" + &"-".repeat(12)
    )
}

/// One row of the table.
#[must_use]
pub fn table_row(scenario: &str, policy: &str, m: &Metrics) -> String {
    let violations: u64 = m.violations().iter().map(|(_, n)| n).sum();
    format!(
        "| {:<20} | {:<9} | {:>5} | {:>9} | {:>8.3} | {:>8.3} | {:>5} | {:>6} | {:>6} | {:>6} | {:>8.1} | {:>8.1} | {:>10} |",
        scenario,
        policy,
        m.calls,
        m.successes,
        m.goodput(),
        m.attempts_per_success(),
        m.rate_limited,
        m.sent_during_outage,
        m.duplicate_writes,
        m.quota_overruns,
        m.latency_quantile(0.5) as f64 / 1000.0,
        m.latency_quantile(0.99) as f64 / 1000.0,
        violations
    )
}

/// An SVG picture of one run: requests per second (successes, 429s, sends
/// during outages), the circuit's state, and the daily quota left.
#[must_use]
pub fn timeline_svg(title: &str, runs: &[(&str, &[Second])]) -> String {
    let seconds = runs.iter().map(|(_, t)| t.len()).max().unwrap_or(1).max(1);
    let width = 1000.0f64;
    let left = 60.0;
    let plot_w = width - left - 20.0;
    let x = |s: usize| left + plot_w * s as f64 / seconds as f64;
    let bar_w = (plot_w / seconds as f64).max(0.5);
    let panel_h = 150.0;
    let mut svg = String::new();
    let height = 40.0 + runs.len() as f64 * (panel_h + 80.0) + 30.0;
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="#fff"/><text x="{left}" y="24" font-size="16" font-weight="bold">{title}</text>"##
    );
    for (i, (name, timeline)) in runs.iter().enumerate() {
        let top = 40.0 + i as f64 * (panel_h + 80.0);
        let max_rate = timeline.iter().map(|s| s.sends).max().unwrap_or(1).max(1) as f64;
        let y = |v: f64| top + panel_h - panel_h * v / max_rate;
        let _ = write!(
            svg,
            r##"<text x="{left}" y="{}" font-weight="bold">{name}: requests per second (max {max_rate})</text><line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#999"/>"##,
            top - 4.0,
            top + panel_h,
            left + plot_w,
            top + panel_h
        );
        for (s, sec) in timeline.iter().enumerate() {
            let layers = [
                (f64::from(sec.sends), "#c8d6e5"),
                (f64::from(sec.rate_limited + sec.during_outage), "#e17055"),
                (f64::from(sec.ok.min(sec.sends)), "#00b894"),
            ];
            for (v, colour) in layers {
                if v > 0.0 {
                    let _ = write!(
                        svg,
                        r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{colour}"/>"##,
                        x(s),
                        y(v),
                        bar_w,
                        top + panel_h - y(v)
                    );
                }
            }
            let colour = match sec.circuit {
                Some(CircuitState::Open) => "#d63031",
                Some(CircuitState::HalfOpen) => "#fdcb6e",
                _ => "#55efc4",
            };
            let _ = write!(
                svg,
                r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="12" fill="{colour}"/>"##,
                x(s),
                top + panel_h + 8.0,
                bar_w
            );
        }
        let max_left = timeline
            .iter()
            .filter_map(|s| s.quota_left)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let points: Vec<String> = timeline
            .iter()
            .enumerate()
            .filter_map(|(s, sec)| {
                sec.quota_left.map(|q| {
                    format!(
                        "{:.1},{:.1}",
                        x(s),
                        top + panel_h + 70.0 - 40.0 * q as f64 / max_left
                    )
                })
            })
            .collect();
        let _ = write!(
            svg,
            r##"<polyline fill="none" stroke="#6c5ce7" stroke-width="1.5" points="{}"/><text x="4" y="{}">circuit</text><text x="4" y="{}">quota left</text><text x="{}" y="{}" fill="#6c5ce7" text-anchor="end">daily quota left (top = {max_left})</text>"##,
            points.join(" "),
            top + panel_h + 18.0,
            top + panel_h + 50.0,
            left + plot_w,
            top + panel_h + 72.0
        );
    }
    let legend_y = height - 10.0;
    let _ = write!(
        svg,
        r##"<text x="{left}" y="{legend_y}"><tspan fill="#00b894">■ calls succeeded</tspan>  <tspan fill="#e17055">■ 429s and requests into an outage</tspan>  <tspan fill="#8395a7">■ requests sent</tspan>  circuit: <tspan fill="#55efc4">■ closed</tspan> <tspan fill="#fdcb6e">■ half-open</tspan> <tspan fill="#d63031">■ open</tspan>  (x: simulated seconds, 0–{seconds})</text></svg>"##
    );
    svg
}
