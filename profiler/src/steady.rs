//! Classifying a process execution's in-process iteration times, after
//! Barrett, Bolz-Tereick, Killick, Mount and Tratt, "Virtual Machine
//! Warmup Blows Hot and Cold" (OOPSLA 2017), section 4:
//!
//! 1. Find changepoints with PELT (Normal mean and variance cost, penalty
//!    15 ln n; see `pelt.rs`).
//! 2. Segments whose means differ by less than a tolerance are
//!    *equivalent*. The paper's benchmarks ran for seconds and it used an
//!    absolute 0.001 s; ours can take microseconds, so the tolerance here
//!    is relative: 2% of the final segment's mean, and at least 1 µs (the
//!    clock's practical resolution for one iteration).
//! 3. If the final segment does not span at least the last 25% of the
//!    iterations (the paper: the last 500 of 2000), the execution has
//!    **no steady state**.
//! 4. Otherwise, if every segment is equivalent to the final one, it is
//!    **flat**; if the final segment is (equivalent to) the fastest, it is
//!    **warmup**; else it is a **slowdown**.
//!
//! The steady state starts at the first of the trailing segments that are
//! equivalent to the final one. Across process executions, a benchmark is
//! *consistent* when all executions have the same classification.

use crate::pelt::{default_penalty, pelt, segments, Segment};

/// Fraction of the iterations the final segment must cover.
pub const STEADY_FRACTION: f64 = 0.25;
/// Segment means within this fraction of the final segment's mean ...
pub const RELATIVE_TOLERANCE: f64 = 0.02;
/// ... or within this many seconds, are equivalent.
pub const ABSOLUTE_TOLERANCE: f64 = 1e-6;

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
    pub segments: Vec<Segment>,
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
    let changepoints = pelt(times, default_penalty(n), 2);
    let segs = segments(times, &changepoints);
    let mut a = Analysis {
        class: Class::NoSteadyState,
        changepoints,
        segments: segs.clone(),
        steady_iteration: None,
        time_to_steady: None,
        steady_mean: None,
    };
    let Some(last) = segs.last() else { return a };
    if (last.len() as f64) < STEADY_FRACTION * n as f64 {
        return a;
    }
    let tol = tolerance(last.mean);
    let same = |s: &Segment| (s.mean - last.mean).abs() <= tol;
    a.class = if segs.iter().all(same) {
        Class::Flat
    } else if segs.iter().all(|s| s.mean >= last.mean - tol) {
        Class::Warmup
    } else {
        Class::Slowdown
    };
    let first_steady = segs.iter().rposition(|s| !same(s)).map_or(0, |i| i + 1);
    let start = if a.class == Class::Flat { 0 } else { segs[first_steady].start };
    a.steady_iteration = Some(start);
    // A fold from +0.0: `sum` of nothing is -0.0 for floats.
    a.time_to_steady = Some(times[..start].iter().fold(0.0, |acc, t| acc + t));
    a.steady_mean = Some(times[start..].iter().sum::<f64>() / (n - start) as f64);
    a
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
