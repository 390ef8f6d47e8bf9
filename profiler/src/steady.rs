//! Classifying a process execution's in-process iteration times, after
//! Barrett, Bolz-Tereick, Killick, Mount and Tratt, "Virtual Machine
//! Warmup Blows Hot and Cold" (OOPSLA 2017), section 4:
//!
//! 1. Leave out outliers (`outliers`: after the paper's `warmup_stats`,
//!    points outside median ± 3 × (p90 − p10) of their neighbourhoods) and
//!    find changepoints with PELT (Normal mean and variance cost, penalty
//!    15 ln n; see `pelt.rs`) on the rest.
//! 2. Segments whose means differ by less than a tolerance are
//!    *equivalent*. The paper's benchmarks ran for seconds and it used an
//!    absolute 0.001 s; ours can take microseconds, so the tolerance here
//!    is relative: 2% of the final segment's mean, and at least 1 µs (the
//!    clock's practical resolution for one iteration).
//! 3. The steady state is the trailing run of segments equivalent to the
//!    final one. If it does not span at least the last 25% of the
//!    iterations (the paper: the last 500 of 2000), the execution has
//!    **no steady state**.
//! 4. Otherwise, if every segment is equivalent to the final one, it is
//!    **flat**; if the final segment is (equivalent to) the fastest, it is
//!    **warmup**; else it is a **slowdown**.
//!
//! The steady state's mean and the time to reach it include outliers. Across process executions, a benchmark is
//! *consistent* when all executions have the same classification.

use crate::pelt::{default_penalty, pelt, segments, Segment};

/// Fraction of the iterations the final segment must cover.
pub const STEADY_FRACTION: f64 = 0.25;
/// Segment means within this fraction of the final segment's mean ...
pub const RELATIVE_TOLERANCE: f64 = 0.02;
/// ... or within this many seconds, are equivalent.
pub const ABSOLUTE_TOLERANCE: f64 = 1e-6;
/// Iterations on each side of a point that decide whether it is an
/// outlier (see `outliers`).
pub const OUTLIER_WINDOW: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Flat,
    Warmup,
    Slowdown,
    NoSteadyState,
}

impl Class {
    pub fn name(&self) -> &'static str {
        match self {
            Class::Flat => "flat",
            Class::Warmup => "warmup",
            Class::Slowdown => "slowdown",
            Class::NoSteadyState => "no steady state",
        }
    }
}

/// The classification of one process execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub class: Class,
    pub changepoints: Vec<usize>,
    /// Segments over iteration numbers; their means leave outliers out.
    pub segments: Vec<Segment>,
    /// Iterations left out of changepoint detection (see `outliers`).
    pub outliers: Vec<usize>,
    /// Index of the first steady-state iteration.
    pub steady_iteration: Option<usize>,
    /// Seconds of iterations before the steady state.
    pub time_to_steady: Option<f64>,
    /// Mean seconds per iteration in the steady state.
    pub steady_mean: Option<f64>,
}

fn tolerance(last_mean: f64) -> f64 {
    (RELATIVE_TOLERANCE * last_mean.abs()).max(ABSOLUTE_TOLERANCE)
}

/// Classifies iteration `times` (seconds).
pub fn analyse(times: &[f64]) -> Analysis {
    let n = times.len();
    let mut a = Analysis {
        class: Class::NoSteadyState,
        changepoints: Vec::new(),
        segments: Vec::new(),
        outliers: Vec::new(),
        steady_iteration: None,
        time_to_steady: None,
        steady_mean: None,
    };
    if times.iter().any(|t| !t.is_finite()) {
        return a;
    }
    // Changepoints are found on the series without its outliers (one GC
    // pause must not look like a change of level); the steady state's mean
    // and the time to reach it include them (that time was spent).
    a.outliers = outliers(times);
    let mut kept = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    let mut next_outlier = a.outliers.iter().peekable();
    for (i, &t) in times.iter().enumerate() {
        if next_outlier.peek() == Some(&&i) {
            next_outlier.next();
        } else {
            kept.push(i);
            values.push(t);
        }
    }
    let cps = pelt(&values, default_penalty(values.len()), 2);
    // Back to iteration numbers: a segment runs from its first kept
    // iteration to the next segment's first.
    a.changepoints = cps.iter().map(|&c| kept[c]).collect();
    a.segments = segments(&values, &cps)
        .into_iter()
        .map(|s| Segment {
            start: if s.start == 0 { 0 } else { kept[s.start] },
            end: if s.end == values.len() { n } else { kept[s.end] },
            ..s
        })
        .collect();
    let segs = &a.segments;
    let Some(last) = segs.last() else { return a };
    let tol = tolerance(last.mean);
    let same = |s: &Segment| (s.mean - last.mean).abs() <= tol;
    let first_steady = segs.iter().rposition(|s| !same(s)).map_or(0, |i| i + 1);
    let start = segs[first_steady].start;
    // The steady state (the trailing run of equivalent segments) must
    // cover the last quarter of the iterations.
    if ((n - start) as f64) < STEADY_FRACTION * n as f64 {
        return a;
    }
    a.class = if first_steady == 0 {
        Class::Flat
    } else if segs.iter().all(|s| s.mean >= last.mean - tol) {
        Class::Warmup
    } else {
        Class::Slowdown
    };
    a.steady_iteration = Some(start);
    // A fold from +0.0: `sum` of nothing is -0.0 for floats.
    a.time_to_steady = Some(times[..start].iter().fold(0.0, |acc, t| acc + t));
    a.steady_mean = Some(times[start..].iter().sum::<f64>() / (n - start) as f64);
    a
}

/// Isolated extreme iterations. Barrett et al.'s `warmup_stats` flags
/// points outside median ± 3 × (p90 − p10) of a 200-iteration window. A
/// window that long straddles changes of level (a warm-up's end widens its
/// band until real spikes pass), and a one-sided window flags the first
/// iterations after a genuine change (they are far from the past), hiding
/// the change from PELT. So here the band is taken from the 20 iterations
/// before and the 20 after (each side voting once it has 10), and a point
/// is an outlier only when it is outside the band of every side that
/// votes: a spike is far from both neighbourhoods, a change of level is
/// close to one. p90 ignores up to two spikes among 20, so occasional
/// pauses are caught; pauses more frequent than that are part of the
/// steady state's behaviour and stay. The band is at least 1% of the
/// median, so clock-quantised series whose percentiles coincide do not
/// flag every wobble.
pub fn outliers(times: &[f64]) -> Vec<usize> {
    const MIN_SIDE: usize = 10;
    let n = times.len();
    let w = OUTLIER_WINDOW;
    let mut window: Vec<f64> = Vec::with_capacity(w);
    let mut far = |i: usize, side: &[f64]| -> Option<bool> {
        if side.len() < MIN_SIDE {
            return None;
        }
        window.clear();
        window.extend_from_slice(side);
        window.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| window[((window.len() - 1) as f64 * p).round() as usize];
        let median = q(0.5);
        let band = (3.0 * (q(0.9) - q(0.1))).max(0.01 * median.abs());
        Some((times[i] - median).abs() > band)
    };
    (0..n)
        .filter(|&i| {
            let before = far(i, &times[i.saturating_sub(w)..i]);
            let after = far(i, &times[(i + 1).min(n)..(i + 1 + w).min(n)]);
            match (before, after) {
                (None, None) => false,
                (b, a) => b.unwrap_or(true) && a.unwrap_or(true),
            }
        })
        .collect()
}

/// Across process executions.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub consistent: bool,
    /// The shared class, or `inconsistent (flat 2, warmup 3)`.
    pub label: String,
    pub steady_iteration_median: Option<f64>,
    pub steady_mean_median: Option<f64>,
    pub time_to_steady_median: Option<f64>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 })
}

pub fn summarize(analyses: &[Analysis]) -> Summary {
    let mut counts: Vec<(Class, usize)> = Vec::new();
    for a in analyses {
        match counts.iter_mut().find(|(c, _)| *c == a.class) {
            Some((_, n)) => *n += 1,
            None => counts.push((a.class, 1)),
        }
    }
    counts.sort();
    let consistent = counts.len() == 1;
    let label = match counts.as_slice() {
        [] => "no process executions".to_string(),
        [(c, _)] => c.name().to_string(),
        _ => format!(
            "inconsistent ({})",
            counts.iter().map(|(c, n)| format!("{} {n}", c.name())).collect::<Vec<_>>().join(", ")
        ),
    };
    Summary {
        consistent,
        label,
        steady_iteration_median: median(analyses.iter().filter_map(|a| a.steady_iteration.map(|i| i as f64)).collect()),
        steady_mean_median: median(analyses.iter().filter_map(|a| a.steady_mean).collect()),
        time_to_steady_median: median(analyses.iter().filter_map(|a| a.time_to_steady).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pelt::tests::Noise;

    #[test]
    fn noisy_constant_times_are_flat() {
        let t = Noise::new(1).series(500, 1e-3, 2e-5);
        let a = analyse(&t);
        assert_eq!(a.class, Class::Flat);
        assert!(a.changepoints.is_empty());
        assert_eq!(a.steady_iteration, Some(0));
        assert!(a.time_to_steady.unwrap().is_sign_positive() && a.time_to_steady == Some(0.0));
        assert!((a.steady_mean.unwrap() - 1e-3).abs() < 1e-5);
    }

    #[test]
    fn a_step_down_is_warmup_with_the_steady_state_at_the_step() {
        let mut noise = Noise::new(2);
        let mut t = noise.series(100, 5e-3, 1e-4);
        t.extend(noise.series(400, 1e-3, 2e-5));
        let a = analyse(&t);
        assert_eq!(a.class, Class::Warmup);
        let s = a.steady_iteration.unwrap();
        assert!(s.abs_diff(100) <= 2, "steady from {s}");
        let before: f64 = t[..s].iter().sum();
        assert_eq!(a.time_to_steady, Some(before));
        assert!((a.steady_mean.unwrap() - 1e-3).abs() < 2e-5);
    }

    #[test]
    fn several_steps_down_are_warmup() {
        let mut noise = Noise::new(3);
        let mut t = noise.series(50, 9e-3, 1e-4);
        t.extend(noise.series(50, 4e-3, 1e-4));
        t.extend(noise.series(400, 1e-3, 1e-5));
        let a = analyse(&t);
        assert_eq!(a.class, Class::Warmup);
        assert!(a.segments.len() >= 3, "{:?}", a.changepoints);
        assert!(a.steady_iteration.unwrap().abs_diff(100) <= 2);
    }

    #[test]
    fn a_step_up_is_a_slowdown() {
        let mut noise = Noise::new(4);
        let mut t = noise.series(150, 1e-3, 1e-5);
        t.extend(noise.series(350, 2e-3, 2e-5));
        let a = analyse(&t);
        assert_eq!(a.class, Class::Slowdown);
        assert!(a.steady_iteration.unwrap().abs_diff(150) <= 2);
    }

    #[test]
    fn a_change_in_the_last_tenth_means_no_steady_state() {
        let mut noise = Noise::new(5);
        let mut t = noise.series(450, 1e-3, 1e-5);
        t.extend(noise.series(50, 3e-3, 1e-5));
        let a = analyse(&t);
        assert_eq!(a.class, Class::NoSteadyState);
        assert_eq!((a.steady_iteration, a.steady_mean, a.time_to_steady), (None, None, None));
    }

    #[test]
    fn small_wobbles_are_equivalent_segments() {
        // A 1% shift with very low noise is a real changepoint to PELT,
        // but within the tolerance: still flat.
        let mut noise = Noise::new(6);
        let mut t = noise.series(200, 1.00e-3, 1e-7);
        t.extend(noise.series(300, 1.01e-3, 1e-7));
        let a = analyse(&t);
        assert!(!a.changepoints.is_empty());
        assert_eq!(a.class, Class::Flat);
    }

    #[test]
    fn tiny_inputs_do_not_panic() {
        assert_eq!(analyse(&[]).class, Class::NoSteadyState);
        assert_eq!(analyse(&[1.0]).class, Class::Flat);
        assert_eq!(analyse(&[1.0, 1.0, 1.0]).class, Class::Flat);
        for bad in [f64::NAN, f64::INFINITY] {
            let mut t = vec![1e-3; 50];
            t[10] = bad;
            let a = analyse(&t);
            assert_eq!((a.class, a.steady_mean), (Class::NoSteadyState, None));
        }
    }

    #[test]
    fn gc_spikes_are_outliers_not_changes() {
        let mut noise = Noise::new(9);
        // A warm-up, then a steady state with a periodic 5x pause (a GC)
        // and one 8x pause near the end.
        let mut t = noise.series(100, 5e-3, 5e-5);
        t.extend(noise.series(900, 1e-3, 1e-5));
        for i in (150..1000).step_by(97) {
            t[i] *= 5.0;
        }
        t[980] *= 8.0;
        let a = analyse(&t);
        assert_eq!(a.class, Class::Warmup, "{:?}", a.changepoints);
        assert!(a.steady_iteration.unwrap().abs_diff(100) <= 2, "{:?}", a.steady_iteration);
        assert!(a.outliers.contains(&980) && a.outliers.contains(&247), "{:?}", a.outliers);
        // The pauses were real time: the steady mean includes them.
        let plain: f64 = t[a.steady_iteration.unwrap()..].iter().sum::<f64>() / (1000 - a.steady_iteration.unwrap()) as f64;
        assert_eq!(a.steady_mean, Some(plain));
        assert!(plain > 1.03e-3);
        // A flat run with the same pauses stays flat.
        let mut flat = noise.series(1000, 1e-3, 1e-5);
        for i in (150..1000).step_by(97) {
            flat[i] *= 5.0;
        }
        assert_eq!(analyse(&flat).class, Class::Flat);
    }

    #[test]
    fn a_change_within_the_tolerance_at_the_end_is_still_steady() {
        let mut noise = Noise::new(10);
        let mut t = noise.series(460, 1.00e-3, 1e-7);
        t.extend(noise.series(40, 1.01e-3, 1e-7));
        let a = analyse(&t);
        assert!(!a.changepoints.is_empty(), "PELT sees the 1% shift");
        assert_eq!(a.class, Class::Flat);
    }

    #[test]
    fn summaries_say_whether_executions_agree() {
        let flat = analyse(&Noise::new(7).series(100, 1e-3, 1e-5));
        let mut noise = Noise::new(8);
        let mut t = noise.series(30, 5e-3, 1e-5);
        t.extend(noise.series(170, 1e-3, 1e-5));
        let warm = analyse(&t);
        assert_eq!(warm.class, Class::Warmup);
        let s = summarize(&[flat.clone(), flat.clone()]);
        assert!(s.consistent);
        assert_eq!(s.label, "flat");
        assert_eq!(s.steady_iteration_median, Some(0.0));
        let s = summarize(&[warm.clone(), flat.clone(), warm]);
        assert!(!s.consistent);
        assert_eq!(s.label, "inconsistent (flat 1, warmup 2)");
        assert_eq!(s.steady_iteration_median, Some(30.0));
        assert_eq!(summarize(&[]).label, "no process executions");
    }
}
