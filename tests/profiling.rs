//! The profiling CLI end to end: JSON tier traces (golden, with figures
//! masked, and schema checks), guest flamegraphs and pprof profiles, time
//! by tier in `--tier-stats`, the host flamegraph, and `warmup`.

use claudelang_profiler::output::protos::{self, Message};
use std::path::{Path, PathBuf};

use std::process::{Command, Output};

mod common;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_claudelang"))
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiers")
}

/// A scratch directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("claudelang-profiling-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run claudelang");
    assert!(out.status.success(), "{:?} failed:\n{}", cmd, String::from_utf8_lossy(&out.stderr));
    out
}

const FIB: &str = "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(print (fib 27))\n";

// ---- JSON tier traces ------------------------------------------------------------

/// Figures that vary between runs, by key.
const MASKED_KEYS: [&str; 5] = ["ts_ns", "compile_ns", "queue_wait_ns", "code_bytes", "heap_bytes"];

fn mask_json_line(line: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let obj = v.as_object_mut().expect("one object per line");
    for k in MASKED_KEYS {
        if let Some(x) = obj.get_mut(k) {
            assert!(x.is_u64(), "{k} is a count: {line}");
            *x = serde_json::Value::String("#".into());
        }
    }
    // serde_json keeps insertion order only with a feature; sort for a
    // stable golden, the writer's own order is pinned by a unit test.
    let mut keys: Vec<_> = obj.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
    keys.sort();
    format!("{{{}}}", keys.join(","))
}

fn json_trace(name: &str, dir: &Path) -> Vec<String> {
    let out_file = dir.join(name.replace(".cl", ".jsonl"));
    let flags = common::flags_of(&golden_dir().join(name));
    bin()
        .args(["run", "--jit=eager"])
        .arg(format!("--trace-tiers={}", out_file.display()))
        .args(flags)
        .arg(name)
        .current_dir(golden_dir())
        .output()
        .unwrap();
    std::fs::read_to_string(&out_file).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn json_traces_match_their_goldens() {
    let dir = scratch("jsonl");
    let bless = std::env::var_os("BLESS").is_some();
    let names = common::cl_programs(&golden_dir());
    let mut failures = Vec::new();
    for name in names {
        let masked: String = json_trace(&name, &dir).iter().map(|l| mask_json_line(l) + "\n").collect();
        let path = golden_dir().join(name.replace(".cl", ".jsonl"));
        if bless {
            std::fs::write(&path, &masked).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(masked.as_str()) {
            failures.push(format!("{name}: expected {}, got:\n{masked}", path.display()));
        }
    }
    assert!(failures.is_empty(), "golden mismatches (BLESS=1 to accept):\n{}", failures.join("\n"));
}

#[test]
fn json_trace_lines_have_the_documented_fields() {
    let dir = scratch("schema");
    let lines = json_trace("gc.cl", &dir);
    let events: Vec<serde_json::Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    for e in &events {
        assert!(e["ts_ns"].is_u64() && e["thread"].is_string(), "{e}");
        let kind = e["event"].as_str().unwrap();
        match kind {
            "gc-start" | "gc-end" => assert!(e["heap_bytes"].is_u64(), "{e}"),
            _ => assert!(e["function"].as_str().unwrap().contains("gc.cl:"), "{e}"),
        }
        if kind == "compile-end" {
            assert!(e["compile_ns"].as_u64().unwrap() > 0 && e["code_bytes"].as_u64().unwrap() > 0, "{e}");
            assert_eq!(e["thread"], "claudelang-jit");
        }
        if kind == "queued" {
            assert_eq!(e["thread"], "main");
        }
    }
    for k in ["queued", "compile-start", "compile-end", "installed", "gc-start", "gc-end"] {
        assert!(kinds.contains(&k), "no {k} in {kinds:?}");
    }
    let gcs: Vec<&&str> = kinds.iter().filter(|k| k.starts_with("gc-")).collect();
    assert!(gcs.chunks(2).all(|p| *p[0] == "gc-start" && *p[1] == "gc-end"), "{gcs:?}");
    // One clock: the program thread's events are in time order.
    let main_ts: Vec<u64> = events.iter().filter(|e| e["thread"] == "main").map(|e| e["ts_ns"].as_u64().unwrap()).collect();
    assert!(main_ts.windows(2).all(|w| w[0] <= w[1]), "{main_ts:?}");
}

// ---- guest flamegraphs, pprof, time by tier ------------------------------------

#[test]
fn flamegraph_and_pprof_name_fib_native_after_warmup() {
    let dir = scratch("flame");
    // Long enough for dozens of samples at 1 kHz once fib runs native.
    std::fs::write(dir.join("fib.cl"), FIB.replace("(fib 27)", "(fib 31)")).unwrap();
    let out = run_ok(bin().args(["run", "--flamegraph", "fib.svg", "--pprof", "fib.pb", "--tier-stats", "fib.cl"]).current_dir(&dir));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1346269\n");
    let svg = std::fs::read_to_string(dir.join("fib.svg")).unwrap();
    assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("fib fib.cl:1 [native]"), "fib not sampled native");
    let pb = std::fs::read(dir.join("fib.pb")).unwrap();
    let p = protos::Profile::decode(pb.as_slice()).expect("a pprof profile");
    let names: Vec<&str> = p.function.iter().map(|f| p.string_table[f.name as usize].as_str()).collect();
    assert!(names.contains(&"fib [native]"), "{names:?}");
    let samples: i64 = p.sample.iter().map(|s| s.value[0]).sum();
    assert!(samples > 10, "{samples} samples");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let split = stderr.lines().find(|l| l.starts_with("time by tier:")).expect("time by tier line");
    assert!(split.contains("% native") && split.contains("samples at 1000 Hz"), "{split}");
}

#[test]
fn bad_output_paths_fail_before_the_program_runs() {
    let dir = scratch("badpath");
    std::fs::write(dir.join("p.cl"), "(print 'ran)").unwrap();
    let out = bin().args(["run", "--flamegraph", "no/such/dir/x.svg", "p.cl"]).current_dir(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(out.stdout.is_empty(), "the program must not run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot create no/such/dir/x.svg"));
}

// ---- warmup -------------------------------------------------------------------

#[test]
fn warmup_runs_end_to_end() {
    let dir = scratch("warmup");
    std::fs::write(dir.join("w.cl"), "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(define (main) (fib 15))\n")
        .unwrap();
    let out = run_ok(bin().args(["warmup", "w.cl", "--iterations", "40", "--processes", "2", "--out", "res"]).current_dir(&dir));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let verdict = stdout.lines().find(|l| l.starts_with("w.cl: ")).unwrap_or_else(|| panic!("{stdout}"));
    let classes = ["flat", "warmup", "slowdown", "no steady state", "inconsistent ("];
    assert!(classes.iter().any(|c| verdict[6..].starts_with(c)), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("  process ")).count(), 2, "{stdout}");
    let res = dir.join("res");
    let iterations = std::fs::read_to_string(res.join("iterations.csv")).unwrap();
    assert_eq!(iterations.lines().next(), Some("process,iteration,seconds"));
    assert_eq!(iterations.lines().count(), 1 + 2 * 40);
    let summary = std::fs::read_to_string(res.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3, "{summary}");
    let events = std::fs::read_to_string(res.join("events.csv")).unwrap();
    assert!(events.lines().any(|l| l.contains(",installed,fib (")), "fib compiled during the run:\n{events}");
    for p in 1..=2 {
        let svg = std::fs::read_to_string(res.join(format!("process-{p}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>") && !svg.contains("NaN"));
    }
}

#[test]
fn warmup_without_main_is_an_error() {
    let dir = scratch("nomain");
    std::fs::write(dir.join("p.cl"), "(define (f) 1)").unwrap();
    let out = bin().args(["warmup", "p.cl", "--iterations", "3", "--processes", "1", "--out", "r"]).current_dir(&dir).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not define a `main` function"), "{}", String::from_utf8_lossy(&out.stderr));
}

// ---- the host view ---------------------------------------------------------------

#[test]
fn native_flamegraph_names_jit_code_and_unwinds_through_it() {
    let dir = scratch("native");
    std::fs::write(dir.join("fib.cl"), FIB.replace("(fib 27)", "(fib 30)")).unwrap();
    run_ok(bin().args(["run", "--flamegraph-native", "host.svg", "fib.cl"]).current_dir(&dir));
    let svg = std::fs::read_to_string(dir.join("host.svg")).unwrap();
    // Frames are nested <g> groups; a JIT frame's title is its perf-map name.
    assert!(svg.contains("fib (fib.cl:1) [jit]"), "compiled fib not named in the host flamegraph");
    // Unwinding went on below the JIT frames, into the interpreter and
    // the CLI that called it.
    assert!(svg.contains("<title>execute (") && svg.contains("<title>run_file ("), "stacks stop at JIT code");
}

#[test]
fn perf_map_flag_writes_the_map_of_the_process() {
    let dir = scratch("perfmap");
    std::fs::write(dir.join("fib.cl"), FIB).unwrap();
    let child = bin().args(["run", "--perf-map", "fib.cl"]).current_dir(&dir).stdout(std::process::Stdio::null()).spawn().unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let path = format!("/tmp/perf-{pid}.map");
    let map = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let _ = std::fs::remove_file(&path);
    let line = map.lines().find(|l| l.ends_with(" fib (fib.cl:1) [jit]")).unwrap_or_else(|| panic!("{map}"));
    let w: Vec<&str> = line.splitn(3, ' ').collect();
    assert!(u64::from_str_radix(w[0], 16).unwrap() > 0 && u64::from_str_radix(w[1], 16).unwrap() > 0, "{line}");
}

/// Three synthetic process executions with known shapes, analysed from
/// stored CSV (`warmup --analyse`), so the text formats are deterministic.
#[test]
fn warmup_reports_match_their_goldens() {
    let dir = scratch("analyse").join("synthetic");
    std::fs::create_dir_all(&dir).unwrap();
    // A deterministic wobble of about ±1%.
    let noise = |i: usize| ((i * 7919) % 101) as f64 / 100.0 - 0.5;
    let mut csv = String::from("process,iteration,seconds\n");
    for p in 1..=3 {
        for i in 0..120 {
            let base = match p {
                1 if i < 30 => 4e-3, // warmup: slow for 30 iterations
                3 if i >= 60 => 2e-3, // slowdown half-way
                2 if i == 80 => 6e-3, // flat, with one pause (an outlier)
                _ => 1e-3,
            };
            csv.push_str(&format!("{p},{},{:.9}\n", i + 1, base * (1.0 + 0.02 * noise(i + p))));
        }
    }
    std::fs::write(dir.join("iterations.csv"), csv).unwrap();
    std::fs::write(dir.join("events.csv"), "process,iteration,ts_ns,event,function\n1,2,1500000,installed,f (w.cl:1)\n").unwrap();
    let out = run_ok(bin().args(["warmup", "--analyse"]).arg(&dir));
    let stdout = String::from_utf8_lossy(&out.stdout).replace(&dir.display().to_string(), "DIR");
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    let actual = format!("--- stdout\n{stdout}--- summary.csv\n{summary}");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/warmup/synthetic.txt");
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &actual).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&golden).expect("golden; BLESS=1 to create"), actual);
    let plot = std::fs::read_to_string(dir.join("process-1.svg")).unwrap();
    assert!(plot.contains(": warmup</text>") && plot.contains("compiled f (w.cl:1) (iteration 2)"), "plot");
}

#[test]
fn warmup_reports_a_failing_main_and_bad_inputs() {
    let dir = scratch("failing");
    std::fs::write(dir.join("p.cl"), "(define (main) (car 5))").unwrap();
    let out = bin().args(["warmup", "p.cl", "--iterations", "3", "--processes", "2", "--out", "r"]).current_dir(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a runtime error's exit status");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--> p.cl:1:16") && stderr.contains("error: process 1 failed"), "{stderr}");
    let out = bin().args(["warmup", "--analyse", "no-such-dir"]).current_dir(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: cannot read no-such-dir/iterations.csv"));
    std::fs::create_dir_all(dir.join("junk")).unwrap();
    std::fs::write(dir.join("junk/iterations.csv"), "process,iteration,seconds\n1,1,abc\n").unwrap();
    let out = bin().args(["warmup", "--analyse", "junk"]).current_dir(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk/iterations.csv:2: expected process,iteration,seconds"));
}
