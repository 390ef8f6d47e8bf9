//! Run-sequence plots (Barrett et al.'s figures): iteration time against
//! in-process iteration number, with the changepoint segments' means, the
//! start of the steady state, and tier and GC events marked under the
//! iterations they happened in. Plain SVG, no scripts or fonts to fetch.

use crate::steady::Analysis;
use std::fmt::Write;

/// A tier or GC event to mark.
#[derive(Clone, Debug)]
pub struct PlotEvent {
    pub iteration: usize,
    pub kind: EventMark,
    pub label: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventMark {
    Compile,
    Osr,
    Deopt,
    Gc,
}

impl EventMark {
    const ALL: [EventMark; 4] = [EventMark::Compile, EventMark::Osr, EventMark::Deopt, EventMark::Gc];

    fn name(self) -> &'static str {
        match self {
            EventMark::Compile => "compiled",
            EventMark::Osr => "OSR entry",
            EventMark::Deopt => "deopt",
            EventMark::Gc => "GC",
        }
    }

    fn color(self) -> &'static str {
        match self {
            EventMark::Compile => "#2ca02c",
            EventMark::Osr => "#9467bd",
            EventMark::Deopt => "#d62728",
            EventMark::Gc => "#7f7f7f",
        }
    }

    fn row(self) -> usize {
        self as usize
    }
}

const W: f64 = 860.0;
const H: f64 = 460.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 48.0;
const PLOT_H: f64 = 290.0;
const LANE: f64 = 11.0;

/// Escapes text for SVG; control characters (not allowed in XML 1.0)
/// become spaces.
fn esc(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A unit for the data's range: (divisor, suffix).
fn unit(max_seconds: f64) -> (f64, &'static str) {
    if max_seconds >= 1.0 {
        (1.0, "s")
    } else if max_seconds >= 1e-3 {
        (1e-3, "ms")
    } else if max_seconds >= 1e-6 {
        (1e-6, "µs")
    } else {
        (1e-9, "ns")
    }
}

/// Round tick spacing (1, 2 or 5 times a power of ten) for about `n` ticks.
fn tick_step(range: f64, n: f64) -> f64 {
    if range.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !range.is_finite() {
        return 1.0;
    }
    let raw = range / n;
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    p * if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    }
}

pub fn run_sequence_svg(title: &str, times: &[f64], analysis: Option<&Analysis>, events: &[PlotEvent]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    s.push_str(r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let heading = match analysis {
        Some(a) => format!("{title}: {}", a.class.name()),
        None => title.to_string(),
    };
    let _ = write!(s, r#"<text x="{LEFT}" y="22" font-size="14" font-weight="bold">{}</text>"#, esc(&heading));
    let n = times.len();
    let finite: Vec<f64> = times.iter().copied().filter(|t| t.is_finite()).collect();
    if n == 0 || finite.is_empty() {
        s.push_str(r#"<text x="78" y="120">no iterations</text></svg>"#);
        return s;
    }
    let max = finite.iter().copied().fold(f64::MIN, f64::max).max(0.0);
    let (div, suffix) = unit(max);
    let ymax_raw = if max > 0.0 { max / div * 1.05 } else { 1.0 };
    let ystep = tick_step(ymax_raw, 5.0);
    let ymax = (ymax_raw / ystep).ceil() * ystep;
    let plot_w = W - LEFT - RIGHT;
    let x_of = |i: f64| LEFT + if n > 1 { i / (n - 1) as f64 * plot_w } else { plot_w / 2.0 };
    let y_of = |t: f64| TOP + PLOT_H - (t / div / ymax).clamp(0.0, 1.0) * PLOT_H;

    // Axes and ticks.
    let _ = write!(
        s,
        r##"<path d="M{LEFT} {TOP} V{} H{}" fill="none" stroke="#333"/>"##,
        TOP + PLOT_H,
        LEFT + plot_w
    );
    let mut v = 0.0;
    while v <= ymax + ystep * 1e-9 {
        let y = TOP + PLOT_H - v / ymax * PLOT_H;
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0,
            trim_number(v)
        );
        v += ystep;
    }
    let xstep = tick_step(n.max(2) as f64 - 1.0, 8.0).max(1.0);
    let mut i = 0.0;
    while i <= (n - 1) as f64 + 1e-9 {
        let x = x_of(i);
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{}" y2="{}" stroke="#333"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            TOP + PLOT_H,
            TOP + PLOT_H + 4.0,
            TOP + PLOT_H + 16.0,
            i as u64 + 1
        );
        i += xstep;
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">in-process iteration</text><text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">iteration time ({suffix})</text>"#,
        LEFT + plot_w / 2.0,
        TOP + PLOT_H + 32.0,
        TOP + PLOT_H / 2.0,
        TOP + PLOT_H / 2.0
    );

    // Steady state and segment means under the data.
    if let Some(a) = analysis {
        if let Some(start) = a.steady_iteration {
            let x = x_of(start as f64);
            let _ = write!(
                s,
                r##"<rect x="{x:.1}" y="{TOP}" width="{:.1}" height="{PLOT_H}" fill="#e8f4ff"/><text x="{:.1}" y="{}" fill="#1f77b4">steady state from iteration {}</text>"##,
                (LEFT + plot_w - x).max(0.0),
                x + 4.0,
                TOP + 14.0,
                start + 1
            );
        }
        for seg in &a.segments {
            if seg.is_empty() || !seg.mean.is_finite() {
                continue;
            }
            let y = y_of(seg.mean);
            let _ = write!(
                s,
                r##"<line x1="{:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ff7f0e" stroke-width="2"/>"##,
                x_of(seg.start as f64),
                x_of((seg.end - 1) as f64)
            );
        }
    }

    // The data: points, or a thin line when they would overlap.
    if n > plot_w as usize {
        s.push_str(r##"<polyline fill="none" stroke="#1f77b4" stroke-width="0.7" points=""##);
        for (i, t) in times.iter().enumerate().filter(|(_, t)| t.is_finite()) {
            let _ = write!(s, "{:.1},{:.1} ", x_of(i as f64), y_of(*t));
        }
        s.push_str(r#""/>"#);
    } else {
        let outliers = analysis.map_or(&[][..], |a| &a.outliers[..]);
        for (i, t) in times.iter().enumerate().filter(|(_, t)| t.is_finite()) {
            // Outliers (left out of changepoint detection) are hollow.
            let style = if outliers.binary_search(&i).is_ok() { r##"fill="none" stroke="#1f77b4""## } else { r##"fill="#1f77b4""## };
            let _ = write!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="1.8" {style}/>"#, x_of(i as f64), y_of(*t));
        }
    }

    // Event lanes under the x axis, one per kind.
    let lanes_top = TOP + PLOT_H + 44.0;
    for e in events.iter().filter(|e| e.iteration < n) {
        let x = x_of(e.iteration as f64);
        let y = lanes_top + e.kind.row() as f64 * LANE;
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{y:.1}" width="3" height="{}" fill="{}"><title>{} {} (iteration {})</title></rect>"#,
            x - 1.5,
            LANE - 2.0,
            e.kind.color(),
            e.kind.name(),
            esc(&e.label),
            e.iteration + 1
        );
    }
    for k in EventMark::ALL {
        let y = lanes_top + k.row() as f64 * LANE;
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end" font-size="10" fill="{}">{}</text>"#,
            LEFT - 6.0,
            y + LANE - 3.0,
            k.color(),
            k.name()
        );
    }
    // Legend.
    let _ = write!(
        s,
        r##"<g transform="translate({},{})"><circle cx="0" cy="-4" r="3" fill="#1f77b4"/><text x="8" y="0">iteration</text><line x1="80" x2="100" y1="-4" y2="-4" stroke="#ff7f0e" stroke-width="2"/><text x="106" y="0">segment mean (PELT)</text><circle cx="244" cy="-4" r="3" fill="none" stroke="#1f77b4"/><text x="252" y="0">outlier</text></g>"##,
        W - 380.0,
        36.0
    );
    s.push_str("</svg>");
    s
}

fn trim_number(v: f64) -> String {
    let t = format!("{v:.3}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steady::analyse;

    fn balanced(svg: &str) {
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        for tag in ["text", "g"] {
            assert_eq!(svg.matches(&format!("<{tag} ")).count() + svg.matches(&format!("<{tag}>")).count(), svg.matches(&format!("</{tag}>")).count(), "{tag}");
        }
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn plots_data_segments_events_and_legend() {
        let mut t = vec![5e-3; 20];
        t.extend(vec![1e-3; 80]);
        let a = analyse(&t);
        let ev = [
            PlotEvent { iteration: 3, kind: EventMark::Compile, label: "fib <x.cl:1> & co".into() },
            PlotEvent { iteration: 40, kind: EventMark::Gc, label: String::new() },
        ];
        let svg = run_sequence_svg("bench \"x\"", &t, Some(&a), &ev);
        balanced(&svg);
        assert!(svg.contains("bench &quot;x&quot;: warmup"));
        assert!(svg.contains("steady state from iteration 21"));
        assert!(svg.contains("iteration time (ms)"));
        assert!(svg.contains("compiled fib &lt;x.cl:1&gt; &amp; co (iteration 4)"));
        for legend in ["compiled", "OSR entry", "deopt", "GC", "segment mean (PELT)"] {
            assert!(svg.contains(&format!(">{legend}<")), "{legend}");
        }
        assert_eq!(svg.matches("<circle").count(), 100 + 2, "points plus the legend's");
    }

    #[test]
    fn degenerate_inputs_still_make_a_picture() {
        balanced(&run_sequence_svg("empty", &[], None, &[]));
        balanced(&run_sequence_svg("one", &[2e-6], Some(&analyse(&[2e-6])), &[]));
        balanced(&run_sequence_svg("zeros", &[0.0, 0.0, 0.0], None, &[]));
        let ns = run_sequence_svg("ctl\u{1}title", &[2e-9, 3e-9], None, &[]);
        balanced(&ns);
        assert!(ns.contains("iteration time (ns)") && ns.contains("ctl title"), "{ns}");
        let many: Vec<f64> = (0..5000).map(|i| 1e-3 + (i % 7) as f64 * 1e-6).collect();
        let svg = run_sequence_svg("many", &many, None, &[]);
        balanced(&svg);
        assert!(svg.contains("<polyline"));
    }
}
