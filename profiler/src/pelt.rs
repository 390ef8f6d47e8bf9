//! Changepoint detection with PELT (Killick, Fearnhead and Eckley,
//! "Optimal detection of changepoints with a linear computational cost",
//! JASA 2012), using the Normal mean-and-variance cost — what R's
//! `changepoint::cpt.meanvar(method = "PELT", test.stat = "Normal")`
//! computes, and what Barrett et al. used to classify VM warm-up.
//!
//! PELT minimises, over all segmentations, the sum of segment costs plus a
//! penalty per changepoint, exactly (like optimal partitioning), but prunes
//! candidate last-changepoints that can never be optimal again, which makes
//! it linear in practice.

/// One segment of a series: `data[start..end]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
    pub mean: f64,
    pub variance: f64,
}

impl Segment {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// The penalty per changepoint Barrett et al. used: 15 ln n. Much more
/// conservative than BIC (2 ln n for a mean-and-variance change), so that
/// timing noise is not mistaken for a change.
pub fn default_penalty(n: usize) -> f64 {
    15.0 * (n.max(2) as f64).ln()
}

/// Prefix sums for O(1) segment statistics.
struct Sums {
    s1: Vec<f64>,
    s2: Vec<f64>,
    /// Lower bound on a segment's variance, so a constant segment has a
    /// finite cost: timings quantised to the clock can repeat exactly.
    floor: f64,
}

impl Sums {
    fn new(data: &[f64]) -> Sums {
        let mut s1 = Vec::with_capacity(data.len() + 1);
        let mut s2 = Vec::with_capacity(data.len() + 1);
        let (mut a, mut b) = (0.0, 0.0);
        s1.push(0.0);
        s2.push(0.0);
        for &x in data {
            a += x;
            b += x * x;
            s1.push(a);
            s2.push(b);
        }
        let n = data.len().max(1) as f64;
        let mean = a / n;
        let var = (b / n - mean * mean).max(0.0);
        // A millionth of the series' variance, or of its squared mean when
        // the whole series is flat; never zero.
        let floor = (var * 1e-6).max(mean * mean * 1e-12).max(f64::MIN_POSITIVE);
        Sums { s1, s2, floor }
    }

    /// Twice the negative Normal log-likelihood of `data[a..b]` at its
    /// mean and variance `v` (the MLE variance, floored). Written with the
    /// `σ̂²/v` term rather than `1` so it stays a true likelihood when the
    /// floor applies, which PELT's pruning argument relies on.
    fn cost(&self, a: usize, b: usize) -> f64 {
        let n = (b - a) as f64;
        let mean = (self.s1[b] - self.s1[a]) / n;
        let mle = ((self.s2[b] - self.s2[a]) / n - mean * mean).max(0.0);
        let v = mle.max(self.floor);
        n * ((2.0 * std::f64::consts::PI).ln() + v.ln() + mle / v)
    }
}

/// The changepoints of `data`: indices where a new segment starts, sorted,
/// excluding 0. Segments are at least `min_seg_len` long (at least 2: a
/// variance needs two points).
pub fn pelt(data: &[f64], penalty: f64, min_seg_len: usize) -> Vec<usize> {
    let n = data.len();
    let m = min_seg_len.max(2);
    if n < 2 * m {
        return Vec::new();
    }
    let sums = Sums::new(data);
    // f[t]: optimal cost of data[..t]; last[t]: its last changepoint.
    let mut f = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    f[0] = -penalty;
    // (candidate last changepoint, when it was found dominated).
    let mut candidates: Vec<(usize, Option<usize>)> = vec![(0, None)];
    let mut costs: Vec<f64> = Vec::new();
    for t in m..=n {
        // A candidate dominated at time d can still win up to d + m - 1:
        // until then, d itself is too close to t to be the alternative
        // changepoint that beats it. Only then is it dropped.
        candidates.retain(|&(_, d)| d.is_none_or(|d| d + m > t));
        // Candidates whose segment to t would be too short wait their turn.
        let mut best = f64::INFINITY;
        let mut best_tau = 0;
        costs.clear();
        for &(tau, _) in &candidates {
            let c = if t - tau >= m { f[tau] + sums.cost(tau, t) } else { f64::NAN };
            costs.push(c);
            if c + penalty < best {
                best = c + penalty;
                best_tau = tau;
            }
        }
        f[t] = best;
        last[t] = best_tau;
        // Pruning (K = 0 for this cost): a candidate already worse than the
        // optimum at t, without the penalty, never wins once t can be the
        // last changepoint instead.
        for (cand, c) in candidates.iter_mut().zip(&costs) {
            if cand.1.is_none() && *c > f[t] {
                cand.1 = Some(t);
            }
        }
        if t + m <= n {
            candidates.push((t, None));
        }
    }
    let mut cps = Vec::new();
    let mut t = n;
    while t > 0 {
        let tau = last[t];
        if tau > 0 {
            cps.push(tau);
        }
        t = tau;
    }
    cps.reverse();
    cps
}

/// The segments between `changepoints` (as returned by `pelt`).
pub fn segments(data: &[f64], changepoints: &[usize]) -> Vec<Segment> {
    if data.is_empty() {
        return Vec::new();
    }
    let sums = Sums::new(data);
    let mut bounds = vec![0];
    bounds.extend(changepoints.iter().copied().filter(|&c| c > 0 && c < data.len()));
    bounds.push(data.len());
    bounds
        .windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| {
            let n = (w[1] - w[0]) as f64;
            let mean = (sums.s1[w[1]] - sums.s1[w[0]]) / n;
            let variance = ((sums.s2[w[1]] - sums.s2[w[0]]) / n - mean * mean).max(0.0);
            Segment { start: w[0], end: w[1], mean, variance }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic Gaussian noise (xorshift64* and Box–Muller).
    pub(crate) struct Noise(u64);

    impl Noise {
        pub(crate) fn new(seed: u64) -> Noise {
            Noise(seed.max(1))
        }
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
        pub(crate) fn gauss(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
        /// `n` points around `mean` with standard deviation `sd`.
        pub(crate) fn series(&mut self, n: usize, mean: f64, sd: f64) -> Vec<f64> {
            (0..n).map(|_| mean + sd * self.gauss()).collect()
        }
    }

    #[test]
    fn finds_the_exact_changepoint_of_two_levels() {
        let mut d = vec![1.0; 50];
        d.extend(vec![2.0; 70]);
        // Tiny noise so variances are not all the floor.
        let mut noise = Noise::new(7);
        for x in &mut d {
            *x += 0.001 * noise.gauss();
        }
        assert_eq!(pelt(&d, default_penalty(d.len()), 2), vec![50]);
        let s = segments(&d, &[50]);
        assert_eq!((s[0].start, s[0].end, s[1].start, s[1].end), (0, 50, 50, 120));
        assert!((s[0].mean - 1.0).abs() < 0.01 && (s[1].mean - 2.0).abs() < 0.01);
    }

    #[test]
    fn noise_alone_has_no_changepoints() {
        let mut noise = Noise::new(42);
        for seed_len in [10, 100, 1000, 5000] {
            let d = noise.series(seed_len, 5.0, 0.5);
            assert_eq!(pelt(&d, default_penalty(d.len()), 2), Vec::<usize>::new(), "n={seed_len}");
        }
    }

    #[test]
    fn finds_several_steps() {
        let mut noise = Noise::new(3);
        let mut d = noise.series(100, 10.0, 0.1);
        d.extend(noise.series(100, 5.0, 0.1));
        d.extend(noise.series(300, 2.0, 0.1));
        let cps = pelt(&d, default_penalty(d.len()), 2);
        assert_eq!(cps.len(), 2, "{cps:?}");
        assert!(cps[0].abs_diff(100) <= 1 && cps[1].abs_diff(200) <= 1, "{cps:?}");
    }

    #[test]
    fn a_variance_change_is_a_change() {
        let mut noise = Noise::new(11);
        let mut d = noise.series(200, 1.0, 0.01);
        d.extend(noise.series(200, 1.0, 0.3));
        let cps = pelt(&d, default_penalty(d.len()), 2);
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert!(cps[0].abs_diff(200) <= 5, "{cps:?}");
    }

    #[test]
    fn constant_and_tiny_inputs_do_not_break() {
        assert!(pelt(&[], 1.0, 2).is_empty());
        assert!(pelt(&[1.0], 1.0, 2).is_empty());
        assert!(pelt(&[1.0, 2.0, 3.0], 1.0, 2).is_empty());
        assert!(pelt(&[3.0; 1000], default_penalty(1000), 2).is_empty());
        assert!(segments(&[], &[]).is_empty());
        let mut d = vec![1.0; 40];
        d.extend(vec![3.0; 40]);
        assert_eq!(pelt(&d, default_penalty(80), 2), vec![40], "exact levels, floored variance");
    }

    #[test]
    fn pruning_gives_the_same_answer_as_exhaustive_search() {
        // Optimal partitioning without pruning, for comparison.
        fn exhaustive(data: &[f64], penalty: f64, m: usize) -> Vec<usize> {
            let n = data.len();
            let sums = Sums::new(data);
            let mut f = vec![f64::INFINITY; n + 1];
            let mut last = vec![0; n + 1];
            f[0] = -penalty;
            for t in m..=n {
                for tau in (0..=t - m).filter(|&tau| tau == 0 || tau >= m) {
                    let c = f[tau] + sums.cost(tau, t) + penalty;
                    if c < f[t] {
                        f[t] = c;
                        last[t] = tau;
                    }
                }
            }
            let mut cps = Vec::new();
            let mut t = n;
            while t > 0 {
                if last[t] > 0 {
                    cps.push(last[t]);
                }
                t = last[t];
            }
            cps.reverse();
            cps
        }
        let mut noise = Noise::new(5);
        for trial in 0..20 {
            let mut d = noise.series(40 + trial * 3, 1.0, 0.2);
            d.extend(noise.series(30, 1.5 + trial as f64 * 0.05, 0.2));
            d.extend(noise.series(25, 0.7, 0.05));
            if trial % 2 == 1 {
                // Clock-quantised timings repeat exactly: floored variances.
                d.iter_mut().for_each(|x| *x = (*x * 4.0).round() / 4.0);
            }
            for p in [1.0, 5.0, 3.0 * (d.len() as f64).ln(), default_penalty(d.len())] {
                for m in [2, 3, 5] {
                    assert_eq!(pelt(&d, p, m), exhaustive(&d, p, m), "trial {trial}, penalty {p}, min length {m}");
                }
            }
        }
    }
}
