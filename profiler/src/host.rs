//! The host view (`--flamegraph-native`): the `pprof` crate samples the
//! whole process with SIGPROF — Rust runtime functions, the compile
//! thread, and JIT code. Compiled ClaudeLang functions are named through
//! the perf map the tier manager writes (`pprof`'s `perfmaps` feature) and
//! unwound through the unwind info it registers (see `tiers/src/unwind.rs`).

use std::io::Write;

pub struct HostProfiler {
    guard: pprof::ProfilerGuard<'static>,
}

impl HostProfiler {
    /// Starts sampling every thread of the process at `hz`.
    pub fn start(hz: u32) -> Result<HostProfiler, String> {
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(hz.clamp(1, 10_000) as i32)
            // Frames inside the C library and the unwinder itself say
            // nothing about the program.
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .map_err(|e| format!("cannot start the host profiler: {e}"))?;
        Ok(HostProfiler { guard })
    }

    /// Stops sampling and writes the flamegraph SVG.
    pub fn write_flamegraph(self, out: impl Write) -> Result<(), String> {
        let report = self.guard.report().build().map_err(|e| e.to_string())?;
        drop(self.guard);
        report.flamegraph(out).map_err(|e| e.to_string())
    }
}
