//! The guest-level sampler: a thread that asks the runtime for a sample
//! at a fixed rate, and the probe that records the ClaudeLang stack the
//! runtime reports at its next safepoint.
//!
//! Samples are taken at safepoints (calls and loop back-edges), so the
//! profile is safepoint-biased the way JVM profilers without async stack
//! walking are: a long-running builtin shows up in the ClaudeLang function
//! that called it. No time is lost — each sample carries the number of
//! sampling periods since the previous one — but it may be attributed a
//! few instructions late. The gain is that interpreted and native frames
//! are read from one place, the runtime's own frame list, identically.

use claudelang_runtime::heap::HeapStats;
use claudelang_runtime::probe::{Probe, SampleFrame};
use claudelang_runtime::safepoint::InterruptHandle;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One frame of a recorded stack: which function, in which tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameKey {
    pub func_id: u32,
    pub native: bool,
}

impl FrameKey {
    /// How profiles name the frame's tier.
    pub fn tier(&self) -> &'static str {
        if self.native {
            "native"
        } else {
            "interp"
        }
    }
}

/// What a profile needs to know about a function.
#[derive(Clone, Debug)]
pub struct FuncInfo {
    pub name: String,
    pub file: String,
    pub line: u32,
}

/// Stacks seen and how many sampling periods each stood for.
#[derive(Clone, Debug, Default)]
pub struct GuestProfile {
    pub hz: u32,
    pub functions: HashMap<u32, FuncInfo>,
    /// Outermost frame first.
    pub stacks: HashMap<Vec<FrameKey>, u64>,
    /// Samples whose outer frames were cut off (very deep recursion).
    pub truncated: u64,
    pub duration: Duration,
}

/// Time per tier, from the samples' running (leaf) frames.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TierSplit {
    pub interpreted: u64,
    pub native: u64,
}

impl TierSplit {
    pub fn total(&self) -> u64 {
        self.interpreted + self.native
    }

    /// Percentages (interpreted, native); zeros without samples.
    pub fn percent(&self) -> (f64, f64) {
        let t = self.total();
        if t == 0 {
            return (0.0, 0.0);
        }
        (100.0 * self.interpreted as f64 / t as f64, 100.0 * self.native as f64 / t as f64)
    }

    fn add(&mut self, native: bool, n: u64) {
        if native {
            self.native += n;
        } else {
            self.interpreted += n;
        }
    }
}

impl GuestProfile {
    pub fn total_samples(&self) -> u64 {
        self.stacks.values().sum()
    }

    /// Where the program was running, by tier.
    pub fn tier_split(&self) -> TierSplit {
        let mut split = TierSplit::default();
        for (stack, n) in &self.stacks {
            if let Some(leaf) = stack.last() {
                split.add(leaf.native, *n);
            }
        }
        split
    }

    /// Self time per function, by tier.
    pub fn self_time(&self) -> HashMap<u32, TierSplit> {
        let mut by_func: HashMap<u32, TierSplit> = HashMap::new();
        for (stack, n) in &self.stacks {
            if let Some(leaf) = stack.last() {
                by_func.entry(leaf.func_id).or_default().add(leaf.native, *n);
            }
        }
        by_func
    }

    /// The label of one frame in flamegraphs: `name file:line [tier]`.
    pub fn frame_label(&self, k: FrameKey) -> String {
        let tier = k.tier();
        match self.functions.get(&k.func_id) {
            Some(f) => format!("{} {}:{} [{tier}]", f.name, f.file, f.line),
            None => format!("#{} [{tier}]", k.func_id),
        }
    }

    /// Brendan Gregg's "collapsed stacks" format, one line per stack,
    /// sorted (the input of flamegraph tools, and stable for tests).
    pub fn collapsed(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .stacks
            .iter()
            .map(|(stack, n)| {
                let frames: Vec<String> = stack.iter().map(|k| self.frame_label(*k)).collect();
                format!("{} {n}", frames.join(";"))
            })
            .collect();
        lines.sort();
        lines
    }
}

/// The probe the runtime calls at sampled safepoints; also forwards
/// collection events to an optional listener (the JSON trace).
pub struct SamplingProbe {
    profile: GuestProfile,
    started: Instant,
    gc_listener: Option<GcListener>,
}

/// Receives collection events (for traces and warm-up marks).
pub type GcListener = Box<dyn FnMut(GcEvent<'_>) + Send>;

/// A collection event, for traces.
#[derive(Clone, Copy, Debug)]
pub enum GcEvent<'a> {
    Start { heap: &'a HeapStats },
    End { freed: usize, heap: &'a HeapStats },
}

impl SamplingProbe {
    pub fn new(hz: u32) -> SamplingProbe {
        SamplingProbe {
            profile: GuestProfile { hz, ..GuestProfile::default() },
            started: Instant::now(),
            gc_listener: None,
        }
    }

    pub fn on_gc(&mut self, f: GcListener) {
        self.gc_listener = Some(f);
    }

    /// The profile so far.
    pub fn finish(&mut self) -> GuestProfile {
        let mut p = std::mem::take(&mut self.profile);
        p.duration = self.started.elapsed();
        self.profile.hz = p.hz;
        p
    }
}

impl Probe for SamplingProbe {
    fn sample(&mut self, stack: &[SampleFrame<'_>], ticks: u32, truncated: bool) {
        let mut key = Vec::with_capacity(stack.len());
        for fr in stack {
            let f = fr.function;
            self.profile.functions.entry(f.id).or_insert_with(|| {
                let (line, _) = f.proto.source.line_col(f.proto.span.start);
                FuncInfo { name: f.name().to_string(), file: f.proto.source.name.to_string(), line }
            });
            key.push(FrameKey { func_id: f.id, native: fr.native });
        }
        *self.profile.stacks.entry(key).or_insert(0) += ticks as u64;
        if truncated {
            self.profile.truncated += 1;
        }
    }

    fn gc_start(&mut self, heap: &HeapStats) {
        if let Some(l) = self.gc_listener.as_mut() {
            l(GcEvent::Start { heap });
        }
    }

    fn gc_end(&mut self, freed: usize, heap: &HeapStats) {
        if let Some(l) = self.gc_listener.as_mut() {
            l(GcEvent::End { freed, heap });
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

/// The thread that asks for samples. Stops when dropped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    /// Requests a sample `hz` times a second (clamped to 1..=10,000).
    pub fn start(handle: InterruptHandle, hz: u32) -> std::io::Result<Sampler> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let period = Duration::from_nanos(1_000_000_000 / hz.clamp(1, 10_000) as u64);
        let thread = std::thread::Builder::new().name("claudelang-sampler".into()).spawn(move || {
            // Deadlines advance by whole periods, so oversleeping does not
            // lower the rate; a long stall skips the periods it missed
            // rather than firing them in a burst.
            let mut next = Instant::now() + period;
            while !stopped.load(Ordering::Relaxed) {
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                }
                handle.request_sample();
                next += period;
                let now = Instant::now();
                if now > next + period * 10 {
                    next = now + period;
                }
            }
        })?;
        Ok(Sampler { stop, thread: Some(thread) })
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
