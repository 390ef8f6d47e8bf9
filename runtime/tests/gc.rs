//! GC behaviour through the public API: garbage (including cycles made of
//! closures, cells and vectors) is reclaimed while the program runs, so
//! churn runs in bounded memory; live data survives collections.

use claudelang_runtime::{Runtime, Value};

fn quiet_runtime() -> Runtime {
    let mut rt = Runtime::new();
    rt.set_output(Box::new(std::io::sink()));
    rt
}

#[test]
fn cycle_churn_runs_in_bounded_memory() {
    let mut rt = quiet_runtime();
    // Each iteration builds a self-referencing closure (through a letrec
    // cell), a vector that contains itself, and a list: all garbage as soon
    // as the iteration ends. 300k iterations allocate much more than the
    // bound asserted below.
    let v = rt
        .eval(
            "churn.cl",
            "(define (churn n)
               (let ((kept 0))
                 (dotimes (i n)
                   (let ((f (lambda (k) (if (= k 0) 0 (f (- k 1)))))
                         (v (make-vector 4 i)))
                     (vector-set! v 0 v)
                     (set! kept (+ kept (f 3) (length (list i i i))))))
                 kept))
             (churn 300000)",
        )
        .unwrap();
    assert!(matches!(v, Value::Int(900000)), "got {}", rt.display(v));
    let stats = rt.heap_stats();
    assert!(stats.collections >= 3, "expected several collections, got {stats:?}");
    assert!(stats.allocated_bytes_total > 64 << 20, "the churn should allocate >64 MiB: {stats:?}");
    assert!(stats.peak_bytes < 32 << 20, "peak heap {} bytes is not bounded", stats.peak_bytes);
    rt.collect_garbage();
    let after = rt.heap_stats();
    assert!(after.live_bytes < 4 << 20, "garbage survived a full collection: {after:?}");
}

#[test]
fn live_data_survives_collections() {
    let mut rt = quiet_runtime();
    rt.eval(
        "keep.cl",
        "(define keep (map (lambda (i) (string-concat \"s\" (to-string i))) (range 1000)))
         (define (garbage n) (dotimes (i n) (list i i i i)))
         (garbage 400000)",
    )
    .unwrap();
    assert!(rt.heap_stats().collections >= 1);
    rt.collect_garbage();
    let v = rt.eval("check.cl", "(list (length keep) (nth keep 999) (nth keep 0))").unwrap();
    assert_eq!(rt.display(v), "(1000 \"s999\" \"s0\")");
}

#[test]
fn closures_captured_in_globals_and_cells_stay_alive() {
    let mut rt = quiet_runtime();
    rt.eval(
        "counter.cl",
        "(define (make-counter) (let ((n 0)) (lambda () (set! n (+ n 1)) n)))
         (define c (make-counter))
         (dotimes (i 200000) (c) (list i))",
    )
    .unwrap();
    rt.collect_garbage();
    let v = rt.eval("use.cl", "(c)").unwrap();
    assert!(matches!(v, Value::Int(200001)));
}
