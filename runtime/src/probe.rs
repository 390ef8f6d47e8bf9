//! Probes: what a profiler attached to a runtime is told. The runtime
//! calls a probe only from safepoints and collections, so an absent probe
//! costs nothing, and a present one sees the guest stack exactly as the
//! runtime knows it — the same for interpreted and native frames.

use crate::function::Function;
use crate::heap::HeapStats;

/// One guest frame of a sample.
#[derive(Clone, Copy)]
pub struct SampleFrame<'a> {
    pub function: &'a Function,
    /// In native (compiled) code rather than the interpreter: running it
    /// (the last frame), or going to resume in it (callers).
    pub native: bool,
}

/// How many leaf-most frames a sample keeps; deeper stacks are cut at the
/// root end (a 100,000-deep recursion would otherwise cost 100,000 steps
/// per sample).
pub const MAX_SAMPLE_DEPTH: usize = 256;

/// Receives samples and collection events from one runtime, on the thread
/// running it.
pub trait Probe: Send {
    /// A sample: `stack` from the outermost frame to the running one.
    /// `ticks` is how many sampling periods it stands for (at least one);
    /// `truncated` says outer frames were dropped.
    fn sample(&mut self, stack: &[SampleFrame<'_>], ticks: u32, truncated: bool);

    /// A collection is about to run.
    fn gc_start(&mut self, _heap: &HeapStats) {}

    /// A collection finished and freed `freed` objects.
    fn gc_end(&mut self, _freed: usize, _heap: &HeapStats) {}

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any;
}
