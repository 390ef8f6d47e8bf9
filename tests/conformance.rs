//! The conformance harness: runs every program of `tests/conformance/` and
//! of the shared generated corpus (`../shared/corpus/`) through the real
//! `claudelang` binary, in every tier mode, and compares stdout, exit
//! status and stderr fragments with the expectation files.
//!
//! Expectations per program `NAME.cl`: `NAME.out` is the exact stdout;
//! `NAME.err`, only for failing programs, has `exit=N` on its first line and
//! then lines that must each appear in stderr; beyond those, a failing
//! program's whole stderr (message, location, source excerpt, stack trace)
//! must be the same in every mode as with `--jit=off`. Programs run with their own
//! directory as the working directory and are named relative to it, so
//! error locations read `NAME.cl:LINE:COL`.
//!
//! Environment: `CONFORMANCE_FILTER=substr` runs only matching programs;
//! `CLAUDELANG_CORPUS=dir` overrides the corpus location.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tier modes every program runs under; each is a set of extra CLI flags.
/// Every program must behave identically in all of them.
const MODES: &[(&str, &[&str])] = &[
    ("off", &["--jit=off"]),
    ("auto", &["--jit=auto"]),
    ("eager", &["--jit=eager"]),
    ("stress", &["--jit=stress"]),
];

const TIMEOUT: Duration = Duration::from_secs(120);

struct Case {
    dir: PathBuf,
    file: String,
    expected_out: String,
    expected_exit: i32,
    fragments: Vec<String>,
}

fn load_cases(dir: &Path, cases: &mut Vec<Case>) -> Result<usize, String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cl"))
        .collect();
    names.sort();
    let filter = std::env::var("CONFORMANCE_FILTER").ok();
    let mut n = 0;
    for name in names {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let stem = name.trim_end_matches(".cl");
        let out_path = dir.join(format!("{stem}.out"));
        let expected_out = std::fs::read_to_string(&out_path)
            .map_err(|e| format!("{}: missing expected output: {e}", out_path.display()))?;
        let (expected_exit, fragments) = match std::fs::read_to_string(dir.join(format!("{stem}.err"))) {
            Ok(text) => {
                let mut lines = text.lines();
                let first = lines.next().unwrap_or("");
                let code = first
                    .strip_prefix("exit=")
                    .and_then(|c| c.trim().parse().ok())
                    .ok_or_else(|| format!("{stem}.err: first line must be exit=N, found {first:?}"))?;
                (code, lines.filter(|l| !l.trim().is_empty()).map(str::to_string).collect())
            }
            Err(_) => (0, Vec::new()),
        };
        cases.push(Case { dir: dir.to_path_buf(), file: name, expected_out, expected_exit, fragments });
        n += 1;
    }
    Ok(n)
}

/// Runs one case; returns a description of what went wrong, if anything,
/// and its stderr.
fn run_case(bin: &Path, case: &Case, flags: &[&str]) -> (Option<String>, String) {
    let mut child = match Command::new(bin)
        .arg("run")
        .args(flags)
        .arg(&case.file)
        .current_dir(&case.dir)
        // Every function compiled in these runs passes Cranelift's verifier.
        .env("CLAUDELANG_JIT_VERIFY", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return (Some(format!("cannot start {}: {e}", bin.display())), String::new()),
    };
    // Drain both pipes on threads so a chatty program cannot block.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return (Some(format!("timed out after {}s", TIMEOUT.as_secs())), String::new());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return (Some(format!("wait failed: {e}")), String::new()),
        }
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    let code = status.code().unwrap_or(-1);
    let mut problems = Vec::new();
    if code != case.expected_exit {
        problems.push(format!("exit status {code}, expected {}", case.expected_exit));
    }
    if stdout != case.expected_out {
        problems.push(format!("stdout differs:\n{}", diff(&case.expected_out, &stdout)));
    }
    for f in &case.fragments {
        if !stderr.contains(f.as_str()) {
            problems.push(format!("stderr lacks {f:?}"));
        }
    }
    if case.expected_exit == 0 && !stderr.is_empty() {
        problems.push("unexpected stderr".to_string());
    }
    if problems.is_empty() {
        (None, stderr)
    } else {
        let tail: String = stderr.lines().take(12).map(|l| format!("    | {l}\n")).collect();
        (Some(format!("{}\n  stderr:\n{tail}", problems.join("\n"))), stderr)
    }
}

/// The first differing lines, enough to see what went wrong.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    let mut shown = 0;
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            out.push_str(&format!("    line {}: expected {:?}\n    line {}:   actual {:?}\n", i + 1, x, i + 1, y));
            shown += 1;
            if shown == 3 {
                break;
            }
        }
    }
    out
}

fn main() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_claudelang"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = std::env::var_os("CLAUDELANG_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus"));
    let mut cases = Vec::new();
    let own = load_cases(&root.join("tests/conformance"), &mut cases).unwrap_or_else(|e| panic!("{e}"));
    let shared = load_cases(&corpus, &mut cases).unwrap_or_else(|e| {
        panic!("{e}\nthe shared corpus is required (set CLAUDELANG_CORPUS to its folder)")
    });
    println!("conformance: {own} own programs, {shared} corpus programs, modes: {:?}", MODES.iter().map(|m| m.0).collect::<Vec<_>>());

    let jobs: Vec<(usize, usize)> = (0..MODES.len()).flat_map(|m| (0..cases.len()).map(move |c| (m, c))).collect();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    // Stderr of each (case, mode) run of a failing program.
    let stderrs = Mutex::new(std::collections::HashMap::new());
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(m, c)) = jobs.get(i) else { break };
                let (mode, flags) = MODES[m];
                let (problem, stderr) = run_case(&bin, &cases[c], flags);
                if cases[c].expected_exit != 0 {
                    stderrs.lock().unwrap().insert((c, m), stderr);
                }
                if let Some(problem) = problem {
                    let case = &cases[c];
                    failures.lock().unwrap().push(format!(
                        "FAIL [{mode}] {}/{}: {problem}",
                        case.dir.display(),
                        case.file
                    ));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    let stderrs = stderrs.into_inner().unwrap();
    assert_eq!(MODES[0].0, "off", "stderrs are compared with the first mode's");
    let mut compared = 0;
    for (&(c, m), stderr) in &stderrs {
        let Some(off) = stderrs.get(&(c, 0)).filter(|_| m != 0) else { continue };
        compared += 1;
        if stderr != off {
            let case = &cases[c];
            failures.push(format!(
                "FAIL [{}] {}/{}: stderr differs from --jit=off:\n{}",
                MODES[m].0,
                case.dir.display(),
                case.file,
                diff(off, stderr)
            ));
        }
    }
    println!("{compared} error outputs compared with --jit=off's in full");
    failures.sort();
    for f in &failures {
        println!("{f}");
    }
    let total = jobs.len();
    println!("{} passed, {} failed", total - failures.len(), failures.len());
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
