//! The guest sampler against a real runtime, in every tier: requests made
//! from another thread are served at the next safepoint, the stack it
//! reports is the ClaudeLang call stack with each frame's tier, and
//! collections reach the probe.

use claudelang_profiler::guest::{FrameKey, GcEvent, GuestProfile, Sampler, SamplingProbe};
use claudelang_runtime::{Runtime, Value};
use claudelang_tiers::{TierConfig, TierManager};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

fn runtime(mode: &str) -> Runtime {
    let mut rt = Runtime::new();
    rt.set_output(Box::new(std::io::sink()));
    TierManager::install(&mut rt, TierConfig::preset(mode).unwrap(), None).unwrap();
    rt.set_probe(Box::new(SamplingProbe::new(1000)));
    rt
}

fn profile(rt: &mut Runtime) -> GuestProfile {
    let mut p = rt.take_probe().expect("probe attached");
    p.as_any_mut().downcast_mut::<SamplingProbe>().unwrap().finish()
}

fn names(p: &GuestProfile, stack: &[FrameKey]) -> Vec<String> {
    stack.iter().map(|k| format!("{}{}", p.functions[&k.func_id].name, if k.native { "*" } else { "" })).collect()
}

/// `(poke)` asks for a sample the way the sampler thread does; the sample
/// is taken at the next safepoint, the back-edge of `spin`'s loop.
const PROGRAM: &str = "
(define (leaf i) (if (= i 500) (poke) 0))
(define (spin n) (let ((i 0)) (while (< i n) (leaf i) (set! i (+ i 1)))))
(define (outer) (spin 1000) 'ok)
(outer)
'end";

fn poked(mode: &str) -> Vec<Vec<String>> {
    let mut rt = runtime(mode);
    let handle = rt.interrupt_handle();
    rt.register_fn("poke", 0, Some(0), move |_, _| {
        handle.request_sample();
        Ok(Value::Nil)
    })
    .unwrap();
    rt.eval("poke.cl", PROGRAM).unwrap();
    let p = profile(&mut rt);
    assert_eq!(p.total_samples(), 1, "{mode}: one request, one sample: {:?}", p.stacks);
    p.stacks.keys().map(|s| names(&p, s)).collect()
}

#[test]
fn a_request_is_served_at_the_next_safepoint_with_the_guest_stack() {
    // `*` marks native frames.
    assert_eq!(poked("off"), vec![vec!["<toplevel>", "outer", "spin"]]);
    assert_eq!(poked("eager"), vec![vec!["<toplevel>*", "outer*", "spin*"]]);
}

#[test]
fn the_sampler_thread_samples_interpreted_and_native_code() {
    for (mode, native_expected) in [("off", false), ("eager", true)] {
        let mut rt = runtime(mode);
        // Compile first: eager compiles are synchronous, and the time they
        // take shows at the next safepoint, as the code that waited.
        rt.eval("spin.cl", "(define (spin n acc) (if (= n 0) acc (spin (- n 1) (+ acc 1)))) (spin 10 0)").unwrap();
        let spin = rt.global("spin").unwrap();
        let sampler = Sampler::start(rt.interrupt_handle(), 2000).unwrap();
        // Long enough for many sampling periods in any build.
        rt.call_value(spin, &[Value::Int(3_000_000), Value::Int(0)]).unwrap();
        drop(sampler);
        let p = profile(&mut rt);
        assert!(p.total_samples() >= 10, "{mode}: only {} samples", p.total_samples());
        let split = p.tier_split();
        if native_expected {
            assert_eq!(split.interpreted, 0, "{mode}: {split:?} {:?}", p.collapsed());
        } else {
            assert_eq!(split.native, 0, "{mode}: {split:?}");
        }
        let spin_id = p.functions.iter().find(|(_, f)| f.name == "spin").map(|(id, _)| *id).expect("spin sampled");
        let spin_self = p.self_time()[&spin_id].total();
        assert!(spin_self * 10 >= p.total_samples() * 9, "{mode}: spin ran nearly all the time");
        assert_eq!(p.functions[&spin_id].line, 1);
        assert_eq!(p.functions[&spin_id].file, "spin.cl");
    }
}

/// Tail calls between compiled functions stay in native code (the frame
/// is replaced and the new callee entered without the interpreter), so
/// every sample of a long mutual tail-call chain is native; samples are
/// taken at the calls' safepoints, right after each frame replacement.
#[test]
fn mutual_tail_calls_run_native() {
    let mut rt = runtime("eager");
    rt.eval(
        "pp.cl",
        "(define (ping n) (if (= n 0) 'done (pong (- n 1))))\n(define (pong n) (if (= n 0) 'done (ping (- n 1))))\n(ping 10)",
    )
    .unwrap();
    let ping = rt.global("ping").unwrap();
    let sampler = Sampler::start(rt.interrupt_handle(), 2000).unwrap();
    // Long enough for many sampling periods in any build.
    let v = rt.call_value(ping, &[Value::Int(20_000_000)]).unwrap();
    drop(sampler);
    assert_eq!(rt.display(v), "done");
    let p = profile(&mut rt);
    assert!(p.total_samples() >= 10, "only {} samples", p.total_samples());
    let split = p.tier_split();
    // The host's call enters `ping` through the interpreter's call path,
    // whose safepoint may take one sample before native code starts.
    assert!(split.interpreted <= 1, "{split:?} {:?}", p.collapsed());
}

#[test]
fn a_function_compiled_by_its_first_tail_call_is_sampled_as_native() {
    let mut rt = runtime("eager");
    rt.eval(
        "t.cl",
        "(define (work n) (let ((i 0) (s 0)) (while (< i n) (set! s (+ s i)) (set! i (+ i 1))) s))\n\
         (define (caller n) (if (= n 0) 0 (work n)))\n(caller 0)",
    )
    .unwrap();
    let caller = rt.global("caller").unwrap();
    let sampler = Sampler::start(rt.interrupt_handle(), 2000).unwrap();
    rt.call_value(caller, &[Value::Int(100_000_000)]).unwrap();
    drop(sampler);
    let p = profile(&mut rt);
    assert!(p.total_samples() >= 10, "only {} samples", p.total_samples());
    let work = p.functions.iter().find(|(_, f)| f.name == "work").map(|(id, _)| *id).expect("work sampled");
    let own = p.self_time()[&work];
    assert_eq!(own.interpreted, 0, "{:?}", p.collapsed());
}

#[test]
fn auto_tiering_shows_both_tiers_for_one_function() {
    let mut rt = runtime("auto");
    let handle = rt.interrupt_handle();
    // Sample on every 1000th call of `f`: the first ones run interpreted,
    // the later ones native once `f` is compiled (the program waits for
    // that by spinning until the sample shows it).
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    rt.register_fn("tick", 0, Some(0), move |_, _| {
        if c.fetch_add(1, Ordering::Relaxed).is_multiple_of(1000) {
            handle.request_sample();
        }
        Ok(Value::Nil)
    })
    .unwrap();
    rt.eval("auto.cl", "(define (f i) (tick) (+ i 1)) (define (go n) (if (> n 0) (begin (f n) (go (- n 1))))) (go 400000)")
        .unwrap();
    let p = profile(&mut rt);
    let f = |native| p.stacks.iter().filter(|(s, _)| s.last().map(|k| k.native) == Some(native)).map(|(_, n)| n).sum::<u64>();
    assert!(f(false) > 0, "early samples are interpreted: {:?}", p.stacks);
    assert!(f(true) > 0, "late samples are native: {:?}", p.stacks);
}

#[test]
fn deep_stacks_are_truncated_at_the_root_end() {
    let mut rt = runtime("off");
    let handle = rt.interrupt_handle();
    rt.register_fn("poke", 0, Some(0), move |_, _| {
        handle.request_sample();
        Ok(Value::Nil)
    })
    .unwrap();
    rt.eval("deep.cl", "(define (id x) x) (define (down n) (if (= n 0) (begin (poke) (id 0)) (+ 1 (down (- n 1))))) (down 5000)").unwrap();
    let p = profile(&mut rt);
    assert_eq!(p.truncated, 1);
    let stack = p.stacks.keys().next().unwrap();
    assert_eq!(stack.len(), claudelang_runtime::probe::MAX_SAMPLE_DEPTH);
    let names = names(&p, stack);
    assert_eq!(names.last().unwrap(), "id", "the call was the safepoint");
    assert!(names[..names.len() - 1].iter().all(|n| n == "down"));
}

#[test]
fn collections_reach_the_probe_in_pairs() {
    for mode in ["off", "eager"] {
        let mut rt = runtime(mode);
        let mut probe = SamplingProbe::new(1000);
        let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let s = seen.clone();
        probe.on_gc(Box::new(move |e| {
            s.lock().push(match e {
                GcEvent::Start { .. } => "start",
                GcEvent::End { .. } => "end",
            })
        }));
        rt.set_probe(Box::new(probe));
        rt.eval("gc.cl", "(define (churn n) (if (> n 0) (begin (list n n n n) (churn (- n 1))))) (churn 400000)").unwrap();
        let seen = seen.lock().clone();
        assert!(seen.len() >= 2, "{mode}: {seen:?}");
        assert!(seen.chunks(2).all(|p| p == ["start", "end"]), "{mode}: {seen:?}");
        assert_eq!(seen.len() as u64, 2 * rt.heap_stats().collections, "{mode}");
    }
}
