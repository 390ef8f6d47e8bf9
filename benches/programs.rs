//! Whole-program benchmarks: `benches/programs/{fib,loop,tak,sieve}.cl`
//! run in-process through the embedding API, next to their Lua 5.4
//! equivalents (`benches/programs/*.lua`) run as `lua5.4 FILE`, in the same
//! criterion group so one run compares them:
//!
//! | bench id                   | what one iteration does                                       |
//! |----------------------------|---------------------------------------------------------------|
//! | `<prog>/claudelang-interp` | `Runtime::new` + `compile` + `run` + `flush`, output to `io::sink()` |
//! | `<prog>/claudelang-auto`   | the same with the tier manager installed (`--jit=auto`) |
//! | `<prog>/lua5.4`            | spawn `lua5.4 benches/programs/<prog>.lua` (stdout to /dev/null), wait |
//! | `startup/runtime-new`      | `Runtime::new()` (heap, effects, prelude parse+compile+run)   |
//! | `startup/lua-process`      | spawn `lua5.4 -e ''` and wait: process + interpreter start-up |
//!
//! Both sides are timed as "start a fresh interpreter and run the file":
//! subtract `startup/runtime-new` from the ClaudeLang number and
//! `startup/lua-process` from the Lua number to compare the programs alone
//! (both are well under 1% of these programs' run times).
//!
//! The Lua benches are skipped, with a note on stderr, when `lua5.4` is not
//! on PATH (`apt-get install -y lua5.4`).
//!
//! The programs take 0.3-3 s each, so the program groups use flat sampling
//! with criterion's minimum of 10 samples and a 10 s target: the slow ones
//! get one iteration per sample, for which criterion prints "Warning: Unable
//! to complete 10 samples in 10.0s" (expected; it still takes 10 samples).
//!
//! Before timing, each program is run once on each side and the outputs
//! compared (the ClaudeLang output is captured, not printed).
//!
//! Run: `cargo bench --bench programs` (filter: `-- fib/`, `-- startup/`).

use claudelang::runtime::Runtime;
use claudelang_tiers::{TierConfig, TierManager};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use std::hint::black_box;
use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::process::{Command, Stdio};
use std::time::Duration;

const PROGRAMS: [&str; 4] = ["fib", "loop", "tak", "sieve"];

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join("programs")
}

fn lua_available() -> bool {
    Command::new("lua5.4")
        .args(["-e", ""])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn run_lua(args: &[&str]) {
    let status = Command::new("lua5.4")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("spawn lua5.4");
    assert!(status.success(), "lua5.4 {args:?} failed: {status}");
}

/// What `claudelang run FILE` does, minus reading the file and printing
/// to the terminal: a fresh runtime, compile, run, flush.
fn run_claudelang(name: &str, text: &str) {
    run_claudelang_with(name, text, None)
}

/// The same with a tier manager (`--jit=auto` in the CLI): hot functions
/// are compiled on the background thread while the program runs.
fn run_claudelang_with(name: &str, text: &str, tiers: Option<TierConfig>) {
    let mut rt = Runtime::new();
    if let Some(config) = tiers {
        TierManager::install(&mut rt, config, None).expect("native tier");
    }
    rt.set_output(Box::new(std::io::sink()));
    let unit = rt.compile(name, text).unwrap_or_else(|e| panic!("{}", e.render()));
    let v = rt.run(unit).unwrap_or_else(|e| panic!("{}", e.render()));
    black_box(v);
    rt.flush().expect("flush");
}

/// A `Write` whose bytes can be read back after the runtime is done.
#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One untimed run of each side; panics if the outputs differ.
fn check_outputs(prog: &str, name: &str, text: &str, lua_file: Option<&str>) {
    let cap = Capture::default();
    let mut rt = Runtime::new();
    rt.set_output(Box::new(cap.clone()));
    rt.eval(name, text).unwrap_or_else(|e| panic!("{}", e.render()));
    rt.flush().expect("flush");
    drop(rt);
    let cl_out = String::from_utf8_lossy(&cap.0.borrow()).trim().to_string();
    assert!(!cl_out.is_empty(), "{prog}.cl printed nothing");
    if let Some(lua_file) = lua_file {
        let out = Command::new("lua5.4").arg(lua_file).stdin(Stdio::null()).output().expect("spawn lua5.4");
        assert!(out.status.success(), "lua5.4 {lua_file} failed: {}", out.status);
        let lua_out = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(cl_out, lua_out, "{prog}: claudelang and lua5.4 print different results");
        eprintln!("{prog}: claudelang and lua5.4 both print {cl_out}");
    } else {
        eprintln!("{prog}: claudelang prints {cl_out}");
    }
}

fn bench_programs(c: &mut Criterion) {
    let dir = programs_dir();
    let lua = lua_available();
    if !lua {
        eprintln!("note: lua5.4 not found on PATH; skipping the */lua5.4 and startup/lua-process benches");
    }
    for prog in PROGRAMS {
        let cl_path = dir.join(format!("{prog}.cl"));
        let lua_path = dir.join(format!("{prog}.lua"));
        let text = std::fs::read_to_string(&cl_path).unwrap_or_else(|e| panic!("{}: {e}", cl_path.display()));
        let name = cl_path.to_string_lossy().into_owned();
        let lua_file = lua_path.to_string_lossy().into_owned();
        check_outputs(prog, &name, &text, lua.then_some(lua_file.as_str()));

        let mut g = c.benchmark_group(prog);
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(10));
        g.bench_function("claudelang-interp", |b| b.iter(|| run_claudelang(&name, &text)));
        g.bench_function("claudelang-auto", |b| {
            b.iter(|| run_claudelang_with(&name, &text, Some(TierConfig::auto())))
        });
        if lua {
            g.bench_function("lua5.4", |b| b.iter(|| run_lua(&[&lua_file])));
        }
        g.finish();
    }
}

fn bench_startup(c: &mut Criterion) {
    let mut g = c.benchmark_group("startup");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("runtime-new", |b| b.iter(Runtime::new));
    if lua_available() {
        g.bench_function("lua-process", |b| b.iter(|| run_lua(&["-e", ""])));
    }
    g.finish();
}

criterion_group!(benches, bench_startup, bench_programs);
criterion_main!(benches);
