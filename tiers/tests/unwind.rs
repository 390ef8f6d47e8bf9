//! Host profilers see through compiled code: unwind info is registered, so
//! a backtrace taken inside a runtime helper called from JIT code reaches
//! the interpreter and the test below it; and the perf map names the code.

use claudelang_runtime::probe::{Probe, SampleFrame};
use claudelang_runtime::{Runtime, Value};
use claudelang_tiers::perfmap::PerfMap;
use claudelang_tiers::{TierConfig, TierManager};
use std::sync::{Arc, Mutex};

fn eager(perf_map: bool) -> Runtime {
    let mut rt = Runtime::new();
    rt.set_output(Box::new(std::io::sink()));
    TierManager::install(&mut rt, TierConfig { perf_map, ..TierConfig::eager() }, None).unwrap();
    rt
}

/// Captures a backtrace when the runtime takes a sample: at a safepoint,
/// which in native code is the helper a loop back-edge calls.
struct Grab(Arc<Mutex<String>>);

impl Probe for Grab {
    fn sample(&mut self, _: &[SampleFrame<'_>], _: u32, _: bool) {
        *self.0.lock().unwrap() = std::backtrace::Backtrace::force_capture().to_string();
    }
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

#[test]
fn backtraces_continue_through_compiled_frames() {
    let mut rt = eager(false);
    let trace = Arc::new(Mutex::new(String::new()));
    rt.set_probe(Box::new(Grab(trace.clone())));
    let handle = rt.interrupt_handle();
    rt.register_fn("poke", 0, Some(0), move |_, _| {
        handle.request_sample();
        Ok(Value::Nil)
    })
    .unwrap();
    // `spin` runs native (eager). `(poke)` asks for a sample; the next
    // safepoint is the loop's back-edge in native code, whose slow path
    // (`rt_safepoint`) takes it with the JIT frame right below.
    rt.eval("u.cl", "(define (spin n) (let ((i 0)) (while (< i n) (if (= i 5) (poke)) (set! i (+ i 1))))) (spin 10)").unwrap();
    let f = rt.functions().find(|f| f.name() == "spin").unwrap();
    assert!(f.native_entry().is_some(), "spin was compiled");
    let bt = trace.lock().unwrap().clone();
    let frames: Vec<&str> = bt.lines().filter(|l| !l.trim_start().starts_with("at ")).collect();
    let helper =
        frames.iter().position(|l| l.contains("rt_safepoint")).unwrap_or_else(|| panic!("not sampled in native code:\n{bt}"));
    let below = &frames[helper + 1..];
    assert!(below.iter().any(|l| l.contains("execute")), "the unwinder stopped at the JIT frame:\n{bt}");
    assert!(below.iter().any(|l| l.contains("backtraces_continue_through_compiled_frames")), "{bt}");
}

#[test]
fn the_perf_map_names_compiled_functions_at_their_addresses() {
    let mut rt = eager(true);
    rt.eval("pm.cl", "(define (perf-mapped-fn x) (* x 2)) (perf-mapped-fn 21)").unwrap();
    let f = rt.functions().find(|f| f.name() == "perf-mapped-fn").unwrap();
    let entry = f.native_entry().expect("compiled") as usize;
    let map = std::fs::read_to_string(PerfMap::path()).unwrap();
    // The map outlives the process by design (perf reads it afterwards);
    // a test has no such reader.
    let _ = std::fs::remove_file(PerfMap::path());
    let line = map.lines().find(|l| l.contains("perf-mapped-fn (pm.cl:1) [jit]")).unwrap_or_else(|| panic!("{map}"));
    let mut w = line.split(' ');
    let start = usize::from_str_radix(w.next().unwrap(), 16).unwrap();
    let size = usize::from_str_radix(w.next().unwrap(), 16).unwrap();
    assert!(start <= entry && entry < start + size, "{line} does not cover {entry:x}");
}
