//! The comparison table and the timeline picture.

use std::fmt::Write as _;

use steadfast_core::breaker::CircuitState;
use steadfast_core::Millis;

use crate::world::{Metrics, Second};

/// The table's header line.
#[must_use]
pub fn table_header() -> String {
    format!(
        "| {:<22} | {:<9} | {:>5} | {:>9} | {:>8} | {:>8} | {:>5} | {:>6} | {:>6} | {:>6} | {:>8} | {:>8} | {:>10} |\n|{}|",
        "scenario", "policy", "calls", "successes", "goodput", "att/succ", "429s", "outage", "dupes", "quota+", "p50 s", "p99 s", "violations",
        "-".repeat(24) + "|" + &"-".repeat(11) + "|" + &"-".repeat(7) + "|" + &"-".repeat(11) + "|" + &"-".repeat(10) + "|"
            + &"-".repeat(10) + "|" + &"-".repeat(7) + "|" + &"-".repeat(8) + "|" + &"-".repeat(8) + "|" + &"-".repeat(8) + "|"
            + &"-".repeat(10) + "|" + &"-".repeat(10) + "|" + &"-".repeat(12)
    )
}

/// One row of the table.
#[must_use]
pub fn table_row(scenario: &str, policy: &str, m: &Metrics) -> String {
    let violations: u64 = m.violations().iter().map(|(_, n)| n).sum();
    format!(
        "| {:<22} | {:<9} | {:>5} | {:>9} | {:>8.3} | {:>8.3} | {:>5} | {:>6} | {:>6} | {:>6} | {:>8.1} | {:>8.1} | {:>10} |",
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

/// One thing the picture draws: the class its shapes carry (shared by the
/// legend's swatch), its colour (the same in both places) and what it means.
#[derive(Clone, Copy, Debug)]
struct Series {
    class: &'static str,
    colour: &'static str,
    label: &'static str,
}

const REFUSED: Series = Series {
    class: "refused",
    colour: "#e17055",
    label: "answered 429, or sent into an outage",
};
const SENT: Series = Series {
    class: "sent",
    colour: "#8395a7",
    label: "the others",
};
const SUCCEEDED: Series = Series {
    class: "succeeded",
    colour: "#00b894",
    label: "succeeded",
};
const CLOSED: Series = Series {
    class: "closed",
    colour: "#55efc4",
    label: "closed",
};
const HALF_OPEN: Series = Series {
    class: "half-open",
    colour: "#fdcb6e",
    label: "half-open",
};
const OPEN: Series = Series {
    class: "open",
    colour: "#d63031",
    label: "open",
};
const QUOTA: Series = Series {
    class: "quota",
    colour: "#6c5ce7",
    label: "daily quota left, as the client counts it",
};
const OUTAGE: Series = Series {
    class: "outage",
    colour: "#f3e3c3",
    label: "server outage (every request gets 503)",
};

/// The picture's width, and the plot area's left edge and width.
const WIDTH: f64 = 1000.0;
const PLOT_LEFT: f64 = 70.0;
const PLOT_W: f64 = WIDTH - PLOT_LEFT - 24.0;
/// Room above a plot for its heading, below it for the time labels.
const HEADING_H: f64 = 20.0;
const TIME_LABELS_H: f64 = 22.0;
const PANEL_GAP: f64 = 8.0;
/// The strip at the top of the requests panel where outages are named (no
/// bar reaches into it).
const LANE_H: f64 = 16.0;
const REQUESTS_H: f64 = 110.0;
const SUCCEEDED_H: f64 = 64.0;
const CIRCUIT_ROW_H: f64 = 12.0;
const QUOTA_H: f64 = 64.0;
const TEXT: &str = "#2d3436";
const MUTED: &str = "#636e72";
const GRID: &str = "#e8ecef";

/// Bars narrower than this make the picture unreadable: seconds are then
/// grouped into bins of a round number of seconds.
const MIN_BAR_W: f64 = 2.5;
const BIN_SIZES: [usize; 14] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
];
const TIME_STEPS: [u64; 16] = [
    1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400,
];

/// The shared time axis: simulated seconds → x.
#[derive(Clone, Copy, Debug)]
struct TimeAxis {
    seconds: f64,
    /// Seconds per bar.
    bin: usize,
    /// Seconds between ticks.
    step: u64,
    /// Label in minutes rather than seconds.
    minutes: bool,
}

impl TimeAxis {
    fn new(seconds: usize) -> Self {
        let seconds = seconds.max(1);
        let bin = BIN_SIZES
            .iter()
            .copied()
            .find(|k| seconds.div_ceil(*k) as f64 * MIN_BAR_W <= PLOT_W)
            .unwrap_or(7200);
        let step = TIME_STEPS
            .iter()
            .copied()
            .find(|s| seconds as u64 / s <= 10)
            .unwrap_or(28_800);
        // The axis ends on a tick.
        let end = (seconds as u64).div_ceil(step) * step;
        Self {
            seconds: end as f64,
            bin,
            step,
            minutes: step >= 60,
        }
    }

    fn x(&self, second: f64) -> f64 {
        PLOT_LEFT + PLOT_W * (second / self.seconds).clamp(0.0, 1.0)
    }

    fn ticks(&self) -> impl Iterator<Item = u64> + '_ {
        (0..)
            .map(|i| i * self.step)
            .take_while(|t| *t as f64 <= self.seconds)
    }

    /// `90 s`, or `2 min` / `2.5 min` on a minutes axis.
    fn label(&self, second: f64) -> String {
        if self.minutes {
            let m = second / 60.0;
            if (m - m.round()).abs() < 0.05 {
                format!("{} min", m.round())
            } else {
                format!("{m:.1} min")
            }
        } else {
            format!("{} s", second.round())
        }
    }

    /// "60–180 s", or "1–3 min".
    fn span_label(&self, from: f64, to: f64) -> String {
        let to = self.label(to);
        let from = self.label(from);
        let unit = if self.minutes { " min" } else { " s" };
        format!("{}–{to}", from.trim_end_matches(unit))
    }
}

/// A value axis: `lo..=hi` with ticks every `step`.
#[derive(Clone, Copy, Debug)]
struct ValueAxis {
    lo: f64,
    hi: f64,
    step: f64,
}

impl ValueAxis {
    /// From zero to a round number at or above `max`, with about `ticks`
    /// intervals.
    fn from_zero(max: f64, ticks: f64) -> Self {
        let max = if max > 0.0 { max } else { 1.0 };
        let step = nice_step(max / ticks);
        Self {
            lo: 0.0,
            hi: (max / step).ceil() * step,
            step,
        }
    }

    /// Round numbers around `min..=max` (from zero when `min` is near it).
    fn around(min: f64, max: f64, ticks: f64) -> Self {
        let span = if max > min {
            max - min
        } else {
            (max / 10.0).max(1.0)
        };
        let step = nice_step(span / ticks);
        let mut lo = (min / step).floor() * step;
        let hi = ((max / step).ceil() * step).max(lo + step);
        if lo <= step {
            lo = 0.0;
        }
        Self { lo, hi, step }
    }

    /// The y of `v` in a plot from `top` to `top + h`.
    fn y(&self, v: f64, top: f64, h: f64) -> f64 {
        let f = ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0);
        top + h - h * f
    }

    fn ticks(&self) -> Vec<f64> {
        let n = ((self.hi - self.lo) / self.step).round() as u64;
        (0..=n).map(|i| self.lo + i as f64 * self.step).collect()
    }
}

/// 1, 2 or 5 times a power of ten, at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    let n = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    n * magnitude
}

/// `7`, `0.5`, `9 000`.
fn value_label(v: f64) -> String {
    if (v - v.round()).abs() > 1e-9 {
        return format!("{v:.1}");
    }
    let digits = format!("{}", v.round() as i64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 && c.is_ascii_digit() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Text made safe for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One second-range of bars: its first second, its length, and the mean per
/// second of each quantity over it.
struct Bin {
    start: usize,
    len: usize,
    refused: f64,
    sent: f64,
    succeeded: f64,
}

fn bins(timeline: &[Second], size: usize) -> Vec<Bin> {
    timeline
        .chunks(size.max(1))
        .enumerate()
        .map(|(i, chunk)| {
            let len = chunk.len().max(1);
            let mean = |f: &dyn Fn(&Second) -> u32| {
                chunk.iter().map(|s| f64::from(f(s))).sum::<f64>() / len as f64
            };
            let sends = mean(&|s| s.sends);
            let refused = mean(&|s| (s.rate_limited + s.during_outage).min(s.sends));
            Bin {
                start: i * size.max(1),
                len,
                refused,
                sent: sends - refused,
                succeeded: mean(&|s| s.ok),
            }
        })
        .collect()
}

/// Draws a rectangle with a class and a fill.
fn rect(svg: &mut String, series: &Series, x: f64, y: f64, w: f64, h: f64) {
    let _ = write!(
        svg,
        r##"<rect class="{}" x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{}"/>"##,
        series.class, series.colour
    );
}

/// The parts of a panel drawn under its data: heading (above the plot
/// area), background, grid, outage bands.
struct Panel<'a> {
    axis: &'a TimeAxis,
    outages: &'a [(f64, f64)],
    top: f64,
    h: f64,
}

impl Panel<'_> {
    fn back(&self, svg: &mut String, heading: &str, y_grid: &[f64]) {
        let (top, h) = (self.top, self.h);
        let _ = write!(
            svg,
            r##"<text class="heading" x="{PLOT_LEFT}" y="{:.1}" fill="{TEXT}" font-size="12" font-weight="bold">{}</text><rect class="plot" x="{PLOT_LEFT}" y="{top:.1}" width="{PLOT_W}" height="{h:.1}" fill="#fff" stroke="{GRID}"/>"##,
            top - 6.0,
            escape(heading)
        );
        for &(from, to) in self.outages {
            let (x0, x1) = (self.axis.x(from), self.axis.x(to));
            rect(svg, &OUTAGE, x0, top, x1 - x0, h);
        }
        for t in self.axis.ticks() {
            let x = self.axis.x(t as f64);
            let _ = write!(
                svg,
                r##"<line x1="{x:.2}" y1="{top:.1}" x2="{x:.2}" y2="{:.1}" stroke="{GRID}"/>"##,
                top + h
            );
        }
        for &y in y_grid {
            let _ = write!(
                svg,
                r##"<line x1="{PLOT_LEFT}" y1="{y:.2}" x2="{:.1}" y2="{y:.2}" stroke="{GRID}"/>"##,
                PLOT_LEFT + PLOT_W
            );
        }
    }

    /// The parts drawn over the data: the time axis with its ticks and
    /// labels, and the value labels (`(y, text)`) on the left.
    fn front(&self, svg: &mut String, y_labels: &[(f64, String)]) {
        let bottom = self.top + self.h;
        let _ = write!(
            svg,
            r##"<line x1="{PLOT_LEFT}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="#888"/>"##,
            PLOT_LEFT + PLOT_W
        );
        for t in self.axis.ticks() {
            let x = self.axis.x(t as f64);
            let _ = write!(
                svg,
                r##"<line x1="{x:.2}" y1="{bottom:.1}" x2="{x:.2}" y2="{:.1}" stroke="#888"/><text class="xtick" x="{x:.2}" y="{:.1}" fill="{MUTED}" font-size="10" text-anchor="middle">{}</text>"##,
                bottom + 4.0,
                bottom + 14.0,
                self.axis.label(t as f64)
            );
        }
        for (y, label) in y_labels {
            let _ = write!(
                svg,
                r##"<line x1="{:.1}" y1="{y:.2}" x2="{PLOT_LEFT}" y2="{y:.2}" stroke="#888"/><text class="ytick" x="{:.1}" y="{:.2}" fill="{MUTED}" font-size="10" text-anchor="end">{}</text>"##,
                PLOT_LEFT - 4.0,
                PLOT_LEFT - 6.0,
                y + 3.5,
                escape(label)
            );
        }
    }
}

/// The room one panel takes, heading and time labels included.
fn panel_height(plot_h: f64) -> f64 {
    HEADING_H + plot_h + TIME_LABELS_H + PANEL_GAP
}

/// An SVG picture of runs of one scenario on a shared time axis: for each
/// run, requests sent per second (those answered 429 or sent into an outage
/// apart), calls that succeeded per second, the circuit's state, and the
/// daily quota left as the client counts it. Every `outages` window
/// (`[start, end)`, simulated time) is shaded and named. Scales are shared
/// between runs, so their heights compare directly.
#[must_use]
pub fn timeline_svg(
    title: &str,
    runs: &[(&str, &[Second])],
    outages: &[(Millis, Millis)],
) -> String {
    let seconds = runs.iter().map(|(_, t)| t.len()).max().unwrap_or(1);
    let axis = TimeAxis::new(seconds);
    let windows: Vec<(f64, f64)> = outages
        .iter()
        .map(|(a, b)| (a.as_u64() as f64 / 1000.0, b.as_u64() as f64 / 1000.0))
        .filter(|(a, b)| b > a && *a < axis.seconds)
        .map(|(a, b)| (a, b.min(axis.seconds)))
        .collect();
    let binned: Vec<Vec<Bin>> = runs.iter().map(|(_, t)| bins(t, axis.bin)).collect();
    let max_of = |f: &dyn Fn(&Bin) -> f64| binned.iter().flatten().map(f).fold(0.0f64, f64::max);
    let rate_axis = ValueAxis::from_zero(max_of(&|b| b.sent + b.refused), 5.0);
    let ok_axis = ValueAxis::from_zero(max_of(&|b| b.succeeded), 3.0);
    let quota: Vec<u64> = runs
        .iter()
        .flat_map(|(_, t)| t.iter().filter_map(|s| s.quota_left))
        .collect();
    let quota_axis = ValueAxis::around(
        quota.iter().copied().min().unwrap_or(0) as f64,
        quota.iter().copied().max().unwrap_or(1) as f64,
        3.0,
    );
    let per = if axis.bin > 1 {
        format!(" (mean over {} s)", axis.bin)
    } else {
        String::new()
    };

    let circuit_h = 3.0 * CIRCUIT_ROW_H;
    let group_h = 24.0
        + panel_height(LANE_H + REQUESTS_H)
        + panel_height(SUCCEEDED_H)
        + panel_height(circuit_h)
        + panel_height(QUOTA_H)
        + 12.0;
    let legend_top = 44.0;
    let groups_top = legend_top + 48.0;
    let height = groups_top + group_h * runs.len() as f64;

    let mut svg = String::with_capacity(64 * 1024);
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="#fff"/><text class="title" x="{PLOT_LEFT}" y="26" font-size="16" font-weight="bold" fill="{TEXT}">{}</text>"##,
        escape(title)
    );
    legend(&mut svg, legend_top, !windows.is_empty());

    for (i, ((name, timeline), bins)) in runs.iter().zip(&binned).enumerate() {
        let mut y = groups_top + i as f64 * group_h;
        let _ = write!(
            svg,
            r##"<text class="group" x="{:.1}" y="{:.1}" font-size="15" font-weight="bold" fill="{TEXT}">{}</text><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{MUTED}"/>"##,
            8.0,
            y + 16.0,
            escape(name),
            8.0,
            y + 22.0,
            WIDTH - 8.0,
            y + 22.0
        );
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" fill="{MUTED}" font-size="11" text-anchor="end">time: simulated, from the start of the run</text>"##,
            WIDTH - 8.0,
            y + 16.0
        );
        y += 24.0 + HEADING_H;

        // Requests sent per second, those refused at the bottom.
        let panel = Panel {
            axis: &axis,
            outages: &windows,
            top: y,
            h: LANE_H + REQUESTS_H,
        };
        let bars_top = y + LANE_H;
        let y_ticks: Vec<(f64, String)> = rate_axis
            .ticks()
            .into_iter()
            .map(|v| (rate_axis.y(v, bars_top, REQUESTS_H), value_label(v)))
            .collect();
        let grid: Vec<f64> = y_ticks.iter().map(|(y, _)| *y).collect();
        panel.back(&mut svg, &format!("requests sent per second{per}"), &grid);
        for &(from, to) in &windows {
            let centre = (axis.x(from) + axis.x(to)) / 2.0;
            let _ = write!(
                svg,
                r##"<text class="outage-label" x="{:.2}" y="{:.1}" fill="{TEXT}" font-size="10" text-anchor="middle">outage {}</text>"##,
                centre.clamp(PLOT_LEFT + 45.0, PLOT_LEFT + PLOT_W - 45.0),
                y + 11.0,
                axis.span_label(from, to)
            );
        }
        for b in bins {
            let x0 = axis.x(b.start as f64);
            let w = bar_width(axis.x((b.start + b.len) as f64) - x0);
            let base = rate_axis.y(0.0, bars_top, REQUESTS_H);
            let y_refused = rate_axis.y(b.refused, bars_top, REQUESTS_H);
            let y_total = rate_axis.y(b.refused + b.sent, bars_top, REQUESTS_H);
            if b.refused > 0.0 {
                rect(&mut svg, &REFUSED, x0, y_refused, w, base - y_refused);
            }
            if b.sent > 0.0 {
                rect(&mut svg, &SENT, x0, y_total, w, y_refused - y_total);
            }
        }
        panel.front(&mut svg, &y_ticks);
        y += LANE_H + REQUESTS_H + TIME_LABELS_H + PANEL_GAP + HEADING_H;

        // Calls that succeeded per second.
        let panel = Panel {
            axis: &axis,
            outages: &windows,
            top: y,
            h: SUCCEEDED_H,
        };
        let y_ticks: Vec<(f64, String)> = ok_axis
            .ticks()
            .into_iter()
            .map(|v| (ok_axis.y(v, y, SUCCEEDED_H), value_label(v)))
            .collect();
        let grid: Vec<f64> = y_ticks.iter().map(|(y, _)| *y).collect();
        panel.back(
            &mut svg,
            &format!("calls that succeeded per second{per}"),
            &grid,
        );
        for b in bins.iter().filter(|b| b.succeeded > 0.0) {
            let x0 = axis.x(b.start as f64);
            let w = bar_width(axis.x((b.start + b.len) as f64) - x0);
            let top = ok_axis.y(b.succeeded, y, SUCCEEDED_H);
            rect(&mut svg, &SUCCEEDED, x0, top, w, y + SUCCEEDED_H - top);
        }
        panel.front(&mut svg, &y_ticks);
        y += SUCCEEDED_H + TIME_LABELS_H + PANEL_GAP + HEADING_H;

        // The circuit's state: one row per state.
        let panel = Panel {
            axis: &axis,
            outages: &windows,
            top: y,
            h: circuit_h,
        };
        let rows = [(OPEN, 0.0), (HALF_OPEN, 1.0), (CLOSED, 2.0)];
        let grid: Vec<f64> = (1..3).map(|r| y + f64::from(r) * CIRCUIT_ROW_H).collect();
        panel.back(&mut svg, "circuit state", &grid);
        let mut run_start = 0usize;
        for s in 1..=timeline.len() {
            let state = |k: usize| timeline.get(k).and_then(|sec| sec.circuit);
            if s < timeline.len() && state(s) == state(run_start) {
                continue;
            }
            let series = match state(run_start) {
                Some(CircuitState::Open) => Some(rows[0]),
                Some(CircuitState::HalfOpen) => Some(rows[1]),
                Some(CircuitState::Closed) => Some(rows[2]),
                None => None,
            };
            if let Some((series, row)) = series {
                let x0 = axis.x(run_start as f64);
                let x1 = axis.x(s as f64);
                rect(
                    &mut svg,
                    &series,
                    x0,
                    y + row * CIRCUIT_ROW_H + 1.0,
                    (x1 - x0).max(0.5),
                    CIRCUIT_ROW_H - 2.0,
                );
            }
            run_start = s;
        }
        let labels: Vec<(f64, String)> = rows
            .iter()
            .map(|(s, row)| (y + (row + 0.5) * CIRCUIT_ROW_H, s.label.to_owned()))
            .collect();
        panel.front(&mut svg, &labels);
        y += circuit_h + TIME_LABELS_H + PANEL_GAP + HEADING_H;

        // The daily quota left, on its own scale.
        let panel = Panel {
            axis: &axis,
            outages: &windows,
            top: y,
            h: QUOTA_H,
        };
        let y_ticks: Vec<(f64, String)> = quota_axis
            .ticks()
            .into_iter()
            .map(|v| (quota_axis.y(v, y, QUOTA_H), value_label(v)))
            .collect();
        let grid: Vec<f64> = y_ticks.iter().map(|(y, _)| *y).collect();
        panel.back(&mut svg, QUOTA.label, &grid);
        let mut points = String::new();
        let mut last: Option<u64> = None;
        for (s, left) in timeline
            .iter()
            .enumerate()
            .filter_map(|(s, sec)| sec.quota_left.map(|q| (s, q)))
        {
            if last == Some(left) {
                continue;
            }
            let x = axis.x(s as f64);
            if let Some(prev) = last {
                let _ = write!(
                    points,
                    "{x:.2},{:.2} ",
                    quota_axis.y(prev as f64, y, QUOTA_H)
                );
            }
            let _ = write!(
                points,
                "{x:.2},{:.2} ",
                quota_axis.y(left as f64, y, QUOTA_H)
            );
            last = Some(left);
        }
        if let Some(left) = last {
            let _ = write!(
                points,
                "{:.2},{:.2}",
                axis.x(timeline.len() as f64),
                quota_axis.y(left as f64, y, QUOTA_H)
            );
        }
        let _ = write!(
            svg,
            r##"<polyline class="{}" fill="none" stroke="{}" stroke-width="1.5" points="{}"/>"##,
            QUOTA.class,
            QUOTA.colour,
            points.trim_end()
        );
        panel.front(&mut svg, &y_ticks);
    }
    svg.push_str("</svg>");
    svg
}

/// A bar a little narrower than its slot, so neighbours stay apart.
fn bar_width(slot: f64) -> f64 {
    if slot >= 3.0 {
        slot - 1.0
    } else {
        slot.max(0.5)
    }
}

/// The legend: two rows of swatches, each in exactly the colour of what it
/// names (the outage's only when the scenario has one).
fn legend(svg: &mut String, top: f64, with_outage: bool) {
    let outage: &[Series] = if with_outage { &[OUTAGE] } else { &[] };
    let rows: [[(&str, &[Series]); 3]; 2] = [
        [
            ("requests sent:", &[REFUSED, SENT]),
            ("calls:", &[SUCCEEDED]),
            ("", &[]),
        ],
        [
            ("circuit:", &[CLOSED, HALF_OPEN, OPEN]),
            ("", outage),
            ("", &[QUOTA]),
        ],
    ];
    for (r, groups) in rows.iter().enumerate() {
        let y = top + r as f64 * 20.0;
        let mut x = PLOT_LEFT;
        for (lead, items) in groups.iter().filter(|(_, items)| !items.is_empty()) {
            if !lead.is_empty() {
                let _ = write!(
                    svg,
                    r##"<text x="{x:.1}" y="{:.1}" fill="{MUTED}">{lead}</text>"##,
                    y + 10.0
                );
                x += text_width(lead) + 8.0;
            }
            for s in *items {
                if s.class == QUOTA.class {
                    let _ = write!(
                        svg,
                        r##"<line class="swatch {}" x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="2"/>"##,
                        s.class,
                        y + 5.5,
                        x + 16.0,
                        y + 5.5,
                        s.colour
                    );
                } else {
                    let _ = write!(
                        svg,
                        r##"<rect class="swatch {}" x="{x:.1}" y="{y:.1}" width="16" height="11" fill="{}" stroke="#b2bec3" stroke-width="0.5"/>"##,
                        s.class, s.colour
                    );
                }
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{:.1}" fill="{TEXT}">{}</text>"##,
                    x + 21.0,
                    y + 10.0,
                    escape(s.label)
                );
                x += 21.0 + text_width(s.label) + 14.0;
            }
            x += 16.0;
        }
    }
}

/// A generous estimate of a 12 px sans-serif label's width.
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.6
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element of the SVG as (tag name, attributes text, text content).
    fn elements(svg: &str) -> Vec<(&str, &str, &str)> {
        svg.split('<')
            .filter(|piece| !piece.starts_with('/') && !piece.is_empty())
            .map(|piece| {
                let (head, content) = piece.split_once('>').unwrap_or((piece, ""));
                let (name, attrs) = head.split_once(' ').unwrap_or((head, ""));
                (name, attrs, content)
            })
            .collect()
    }

    fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
        let key = format!("{name}=\"");
        let (at, _) = attrs
            .match_indices(&key)
            .find(|(i, _)| *i == 0 || attrs.as_bytes()[i - 1] == b' ')?;
        let rest = &attrs[at + key.len()..];
        rest.get(..rest.find('"')?)
    }

    fn num(attrs: &str, name: &str) -> f64 {
        attr(attrs, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    fn class_of(attrs: &str) -> &str {
        attr(attrs, "class").unwrap_or("")
    }

    /// Five minutes: 5 requests a second, all refused (and none succeeding)
    /// during the outage from 60 s to 180 s; the circuit open from 65 s to
    /// 175 s with a half-open second at 120 s; the quota counting down.
    fn sample() -> Vec<Second> {
        (0..300u32)
            .map(|s| {
                let down = (60..180).contains(&s);
                Second {
                    sends: 5,
                    ok: if down { 0 } else { 4 },
                    rate_limited: 0,
                    during_outage: if down { 5 } else { 0 },
                    circuit: Some(match s {
                        120 => CircuitState::HalfOpen,
                        65..=174 => CircuitState::Open,
                        _ => CircuitState::Closed,
                    }),
                    quota_left: Some(9_000 - u64::from(s) * 5),
                }
            })
            .collect()
    }

    fn picture(outages: &[(Millis, Millis)]) -> String {
        let t = sample();
        timeline_svg(
            "outage, seed 1",
            &[("Steadfast", &t), ("the seed's policy", &t)],
            outages,
        )
    }

    const OUTAGE_60_180: [(Millis, Millis); 1] = [(Millis(60_000), Millis(180_000))];

    #[test]
    fn timeline_is_deterministic() {
        assert_eq!(picture(&OUTAGE_60_180), picture(&OUTAGE_60_180));
    }

    #[test]
    fn timeline_shades_and_names_every_outage_over_its_time_range() {
        let svg = picture(&OUTAGE_60_180);
        let all = elements(&svg);
        let bands: Vec<_> = all
            .iter()
            .filter(|(n, a, _)| *n == "rect" && class_of(a) == "outage")
            .collect();
        // Four panels per run, two runs.
        assert_eq!(bands.len(), 8);
        let x60 = PLOT_LEFT + PLOT_W * 60.0 / 300.0;
        let x180 = PLOT_LEFT + PLOT_W * 180.0 / 300.0;
        for (_, a, _) in bands {
            assert!((num(a, "x") - x60).abs() < 0.01, "{a}");
            assert!((num(a, "width") - (x180 - x60)).abs() < 0.02, "{a}");
        }
        let labels: Vec<_> = all
            .iter()
            .filter(|(_, a, _)| class_of(a) == "outage-label")
            .collect();
        assert_eq!(labels.len(), 2);
        for (_, a, text) in labels {
            assert_eq!(*text, "outage 60–180 s");
            assert!((num(a, "x") - (x60 + x180) / 2.0).abs() < 0.01);
        }

        let none = picture(&[]);
        assert!(
            !elements(&none)
                .iter()
                .any(|(_, a, _)| class_of(a).contains("outage")),
            "no outage, no band, no label, no swatch"
        );
    }

    #[test]
    fn legend_swatches_have_exactly_the_colours_of_what_they_name() {
        let svg = picture(&OUTAGE_60_180);
        let all = elements(&svg);
        for s in [REFUSED, SENT, SUCCEEDED, CLOSED, HALF_OPEN, OPEN, OUTAGE] {
            let swatch: Vec<_> = all
                .iter()
                .filter(|(_, a, _)| class_of(a) == format!("swatch {}", s.class))
                .collect();
            assert_eq!(swatch.len(), 1, "one swatch for {}", s.class);
            let swatch_fill = attr(swatch[0].1, "fill");
            let drawn: Vec<_> = all
                .iter()
                .filter(|(n, a, _)| *n == "rect" && class_of(a) == s.class)
                .collect();
            assert!(!drawn.is_empty(), "{} is drawn", s.class);
            for (_, a, _) in drawn {
                assert_eq!(attr(a, "fill"), swatch_fill, "{}", s.class);
            }
        }
        let quota_swatch = all
            .iter()
            .find(|(_, a, _)| class_of(a) == "swatch quota")
            .map(|(_, a, _)| attr(a, "stroke"));
        let quota_lines: Vec<_> = all
            .iter()
            .filter(|(n, a, _)| *n == "polyline" && class_of(a) == "quota")
            .map(|(_, a, _)| attr(a, "stroke"))
            .collect();
        assert_eq!(quota_lines.len(), 2);
        assert!(quota_lines.iter().all(|s| Some(*s) == quota_swatch));
    }

    #[test]
    fn every_panel_has_time_and_value_labels_inside_its_own_rows() {
        let svg = picture(&OUTAGE_60_180);
        let all = elements(&svg);
        let plots: Vec<(f64, f64)> = all
            .iter()
            .filter(|(n, a, _)| *n == "rect" && class_of(a) == "plot")
            .map(|(_, a, _)| (num(a, "y"), num(a, "y") + num(a, "height")))
            .collect();
        assert_eq!(plots.len(), 8);
        let xticks: Vec<_> = all
            .iter()
            .filter(|(_, a, _)| class_of(a) == "xtick")
            .collect();
        // 0, 30, …, 300 s under every panel, just below its plot.
        assert_eq!(xticks.len(), 11 * 8);
        for label in ["0 s", "60 s", "180 s", "300 s"] {
            assert_eq!(xticks.iter().filter(|(_, _, t)| *t == label).count(), 8);
        }
        for (_, a, _) in &xticks {
            let y = num(a, "y");
            assert!(plots
                .iter()
                .any(|(_, bottom)| y > *bottom && y < bottom + TIME_LABELS_H));
        }
        // Value labels sit beside their own plot, never in the next panel.
        let yticks: Vec<_> = all
            .iter()
            .filter(|(_, a, _)| class_of(a) == "ytick")
            .collect();
        for (_, a, text) in &yticks {
            let y = num(a, "y") - 3.5;
            assert!(
                plots
                    .iter()
                    .any(|(top, bottom)| y >= top - 0.01 && y <= bottom + 0.01),
                "{text} at {y}"
            );
        }
        for label in [
            "0",
            "2",
            "4",
            "open",
            "half-open",
            "closed",
            "9 000",
            "7 500",
        ] {
            assert!(
                yticks.iter().any(|(_, _, t)| *t == label),
                "value label {label}"
            );
        }
        // The quota has its own scale, fitted to its values (7 505 to 9 000
        // here), not squeezed against zero.
        assert!(!yticks
            .iter()
            .any(|(_, _, t)| *t == "7 000" || *t == "1 000"));
    }

    #[test]
    fn headings_sit_above_their_plot_clear_of_bars_and_the_title() {
        let svg = picture(&OUTAGE_60_180);
        let all = elements(&svg);
        let boxes: Vec<(f64, f64, f64, f64)> = all
            .iter()
            .filter(|(n, a, _)| *n == "rect" && !["plot", "outage", ""].contains(&class_of(a)))
            .filter(|(_, a, _)| !class_of(a).starts_with("swatch"))
            .map(|(_, a, _)| {
                let (x, y) = (num(a, "x"), num(a, "y"));
                (x, y, x + num(a, "width"), y + num(a, "height"))
            })
            .collect();
        assert!(!boxes.is_empty());
        let plots: Vec<f64> = all
            .iter()
            .filter(|(_, a, _)| class_of(a) == "plot")
            .map(|(_, a, _)| num(a, "y"))
            .collect();
        let headings: Vec<_> = all
            .iter()
            .filter(|(_, a, _)| class_of(a) == "heading")
            .collect();
        assert_eq!(headings.len(), plots.len());
        let title_bottom = 26.0 + 4.0;
        for ((_, a, text), plot_top) in headings.iter().zip(&plots) {
            let (x, baseline) = (num(a, "x"), num(a, "y"));
            // 12 px text: from about 10 px above the baseline to 3 below.
            let (top, bottom) = (baseline - 10.0, baseline + 3.0);
            let right = x + text_width(text);
            assert!(bottom <= *plot_top, "{text} above its plot");
            assert!(top > title_bottom, "{text} below the title");
            for b in &boxes {
                let overlaps = b.0 < right && b.2 > x && b.1 < bottom && b.3 > top;
                assert!(!overlaps, "{text} overlaps a bar at {b:?}");
            }
        }
        // Bars stay under the outage label's lane.
        for (_, a, _) in all
            .iter()
            .filter(|(_, a, _)| ["sent", "refused"].contains(&class_of(a)))
        {
            let y = num(a, "y");
            assert!(plots
                .iter()
                .any(|top| y >= top + LANE_H - 0.01 && y < top + LANE_H + REQUESTS_H));
        }
    }

    #[test]
    fn long_runs_are_binned_and_labelled_in_minutes() {
        let long: Vec<Second> = (0..3000)
            .map(|_| Second {
                sends: 2,
                ok: 1,
                circuit: Some(CircuitState::Closed),
                quota_left: Some(100),
                ..Second::default()
            })
            .collect();
        let svg = timeline_svg("long", &[("Steadfast", &long)], &[]);
        assert!(svg.contains("requests sent per second (mean over 10 s)"));
        assert!(svg.contains(">10 min</text>") && svg.contains(">50 min</text>"));
        let bars = elements(&svg)
            .into_iter()
            .filter(|(_, a, _)| class_of(a) == "sent")
            .count();
        assert_eq!(bars, 300);
    }

    #[test]
    fn value_axes_end_on_round_numbers() {
        let a = ValueAxis::from_zero(10.0, 5.0);
        assert_eq!((a.lo, a.hi, a.step), (0.0, 10.0, 2.0));
        let q = ValueAxis::around(6_900.0, 9_000.0, 3.0);
        assert_eq!((q.lo, q.hi, q.step), (6_000.0, 9_000.0, 1_000.0));
        assert_eq!(value_label(10_000.0), "10 000");
        assert_eq!(value_label(0.5), "0.5");
    }
}
