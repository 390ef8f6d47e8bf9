//! Profiling and warm-up analysis for ClaudeLang: a guest-level sampler
//! with flamegraph and pprof output, the host (`pprof` crate) profiler,
//! JSON tier traces, and the `warmup` methodology (changepoint analysis
//! and run-sequence plots).

pub mod guest;
pub mod host;
pub mod output;
pub mod pelt;
pub mod runplot;
pub mod steady;
pub mod trace;
