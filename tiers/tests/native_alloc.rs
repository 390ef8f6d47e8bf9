//! Lists (`[a b]`), closures, cells and builtins taken as values are made
//! by native code itself: a hot loop that makes them stays in native code,
//! rather than leaving to the interpreter at each one and re-entering at
//! the next back-edge.
//!
//! Observed through the runtime's own safepoints, as `--tier-stats` sees
//! time by tier: a probe that asks for the next sample from inside each
//! sample makes every safepoint, in either tier, take one, and each sample
//! says whether the running frame is in native code. An instruction that
//! leaves native code shows up as samples taken by the interpreter (at the
//! instruction's own safepoint check, and at the back-edge where the
//! interpreter hands the loop back) with the frame marked interpreted.
//! Native code's own checks — its back-edges, and the helpers that
//! allocate, which check as the interpreter does — sample it as native.

use claudelang_runtime::probe::{Probe, SampleFrame};
use claudelang_runtime::safepoint::InterruptHandle;
use claudelang_runtime::Runtime;
use claudelang_tiers::{TierConfig, TierManager};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

mod common;
use common::Capture;

/// Samples per function, of the running (innermost) frame only:
/// (interpreted, native).
type Counts = Arc<Mutex<HashMap<String, (u64, u64)>>>;

struct EverySafepoint {
    handle: InterruptHandle,
    counts: Counts,
}

impl Probe for EverySafepoint {
    fn sample(&mut self, stack: &[SampleFrame<'_>], _ticks: u32, _truncated: bool) {
        if let Some(top) = stack.last() {
            let mut counts = self.counts.lock().unwrap();
            let c = counts.entry(top.function.name().to_string()).or_default();
            if top.native {
                c.1 += 1;
            } else {
                c.0 += 1;
            }
        }
        // Served at the next safepoint check, whichever tier makes it.
        self.handle.request_sample();
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

/// A loop that makes a cell (`c` is captured and assigned), two list
/// literals, a closure over the cell and the loop variable, and takes a
/// prelude builtin and a native one as values, on every iteration; it
/// calls nothing.
const BUILD: &str = "(define (build n)
  (let ((acc 0) (keep []))
    (dotimes (i n)
      (let ((c i))
        (set! c (+ c 1))
        (let ((f (lambda () (+ c i))))
          (set! keep [[i c] f map car])
          (set! acc (+ acc i)))))
    [acc keep]))
(define (show r)
  (let ((keep (nth r 1)))
    [(car r) (car keep) ((nth keep 1)) (= (nth keep 2) map) (= (nth keep 3) car)]))";

fn runtime(config: TierConfig) -> (Runtime, Counts) {
    let mut rt = Runtime::new();
    rt.set_output(Box::new(Capture::default()));
    TierManager::install(&mut rt, config, None).unwrap();
    let counts = Counts::default();
    let handle = rt.interrupt_handle();
    handle.request_sample();
    rt.set_probe(Box::new(EverySafepoint { handle, counts: counts.clone() }));
    (rt, counts)
}

fn build_function(rt: &Runtime) -> &claudelang_runtime::function::Function {
    rt.functions().find(|f| f.name() == "build").unwrap()
}

#[test]
fn a_loop_making_lists_closures_and_cells_never_leaves_native_code() {
    let (mut rt, counts) = runtime(TierConfig::eager());
    rt.eval("b.cl", BUILD).unwrap();
    // Compiled on this first call (eager), which therefore starts in the
    // interpreter: only the next call is measured.
    let v = rt.eval("w.cl", "(show (build 3))").unwrap();
    assert_eq!(rt.display(v), "(3 (2 3) 5 true true)");
    assert!(build_function(&rt).native_entry().is_some());
    counts.lock().unwrap().clear();
    let n = 20_000;
    let v = rt.eval("r.cl", &format!("(show (build {n}))")).unwrap();
    assert_eq!(rt.display(v), format!("({} ({} {}) {} true true)", n * (n - 1) / 2, n - 1, n, 2 * n - 1));
    let (interp, native) = counts.lock().unwrap().get("build").copied().unwrap_or_default();
    // Each iteration checks the safepoint at least at its four
    // allocations and its back-edge.
    assert!(native >= 5 * n, "{native} native samples of build for {n} iterations");
    assert_eq!(interp, 0, "build left native code ({interp} interpreted samples, {native} native)");
    let f = build_function(&rt);
    assert_eq!((f.deopts.get(), f.osr_entries.get()), (0, 0));
}

#[test]
fn after_on_stack_replacement_the_loop_stays_native() {
    // Compiled (synchronously) when the loop gets hot in the middle of the
    // one call: the iterations before that are interpreted, none after.
    let hot_loops = 1000;
    let config = TierConfig { hot_calls: u64::MAX / 2, hot_loops, synchronous: true, ..TierConfig::auto() };
    let (mut rt, counts) = runtime(config);
    rt.eval("b.cl", BUILD).unwrap();
    let n = 50_000;
    let v = rt.eval("r.cl", &format!("(show (build {n}))")).unwrap();
    assert_eq!(rt.display(v), format!("({} ({} {}) {} true true)", n * (n - 1) / 2, n - 1, n, 2 * n - 1));
    let f = build_function(&rt);
    assert!(f.native_entry().is_some());
    assert_eq!(f.osr_entries.get(), 1, "entered by OSR once");
    assert_eq!(f.deopts.get(), 0);
    let (interp, native) = counts.lock().unwrap().get("build").copied().unwrap_or_default();
    // Before the OSR entry: the interpreter's five checks per iteration.
    assert!(interp <= 5 * hot_loops + 5, "build kept leaving native code: {interp} interpreted samples, {native} native");
    assert!(native >= 5 * (n - hot_loops), "{native} native samples of build for {n} iterations");
}
