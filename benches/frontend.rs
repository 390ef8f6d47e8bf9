//! Front-end and small-expression benchmarks, laid out like the seed
//! document's table so the two can be compared line by line:
//!
//! | bench id              | what one iteration does                                   |
//! |-----------------------|-----------------------------------------------------------|
//! | `parse/{simple,complex}`      | `parser::parse_program` on a prebuilt `SourceFile` (the tree is dropped inside the loop) |
//! | `compile/{simple,complex}`    | `frontend::compile` from an already-parsed tree to a `Proto` (one `GlobalTable`, reused) |
//! | `execute/{simple,complex}`    | `Runtime::run(unit)` on a unit compiled once, outside the loop |
//! | `end_to_end/{simple,complex}` | `Runtime::eval(name, text)`: source file + parse + compile + load + run, on an existing runtime |
//!
//! `simple` is `42`; `complex` is
//! `(let ((x 10) (y 20)) (if (> x y) (* x 2) (+ y (* x 3))))` (= 50).
//! Every group uses `Throughput::Elements(1)`, so criterion also reports
//! operations per second.
//!
//! Runtime creation (`Runtime::new`, which loads the prelude) is never
//! timed here: it is not part of evaluating an expression. It is measured
//! on its own as `startup/runtime-new` in `benches/programs.rs`.
//!
//! Run: `cargo bench --bench frontend` (add `-- parse/` etc. to filter).

use claudelang::frontend::{compile, parser, GlobalTable, SourceFile, UnitKind};
use claudelang::runtime::Runtime;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};

const CASES: [(&str, &str); 2] = [
    ("simple", "42"),
    ("complex", "(let ((x 10) (y 20)) (if (> x y) (* x 2) (+ y (* x 3))))"),
];

/// The expected printed value of each case (checked once before timing).
const EXPECTED: [&str; 2] = ["42", "50"];

/// A runtime whose output goes nowhere (the expressions do not print, but
/// nothing should reach the terminal even if they did).
fn quiet_runtime() -> Runtime {
    let mut rt = Runtime::new();
    rt.set_output(Box::new(std::io::sink()));
    rt
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    for (name, text) in CASES {
        let source = SourceFile::new("<bench>", text);
        g.bench_function(name, |b| b.iter(|| parser::parse_program(black_box(&source)).expect("parses")));
    }
    g.finish();
}

fn bench_compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    g.throughput(Throughput::Elements(1));
    for (name, text) in CASES {
        let source = SourceFile::new("<bench>", text);
        let forms = parser::parse_program(&source).expect("parses");
        // One table, reused by every iteration. These expressions define
        // and reference no globals, so it never grows (checked below) and
        // reuse vs. a fresh table makes no difference to the work done.
        let mut globals = GlobalTable::default();
        let before = globals.len();
        g.bench_function(name, |b| {
            b.iter(|| compile(black_box(&source), black_box(&forms), &mut globals, UnitKind::Program).expect("compiles"))
        });
        assert_eq!(globals.len(), before, "bench expression grew the global table");
    }
    g.finish();
}

fn bench_execute(c: &mut Criterion) {
    let mut g = c.benchmark_group("execute");
    g.throughput(Throughput::Elements(1));
    for ((name, text), expected) in CASES.into_iter().zip(EXPECTED) {
        let mut rt = quiet_runtime();
        let unit = rt.compile("<bench>", text).expect("compiles");
        let v = rt.run(unit).expect("runs");
        assert_eq!(rt.display(v), expected);
        g.bench_function(name, |b| b.iter(|| rt.run(black_box(unit)).expect("runs")));
    }
    g.finish();
}

/// `Runtime::eval` loads every compiled unit into the runtime for good
/// (functions are never freed while a runtime lives), so an unbounded loop
/// of evals grows memory. Replace the runtime every this many iterations;
/// the replacement (`Runtime::new`) happens outside the timed region.
const EVALS_PER_RUNTIME: u64 = 20_000;

fn bench_end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("end_to_end");
    g.throughput(Throughput::Elements(1));
    for ((name, text), expected) in CASES.into_iter().zip(EXPECTED) {
        {
            let mut rt = quiet_runtime();
            let v = rt.eval("<bench>", text).expect("evaluates");
            assert_eq!(rt.display(v), expected);
        }
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let n = left.min(EVALS_PER_RUNTIME);
                    let mut rt = quiet_runtime();
                    let start = Instant::now();
                    for _ in 0..n {
                        black_box(rt.eval("<bench>", black_box(text)).expect("evaluates"));
                    }
                    total += start.elapsed();
                    drop(rt);
                    left -= n;
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_parse, bench_compile, bench_execute, bench_end_to_end);
criterion_main!(benches);
