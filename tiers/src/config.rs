//! Tiering thresholds and presets, all in one place.

/// When code goes hot and what happens then.
#[derive(Clone, Debug, PartialEq)]
pub struct TierConfig {
    /// Whether the native tier is used at all.
    pub enabled: bool,
    /// Calls after which a function is queued for compilation.
    /// Default 1000: high enough that run-once code (top levels, setup
    /// functions) never pays for a compile, low enough that anything in a
    /// loop is native within microseconds of interpretation.
    pub hot_calls: u64,
    /// Loop back-edges (summed over a function's loops) after which it is
    /// queued and then entered by on-stack replacement at a loop header.
    /// Default 5000: a loop that runs longer than ~20 µs in the interpreter.
    pub hot_loops: u64,
    /// Compile synchronously on the first call (the `eager` preset, for
    /// testing): every function runs native from its first instruction.
    pub synchronous: bool,
    /// Capacity of the compile queue; when it is full, hot functions back
    /// off and ask again later rather than block the program.
    pub queue_capacity: usize,
    /// Failed compiles are retried after this many further calls (or
    /// back-edges), doubled per failure in a row ... (Also how often a
    /// queued function checks in with the manager, and how long a
    /// function waits when the compile queue is full.)
    pub retry_backoff: u64,
    /// ... and given up on (blacklisted) after this many failures.
    pub max_failures: u32,
    /// Deoptimizations after which a function's code is thrown away and
    /// the function recompiled from fresh type feedback.
    pub max_deopts: u64,
    /// Recompilations after which code stops speculating altogether.
    pub max_recompiles: u32,
    /// List compiled code in `/tmp/perf-<pid>.map` (for `perf` and the
    /// host flamegraph). Off by default: it writes outside the program.
    pub perf_map: bool,
    /// Testing aid: the first this-many compiles of every function fail
    /// on the compile thread, as a code generator error would, so that
    /// backoff and blacklisting can be watched (`--fail-compiles N`).
    /// 0 by default.
    pub fail_compiles: u32,
}

impl Default for TierConfig {
    fn default() -> Self {
        TierConfig::auto()
    }
}

impl TierConfig {
    /// Normal tiering.
    pub fn auto() -> TierConfig {
        TierConfig {
            enabled: true,
            hot_calls: 1000,
            hot_loops: 5000,
            synchronous: false,
            queue_capacity: 64,
            retry_backoff: 1000,
            max_failures: 3,
            max_deopts: 16,
            max_recompiles: 3,
            perf_map: false,
            fail_compiles: 0,
        }
    }

    /// Interpreter only.
    pub fn off() -> TierConfig {
        TierConfig { enabled: false, ..TierConfig::auto() }
    }

    /// Compile every function before its first instruction runs.
    pub fn eager() -> TierConfig {
        TierConfig { hot_calls: 1, hot_loops: 1, synchronous: true, ..TierConfig::auto() }
    }

    /// Tiny thresholds with background compilation: functions switch tiers
    /// in the middle of running, at arbitrary points (V8's --jit-fuzzing,
    /// HotSpot's tiny thresholds).
    pub fn stress() -> TierConfig {
        TierConfig {
            hot_calls: 2,
            hot_loops: 3,
            retry_backoff: 2,
            queue_capacity: 4,
            max_deopts: 2,
            ..TierConfig::auto()
        }
    }

    /// A preset by its CLI name: `auto`, `off`, `eager`, `stress`.
    pub fn preset(name: &str) -> Option<TierConfig> {
        Some(match name {
            "auto" => TierConfig::auto(),
            "off" => TierConfig::off(),
            "eager" => TierConfig::eager(),
            "stress" => TierConfig::stress(),
            _ => return None,
        })
    }
}
