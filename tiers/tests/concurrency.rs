//! Several runtimes, one per thread, each with its own tier manager and
//! compile thread, running the same hot code at the same time while their
//! compile threads install native code underneath them. Every thread must
//! get exactly what the interpreter alone gets.

use claudelang_runtime::Runtime;
use claudelang_tiers::{TierConfig, TierManager};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

mod common;
use common::Capture;


const THREADS: usize = 4;

/// Hot functions of many shapes: recursion, tail loops, while loops with
/// type changes, closures over mutated variables, vectors, lists through
/// the prelude, strings, and errors.
const PROGRAM: &str = r#"
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(define (sum-squares n)
  (let ((acc 0) (i 0))
    (while (< i n) (set! acc (+ acc (* i i))) (set! i (+ i 1)))
    acc))
(define (count n acc) (if (= n 0) acc (count (- n 1) (+ acc 1))))
(define (mixed n)
  (let ((acc 0) (i 0))
    (while (< i n)
      (set! acc (+ acc (if (= (mod i 3) 0) 0.5 i)))
      (set! i (+ i 1)))
    acc))
(define (make-counter)
  (let ((n 0)) (lambda () (set! n (+ n 1)) n)))
(define (vec-fill n)
  (let ((v (make-vector n 0)))
    (dotimes (i n) (vector-set! v i (* i 2)))
    (let ((s 0)) (dotimes (i n) (set! s (+ s (vector-ref v i)))) s)))
(define (words n) (string-join (map to-string (range n)) ","))
(define (safe-div a b) (if (= b 0) 0 (/ a b)))
(define (round-trip k)
  (let ((c (make-counter)))
    (dotimes (i k) (c))
    (list (fib 18) (sum-squares 3000) (count 20000 0) (mixed 3000) (c)
          (vec-fill 500) (string-length (words 200))
          (fold + 0 (map (lambda (x) (safe-div 1000 x)) (range 50)))
          (filter (lambda (x) (> x 45)) (range 50)))))
(define results [])
(dotimes (r 12) (set! results (cons (round-trip r) results)))
(print (length results) (head results))
(print (head (reverse results)))
"#;

/// The same program with an error at the end, raised from hot code.
const FAILING: &str = "(define (f x) (+ x 1)) (dotimes (i 500) (f i)) (f \"boom\")";

fn run(config: Option<TierConfig>, src: &str) -> (String, String, Runtime) {
    let mut rt = Runtime::new();
    let out = Capture::default();
    rt.set_output(Box::new(out.clone()));
    if let Some(c) = config {
        TierManager::install(&mut rt, c, None).unwrap();
    }
    let result = match rt.eval("c.cl", src) {
        Ok(v) => format!("ok {}", rt.display(v)),
        Err(e) => format!("err {}", e.render()),
    };
    rt.flush().unwrap();
    (result, out.text(), rt)
}

/// Distinct functions the manager has installed native code for, waiting
/// (a background compile may still be running) until there are `want`.
fn installed_count(rt: &mut Runtime, want: usize) -> usize {
    let start = Instant::now();
    loop {
        let m = rt.tier_mut().unwrap().as_any_mut().downcast_mut::<TierManager>().unwrap();
        let mut names: Vec<String> = m
            .events()
            .into_iter()
            .filter(|e| e.kind == claudelang_tiers::EventKind::Installed)
            .map(|e| e.function)
            .collect();
        names.sort();
        names.dedup();
        if names.len() >= want || start.elapsed() > Duration::from_secs(30) {
            return names.len();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn threads_with_their_own_runtimes_agree_while_code_is_installed() {
    let (want_result, want_out, _) = run(None, PROGRAM);
    assert!(want_out.starts_with("12 (2584 8995500500 20000 "), "{want_result} {want_out}");
    let (want_err, _, _) = run(None, FAILING);
    assert!(want_err.contains("wrong type") && want_err.contains("c.cl:1:15"), "{want_err}");
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = barrier.clone();
            std::thread::Builder::new()
                .name(format!("worker-{t}"))
                .spawn(move || {
                    barrier.wait();
                    let mut seen = Vec::new();
                    for round in 0..3 {
                        // Alternate presets so threads are at different stages.
                        let config = if (t + round) % 2 == 0 { TierConfig::stress() } else { TierConfig::eager() };
                        let (result, out, mut rt) = run(Some(config), PROGRAM);
                        let native = installed_count(&mut rt, 8);
                        let (err, _, _) = run(Some(TierConfig::stress()), FAILING);
                        seen.push((result, out, native, err));
                    }
                    seen
                })
                .unwrap()
        })
        .collect();
    for (t, h) in handles.into_iter().enumerate() {
        let seen = h.join().unwrap_or_else(|_| panic!("worker {t} panicked"));
        for (round, (result, out, native, err)) in seen.into_iter().enumerate() {
            assert_eq!(result, want_result, "worker {t} round {round}");
            assert_eq!(out, want_out, "worker {t} round {round}");
            assert_eq!(err, want_err, "worker {t} round {round}");
            assert!(native >= 8, "worker {t} round {round}: only {native} functions got native code");
        }
    }
}

#[test]
fn a_running_loop_switches_to_native_code_in_each_of_four_threads() {
    let src = "(define (spin n)
  (let ((acc 0) (i 0))
    (while (< i n)
      (set! acc (+ acc (mod i 7)))
      (set! i (+ i 1)))
    acc))";
    let expected = |n: i64| (0..n).map(|i| i % 7).sum::<i64>().to_string();
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut report = Vec::new();
                // Longer loops if the compile lands too late on a busy machine.
                for n in [2_000_000i64, 8_000_000, 32_000_000] {
                    let mut rt = Runtime::new();
                    rt.set_output(Box::new(Capture::default()));
                    let config = TierConfig { hot_calls: 1 << 40, hot_loops: 20 + t as u64, ..TierConfig::auto() };
                    TierManager::install(&mut rt, config, None).unwrap();
                    rt.eval("s.cl", src).unwrap();
                    if n == 2_000_000 {
                        barrier.wait();
                    }
                    let start = Instant::now();
                    let v = rt.eval("s2.cl", &format!("(spin {n})")).unwrap();
                    let shown = rt.display(v);
                    let f = rt.functions().find(|f| f.name() == "spin").unwrap();
                    report.push((n, shown, f.calls.get(), f.backedges.get(), f.osr_entries.get(), start.elapsed()));
                    if f.osr_entries.get() >= 1 {
                        break;
                    }
                }
                report
            })
        })
        .collect();
    for (t, h) in handles.into_iter().enumerate() {
        let report = h.join().unwrap();
        for (n, shown, calls, backedges, _, _) in &report {
            assert_eq!(*shown, expected(*n), "thread {t}, n={n}");
            assert_eq!(*calls, 1);
            assert_eq!(*backedges, *n as u64, "thread {t}: back-edges counted in both tiers");
        }
        let (_, _, _, _, osr, took) = report.last().unwrap();
        assert!(*osr == 1, "thread {t}: the running loop was entered natively {osr} times (took {took:?}): {report:?}");
    }
}

#[test]
fn many_runtimes_created_and_dropped_while_compiling() {
    // Each runtime is dropped while its compile thread may still be busy:
    // the drop must wait for it and free the code without disturbing the
    // other threads' runtimes.
    let (want, _, _) = run(None, PROGRAM);
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut results = Vec::new();
                for i in 0..6 {
                    let mut rt = Runtime::new();
                    rt.set_output(Box::new(Capture::default()));
                    TierManager::install(&mut rt, TierConfig::stress(), None).unwrap();
                    let r = rt.eval("c.cl", PROGRAM).map(|v| rt.display(v)).map_err(|e| e.render());
                    results.push(r);
                    if i % 2 == 0 {
                        // Drop right after queueing more work.
                        let _ = rt.eval("more.cl", "(define (g x) (* x 3)) (dotimes (i 10) (g i))");
                    }
                    drop(rt);
                }
                results
            })
        })
        .collect();
    let start = Instant::now();
    for h in handles {
        for r in h.join().unwrap() {
            assert_eq!(r.map(|v| format!("ok {v}")).unwrap_or_else(|e| format!("err {e}")), want);
        }
    }
    assert!(start.elapsed() < Duration::from_secs(600));
}
