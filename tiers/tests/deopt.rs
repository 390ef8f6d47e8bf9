//! Type feedback and deoptimization, as a program can observe them: code
//! compiled while it saw only ints (eager: before it saw anything) then
//! meets floats, strings, overflowing ints, bad indices, undefined names...
//! Every result, printed output and error (message, location, rendered
//! report with its stack trace) must be what the interpreter alone gives.
//!
//! Each case runs in four set-ups: the reference (no tier manager at all,
//! as `--jit=off`), `eager` (every function native from its first call,
//! compiled with empty feedback, so every arithmetic site speculates on
//! ints), `stress` (tiny thresholds, background compiles landing at any
//! point, quick invalidation), and `warm` (auto thresholds lowered; the
//! hot functions are warmed up with ints and the test waits until they are
//! native before probing them).

use claudelang_runtime::{Error, Runtime, Value};
use claudelang_tiers::{EventKind, TierConfig, TierManager};
use std::time::{Duration, Instant};

mod common;
use common::Capture;


#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Reference,
    Eager,
    Stress,
    Warm,
}

const MODES: [Mode; 3] = [Mode::Eager, Mode::Stress, Mode::Warm];
const TIMEOUT: Duration = Duration::from_secs(30);

struct Case<'a> {
    /// Definitions (file `d.cl`).
    setup: &'a str,
    /// Int-only calls of the hot functions.
    warm: &'a str,
    /// Functions that must be native before the probes run (all modes but
    /// the reference).
    hot: &'a [&'a str],
    /// Expressions evaluated one by one (files `p0.cl`, `p1.cl`, ...).
    probes: &'a [&'a str],
}

fn is_native(rt: &Runtime, name: &str) -> bool {
    // User functions and prelude ones (`map`...) alike.
    rt.functions().any(|f| f.name() == name && f.native_entry().is_some())
}

fn wait_native(rt: &Runtime, name: &str) -> bool {
    let start = Instant::now();
    while !is_native(rt, name) {
        if start.elapsed() > TIMEOUT {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// What one step did, as comparable text.
fn outcome(rt: &mut Runtime, out: &Capture, name: &str, src: &str) -> String {
    let r = rt.eval(name, src);
    let shown = match r {
        Ok(v) => format!("value: {}", rt.display(v)),
        Err(Error::Runtime(e)) => {
            format!("error: {}\nlocation: {}\n{}", e.message, e.location().unwrap_or_default(), e.render())
        }
        Err(e) => format!("compile error: {}", e.render()),
    };
    rt.flush().unwrap();
    format!("{shown}\noutput: {:?}", out.take())
}

fn new_runtime(mode: Mode) -> (Runtime, Capture) {
    let mut rt = Runtime::new();
    let out = Capture::default();
    rt.set_output(Box::new(out.clone()));
    let config = match mode {
        Mode::Reference => None,
        Mode::Eager => Some(TierConfig::eager()),
        Mode::Stress => Some(TierConfig::stress()),
        Mode::Warm => Some(TierConfig { hot_calls: 5, hot_loops: 50, ..TierConfig::auto() }),
    };
    if let Some(c) = config {
        TierManager::install(&mut rt, c, None).unwrap();
    }
    (rt, out)
}

/// Runs a case in one mode: the outcomes of setup, warm-up and each probe.
fn run(case: &Case, mode: Mode) -> (Vec<String>, Runtime) {
    let (mut rt, out) = new_runtime(mode);
    let mut outcomes = vec![outcome(&mut rt, &out, "d.cl", case.setup), outcome(&mut rt, &out, "w.cl", case.warm)];
    if mode != Mode::Reference {
        // A function that went hot while the compile queue was full asks
        // again only after more calls: repeat the (idempotent) warm-up,
        // discarding its outcome, until every hot function is native.
        let start = Instant::now();
        while !case.hot.iter().all(|f| is_native(&rt, f)) {
            let missing: Vec<_> = case.hot.iter().filter(|f| !is_native(&rt, f)).collect();
            assert!(start.elapsed() < TIMEOUT, "[{mode:?}] not native after the warm-up: {missing:?}");
            std::thread::sleep(Duration::from_millis(5));
            outcome(&mut rt, &out, "w.cl", case.warm);
        }
    }
    for (i, p) in case.probes.iter().enumerate() {
        outcomes.push(outcome(&mut rt, &out, &format!("p{i}.cl"), p));
    }
    (outcomes, rt)
}

/// Runs `case` everywhere, asserts every mode matches the reference, and
/// returns the reference outcomes of the probes.
fn check(case: &Case) -> Vec<String> {
    let (reference, _) = run(case, Mode::Reference);
    let mut failures = Vec::new();
    for mode in MODES {
        let (got, _) = run(case, mode);
        for (i, (want, have)) in reference.iter().zip(&got).enumerate() {
            if want != have {
                let what = match i {
                    0 => "setup".to_string(),
                    1 => "warm-up".to_string(),
                    n => format!("probe p{}.cl {}", n - 2, case.probes[n - 2]),
                };
                failures.push(format!("[{mode:?}] {what}:\n--- reference\n{want}\n--- {mode:?}\n{have}\n"));
            }
        }
    }
    assert!(failures.is_empty(), "{} difference(s) from the interpreter:\n{}", failures.len(), failures.join("\n"));
    reference[2..].to_vec()
}

/// `location: d.cl:LINE:COL` of the first `form` on `line` of the setup.
fn loc(setup: &str, line: usize, form: &str) -> String {
    let text = setup.lines().nth(line - 1).unwrap();
    let col = text.find(form).unwrap_or_else(|| panic!("{form} not on line {line}: {text}")) + 1;
    format!("location: d.cl:{line}:{col}\n")
}

fn probe<'a>(case: &Case, outcomes: &'a [String], src: &str) -> &'a str {
    let i = case.probes.iter().position(|p| *p == src).unwrap_or_else(|| panic!("no probe {src}"));
    &outcomes[i]
}

// ---- arithmetic sites ------------------------------------------------------

const ARITH_SETUP: &str = "(define (add a b) (+ a b))
(define (sub a b) (- a b))
(define (mul a b) (* a b))
(define (inc x) (+ x 1))
(define (dec x) (- x 1))
(define (dbl x) (* x 2))
(define (div a b) (/ a b))
(define (md a b) (mod a b))
(define (rm a b) (rem a b))
(define (neg a) (- a))
(define (lt a b) (< a b))
(define (le a b) (if (<= a b) 'yes 'no))
(define (eqv a b) (= a b))
(define (lt5 a) (if (< a 5) 'small 'big))
(define min-int (- -9223372036854775807 1))";

const ARITH_WARM: &str = "(define s 0)
(dotimes (i 200)
  (set! s (+ s (add i 1) (sub i 1) (mul i 2) (inc i) (dec i) (dbl i) (div i 3) (md i 7) (rm i 7) (neg i)))
  (lt i 50) (le i 50) (eqv i 3) (lt5 i))
s";

const ARITH_HOT: &[&str] =
    &["add", "sub", "mul", "inc", "dec", "dbl", "div", "md", "rm", "neg", "lt", "le", "eqv", "lt5"];

#[test]
fn int_compiled_arithmetic_meets_floats_strings_and_overflow() {
    let probes = [
        "(add 1.5 2.25)",
        "(add 1 2.5)",
        "(add 2.5 1)",
        "(add \"a\" 1)",
        "(add nil 1)",
        "(add 9223372036854775807 1)",
        "(inc 9223372036854775807)",
        "(sub min-int 1)",
        "(dec min-int)",
        "(mul 3037000500 3037000500)",
        "(dbl 4611686018427387904)",
        "(mul 1.5 -2)",
        "(sub 0.5 0.25)",
        "(neg min-int)",
        "(neg 2.5)",
        "(neg \"x\")",
        "(div 7 0)",
        "(div 7.0 0)",
        "(div -7 0.0)",
        "(div min-int -1)",
        "(div 7 2.0)",
        "(div -7 2)",
        "(md 7 0)",
        "(rm 7 0)",
        "(md -7 2)",
        "(md 7 -2)",
        "(rm -7 2)",
        "(md 7.5 2)",
        "(md min-int -1)",
        "(rm min-int -1)",
        "(md 5.0 0)",
        "(lt 1 2.5)",
        "(lt 2.5 1)",
        "(lt \"a\" 1)",
        "(le 1.0 1)",
        "(le 2 1.5)",
        "(lt5 4.5)",
        "(lt5 \"x\")",
        "(eqv 1 1.0)",
        "(eqv \"a\" \"a\")",
        "(eqv nil 0)",
        // Back to ints after the detours.
        "(list (add 2 3) (mul 3 4) (lt 1 2) (inc 41) (neg 5) (md 9 4))",
        // Enough floats to invalidate and recompile every site...
        "(let ((s 0.0)) (dotimes (i 100) (set! s (add s 0.5)) (set! s (inc s)) (lt s 1) (lt5 s)) s)",
        // ... and the recompiled code still overflows the same way.
        "(add 9223372036854775807 1)",
        "(inc 9223372036854775807)",
        "(add 2 3)",
    ];
    let case = Case { setup: ARITH_SETUP, warm: ARITH_WARM, hot: ARITH_HOT, probes: &probes };
    let r = check(&case);
    // The reference itself says what the language reference requires.
    let overflow = probe(&case, &r, "(add 9223372036854775807 1)");
    assert!(overflow.starts_with("error: integer overflow in (+ 9223372036854775807 1)\n"), "{overflow}");
    assert!(overflow.contains(&loc(ARITH_SETUP, 1, "(+ a b)")), "{overflow}");
    let overflow = probe(&case, &r, "(inc 9223372036854775807)");
    assert!(overflow.starts_with("error: integer overflow in (+ 9223372036854775807 1)\n"), "{overflow}");
    assert!(overflow.contains(&loc(ARITH_SETUP, 4, "(+ x 1)")), "{overflow}");
    assert!(probe(&case, &r, "(mul 3037000500 3037000500)")
        .starts_with("error: integer overflow in (* 3037000500 3037000500)"));
    assert!(probe(&case, &r, "(div 7 0)").contains("division by zero"));
    assert!(probe(&case, &r, "(md 7 0)").contains("division by zero"));
    assert!(probe(&case, &r, "(div 7.0 0)").starts_with("value: inf\n"));
    assert!(probe(&case, &r, "(add 1.5 2.25)").starts_with("value: 3.75\n"));
    assert!(probe(&case, &r, "(md -7 2)").starts_with("value: 1\n"));
    assert!(probe(&case, &r, "(eqv 1 1.0)").starts_with("value: true\n"));
}

#[test]
fn speculation_deoptimizes_then_recompiles_from_the_new_feedback() {
    // Warmed with ints, `add` speculates on ints; floats deoptimize (each
    // one resumes in the interpreter, which records the float), and after
    // `max_deopts` the code is replaced by code that handles floats.
    let config = TierConfig { hot_calls: 5, hot_loops: 1 << 40, max_deopts: 4, ..TierConfig::auto() };
    let mut rt = Runtime::new();
    rt.set_output(Box::new(Capture::default()));
    TierManager::install(&mut rt, config, None).unwrap();
    rt.eval("d.cl", "(define (add a b) (+ a b)) (dotimes (i 100) (add i i))").unwrap();
    assert!(wait_native(&rt, "add"));
    let add = |rt: &Runtime| rt.functions().find(|f| f.name() == "add").unwrap().deopts.get();
    assert_eq!(add(&rt), 0);
    let v = rt.eval("f.cl", "(add 1.5 2.5)").unwrap();
    assert_eq!(rt.display(v), "4.0");
    assert_eq!(add(&rt), 1, "a float at an int-only site deoptimizes once");
    let v = rt.eval("f.cl", "(list (add 1 2.5) (add 0.5 0.5) (add 7 8))").unwrap();
    assert_eq!(rt.display(v), "(3.5 1.0 15)");
    assert_eq!(add(&rt), 3);
    let v = rt.eval("f.cl", "(add 0.25 0.25)").unwrap();
    assert_eq!(rt.display(v), "0.5");
    assert_eq!(add(&rt), 4);
    // Invalidated: back to the interpreter, recompiled on the next call.
    let events = |rt: &mut Runtime| rt.tier_mut().unwrap().as_any_mut().downcast_mut::<TierManager>().unwrap().events();
    let ev = events(&mut rt);
    assert!(
        ev.iter().any(|e| e.function.starts_with("add (") && e.kind == EventKind::Invalidated { deopts: 4 }),
        "{ev:#?}"
    );
    assert_eq!(ev.iter().filter(|e| matches!(e.kind, EventKind::Deopt { .. })).count(), 4);
    rt.eval("f.cl", "(add 1.0 1.0)").unwrap();
    assert!(wait_native(&rt, "add"), "not recompiled after the invalidation");
    // The new code knows the site sees floats: no more deopts.
    let v = rt.eval("f.cl", "(let ((s 0.0)) (dotimes (i 1000) (set! s (add s 0.5))) (list s (add 1 2)))").unwrap();
    assert_eq!(rt.display(v), "(500.0 3)");
    assert_eq!(add(&rt), 4, "the recompiled code still deoptimizes on floats");
    let ev = events(&mut rt);
    let queued =
        ev.iter().filter(|e| e.function.starts_with("add (") && matches!(e.kind, EventKind::Queued { .. })).count();
    assert_eq!(queued, 2, "{ev:#?}");
}

#[test]
fn call_sites_that_call_builtins_and_host_functions_run_them_natively() {
    // Compiled before their first call (eager), call sites speculate that
    // they call closures. A builtin or host function there deoptimizes;
    // the interpreter records it in the site's feedback, and after
    // `max_deopts` the recompiled code calls such values itself: no more
    // deopts, same results and errors.
    let config = TierConfig { max_deopts: 4, ..TierConfig::eager() };
    let mut rt = Runtime::new();
    rt.set_output(Box::new(Capture::default()));
    rt.register_fn("twice", 1, Some(1), |_, args| match args[0] {
        Value::Int(n) => Ok(Value::Int(2 * n)),
        _ => Err("twice wants an int".into()),
    })
    .unwrap();
    TierManager::install(&mut rt, config, None).unwrap();
    rt.eval("c.cl", "(define (call f x) (f x))").unwrap();
    let deopts = |rt: &Runtime| rt.functions().find(|f| f.name() == "call").unwrap().deopts.get();
    let v = rt.eval("w.cl", "(let ((s 0)) (dotimes (i 10) (set! s (+ s (call abs (- i))))) s)").unwrap();
    assert_eq!(rt.display(v), "45");
    assert_eq!(deopts(&rt), 4, "a builtin at a site that only expected closures deoptimizes");
    assert!(is_native(&rt, "call"), "recompiled after the invalidation (eager compiles synchronously)");
    let v = rt
        .eval("n.cl", "(let ((s 0)) (dotimes (i 1000) (set! s (+ s (call abs (- i)) (call twice i) (call (lambda (x) x) 1)))) s)")
        .unwrap();
    assert_eq!(rt.display(v), (499_500 + 2 * 499_500 + 1000).to_string());
    assert_eq!(deopts(&rt), 4, "the recompiled site runs builtins, host functions and closures without leaving");
    // Errors raised by the callee, and the arity error the interpreter
    // reports (the native path leaves wrong arities to it), read as in
    // the interpreter.
    let err = |rt: &mut Runtime, src: &str| match rt.eval("e.cl", src) {
        Err(Error::Runtime(e)) => e.render(),
        other => panic!("{other:?}"),
    };
    let boom = |_: &mut claudelang_runtime::builtins::NativeCtx, _: &[Value]| -> Result<Value, String> { panic!("boom") };
    rt.register_fn("boom", 1, Some(1), boom).unwrap();
    let mut reference = Runtime::new();
    reference.register_fn("twice", 1, Some(1), |_, _| Err("twice wants an int".into())).unwrap();
    reference.register_fn("boom", 1, Some(1), boom).unwrap();
    reference.eval("c.cl", "(define (call f x) (f x))").unwrap();
    // A host function that panics under native code (`call` is called
    // natively, not in tail position): an error, as in the interpreter,
    // not an abort.
    for src in ["(call car 5)", "(call twice 'a)", "(call cons 1)", "(call apply car)", "(+ 0 (call boom 1))"] {
        assert_eq!(err(&mut rt, src), err(&mut reference, src), "{src}");
    }
    let v = rt.eval("a.cl", "(call (lambda (x) (apply + x)) (list 1 2 3))").unwrap();
    assert_eq!(rt.display(v), "6");
}

#[test]
fn equality_sites_that_see_non_ints_stop_deoptimizing_after_one_recompile() {
    // `=` on strings at a site that saw only ints: like any failed
    // speculation it deoptimizes, and the recompiled code should not
    // speculate there again. The interpreter must therefore record type
    // feedback for `=`/`!=` sites too; if it does not, the function is
    // invalidated and recompiled with the very same guards until
    // `max_recompiles` runs out.
    let mut rt = Runtime::new();
    rt.set_output(Box::new(Capture::default()));
    TierManager::install(&mut rt, TierConfig::eager(), None).unwrap();
    let v = rt
        .eval(
            "eq.cl",
            "(define (same? a b) (if (= a b) 1 0))
             (define s 0)
             (dotimes (i 100) (set! s (+ s (same? i i))))
             (dotimes (i 200) (set! s (+ s (same? \"a\" \"a\"))))
             s",
        )
        .unwrap();
    assert_eq!(rt.display(v), "300");
    let m = rt.tier_mut().unwrap().as_any_mut().downcast_mut::<TierManager>().unwrap();
    let ev = m.events();
    let of = |pred: &dyn Fn(&EventKind) -> bool| {
        ev.iter().filter(|e| e.function.starts_with("same? (") && pred(&e.kind)).count()
    };
    let invalidated = of(&|k| matches!(k, EventKind::Invalidated { .. }));
    let compiles = of(&|k| matches!(k, EventKind::Compiled { .. }));
    let deopts = of(&|k| matches!(k, EventKind::Deopt { .. }));
    // Compiled before its first call, the site speculated on ints: the
    // strings must have deoptimized it (else this test checks nothing).
    assert!(deopts >= 1 && compiles >= 1, "no deopt of same? ({deopts}) or no compile ({compiles})");
    assert!(
        invalidated <= 1 && compiles <= 2,
        "same? was invalidated {invalidated} times and compiled {compiles} times ({deopts} deopts) \
         for one site that changed type once"
    );
}

// ---- loops whose types change mid-way ----------------------------------------

#[test]
fn a_loop_accumulator_turns_float_then_string_mid_loop() {
    let setup = "(define (acc-loop n flip bad)
  (let ((acc 0) (i 0))
    (while (< i n)
      (if (= i flip) (set! acc (+ acc 0.5)))
      (if (= i bad) (set! acc \"oops\"))
      (set! acc (+ acc i))
      (set! i (+ i 1)))
    acc))
(define (grow x n) (let ((i 0)) (while (< i n) (set! x (* x 2)) (set! i (+ i 1))) x))
(define (sum-from acc n) (let ((i 0)) (while (< i n) (set! acc (+ acc i)) (set! i (+ i 1))) acc))
(define (count-down n acc) (if (= n 0) acc (count-down (- n 1) (+ acc 1))))";
    let warm = "(define w []) (dotimes (i 10) (set! w (list (acc-loop 1000 -1 -1) (grow 1 10) (sum-from 0 100) (count-down 1000 0)))) w";
    let probes = [
        "(acc-loop 1000 500 -1)",
        "(acc-loop 1000 500 700)",
        "(acc-loop 1000 -1 -1)",
        "(acc-loop 100000 50000 -1)",
        "(acc-loop 100000 -1 99999)",
        "(grow 1 62)",
        "(grow 1 63)",
        "(grow 1.0 100)",
        "(grow -1 63)",
        "(grow -1 64)",
        "(sum-from 9223372036854775000 100)",
        "(sum-from 0.5 10)",
        "(sum-from \"s\" 10)",
        "(count-down 1000000 0)",
        "(count-down 1000 0.5)",
        "(count-down 10 9223372036854775800)",
        "(count-down 3.0 0)",
    ];
    let case = Case { setup, warm, hot: &["acc-loop", "grow", "sum-from", "count-down"], probes: &probes };
    let r = check(&case);
    assert!(probe(&case, &r, "(acc-loop 1000 500 -1)").starts_with("value: 499500.5\n"));
    let e = probe(&case, &r, "(acc-loop 1000 500 700)");
    assert!(e.starts_with("error: wrong type in (+ \"oops\" 700)") && e.contains(&loc(setup, 6, "(+ acc i)")), "{e}");
    let e = probe(&case, &r, "(grow 1 63)");
    assert!(
        e.starts_with("error: integer overflow in (* 4611686018427387904 2)\n")
            && e.contains(&loc(setup, 9, "(* x 2)")),
        "{e}"
    );
    let e = probe(&case, &r, "(sum-from 9223372036854775000 100)");
    assert!(
        e.starts_with("error: integer overflow in (+ 9223372036854775") && e.contains(&loc(setup, 10, "(+ acc i)")),
        "{e}"
    );
    assert!(probe(&case, &r, "(count-down 1000000 0)").starts_with("value: 1000000\n"));
}

// ---- vectors ---------------------------------------------------------------------

#[test]
fn vector_index_errors_inside_compiled_code() {
    let setup = "(define (vget v i) (vector-ref v i))
(define (vput! v i x) (vector-set! v i x))
(define (vsum v) (let ((s 0) (i 0)) (while (< i (vector-length v)) (set! s (+ s (vector-ref v i))) (set! i (+ i 1))) s))
(define v (make-vector 10 1))";
    let warm = "(dotimes (i 100) (vget v (mod i 10)) (vput! v (mod i 10) i) (vsum v)) (vsum v)";
    let probes = [
        "(vget v 10)",
        "(vget v -1)",
        "(vput! v 10 0)",
        "(vput! v -1 0)",
        "(vget v 9223372036854775807)",
        "(vget v min-int)",
        "(define min-int (- -9223372036854775807 1))",
        "(vget v min-int)",
        "(vget [1 2] 0)",
        "(vget v 1.0)",
        "(vget v \"0\")",
        "(vget (vector) 0)",
        "(vput! v 3 \"s\")",
        "(vget v 3)",
        "(vsum v)",
        "(vput! v 3 2.5)",
        "(vsum v)",
        "(begin (vput! v 9 (vector 1 2)) (vector-ref (vget v 9) 1))",
        "v",
    ];
    let case = Case { setup, warm, hot: &["vget", "vput!", "vsum"], probes: &probes };
    let r = check(&case);
    let e = probe(&case, &r, "(vget v 10)");
    assert!(e.contains("index out of range") && e.contains(&loc(setup, 1, "(vector-ref v i)")), "{e}");
    assert!(probe(&case, &r, "(vput! v -1 0)").contains("index out of range"));
    assert!(probe(&case, &r, "(vget v 3)").starts_with("value: s\n"));
}

// ---- names -------------------------------------------------------------------------

#[test]
fn undefined_variables_reached_only_in_compiled_code() {
    let setup = "(define (maybe flag) (if flag later 0))
(define (maybe-set flag) (if flag (set! later2 1) 0))
(define (maybe-call flag) (if flag (missing-fn 1) 0))
(define (uses-cell flag) (let ((a (if flag b 0)) (b 2) (c (lambda () b))) a))";
    let warm = "(dotimes (i 50) (maybe false) (maybe-set false) (maybe-call false) (uses-cell false))";
    let probes = [
        "(maybe true)",
        "(maybe-set true)",
        "(maybe-call true)",
        "(uses-cell true)",
        "(define later 41)",
        "(maybe true)",
        "(define later2 0)",
        "(list (maybe-set true) later2)",
        "(define (missing-fn x) (+ x 1))",
        "(maybe-call true)",
        "(define later \"redefined\")",
        "(maybe true)",
    ];
    let case = Case { setup, warm, hot: &["maybe", "maybe-set", "maybe-call", "uses-cell"], probes: &probes };
    let r = check(&case);
    let e = probe(&case, &r, "(maybe true)");
    assert!(e.starts_with("error: undefined variable later\n") && e.contains(&loc(setup, 1, "later")), "{e}");
    assert!(probe(&case, &r, "(maybe-call true)").contains("undefined variable missing-fn"));
    assert!(r[5].starts_with("value: 41\n"), "{}", r[5]);
    assert!(r[9].starts_with("value: 2\n"), "{}", r[9]);
}

// ---- through the prelude -------------------------------------------------------------

#[test]
fn errors_in_compiled_code_called_from_map_fold_and_filter() {
    let setup = "(define (inv x) (/ 100 x))
(define (inc-all xs) (map (lambda (x) (+ x 1)) xs))
(define (total xs) (fold (lambda (a x) (+ a x)) 0 xs))
(define (small xs) (filter (lambda (x) (< x 2)) xs))";
    let warm = "(dotimes (i 50) (map inv [1 2 3 4 5]) (inc-all [1 2 3]) (total [1 2 3]) (small [0 1 2 3]))";
    let probes = [
        "(map inv [1 2 0 4])",
        "(map inv [4 2.0 -3])",
        "(inc-all [1 2.5 \"x\"])",
        "(inc-all [9223372036854775807])",
        "(inc-all [1 2.5 -1])",
        "(total [1 2 3.5])",
        "(total [1 \"a\"])",
        "(small [1 2.5 0 -1.5])",
        "(small [1 2.5 0 \"a\"])",
        "(map (lambda (x y) (* x y)) [1 2 3] [4.0 5 6])",
        "(map (lambda (x y) (* x y)) [3037000500 2] [3037000500 5])",
    ];
    let case =
        Case { setup, warm, hot: &["inv", "inc-all", "total", "small", "map", "fold", "filter"], probes: &probes };
    let r = check(&case);
    let e = probe(&case, &r, "(map inv [1 2 0 4])");
    assert!(e.starts_with("error: division by zero") && e.contains(&loc(setup, 1, "(/ 100 x)")), "{e}");
    assert!(e.contains("at map (builtin)"), "the trace shows map:\n{e}");
    let e = probe(&case, &r, "(inc-all [9223372036854775807])");
    assert!(
        e.starts_with("error: integer overflow in (+ 9223372036854775807 1)\n")
            && e.contains(&loc(setup, 2, "(+ x 1)")),
        "{e}"
    );
}

// ---- other errors raised from compiled code ----------------------------------------------

#[test]
fn other_runtime_errors_inside_compiled_code() {
    let setup = "(define (classify x) (match x (0 'zero) ((cons h t) 'pair) ([] 'empty)))
(define (times n) (let ((c 0)) (dotimes (i n) (set! c (+ c 1))) c))
(define (first xs) (head xs))
(define (rest xs) (tail xs))
(define (push x xs) (cons x xs))
(define (two a b) a)
(define (callit f) (f 1))
(define (deep n) (+ 1 (deep (- n 1))))
(define (fail x) (error \"bad\" x))
(define (greet s) (string-concat \"hi \" s))
(define (emptyp x) (empty? x))";
    let warm = "(dotimes (i 50) (classify 0) (classify [1]) (times 3) (first [1]) (rest [1]) (push 1 []) (two 1 2) \
                (callit (lambda (x) x)) (greet \"x\") (emptyp []) (emptyp [1]))";
    let probes = [
        "(classify 5)",
        "(classify \"s\")",
        "(times 2.5)",
        "(times \"x\")",
        "(times -3)",
        "(first [])",
        "(first 5)",
        "(rest [])",
        "(push 1 2)",
        "(two 1)",
        "(apply two [1 2 3])",
        "(callit 5)",
        "(callit two)",
        "(deep 10)",
        "(fail 3)",
        "(greet 5)",
        "(emptyp 5)",
        "(emptyp \"\")",
        "(emptyp (vector))",
    ];
    let case = Case {
        setup,
        warm,
        hot: &["classify", "times", "first", "rest", "push", "two", "callit", "greet", "emptyp"],
        probes: &probes,
    };
    let r = check(&case);
    assert!(probe(&case, &r, "(classify 5)").contains("no match"));
    assert!(probe(&case, &r, "(deep 10)").contains("stack overflow"));
    assert!(probe(&case, &r, "(two 1)").contains("wrong number of arguments"));
    assert!(probe(&case, &r, "(callit 5)").contains("not a function"));
}

// ---- native code calling native code ----------------------------------------------

#[test]
fn native_to_native_calls_deoptimize_fail_and_leave_like_the_interpreter() {
    // Native code calls native callees on the machine stack (up to a
    // native depth, then through the interpreter again); a callee that
    // deoptimizes, fails or leaves to the interpreter passes that up, and
    // the interpreter resumes whichever frame is on top.
    let setup = "(define (leaf x) (+ x 1))
(define (mid x) (* 2 (leaf x)))
(define (top x) (+ 1 (mid x)))
(define (depth n) (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(define (pair n) [n n])
(define (pairs n) (if (= n 0) [] (cons (pair n) (pairs (- n 1)))))
(define (adder k) (lambda (x) (+ x k)))
(define (app f x) (f x))
(define (ev? n) (if (= n 0) true (od? (- n 1))))
(define (od? n) (if (= n 0) false (not (not (ev? (- n 1))))))
(define (build n) (if (= n 0) [] (cons (string-concat \"s\" (to-string n)) (build (- n 1)))))
(define (churn n) (if (= n 0) 0 (+ (length (build 40)) (churn (- n 1)))))
(define (rest-args a . more) (+ a (length more)))
(define (call-rest x) (+ 1 (rest-args x 1 2)))
(define add5 (adder 5))";
    let warm = "(dotimes (i 20) (top i) (depth 10) (pairs 3) (app add5 i) (ev? 10) (churn 2) (call-rest i))";
    let probes = [
        "(top 1)",
        "(top 1.5)",
        "(top 4611686018427387903)",
        "(top 9223372036854775807)",
        "(top \"s\")",
        "(top 2)",
        "(depth 511)",
        "(depth 512)",
        "(depth 513)",
        "(depth 5000)",
        "(depth 99000)",
        "(depth 200000)",
        "(depth 1.0)",
        "(pairs 5)",
        "(length (pairs 3000))",
        "(app add5 10)",
        "(app add5 2.5)",
        "(app add5 \"x\")",
        "(app abs -3)",
        "(app (adder 9223372036854775807) 1)",
        "(app mid 1)",
        "(app top 1)",
        "(app pair 1)",
        "(app ev? 1)",
        "(app app 1)",
        "(app 5 1)",
        "(ev? 1001)",
        "(ev? 2000)",
        "(ev? -1.5)",
        "(churn 300)",
        "(call-rest 1)",
        "(call-rest 1.5)",
        "(map top [1 2.5 3])",
        "(map top [1 9223372036854775807])",
    ];
    let case = Case {
        setup,
        warm,
        hot: &["leaf", "mid", "top", "depth", "pair", "pairs", "app", "ev?", "od?", "build", "churn", "call-rest"],
        probes: &probes,
    };
    let r = check(&case);
    let e = probe(&case, &r, "(top 9223372036854775807)");
    assert!(
        e.starts_with("error: integer overflow in (+ 9223372036854775807 1)\n")
            && e.contains(&loc(setup, 1, "(+ x 1)")),
        "{e}"
    );
    assert!(e.contains("at leaf (") && e.contains("at mid (") && e.contains("at top ("), "{e}");
    assert!(probe(&case, &r, "(depth 5000)").starts_with("value: 5000\n"));
    assert!(probe(&case, &r, "(depth 200000)").contains("stack overflow"));
    assert!(probe(&case, &r, "(churn 300)").starts_with("value: 12000\n"));
}

/// Native code checks, once per entry at a loop header, the tags of the
/// registers the loop keeps as ints (and none inside the loop). Entering
/// with a float there deoptimizes at the header instead of computing with
/// a wrong type.
#[test]
fn entering_a_loop_whose_counter_turned_float_deoptimizes_at_the_header() {
    let (mut rt, out) = new_runtime(Mode::Eager);
    // Inside the loop `(+ acc i)` checks nothing: both are known ints.
    let src = "(define (f n flip) (let ((acc 0) (i 0))
  (while (< i n) (if (= i flip) (set! acc (+ acc 0.5))) (set! acc (+ acc i)) (set! i (+ i 1))) acc))";
    assert!(outcome(&mut rt, &out, "d.cl", src).starts_with("value: "));
    assert!(outcome(&mut rt, &out, "a.cl", "(f 10 -1)").starts_with("value: 45\n"));
    // The int-only `(+ acc 0.5)` deoptimizes; the interpreter makes `acc`
    // a float and re-enters native code at the loop header, whose guard
    // then fails. Without the guard, the float's bits would be added as
    // an int.
    let v = outcome(&mut rt, &out, "b.cl", "(f 10 3)");
    assert!(v.starts_with("value: 45.5\n"), "{v}");
    let f = rt.functions().find(|f| f.name() == "f").unwrap();
    let header = f
        .proto
        .code
        .iter()
        .enumerate()
        .find_map(|(pc, op)| matches!(op, claudelang_frontend::bytecode::Op::Loop { .. }).then(|| op.jump_target(pc)).flatten())
        .unwrap() as u32;
    let m = rt.tier_mut().unwrap().as_any_mut().downcast_mut::<TierManager>().unwrap();
    let deopts: Vec<u32> = m
        .events()
        .iter()
        .filter(|e| e.function.starts_with("f ("))
        .filter_map(|e| match e.kind {
            EventKind::Deopt { pc, .. } => Some(pc),
            _ => None,
        })
        .collect();
    assert!(deopts.contains(&header), "no deopt at the loop header {header}: {deopts:?}");
    // And results stay right after the code is thrown away and rebuilt.
    assert!(outcome(&mut rt, &out, "c.cl", "(f 1000 10)").starts_with("value: 499500.5\n"));
    assert!(outcome(&mut rt, &out, "e.cl", "(f 1000 -1)").starts_with("value: 499500\n"));
}

// ---- loops with registers kept in machine registers -------------------------

/// In native code the loop's int registers live in machine registers (and
/// their slots), and every way into the loop but its back-edge checks the
/// tags the body relies on, the loop bound included. A bound, step or
/// counter of another type must deoptimize at the right place and give the
/// interpreter's answer or error; back-edge counts must not change either.
#[test]
fn loops_entered_with_other_types_give_the_interpreters_results() {
    let case = Case {
        setup: "(define (sum-to n) (let ((i 0) (acc 0)) (while (< i n) (set! acc (+ acc i)) (set! i (+ i 1))) acc))
(define (count-by n step) (let ((i 0) (k 0)) (while (< i n) (let ((j i)) (set! k (+ k j)) (set! i (+ j step)))) k))
(define (nested n) (let ((i 0) (t 0)) (while (< i n) (let ((j 0)) (while (< j i) (set! t (+ t j)) (set! j (+ j 1)))) (set! i (+ i 1))) t))
(define (down n) (let ((s 0)) (while (> n 0) (set! s (+ s n)) (set! n (- n 1))) s))",
        warm: "(list (sum-to 100) (count-by 100 3) (nested 30) (down 50))",
        hot: &["sum-to", "count-by", "nested", "down"],
        probes: &[
            "(sum-to 10.5)",
            "(sum-to \"x\")",
            "(sum-to 0)",
            "(sum-to -3)",
            "(count-by 10 0.5)",
            "(count-by 10 \"s\")",
            "(count-by 9223372036854775806 4611686018427387904)",
            "(nested 5.5)",
            "(nested 7)",
            "(down 4.5)",
            "(down 'x)",
            "(list (sum-to 1000) (count-by 1000 7) (nested 40) (down 1000))",
        ],
    };
    let outcomes = check(&case);
    assert!(probe(&case, &outcomes, "(sum-to 10.5)").starts_with("value: 55\n"), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(count-by 10 0.5)").starts_with("value: 95.0\n"), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(sum-to \"x\")").starts_with("error: "), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(list (sum-to 1000) (count-by 1000 7) (nested 40) (down 1000))")
        .starts_with("value: (499500 71071 9880 500500)\n"), "{outcomes:?}");

    // Back-edges are counted in a machine register and added up when
    // native code returns: the totals match the interpreter's.
    let counts = |rt: &Runtime| -> Vec<(String, u64)> {
        let mut v: Vec<_> = rt
            .functions()
            .filter(|f| case.hot.contains(&f.name()))
            .map(|f| (f.name().to_string(), f.backedges.get()))
            .collect();
        v.sort();
        v
    };
    let (_, reference) = run(&case, Mode::Reference);
    let (_, eager) = run(&case, Mode::Eager);
    assert_eq!(counts(&reference), counts(&eager));
}

/// A counted register loop (its counter steps by one, once per iteration)
/// keeps no iteration count: it polls on its counter and works out its
/// back-edges from how far the counter moved when it is left — at the end,
/// early, through an error or a deoptimization before or after the step,
/// or after on-stack replacement entered it half-way. Results, errors and
/// back-edge totals must all be the interpreter's.
#[test]
fn counted_loops_count_their_back_edges_exactly() {
    let setup = "(define (early n stop) (let ((i 0) (s 0)) (while (and (< i n) (< s stop)) (set! s (+ s i)) (set! i (+ i 1))) (list i s)))
(define (vsum v n) (let ((i 0) (s 0)) (while (< i n) (set! s (+ s (vector-ref v i))) (set! i (+ i 1))) s))
(define (vpost v n) (let ((i 0) (s 0)) (while (< i n) (set! i (+ i 1)) (set! s (+ s (vector-ref v i)))) s))
(define (upto i n) (let ((k 0)) (while (<= i n) (set! k (+ k 1)) (set! i (+ i 1))) k))
(define (down n) (let ((s 0)) (while (> n 0) (set! s (+ s n)) (set! n (- n 1))) s))
(define (acc-from s n) (let ((i 0)) (while (< i n) (set! s (+ s i)) (set! i (+ i 1))) s))";
    let probes = [
        "(early 100 1000000)",
        "(early 100 50)",
        "(early 5000 100000000)",
        "(vsum (make-vector 10 1) 10)",
        "(vsum (make-vector 10 1) 12)",
        "(vpost (make-vector 100 1) 99)",
        "(vpost (make-vector 10 1) 10)",
        "(upto 0 100)",
        "(upto 9223372036854775800 9223372036854775807)",
        "(down 100)",
        "(down 5000)",
        "(acc-from 0 3000)",
        "(acc-from 9223372036854775000 100000)",
    ];
    let names = ["early", "vsum", "vpost", "upto", "down", "acc-from"];
    let run = |config: Option<TierConfig>| {
        let mut rt = Runtime::new();
        let out = Capture::default();
        rt.set_output(Box::new(out.clone()));
        if let Some(c) = config {
            TierManager::install(&mut rt, c, None).unwrap();
        }
        let mut got = vec![outcome(&mut rt, &out, "d.cl", setup)];
        for (i, p) in probes.iter().enumerate() {
            got.push(outcome(&mut rt, &out, &format!("p{i}.cl"), p));
        }
        let mut counts: Vec<(String, u64)> =
            rt.functions().filter(|f| names.contains(&f.name())).map(|f| (f.name().to_string(), f.backedges.get())).collect();
        counts.sort();
        let native: Vec<&str> = names.iter().copied().filter(|n| is_native(&rt, n)).collect();
        (got, counts, native)
    };
    let (reference, ref_counts, _) = run(None);
    assert!(reference[1].starts_with("value: (100 4950)"), "{reference:?}");
    assert!(reference[2].starts_with("value: (11 55)"), "{reference:?}");
    assert!(reference[5].starts_with("error: "), "{reference:?}");
    assert!(reference[7].starts_with("error: "), "{reference:?}");
    assert!(reference[9].starts_with("error: "), "{reference:?}");
    assert!(reference[13].starts_with("error: "), "{reference:?}");
    // Eager: every loop native from its first iteration. OSR: each
    // function's first loop runs 20 back-edges in the interpreter, then
    // compiles synchronously and continues native from the header.
    let osr = TierConfig { hot_calls: 1_000_000, hot_loops: 20, synchronous: true, ..TierConfig::auto() };
    for (what, config) in [("eager", TierConfig::eager()), ("osr", osr)] {
        let (got, counts, native) = run(Some(config));
        assert_eq!(native, names, "[{what}] all native by the end");
        assert_eq!(got, reference, "[{what}]");
        assert_eq!(counts, ref_counts, "[{what}] back-edge totals");
    }
}

// ---- tail calls between functions ---------------------------------------------

/// Native code makes tail calls itself: the callee replaces the frame and
/// the caller of the native code runs it, so the machine stack stays flat.
/// Everything `rt_tail` does not take (builtins, rest parameters, wrong
/// arity, non-functions) leaves to the interpreter, with its errors.
#[test]
fn tail_calls_between_functions_in_native_code() {
    let case = Case {
        setup: "(define (ping n) (if (= n 0) 'done (pong (- n 1))))
(define (pong n) (if (= n 0) 'done (ping (- n 1))))
(define (to-builtin xs) (length xs))
(define (va . xs) xs)
(define (to-rest a b) (va a b))
(define (to-wrong a) (ping a a))
(define (to-nonfn a) (a 1))
(define (build n acc) (if (= n 0) acc (build2 (- n 1) (cons n acc))))
(define (build2 n acc) (build n acc))
(define (sum-list xs acc) (if (empty? xs) acc (add-head xs acc)))
(define (add-head xs acc) (sum-list (tail xs) (+ acc (head xs))))
(define (outer n) (list 1 (ping n)))
(define (via f n) (list 1 (f n)))
(define (hop x) (check-int x))
(define (check-int x) (if (= x 0) 'zero (- x 1)))",
        warm: "(list (ping 100) (to-builtin '(1 2)) (to-rest 1 2) (sum-list (build 50 '()) 0) (outer 10) (via ping 10) (via hop 5) (via hop 0))",
        hot: &["ping", "pong", "to-builtin", "to-rest", "build", "build2", "sum-list", "add-head", "outer", "via", "hop", "check-int"],
        probes: &[
            "(ping 1000000)",
            "(outer 1000001)",
            // A later link of a chain that a native call site runs fails
            // a speculation (`check-int` saw only ints), and then raises
            // an error.
            "(via hop 4.0)",
            "(via hop 'x)",
            "(to-builtin '(1 2 3))",
            "(to-rest 1 2)",
            "(to-wrong 3)",
            "(to-nonfn 5)",
            "(sum-list (build 200000 '()) 0)",
            "(ping 'x)",
            "(pong (quote y))",
        ],
    };
    let outcomes = check(&case);
    assert!(probe(&case, &outcomes, "(ping 1000000)").starts_with("value: done\n"), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(outer 1000001)").starts_with("value: (1 done)\n"), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(via hop 4.0)").starts_with("value: (1 3.0)\n"), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(via hop 'x)").starts_with("error: "), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(sum-list (build 200000 '()) 0)").starts_with("value: 20000100000\n"), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(to-wrong 3)").starts_with("error: "), "{outcomes:?}");
}

/// A comparison whose only use is the branch after it (`(if (not (< a b))
/// ...)`) branches on the comparison directly in native code; it must
/// still take the interpreter's branch for every operand type, and raise
/// its errors.
#[test]
fn negated_comparisons_branch_like_the_interpreter() {
    let case = Case {
        setup: "(define (nlt a b) (if (not (< a b)) 'ge 'lt))
(define (nge a b) (if (not (>= a b)) 'lt 'ge))
(define (neq a b) (if (not (= a b)) 'ne 'eq))
(define (count-down n) (let ((k 0)) (while (< k 50) (if (not (< n 1)) (set! n (- n 1)) nil) (set! k (+ k 1))) n))",
        warm: "(list (nlt 1 2) (nlt 3 2) (nge 1 2) (neq 1 1) (neq 1 2) (count-down 10))",
        hot: &["nlt", "nge", "neq", "count-down"],
        probes: &[
            "(list (nlt 1 2) (nlt 2 2) (nlt 3 2))",
            "(list (nlt 1.5 2) (nlt 2 1.5) (nlt 2.0 2.0))",
            "(list (nge 0.5 1) (nge 9223372036854775807 -9223372036854775807))",
            "(list (neq 1 1.0) (neq \"a\" \"a\") (neq 'x 'y) (neq nil false))",
            "(nlt \"a\" 1)",
            "(nge 'x 'y)",
            "(list (count-down 5) (count-down 2.5) (count-down 0))",
            "(count-down \"n\")",
        ],
    };
    let outcomes = check(&case);
    assert!(probe(&case, &outcomes, "(list (nlt 1 2) (nlt 2 2) (nlt 3 2))").starts_with("value: (lt ge ge)\n"), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(nlt \"a\" 1)").starts_with("error: "), "{outcomes:?}");
}

/// Float `/` and `sqrt` run inline in native code; every operand type must
/// give the interpreter's value (IEEE infinities and NaNs included) or
/// error.
#[test]
fn float_division_and_sqrt_match_the_interpreter() {
    let case = Case {
        setup: "(define (dv a b) (/ a b))
(define (rt x) (sqrt x))
(define (norm x y) (sqrt (+ (* x x) (* y y))))",
        warm: "(list (dv 1.0 2.0) (dv 7 2) (rt 2.0) (rt 9) (norm 3.0 4.0))",
        hot: &["dv", "rt", "norm"],
        probes: &[
            "(list (dv 1.0 3.0) (dv -1.0 0.0) (dv 0.0 0.0) (dv 7 2) (dv -7 2) (dv 7.0 2) (dv 7 2.0))",
            "(dv 1 0)",
            "(dv 1.0 \"x\")",
            "(list (rt 2.0) (rt -1.0) (rt 16) (rt 0) (rt 9007199254740993) (rt -0.0))",
            "(rt \"x\")",
            "(rt nil)",
            "(list (norm 3.0 4.0) (norm 1e200 1e200) (norm 3 4))",
        ],
    };
    let outcomes = check(&case);
    assert!(probe(&case, &outcomes, "(dv 1 0)").starts_with("error: "), "{outcomes:?}");
    assert!(probe(&case, &outcomes, "(rt \"x\")").starts_with("error: "), "{outcomes:?}");
}

/// A loop whose entry guard fails (here: `acc` starts as a string in calls
/// that run zero iterations) records that in the function's feedback, so
/// after the usual deopt limit the recompiled code enters that loop
/// unguarded and stops deoptimizing, keeping its other speculation,
/// instead of failing the same guard until speculation is switched off.
#[test]
fn a_failed_loop_guard_is_not_compiled_again() {
    let (mut rt, out) = new_runtime(Mode::Eager);
    let src = "(define (f n x) (let ((i 0) (acc x)) (while (< i n) (set! acc (+ acc i)) (set! i (+ i 1))) acc))
(define (g k) (let ((j 0) (r nil)) (while (< j k) (set! r (f 0 \"str\")) (set! r (f 3 1)) (set! j (+ j 1))) r))";
    assert!(outcome(&mut rt, &out, "d.cl", src).starts_with("value: "));
    assert!(outcome(&mut rt, &out, "a.cl", "(list (g 300) (f 0 \"s\") (f 4 1))").starts_with("value: (4 \"s\" 7)\n"));
    let m = rt.tier_mut().unwrap().as_any_mut().downcast_mut::<TierManager>().unwrap();
    let of_f = |k: fn(&EventKind) -> bool| m.events().iter().filter(|e| e.function.starts_with("f (") && k(&e.kind)).count();
    let deopts = of_f(|k| matches!(k, EventKind::Deopt { .. }));
    let invalidations = of_f(|k| matches!(k, EventKind::Invalidated { .. }));
    assert_eq!(invalidations, 1, "{deopts} deopts");
    assert!(deopts <= TierConfig::eager().max_deopts as usize + 1, "{deopts} deopts");
}

/// An int-only loop keeps its counters in machine registers and writes
/// them to the frame when it is left (`types::register_loops`). An
/// overflow inside it deoptimizes, and the frame must then hold the values
/// from before the overflowing instruction: the interpreter runs that
/// instruction again and raises the error at once, with the operands in
/// its message. A stale or wrapped value would instead let the
/// interpreter run on, deoptimizing again at each re-entry.
#[test]
fn an_overflow_in_a_register_loop_deoptimizes_once_with_the_frame_written() {
    let src = "(define (up x n) (let ((i 0)) (while (< i n) (set! x (+ x 1)) (set! i (+ i 1))) x))
(define (down x n) (let ((i 0)) (while (< i n) (set! x (- x 3)) (set! i (+ i 1))) x))
(define (chase n a) (let ((i 1) (acc a)) (while (< i n) (set! acc (+ acc 1)) (set! i (+ acc i))) i))
(define (zig n i s) (let ((k 0) (acc 0)) (while (< k n) (set! acc (+ acc s)) (set! i (- acc i)) (set! k (+ k 1))) i))";
    let probes = [
        ("(up 9223372036854775000 100000)", "integer overflow in (+ 9223372036854775807 1)", "up ("),
        ("(down -9223372036854775000 100000)", "integer overflow in (- -9223372036854775807 3)", "down ("),
        // From acc = 2^61, `(+ acc i)` overflows in the fourth iteration,
        // with acc = 2^61 + 4 and i = 3 * 2^61 + 7.
        ("(chase 9223372036854775807 2305843009213693952)", "integer overflow in (+ 2305843009213693956 6917529027641081863)", "chase ("),
        // With s = 2^61 and i = -2^62, `(- acc i)` overflows in the third
        // iteration, with acc = 3s and i = -s.
        ("(zig 10 -4611686018427387904 2305843009213693952)", "integer overflow in (- 6917529027641081856 -2305843009213693952)", "zig ("),
    ];
    for (probe, message, function) in probes {
        let (mut rt, out) = new_runtime(Mode::Eager);
        assert!(outcome(&mut rt, &out, "d.cl", src).starts_with("value: "));
        assert!(outcome(&mut rt, &out, "w.cl", "(list (up 0 10) (down 0 10) (chase 10 0) (zig 3 0 1))").starts_with("value: (10 -30 11 2)\n"));
        let got = outcome(&mut rt, &out, "p.cl", probe);
        assert!(got.starts_with(&format!("error: {message}\n")), "{probe}: {got}");
        let m = rt.tier_mut().unwrap().as_any_mut().downcast_mut::<TierManager>().unwrap();
        let deopts =
            m.events().iter().filter(|e| e.function.starts_with(function) && matches!(e.kind, EventKind::Deopt { .. })).count();
        assert_eq!(deopts, 1, "{probe}");
    }
}

/// Native calls push frames inline up to `FrameStack::native_limit`, at
/// most the lower of the frame stack's capacity and the configured frame
/// limit.
/// Limits below and above the initial capacity (256 frames) must give the
/// interpreter's "stack overflow" at exactly the same depth.
/// Native code calls native code on the machine stack only up to
/// `MAX_NATIVE_DEPTH` frames above where the interpreter entered it; the
/// next call goes through the interpreter, which starts a new chain after
/// the old one has unwound. So recursion as deep as the frame limit allows
/// runs in a thread with a small machine stack: without the bound, 200,000
/// native activations would need megabytes of it.
#[test]
fn native_recursion_uses_bounded_machine_stack() {
    let run = || {
        let mut rt = Runtime::with_config(claudelang_runtime::Config { max_frames: 250_000, ..Default::default() });
        TierManager::install(&mut rt, TierConfig::eager(), None).unwrap();
        rt.eval("d.cl", "(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1)))))").unwrap();
        let v = rt.eval("p.cl", "(deep 200000)").unwrap();
        let deep = rt.functions().find(|f| f.name() == "deep").expect("deep");
        assert!(deep.native_entry().is_some(), "deep runs native");
        // Every 511th level goes through `map` (a prelude function with a
        // rest parameter, which native call sites leave to the
        // interpreter): each such call unwinds the native chain, and the
        // interpreter starts the next one.
        rt.eval("m.cl", "(define (via-map n) (if (<= n 0) 0 (if (= (rem n 511) 0) (+ 1 (head (map via-map (list (- n 1))))) (+ 1 (via-map (- n 1))))))").unwrap();
        let w = rt.eval("q.cl", "(via-map 200000)").unwrap();
        format!("{} {}", rt.display(v), rt.display(w))
    };
    let out = std::thread::Builder::new().stack_size(512 << 10).spawn(run).unwrap().join().unwrap();
    assert_eq!(out, "200000 200000");
}

#[test]
fn the_frame_limit_holds_at_the_same_depth_in_native_code() {
    let src = "(define (deep n) (if (= n 0) 0 (+ 1 (deep (- n 1)))))";
    for max_frames in [100usize, 300, 1000] {
        let outcomes = |tier: Option<TierConfig>| {
            let mut rt = Runtime::with_config(claudelang_runtime::Config { max_frames, ..Default::default() });
            if let Some(c) = tier {
                TierManager::install(&mut rt, c, None).unwrap();
            }
            rt.eval("d.cl", src).unwrap();
            // Around the limit: the deepest call that fits, and one more.
            (max_frames - 3..max_frames + 2)
                .map(|n| match rt.eval("p.cl", &format!("(deep {n})")) {
                    Ok(v) => rt.display(v),
                    Err(e) => e.to_string().lines().next().unwrap_or_default().to_string(),
                })
                .collect::<Vec<_>>()
        };
        let reference = outcomes(None);
        assert!(reference.iter().any(|o| o.contains("stack overflow")), "{max_frames}: {reference:?}");
        assert!(reference.iter().any(|o| !o.contains("stack overflow")), "{max_frames}: {reference:?}");
        assert_eq!(outcomes(Some(TierConfig::eager())), reference, "max_frames {max_frames}");
    }
}
