//! `claudelang warmup`: the warm-up methodology of Barrett et al.,
//! "Virtual Machine Warmup Blows Hot and Cold" (OOPSLA 2017). The
//! program's `(define (main) ...)` runs N times in each of P fresh
//! processes (this binary again, one after another so they do not disturb
//! each other); each in-process iteration's wall time is recorded with
//! the tier and GC events that happened during it. Each process execution
//! is then classified by changepoint analysis (`claudelang-profiler`'s
//! `classify`), plotted as a run-sequence SVG, and summarised.

use crate::profiling::TierArgs;
use claudelang_profiler::steady::{analyse, summarize, Analysis};
use claudelang_profiler::guest::{GcEvent, SamplingProbe};
use claudelang_profiler::runplot::{run_sequence_svg, EventMark, PlotEvent};
use claudelang_runtime::Runtime;
use claudelang_tiers::{EventKind, TierManager};
use parking_lot::Mutex;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Clone, Debug)]
pub struct WarmupArgs {
    /// The program; it must define a zero-argument `main`.
    #[arg(required_unless_present = "analyse")]
    pub file: Option<String>,
    /// In-process iterations of `main` per process (at most 10,000: PELT
    /// prunes little on a long steady state, so the analysis grows with
    /// the square of N — about 2 s at 10,000; Barrett et al. used 2,000).
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u32).range(2..=10_000))]
    pub iterations: u32,
    /// Fresh processes to run.
    #[arg(long, value_name = "P", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub processes: u32,
    /// Directory for the CSV files, plots and summary (created if needed).
    #[arg(long, value_name = "DIR", default_value = "warmup-out")]
    pub out: String,
    #[command(flatten)]
    pub tiers: TierArgs,
    /// Analyse the data a previous run stored in DIR (its
    /// iterations.csv and events.csv) again, rewriting its summary and
    /// plots; runs nothing.
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    pub analyse: Option<String>,
    /// Internal: run one process execution and write its raw data here.
    #[arg(long, hide = true, value_name = "FILE")]
    pub worker: Option<String>,
}

/// One event during an in-process iteration.
#[derive(Clone, Debug)]
struct Mark {
    iteration: usize,
    at: Duration,
    kind: &'static str,
    function: String,
}

/// The raw data of one process execution.
struct ProcessData {
    times: Vec<f64>,
    marks: Vec<Mark>,
}

pub fn run(args: &WarmupArgs) -> Result<(), (u8, String)> {
    if let Some(out) = &args.worker {
        return worker(args, Path::new(out));
    }
    let file = args.file.as_deref().unwrap_or("");
    let dir = PathBuf::from(&args.out);
    if let Some(from) = &args.analyse {
        // Re-analysis of stored data: no programs run.
        let dir = PathBuf::from(from);
        let runs = read_csv(&dir).map_err(|e| (crate::EXIT_USAGE, e))?;
        let title = file_title(&dir);
        let analyses: Vec<Analysis> = runs.iter().map(|r| analyse(&r.times)).collect();
        return report(&dir, &title, "stored data", &runs, &analyses, false);
    }
    std::fs::create_dir_all(&dir).map_err(|e| (crate::EXIT_USAGE, format!("cannot create {}: {e}", dir.display())))?;
    let exe = std::env::current_exe().map_err(|e| (crate::EXIT_RUNTIME, format!("cannot find this executable: {e}")))?;
    eprintln!(
        "warmup: {} x {} iterations of main in {file} (--jit={}), results in {}",
        args.processes,
        args.iterations,
        args.tiers.mode,
        dir.display()
    );
    let mut runs = Vec::new();
    let mut analyses = Vec::new();
    for p in 1..=args.processes {
        let raw = dir.join(format!("process-{p}.raw"));
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(["warmup", file, "--iterations", &args.iterations.to_string(), "--jit", &args.tiers.mode]);
        if let Some(n) = args.tiers.hot_calls {
            cmd.args(["--hot-calls", &n.to_string()]);
        }
        if let Some(n) = args.tiers.hot_loops {
            cmd.args(["--hot-loops", &n.to_string()]);
        }
        if let Some(n) = args.tiers.fail_compiles {
            cmd.args(["--fail-compiles", &n.to_string()]);
        }
        cmd.arg("--worker").arg(&raw);
        let started = Instant::now();
        let status = cmd.status().map_err(|e| (crate::EXIT_RUNTIME, format!("cannot start process {p}: {e}")))?;
        if !status.success() {
            let code = status.code().unwrap_or(1).clamp(1, 255) as u8;
            return Err((code, format!("process {p} failed ({status}); see its error above")));
        }
        let data = read_raw(&raw).map_err(|e| (crate::EXIT_RUNTIME, format!("process {p}: {e}")))?;
        let _ = std::fs::remove_file(&raw);
        let a = analyse(&data.times);
        eprintln!(
            "  process {p}/{}: {} ({:.1} s){}",
            args.processes,
            describe(&a),
            started.elapsed().as_secs_f64(),
            if data.marks.is_empty() { String::new() } else { format!(", {} tier/GC events", data.marks.len()) }
        );
        runs.push(data);
        analyses.push(a);
    }
    report(&dir, file, &format!("--jit={}", args.tiers.mode), &runs, &analyses, true)
}

/// Writes the CSV files (the raw data too when `write_raw`), the summary
/// and the plots of analysed process executions into `dir`, and prints the
/// summary.
fn report(
    dir: &Path,
    file: &str,
    how: &str,
    runs: &[ProcessData],
    analyses: &[Analysis],
    write_raw: bool,
) -> Result<(), (u8, String)> {
    let mut iterations_csv = String::from("process,iteration,seconds\n");
    let mut events_csv = String::from("process,iteration,ts_ns,event,function\n");
    let mut summary_csv = String::from("process,classification,changepoints,outliers,steady_iteration,time_to_steady_s,steady_mean_s\n");
    for (k, (data, a)) in runs.iter().zip(analyses).enumerate() {
        let p = k + 1;
        for (i, t) in data.times.iter().enumerate() {
            let _ = writeln!(iterations_csv, "{p},{},{t:.9}", i + 1);
        }
        for m in &data.marks {
            let _ = writeln!(events_csv, "{p},{},{},{},{}", m.iteration + 1, m.at.as_nanos(), m.kind, csv_field(&m.function));
        }
        let _ = writeln!(
            summary_csv,
            "{p},{},{},{},{},{},{}",
            a.class.name(),
            a.changepoints.iter().map(|c| (c + 1).to_string()).collect::<Vec<_>>().join(" "),
            a.outliers.len(),
            opt(a.steady_iteration.map(|i| (i + 1) as f64), 0),
            opt(a.time_to_steady, 6),
            opt(a.steady_mean, 9)
        );
        let events: Vec<PlotEvent> = data
            .marks
            .iter()
            .filter_map(|m| {
                let kind = match m.kind {
                    "installed" => EventMark::Compile,
                    "osr-entry" => EventMark::Osr,
                    "deopt" => EventMark::Deopt,
                    "gc" => EventMark::Gc,
                    _ => return None,
                };
                Some(PlotEvent { iteration: m.iteration, kind, label: m.function.clone() })
            })
            .collect();
        let title = format!("{file} — process {p} of {} ({how})", runs.len());
        let svg = run_sequence_svg(&title, &data.times, Some(a), &events);
        let svg_path = dir.join(format!("process-{p}.svg"));
        std::fs::write(&svg_path, svg).map_err(|e| (crate::EXIT_RUNTIME, format!("cannot write {}: {e}", svg_path.display())))?;
        println!("  process {p}: {}", describe(a));
    }
    let s = summarize(analyses);
    let mut files: Vec<(&str, &String)> = vec![("summary.csv", &summary_csv)];
    if write_raw {
        files.extend([("iterations.csv", &iterations_csv), ("events.csv", &events_csv)]);
    }
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| (crate::EXIT_RUNTIME, format!("cannot write {}: {e}", path.display())))?;
    }
    println!("{file}: {}", s.label);
    if let Some(m) = s.steady_mean_median {
        println!("  steady-state time per iteration (median over processes): {}", seconds(m));
    }
    if let Some(i) = s.steady_iteration_median {
        println!("  steady state reached at iteration (median): {:.0}", i + 1.0);
    }
    if let Some(t) = s.time_to_steady_median {
        println!("  time to reach it (median): {}", seconds(t));
    }
    println!("  files: {}/{{iterations,events,summary}}.csv, process-N.svg", dir.display());
    Ok(())
}

/// A title for re-analysed data: the directory's name.
fn file_title(dir: &Path) -> String {
    dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| dir.display().to_string())
}

/// Reads `iterations.csv` (and `events.csv`, if present) as written by
/// a previous run.
fn read_csv(dir: &Path) -> Result<Vec<ProcessData>, String> {
    let path = dir.join("iterations.csv");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut runs: Vec<ProcessData> = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let bad = || format!("{}:{}: expected process,iteration,seconds, got {line:?}", path.display(), n + 1);
        let f: Vec<&str> = line.split(',').collect();
        let [p, _, t] = f[..] else { return Err(bad()) };
        let p: usize = p.trim().parse().map_err(|_| bad())?;
        let t: f64 = t.trim().parse().map_err(|_| bad())?;
        if p == 0 || p > runs.len() + 1 || !t.is_finite() {
            return Err(bad());
        }
        if p > runs.len() {
            runs.push(ProcessData { times: Vec::new(), marks: Vec::new() });
        }
        runs[p - 1].times.push(t);
    }
    if runs.is_empty() {
        return Err(format!("{}: no iterations", path.display()));
    }
    if let Ok(events) = std::fs::read_to_string(dir.join("events.csv")) {
        for line in events.lines().skip(1) {
            let f: Vec<&str> = line.splitn(5, ',').collect();
            let [p, it, ts, kind, function] = f[..] else { continue };
            let (Ok(p), Ok(it), Ok(ts)) = (p.parse::<usize>(), it.parse::<usize>(), ts.parse::<u64>()) else { continue };
            if let Some(r) = runs.get_mut(p.wrapping_sub(1)) {
                let kind = intern_kind(kind);
                r.marks.push(Mark { iteration: it.saturating_sub(1), at: Duration::from_nanos(ts), kind, function: function.trim_matches('"').to_string() });
            }
        }
    }
    Ok(runs)
}

fn intern_kind(kind: &str) -> &'static str {
    match kind {
        "installed" => "installed",
        "osr-entry" => "osr-entry",
        "deopt" => "deopt",
        "gc" => "gc",
        "queued" => "queued",
        "blacklisted" => "blacklisted",
        "invalidated" => "invalidated",
        _ => "other",
    }
}

fn describe(a: &Analysis) -> String {
    match (a.steady_iteration, a.steady_mean) {
        (Some(i), Some(m)) => format!("{}, steady from iteration {} at {} per iteration", a.class.name(), i + 1, seconds(m)),
        _ => a.class.name().to_string(),
    }
}

fn seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.3} µs", s * 1e6)
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|x| format!("{x:.decimals$}")).unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One process execution: load the program, then time `main` N times.
fn worker(args: &WarmupArgs, out: &Path) -> Result<(), (u8, String)> {
    let file = args.file.as_deref().unwrap_or("");
    let bytes = std::fs::read(file).map_err(|e| (crate::EXIT_USAGE, format!("cannot read {file}: {e}")))?;
    let mut rt = Runtime::new();
    // The program's own output would drown the measurements.
    rt.set_output(Box::new(std::io::sink()));
    let start = Instant::now();
    // (when, event kind, function) as they happen, on either thread.
    type Marks = Arc<Mutex<Vec<(Duration, &'static str, String)>>>;
    let marks: Marks = Arc::default();
    let config = args.tiers.config();
    if config.enabled {
        let m = TierManager::with_clock(config.clone(), None, start).map_err(|e| (crate::EXIT_RUNTIME, e))?;
        let sink = marks.clone();
        m.add_listener(Box::new(move |e| {
            let kind = match e.kind {
                EventKind::Installed => "installed",
                EventKind::OsrEntry { .. } => "osr-entry",
                EventKind::Deopt { .. } => "deopt",
                EventKind::Queued { .. } => "queued",
                EventKind::Blacklisted => "blacklisted",
                EventKind::Invalidated { .. } => "invalidated",
                _ => return,
            };
            sink.lock().push((e.at, kind, e.function.clone()));
        }));
        rt.install_tier(Box::new(m), config.hot_calls, config.hot_loops);
    }
    let mut probe = SamplingProbe::new(1);
    let sink = marks.clone();
    probe.on_gc(Box::new(move |e| {
        if let GcEvent::Start { .. } = e {
            sink.lock().push((start.elapsed(), "gc", String::new()));
        }
    }));
    rt.set_probe(Box::new(probe));
    let unit = rt.compile_bytes(file, bytes).map_err(|e| (crate::exit_code(&e), e.render()))?;
    rt.run(unit).map_err(|e| (crate::EXIT_RUNTIME, e.render()))?;
    if rt.global("main").is_none() {
        return Err((crate::EXIT_USAGE, format!("error: {file} does not define a `main` function to iterate")));
    }
    let n = args.iterations as usize;
    let mut bounds = Vec::with_capacity(n);
    for _ in 0..n {
        let main = rt.global("main").expect("checked above");
        let t0 = start.elapsed();
        rt.call_value(main, &[]).map_err(|e| (crate::EXIT_RUNTIME, e.render()))?;
        bounds.push((t0, start.elapsed()));
    }
    if let Some(m) = rt.tier_mut().and_then(|t| t.as_any_mut().downcast_mut::<TierManager>()) {
        m.shutdown();
    }
    let mut text = String::new();
    for (a, b) in &bounds {
        let _ = writeln!(text, "i {} {}", a.as_nanos(), (*b - *a).as_nanos());
    }
    for (at, kind, function) in marks.lock().iter() {
        // Events between iterations (compiles finishing while the next
        // one starts) belong to the iteration they precede.
        let it = bounds.partition_point(|(_, end)| end <= at);
        if it < n {
            let _ = writeln!(text, "e {} {} {kind} {function}", it, at.as_nanos());
        }
    }
    std::fs::write(out, text).map_err(|e| (crate::EXIT_RUNTIME, format!("cannot write {}: {e}", out.display())))
}

fn read_raw(path: &Path) -> Result<ProcessData, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut d = ProcessData { times: Vec::new(), marks: Vec::new() };
    for line in text.lines() {
        let mut f = line.splitn(5, ' ');
        match f.next() {
            Some("i") => {
                let ns: u64 = f.nth(1).and_then(|s| s.parse().ok()).ok_or("bad iteration line")?;
                d.times.push(ns as f64 * 1e-9);
            }
            Some("e") => {
                let iteration = f.next().and_then(|s| s.parse().ok()).ok_or("bad event line")?;
                let at = f.next().and_then(|s| s.parse().ok()).map(Duration::from_nanos).ok_or("bad event line")?;
                let kind = intern_kind(f.next().unwrap_or(""));
                d.marks.push(Mark { iteration, at, kind, function: f.next().unwrap_or("").to_string() });
            }
            _ => return Err(format!("unexpected line in {}: {line}", path.display())),
        }
    }
    Ok(d)
}
