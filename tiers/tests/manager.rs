//! The tier manager through its public API: `Runtime` plus
//! `TierManager::install` with custom `TierConfig`s, a trace sink that
//! captures the `--trace-tiers` lines, and the per-function counters.
//!
//! Compilation runs on a background thread (except in the eager preset),
//! so tests that wait for native code poll with a timeout.
//!
//! A probe effect, `(effect probe:native 'NAME)`, answers from inside the
//! running program whether function NAME has native code at that moment;
//! it reads the function's published entry slot (`Function::native`), so
//! "native before the first call completes" is observable directly.

use claudelang_runtime::{Runtime, Value};
use claudelang_tiers::{EventKind, TierConfig, TierEvent, TierManager};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::Capture;

/// A runtime whose program output is captured, with a tier manager
/// installed (if `config` is enabled) whose trace is captured too.
fn runtime(config: TierConfig) -> (Runtime, Capture, Capture) {
    let mut rt = Runtime::new();
    let out = Capture::default();
    let trace = Capture::default();
    rt.set_output(Box::new(out.clone()));
    TierManager::install(&mut rt, config, Some(Box::new(trace.clone()))).expect("tier manager starts");
    (rt, out, trace)
}

/// The user function called `name` (not a prelude function).
fn func<'a>(rt: &'a Runtime, name: &str) -> &'a claudelang_runtime::function::Function {
    let mut found = rt.functions().filter(|f| !f.proto.is_builtin && f.name() == name);
    let f = found.next().unwrap_or_else(|| panic!("no function named {name}"));
    assert!(found.next().is_none(), "several functions named {name}");
    f
}

fn is_native(rt: &Runtime, name: &str) -> bool {
    func(rt, name).native_entry().is_some()
}

/// Waits until `name` has native code; false after `timeout`.
fn wait_native(rt: &Runtime, name: &str, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if is_native(rt, name) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    is_native(rt, name)
}

const TIMEOUT: Duration = Duration::from_secs(30);

fn manager(rt: &mut Runtime) -> &mut TierManager {
    rt.tier_mut().and_then(|t| t.as_any_mut().downcast_mut::<TierManager>()).expect("a TierManager is installed")
}

fn events(rt: &mut Runtime) -> Vec<TierEvent> {
    manager(rt).events()
}

/// Installs `(effect probe:native 'NAME)`: whether NAME has native code
/// right now. Call `fill_probe` after compiling the unit that defines the
/// functions and before running it.
fn install_probe(rt: &mut Runtime) -> Arc<Mutex<HashMap<String, Arc<AtomicUsize>>>> {
    let slots: Arc<Mutex<HashMap<String, Arc<AtomicUsize>>>> = Default::default();
    let s = slots.clone();
    rt.set_effect_handler("probe:native", move |ctx, args| {
        let name = match args.first() {
            Some(Value::Sym(id)) => ctx.names.symbol(*id).to_string(),
            _ => return Err(claudelang_runtime::error::exn("probe:native wants a quoted function name")),
        };
        let slots = s.lock().unwrap();
        let slot = slots.get(&name).unwrap_or_else(|| panic!("probe: unknown function {name}"));
        Ok(Value::Bool(slot.load(Ordering::Acquire) != 0))
    });
    slots
}

fn fill_probe(rt: &Runtime, slots: &Mutex<HashMap<String, Arc<AtomicUsize>>>) {
    let mut s = slots.lock().unwrap();
    for f in rt.functions().filter(|f| !f.proto.is_builtin) {
        s.insert(f.name().to_string(), f.native.clone());
    }
}

fn eval_show(rt: &mut Runtime, name: &str, src: &str) -> String {
    match rt.eval(name, src) {
        Ok(v) => rt.display(v),
        Err(e) => panic!("{name}: unexpected error: {}", e.render()),
    }
}

// ---- thresholds ----------------------------------------------------------

#[test]
fn functions_below_hot_calls_stay_interpreted_and_above_become_native() {
    let config = TierConfig { hot_calls: 10, hot_loops: 1 << 40, ..TierConfig::auto() };
    let (mut rt, _, trace) = runtime(config);
    let src = "
(define (cold x) (+ x 1))
(define (hot x) (* x 2))
(define (edge x) (- x 1))
(define s 0)
(dotimes (i 9) (set! s (+ s (cold i))))
(dotimes (i 10) (set! s (+ s (edge i))))
(dotimes (i 50) (set! s (+ s (hot i))))
s";
    assert_eq!(eval_show(&mut rt, "t.cl", src), (9 * 8 / 2 + 9 + 45 - 10 + 2 * 49 * 50 / 2).to_string());
    assert_eq!(func(&rt, "cold").calls.get(), 9);
    assert_eq!(func(&rt, "edge").calls.get(), 10);
    assert_eq!(func(&rt, "hot").calls.get(), 50);
    assert!(wait_native(&rt, "hot", TIMEOUT), "hot (50 calls, threshold 10) never became native");
    assert!(wait_native(&rt, "edge", TIMEOUT), "edge (exactly 10 calls, threshold 10) never became native");
    // Give a wrongly queued compile every chance to land before checking.
    std::thread::sleep(Duration::from_millis(200));
    assert!(!is_native(&rt, "cold"), "cold was called 9 times (threshold 10) but has native code");
    let t = trace.text();
    assert!(!t.contains("cold (t.cl"), "cold appears in the trace:\n{t}");
    assert!(t.contains("queued      edge (t.cl:4) reason=hot calls calls=10 backedges=0"), "{t}");
    assert!(t.contains("queued      hot (t.cl:3) reason=hot calls calls=10 backedges=0"), "{t}");
    // The top level ran once with 69 back-edges: below hot_loops.
    assert!(!t.contains("<toplevel>"), "{t}");
    // The counters keep counting once native.
    eval_show(&mut rt, "t2.cl", "(dotimes (i 5) (hot i))");
    assert_eq!(func(&rt, "hot").calls.get(), 55);
}

#[test]
fn hot_loops_threshold_counts_back_edges_of_a_single_call() {
    let config = TierConfig { hot_calls: 1 << 40, hot_loops: 100, ..TierConfig::auto() };
    let (mut rt, _, trace) = runtime(config);
    let src = "
(define (short n) (let ((i 0)) (while (< i n) (set! i (+ i 1))) i))
(define (long n) (let ((i 0)) (while (< i n) (set! i (+ i 1))) i))
(list (short 99) (long 1000))";
    assert_eq!(eval_show(&mut rt, "l.cl", src), "(99 1000)");
    assert!(wait_native(&rt, "long", TIMEOUT), "a 1000-iteration loop (threshold 100) never became native");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(func(&rt, "short").backedges.get(), 99);
    assert!(!is_native(&rt, "short"), "99 back-edges (threshold 100) compiled the function");
    let t = trace.text();
    assert!(t.contains("queued      long (l.cl:3) reason=hot loop calls=1 backedges=100"), "{t}");
    assert!(!t.contains("short (l.cl"), "{t}");
}

#[test]
fn eager_makes_every_called_function_native_before_its_first_call_completes() {
    let (mut rt, out, trace) = runtime(TierConfig::eager());
    let slots = install_probe(&mut rt);
    let src = "
(define (f x) (print 'f (effect probe:native 'f)) (* x 2))
(define (g x) (print 'g (effect probe:native 'g) (effect probe:native 'never)) (+ (f x) 1))
(define (never) 0)
(print 'top (effect probe:native 'g))
(g 20)";
    let unit = rt.compile("e.cl", src).unwrap();
    fill_probe(&rt, &slots);
    let v = rt.run(unit).unwrap();
    assert_eq!(rt.display(v), "41");
    rt.flush().unwrap();
    // Inside their very first call, f and g already run native code; g
    // has not been called when the top level asks, and never is never
    // called at all.
    assert_eq!(out.text(), "top false\ng true false\nf true\n");
    for name in ["f", "g"] {
        assert!(is_native(&rt, name), "{name}");
        assert_eq!(func(&rt, name).calls.get(), 1);
        assert_eq!(func(&rt, name).osr_entries.get(), 0, "{name} was entered by OSR, not at its start");
    }
    assert!(!is_native(&rt, "never"));
    // Synchronous: each function's events are complete before the next
    // function is even queued.
    let lines: Vec<String> = trace.lines().into_iter().filter(|l| !l.contains("<toplevel>")).collect();
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}", w[2], w[3])
        })
        .collect();
    assert_eq!(
        kinds,
        ["queued g", "compiling g", "compiled g", "installed g", "queued f", "compiling f", "compiled f", "installed f"],
        "trace:\n{}",
        trace.text()
    );
    assert!(lines[0].contains("reason=hot calls calls=1 backedges=0"), "{}", lines[0]);
}

// ---- events and trace ------------------------------------------------------

/// The index of the first event of `kind_name` for the function whose
/// description starts with `who`.
fn find(events: &[TierEvent], who: &str, pred: impl Fn(&EventKind) -> bool) -> Option<usize> {
    events.iter().position(|e| e.function.starts_with(who) && pred(&e.kind))
}

#[test]
fn queued_compiled_installed_in_order_for_hot_calls_and_hot_loops() {
    let config = TierConfig { hot_calls: 20, hot_loops: 500, ..TierConfig::auto() };
    let (mut rt, _, trace) = runtime(config);
    let src = "
(define (sq x) (* x x))
(define (count-up n) (let ((i 0)) (while (< i n) (set! i (+ i 1))) i))
(define s 0)
(dotimes (i 100) (set! s (+ s (sq i))))
(list s (count-up 20000))";
    assert_eq!(eval_show(&mut rt, "q.cl", src), "(328350 20000)");
    assert!(wait_native(&rt, "sq", TIMEOUT));
    assert!(wait_native(&rt, "count-up", TIMEOUT));
    // The compile thread records `compiled`/`installed` right after
    // publishing; give it a moment to take the lock.
    let start = Instant::now();
    let evs = loop {
        let evs = events(&mut rt);
        let installed = |who| find(&evs, who, |k| *k == EventKind::Installed).is_some();
        if (installed("sq (") && installed("count-up (")) || start.elapsed() > TIMEOUT {
            break evs;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    for (who, reason, calls, backedges) in
        [("sq (q.cl:2)", "hot calls", 20, 0), ("count-up (q.cl:3)", "hot loop", 1, 500)]
    {
        let q = find(&evs, who, |k| matches!(k, EventKind::Queued { .. }))
            .unwrap_or_else(|| panic!("{who} not queued: {evs:#?}"));
        let s = find(&evs, who, |k| matches!(k, EventKind::CompileStart { .. }))
            .unwrap_or_else(|| panic!("{who} never started compiling"));
        let c = find(&evs, who, |k| matches!(k, EventKind::Compiled { .. }))
            .unwrap_or_else(|| panic!("{who} not compiled"));
        let i = find(&evs, who, |k| *k == EventKind::Installed).unwrap_or_else(|| panic!("{who} not installed"));
        assert!(q < s && s < c && c < i, "{who}: queued {q}, compiling {s}, compiled {c}, installed {i}");
        assert!(evs[q].at <= evs[s].at && evs[s].at <= evs[c].at, "{who}: timestamps go backwards");
        assert_eq!(evs[q].kind, EventKind::Queued { reason, calls, backedges }, "{who}");
        assert_eq!(
            evs.iter().filter(|e| e.function == who).filter(|e| matches!(e.kind, EventKind::Queued { .. })).count(),
            1
        );
        assert!(evs[q].at <= evs[c].at && evs[c].at <= evs[i].at, "{who}: timestamps go backwards");
        match &evs[c].kind {
            EventKind::Compiled { bytes, .. } => assert!(*bytes > 0, "{who}: empty code"),
            _ => unreachable!(),
        }
    }
    // The trace sink got the same events, as lines, in the same order.
    let lines = trace.lines();
    assert_eq!(lines.len(), evs.len(), "{lines:#?}");
    for (l, e) in lines.iter().zip(&evs) {
        assert_eq!(*l, e.trace_line());
        assert!(l.starts_with("[tier] "), "{l}");
    }
    let sq: Vec<&String> = lines.iter().filter(|l| l.contains(" sq (q.cl:2)")).collect();
    assert_eq!(sq.len(), 4, "{sq:#?}");
    assert!(sq[0].contains("queued      sq (q.cl:2) reason=hot calls calls=20 backedges=0"), "{}", sq[0]);
    assert!(sq[1].contains("compiling   sq (q.cl:2) wait=") && sq[1].ends_with("ms"), "{}", sq[1]);
    assert!(sq[2].contains("compiled    sq (q.cl:2) compile=") && sq[2].contains("ms bytes="), "{}", sq[2]);
    assert!(sq[3].ends_with("installed   sq (q.cl:2)"), "{}", sq[3]);
    // The records agree.
    let m = manager(&mut rt);
    let records = m.records();
    let r = records.values().find(|r| r.function == "sq (q.cl:2)").expect("record for sq");
    assert_eq!(r.state, claudelang_tiers::policy::TierState::Compiled);
    assert!(r.code_bytes > 0 && r.installed_at.is_some() && r.queued_at.is_some());
}

// ---- on-stack replacement ----------------------------------------------------

#[test]
fn a_single_long_running_call_switches_to_native_code_in_its_loop() {
    let src = "
(define (sum n)
  (let ((acc 0) (i 0))
    (while (< i n)
      (set! acc (+ acc i))
      (set! i (+ i 1)))
    acc))";
    // The loop must still be running when the background compile lands;
    // on a loaded machine, retry with longer loops.
    let mut tried = Vec::new();
    for n in [1_000_000i64, 4_000_000, 16_000_000, 64_000_000] {
        let config = TierConfig { hot_calls: 1 << 40, hot_loops: 50, ..TierConfig::auto() };
        let (mut rt, _, trace) = runtime(config);
        eval_show(&mut rt, "o.cl", src);
        let got = eval_show(&mut rt, "o2.cl", &format!("(sum {n})"));
        assert_eq!(got, (n * (n - 1) / 2).to_string(), "wrong sum after OSR");
        let f = func(&rt, "sum");
        assert_eq!(f.calls.get(), 1);
        assert_eq!(f.backedges.get(), n as u64, "back-edges are counted in both tiers");
        let osr = f.osr_entries.get();
        let t = trace.text();
        tried.push(format!("n={n}: osr_entries={osr}"));
        if osr >= 1 {
            assert!(t.contains("queued      sum (o.cl:2) reason=hot loop calls=1 backedges=50"), "{t}");
            let osr_lines: Vec<&str> = t.lines().filter(|l| l.contains("osr-entry   sum (o.cl:2) @pc=")).collect();
            assert_eq!(osr_lines.len() as u64, osr, "one osr-entry line per OSR entry:\n{t}");
            // Not checked: that `installed` precedes the first `osr-entry`
            // line. The compile thread publishes the entry before it
            // records its events, so the running loop can enter (and
            // trace) first; see the report that came with these tests.
            assert!(t.contains("installed   sum (o.cl:2)"), "{t}");
            // The loop had nothing that leaves native code, so the frame
            // was handed over once and then stayed native.
            assert_eq!(osr, 1, "a pure loop re-entered native code {osr} times:\n{t}");
            return;
        }
    }
    panic!("the running loop never switched to native code: {tried:?}");
}

#[test]
fn osr_result_is_correct_when_the_loop_changes_types_after_the_switch() {
    // Ints while interpreted, floats once native, then a string error at
    // the same location the interpreter reports.
    let src = "
(define (mix n)
  (let ((acc 0) (i 0))
    (while (< i n)
      (if (= i (- n 10)) (set! acc (+ acc 0.5)))
      (set! acc (+ acc i))
      (set! i (+ i 1)))
    acc))";
    let n = 3_000_000i64;
    let expected = (n * (n - 1) / 2) as f64 + 0.5;
    let config = TierConfig { hot_calls: 1 << 40, hot_loops: 50, ..TierConfig::auto() };
    let (mut rt, _, _) = runtime(config);
    eval_show(&mut rt, "m.cl", src);
    let got = eval_show(&mut rt, "m2.cl", &format!("(mix {n})"));
    let mut reference = Runtime::new();
    reference.eval("m.cl", src).unwrap();
    let v = reference.eval("m2.cl", &format!("(mix {n})")).unwrap();
    assert_eq!(got, reference.display(v));
    assert_eq!(got.parse::<f64>().unwrap(), expected);
}

// ---- take_tier and off ---------------------------------------------------------

#[test]
fn take_tier_returns_every_function_to_the_interpreter() {
    let (mut rt, out, _) = runtime(TierConfig::eager());
    let src = "
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(define (loop n acc) (if (= n 0) acc (loop (- n 1) (+ acc 2))))
(print (fib 15) (loop 1000 0))";
    rt.eval("k.cl", src).unwrap();
    assert!(is_native(&rt, "fib") && is_native(&rt, "loop"));
    assert!(rt.functions().filter(|f| f.native_entry().is_some()).count() >= 3);
    let taken = rt.take_tier().expect("a tier was installed");
    assert!(taken.as_any().downcast_ref::<TierManager>().is_some());
    assert!(rt.tier().is_none());
    assert!(rt.functions().all(|f| f.native_entry().is_none()), "native entries survive take_tier");
    // The manager may now free its code: drop it (joins the compile
    // thread, which frees the module). Running afterwards must not touch
    // the freed code.
    drop(taken);
    let calls_before = func(&rt, "fib").calls.get();
    rt.eval("k2.cl", "(print (fib 20) (loop 100000 0))").unwrap();
    rt.eval("k3.cl", "(define (fresh x) (* x 3)) (dotimes (i 5000) (fresh i)) (print (fresh 7))").unwrap();
    rt.flush().unwrap();
    assert_eq!(out.text(), "610 2000\n6765 200000\n21\n");
    assert!(func(&rt, "fib").calls.get() > calls_before);
    assert!(rt.functions().all(|f| f.native_entry().is_none()), "something was compiled after take_tier");
    assert!(rt.take_tier().is_none());
    // A new manager can be installed afterwards and compiles again.
    TierManager::install(&mut rt, TierConfig::eager(), None).unwrap();
    rt.eval("k4.cl", "(print (fib 10))").unwrap();
    rt.flush().unwrap();
    assert!(is_native(&rt, "fib"));
    assert!(out.text().ends_with("21\n55\n"), "{}", out.text());
}

#[test]
fn off_preset_installs_nothing_and_never_compiles() {
    let mut rt = Runtime::new();
    let trace = Capture::default();
    rt.set_output(Box::new(Capture::default()));
    TierManager::install(&mut rt, TierConfig::off(), Some(Box::new(trace.clone()))).unwrap();
    assert!(rt.tier().is_none(), "TierConfig::off() installed a tier manager");
    // Even with thresholds that would compile everything at once.
    let off_tiny = TierConfig { hot_calls: 1, hot_loops: 1, synchronous: true, ..TierConfig::off() };
    TierManager::install(&mut rt, off_tiny, Some(Box::new(trace.clone()))).unwrap();
    assert!(rt.tier().is_none());
    let v = rt
        .eval(
            "off.cl",
            "(define (f x) (* x x)) (define s 0) (dotimes (i 20000) (set! s (+ s (f 3)))) (list s (map f [1 2]))",
        )
        .unwrap();
    assert_eq!(rt.display(v), "(180000 (1 4))");
    std::thread::sleep(Duration::from_millis(100));
    assert!(rt.functions().all(|f| f.native_entry().is_none()));
    assert_eq!(func(&rt, "f").calls.get(), 20002);
    assert_eq!(trace.text(), "");
}

// ---- failed compiles: backoff, then blacklisting -----------------------------------

/// The `queued` events of `who`, as (reason, calls).
fn queued(events: &[TierEvent], who: &str) -> Vec<(&'static str, u64)> {
    events
        .iter()
        .filter(|e| e.function.starts_with(who))
        .filter_map(|e| match e.kind {
            EventKind::Queued { reason, calls, .. } => Some((reason, calls)),
            _ => None,
        })
        .collect()
}

fn count(events: &[TierEvent], who: &str, pred: impl Fn(&EventKind) -> bool) -> usize {
    events.iter().filter(|e| e.function.starts_with(who) && pred(&e.kind)).count()
}

const FAIL_SRC: &str = "
(define (f x) (+ x 1))
(define s 0)
(dotimes (i 200) (set! s (f s)))
s";

#[test]
fn a_failed_compile_is_retried_after_an_exponential_backoff() {
    // Synchronous compiles, so every event lands at a known call count.
    let config = TierConfig { hot_calls: 5, retry_backoff: 10, max_failures: 3, fail_compiles: 2, ..TierConfig::eager() };
    let (mut rt, _, _) = runtime(config);
    assert_eq!(eval_show(&mut rt, "t.cl", FAIL_SRC), "200");
    let ev = events(&mut rt);
    // Queued at the 5th call; the retries come 10 and then 20 calls after
    // each failure.
    assert_eq!(queued(&ev, "f (t.cl"), [("hot calls", 5), ("retry after backoff", 15), ("retry after backoff", 35)], "{ev:#?}");
    assert_eq!(count(&ev, "f (t.cl", |k| matches!(k, EventKind::Failed { .. })), 2);
    assert_eq!(count(&ev, "f (t.cl", |k| matches!(k, EventKind::Installed)), 1);
    assert_eq!(count(&ev, "f (t.cl", |k| matches!(k, EventKind::Blacklisted)), 0);
    assert!(is_native(&rt, "f"));
    let r = manager(&mut rt).records().values().find(|r| r.function.starts_with("f (t.cl")).cloned().unwrap();
    assert_eq!((r.compiles, r.failed_compiles, r.failures), (3, 2, 0));
    assert_eq!(r.state, claudelang_tiers::policy::TierState::Compiled);
}

#[test]
fn a_function_whose_compiles_keep_failing_is_blacklisted_and_left_alone() {
    for base in [TierConfig::eager(), TierConfig::stress(), TierConfig::auto()] {
        let config = TierConfig { hot_calls: 5, retry_backoff: 4, max_failures: 3, fail_compiles: u32::MAX, ..base };
        let (mut rt, out, trace) = runtime(config);
        assert_eq!(eval_show(&mut rt, "t1.cl", FAIL_SRC), "200");
        // Background compiles fail a little later: call on until the
        // manager has seen the last failure.
        let deadline = Instant::now() + TIMEOUT;
        while count(&events(&mut rt), "f (t1.cl", |k| matches!(k, EventKind::Blacklisted)) == 0 && Instant::now() < deadline {
            eval_show(&mut rt, "more.cl", "(dotimes (i 100) (f i))");
            std::thread::sleep(Duration::from_millis(1));
        }
        let ev = events(&mut rt);
        let who = "f (t1.cl";
        assert_eq!(count(&ev, who, |k| matches!(k, EventKind::Failed { .. })), 3, "{ev:#?}");
        assert_eq!(count(&ev, who, |k| matches!(k, EventKind::Blacklisted)), 1, "{ev:#?}");
        assert_eq!(queued(&ev, who).len(), 3, "never queued again once blacklisted: {ev:#?}");
        assert!(!is_native(&rt, "f"));
        let f = func(&rt, "f");
        assert_eq!((f.hot_calls_at.get(), f.hot_loops_at.get()), (u64::MAX, u64::MAX), "the interpreter stops asking");
        // The blacklisted line comes after the last failure.
        let t = trace.text();
        let last_failed = t.rfind("failed      f (t1.cl").unwrap();
        assert!(t.find("blacklisted f (t1.cl:2)").unwrap() > last_failed, "{t}");
        assert!(out.text().is_empty());
    }
}

// ---- a full queue ------------------------------------------------------------------

#[test]
fn a_full_compile_queue_backs_off_and_every_hot_function_gets_compiled_later() {
    // Forty functions go hot at about the same time into a queue of one.
    let config =
        TierConfig { hot_calls: 2, hot_loops: 1 << 40, queue_capacity: 1, retry_backoff: 3, ..TierConfig::auto() };
    let (mut rt, _, trace) = runtime(config);
    let mut src = String::new();
    for i in 0..40 {
        src.push_str(&format!("(define (f{i} x) (+ x {i}))\n"));
    }
    src.push_str("(define s 0)\n(define (go-round) ");
    for i in 0..40 {
        src.push_str(&format!("(set! s (+ s (f{i} 1))) "));
    }
    src.push_str(")\n");
    eval_show(&mut rt, "full.cl", &src);
    // Keep calling until all are native (each rejected function asks again
    // after `retry_backoff` more calls).
    let start = Instant::now();
    let mut rounds = 0;
    loop {
        eval_show(&mut rt, "r.cl", "(go-round)");
        rounds += 1;
        if (0..40).all(|i| is_native(&rt, &format!("f{i}"))) {
            break;
        }
        assert!(start.elapsed() < TIMEOUT, "not all compiled after {rounds} rounds:\n{}", trace.text());
        std::thread::sleep(Duration::from_millis(1));
    }
    let v = rt.global("s").unwrap();
    assert_eq!(rt.display(v), (rounds * (40 + 40 * 39 / 2)).to_string());
    // Each function was queued exactly once: rejected attempts are not
    // events, and compiled functions are not queued again.
    let t = trace.text();
    for i in 0..40 {
        let who = format!("queued      f{i} (full.cl:{})", i + 1);
        assert_eq!(t.lines().filter(|l| l.contains(&who)).count(), 1, "{who}:\n{t}");
    }
}

// ---- replacing and removing a manager while code is installed or compiling ----

#[test]
fn installing_a_second_manager_leaves_no_entry_into_the_first_ones_freed_code() {
    // `install_tier` replaces (drops) the previous manager, whose compile
    // thread then frees its module. Functions must not keep entry points
    // into that memory: the next call would jump into freed code.
    let (mut rt, out, _) = runtime(TierConfig::eager());
    rt.eval("r.cl", "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (print (fib 10))").unwrap();
    assert!(is_native(&rt, "fib"));
    TierManager::install(&mut rt, TierConfig { hot_calls: 1 << 40, hot_loops: 1 << 40, ..TierConfig::auto() }, None)
        .unwrap();
    let stale: Vec<String> =
        rt.functions().filter(|f| f.native_entry().is_some()).map(|f| f.name().to_string()).collect();
    // Checked before running anything: with stale entries the next call
    // would execute freed memory.
    assert!(stale.is_empty(), "entries into the replaced manager's freed code: {stale:?}");
    rt.eval("r2.cl", "(print (fib 20))").unwrap();
    rt.flush().unwrap();
    assert_eq!(out.text(), "55\n6765\n");
}

#[test]
fn take_tier_while_a_compile_is_in_flight_leaves_no_native_entry() {
    // A function big enough that its compile takes a while: it is queued
    // on its first call and `take_tier` runs while the compile thread is
    // still working on it. Whether the manager is kept or dropped (which
    // joins the thread, lets the compile finish, and frees the module),
    // the function must stay interpreted.
    let mut body = String::from("(define (big x) (let ((a x))");
    for i in 0..300 {
        body.push_str(&format!(" (set! a (+ (* a 3) {i}))"));
        body.push_str(" (set! a (mod a 1000003))");
    }
    body.push_str(" a))");
    let mut raced = false;
    for attempt in 0..3 {
        let config = TierConfig { hot_calls: 1, hot_loops: 1 << 40, ..TierConfig::auto() };
        let (mut rt, _, trace) = runtime(config);
        rt.eval("big.cl", &body).unwrap();
        let v = rt.eval("call.cl", "(big 7)").unwrap();
        let expected = rt.display(v);
        let taken_at = Instant::now();
        let taken = rt.take_tier().unwrap();
        let t = trace.text();
        let compiled_before_take = t.contains("installed   big (big.cl:1)");
        assert!(rt.functions().all(|f| f.native_entry().is_none()));
        // Keep the manager alive until the compile has finished (if the
        // manager still lets it: one that stops compiling on take_tier
        // never publishes it, hence the bound)...
        let start = Instant::now();
        while !trace.text().contains("installed   big (big.cl:1)") && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let publish_ms = taken_at.elapsed().as_secs_f64() * 1e3;
        let stale = rt.functions().any(|f| f.native_entry().is_some());
        assert!(
            !stale,
            "attempt {attempt}: a compile that finished {publish_ms:.1}ms after take_tier installed code:\n{}",
            trace.text()
        );
        // ... then drop it (frees the module) and keep running.
        drop(taken);
        assert!(rt.functions().all(|f| f.native_entry().is_none()));
        let v = rt.eval("call2.cl", "(big 7)").unwrap();
        assert_eq!(rt.display(v), expected);
        if !compiled_before_take {
            raced = true;
            break;
        }
    }
    if !raced {
        eprintln!("note: every compile finished before take_tier; the race was not exercised");
    }
}
