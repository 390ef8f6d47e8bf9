//! `--tier-stats`: one row per function that ran, plus totals.

use crate::manager::TierManager;
use crate::policy::TierState;
use claudelang_runtime::Runtime;
use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

fn ms(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("{:.3}", d.as_secs_f64() * 1e3),
        None => "-".into(),
    }
}

/// Where sampled time went, by function and tier (from the guest
/// sampler in `claudelang-profiler`).
#[derive(Clone, Debug, Default)]
pub struct TimeByTier {
    /// Function id to (interpreted, native) samples in which it was the
    /// running function.
    pub self_samples: HashMap<u32, (u64, u64)>,
    pub hz: u32,
}

impl TimeByTier {
    /// All samples, as (interpreted, native).
    fn totals(&self) -> (u64, u64) {
        self.self_samples.values().fold((0, 0), |(a, b), (i, n)| (a + i, b + n))
    }
}

/// The table, as printed on stderr at exit.
pub fn tier_stats(rt: &mut Runtime) -> String {
    tier_stats_with(rt, None)
}

/// The table, with time per tier when the run was sampled.
pub fn tier_stats_with(rt: &mut Runtime, time: Option<&TimeByTier>) -> String {
    let records = match rt.tier_mut().and_then(|t| t.as_any_mut().downcast_mut::<TierManager>()) {
        Some(m) => {
            m.shutdown();
            m.records().clone()
        }
        None => Default::default(),
    };
    // The prelude's own top level runs once at startup: not the program's.
    let ran = |f: &&claudelang_runtime::function::Function| {
        (f.calls.get() > 0 || f.backedges.get() > 0) && !(f.proto.is_builtin && f.proto.name.as_deref() == Some("<toplevel>"))
    };
    let mut rows: Vec<_> = rt.functions().filter(ran).collect();
    rows.sort_by_key(|f| std::cmp::Reverse(f.calls.get() + f.backedges.get()));
    // Locations (paths) vary in length: the column takes the longest.
    let lw = rows.iter().map(|f| f.location().chars().count()).max().unwrap_or(0).max(22);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:<lw$} {:>10} {:>11} {:<11} {:>12} {:>9} {:>11} {:>7} {:>5} {:>6} {:>8} {:>8}",
        "function", "location", "calls", "back-edges", "tier", "promoted-ms", "wait-ms", "compile-ms", "bytes", "osr", "deopts", "interp%", "native%"
    );
    let (interp_samples, native_samples) = time.map(|t| t.totals()).unwrap_or((0, 0));
    let total_samples = interp_samples + native_samples;
    let pct = |n: u64| {
        if total_samples == 0 {
            "-".to_string()
        } else {
            format!("{:.1}", 100.0 * n as f64 / total_samples as f64)
        }
    };
    // Totals over every compile, including those of functions that failed
    // or were invalidated and recompiled.
    let native = records.values().filter(|r| r.state == TierState::Compiled).count();
    let compiles: u32 = records.values().map(|r| r.compiles).sum();
    let failed: u32 = records.values().map(|r| r.failed_compiles).sum();
    let total_compile: Duration = records.values().map(|r| r.total_compile_time).sum();
    for f in rows {
        let r = records.get(&f.id);
        let tier = match r.map(|r| r.state) {
            Some(TierState::Compiled) => "native",
            Some(TierState::Queued) => "queued",
            Some(TierState::Failed { .. }) => "failed",
            Some(TierState::Blacklisted) => "blacklisted",
            _ => "interp",
        };
        let name: String = f.name().chars().take(28).collect();
        let samples = time.and_then(|t| t.self_samples.get(&f.id)).copied().unwrap_or((0, 0));
        let _ = writeln!(
            out,
            "{:<28} {:<lw$} {:>10} {:>11} {:<11} {:>12} {:>9} {:>11} {:>7} {:>5} {:>6} {:>8} {:>8}",
            name,
            f.location(),
            f.calls.get(),
            f.backedges.get(),
            tier,
            ms(r.and_then(|r| r.installed_at)),
            ms(r.filter(|r| r.installed_at.is_some()).map(|r| r.queue_wait)),
            ms(r.filter(|r| r.installed_at.is_some()).map(|r| r.compile_time)),
            r.map(|r| r.code_bytes).unwrap_or(0),
            f.osr_entries.get(),
            f.deopts.get(),
            pct(samples.0),
            pct(samples.1)
        );
    }
    let _ = writeln!(
        out,
        "totals: {native} function{} native, {compiles} compile{} ({failed} failed), {:.3} ms compiling on the background thread",
        if native == 1 { "" } else { "s" },
        if compiles == 1 { "" } else { "s" },
        total_compile.as_secs_f64() * 1e3
    );
    match time {
        Some(t) if total_samples > 0 => {
            let _ = writeln!(
                out,
                "time by tier: {:.1}% interpreted, {:.1}% native ({total_samples} sample{} at {} Hz)",
                100.0 * interp_samples as f64 / total_samples as f64,
                100.0 * native_samples as f64 / total_samples as f64,
                if total_samples == 1 { "" } else { "s" },
                t.hz
            );
        }
        Some(_) => {
            let _ = writeln!(out, "time by tier: no samples (the run was shorter than one sampling period)");
        }
        None => {
            let _ = writeln!(out, "time by tier: not sampled");
        }
    }
    out
}
