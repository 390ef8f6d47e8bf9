//! Golden tests for the tier formats users read: the `--tier-stats` table
//! and the `--trace-tiers` lines, produced by the real `claudelang` binary.
//!
//! Inputs are `tests/golden/tiers/*.cl`; a first line `; flags: ...` adds
//! CLI flags. Every program runs with `--jit=eager`, whose compiles are
//! synchronous, so the events, their order and all counts are
//! deterministic. Times (any number with a decimal point) are masked as
//! `#.###` and code sizes as `#`, keeping column widths, so the goldens
//! still pin the layout. Expectations: `NAME.stats` and `NAME.trace` (the
//! masked stdout, stderr and exit status). `BLESS=1 cargo test --test
//! tier_formats` rewrites them; review the diff before committing.


use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiers")
}

fn programs() -> Vec<String> {
    common::cl_programs(&dir())
}

/// Extra CLI flags from a `; flags: ...` first line.
fn flags_of(name: &str) -> Vec<String> {
    common::flags_of(&dir().join(name))
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn run(name: &str, report: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_claudelang"))
        .args(["run", "--jit=eager", report])
        .args(flags_of(name))
        .arg(name)
        .current_dir(dir())
        .output()
        .expect("run claudelang");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

// ---- masking -------------------------------------------------------------------

const TIME_MASK: &str = "#.###";
const BYTES_MASK: &str = "#";

fn is_decimal(s: &str) -> bool {
    let mut parts = s.splitn(2, '.');
    let (a, b) = (parts.next().unwrap_or(""), parts.next());
    match b {
        Some(b) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Replaces every decimal number (`12.345`) in `s` by the time mask.
fn mask_decimals(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            if is_decimal(&s[i..j]) {
                out.push_str(TIME_MASK);
                i = j;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// `key=123` → `key=#`.
fn mask_int_field(s: &str, key: &str) -> String {
    let Some(start) = s.find(key) else { return s.to_string() };
    let from = start + key.len();
    let end = s[from..].find(|c: char| !c.is_ascii_digit()).map_or(s.len(), |e| from + e);
    format!("{}{BYTES_MASK}{}", &s[..from], &s[end..])
}

/// A line as (leading whitespace, token) pairs, so fields can be replaced
/// without moving the columns.
fn fields(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let ws = rest.len() - rest.trim_start().len();
        let after = &rest[ws..];
        let tl = after.find(char::is_whitespace).unwrap_or(after.len());
        out.push((rest[..ws].to_string(), after[..tl].to_string()));
        rest = &after[tl..];
    }
    out
}

/// Replaces a field by `mask`, right-aligned in the field's span.
fn right_align(f: &mut (String, String), mask: &str) {
    let width = f.0.len() + f.1.len();
    let s = format!("{mask:>width$}");
    let n = s.len() - mask.len();
    *f = (s[..n].to_string(), mask.to_string());
}

const HEADER_START: &str = "function ";
/// Table columns holding times, the one holding code bytes, and the
/// sampled percentages (which depend on where sampling ticks fell).
const TIME_COLUMNS: [usize; 3] = [5, 6, 7];
const BYTES_COLUMN: usize = 8;
const PERCENT_COLUMNS: [usize; 2] = [11, 12];
const PERCENT_MASK: &str = "#.#";

/// Masks times and code sizes in the CLI's stderr.
fn mask(stderr: &str) -> String {
    let mut out = String::new();
    let mut in_table = false;
    for line in stderr.lines() {
        let masked = if let Some(rest) = line.strip_prefix("[tier]") {
            // `[tier] {t:>10.3}ms what...`: the timestamp keeps its width.
            let ms = rest.find("ms ").expect("trace line has a timestamp");
            let mut stamp = fields(&rest[..ms]);
            assert_eq!(stamp.len(), 1, "{line}");
            if is_decimal(&stamp[0].1) {
                right_align(&mut stamp[0], TIME_MASK);
            }
            let what = mask_int_field(&mask_decimals(&rest[ms..]), "bytes=");
            format!("[tier]{}{}{what}", stamp[0].0, stamp[0].1)
        } else if line.starts_with(HEADER_START) && line.trim_end().ends_with("native%") {
            in_table = true;
            line.to_string()
        } else if line.starts_with("totals:") {
            in_table = false;
            mask_decimals(line)
        } else if line.starts_with("time by tier:") {
            // Sampled: present, but its figures vary from run to run.
            "time by tier: (sampled; masked)".to_string()
        } else if in_table {
            let mut f = fields(line);
            for c in TIME_COLUMNS {
                if f.get(c).is_some_and(|x| is_decimal(&x.1)) {
                    right_align(&mut f[c], TIME_MASK);
                }
            }
            if f.get(BYTES_COLUMN).is_some_and(|x| x.1 != "0") {
                right_align(&mut f[BYTES_COLUMN], BYTES_MASK);
            }
            for c in PERCENT_COLUMNS {
                if f.get(c).is_some_and(|x| x.1 == "-" || is_decimal(&x.1)) {
                    right_align(&mut f[c], PERCENT_MASK);
                }
            }
            f.iter().map(|(w, t)| format!("{w}{t}")).collect()
        } else {
            line.to_string()
        };
        out.push_str(&masked);
        out.push('\n');
    }
    out
}

fn golden_text(r: &Run) -> String {
    format!("--- stdout\n{}--- stderr (times and sizes masked)\n{}--- exit {}\n", r.stdout, mask(&r.stderr), r.code)
}

fn check(report: &str, ext: &str) {
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for name in programs() {
        let actual = golden_text(&run(&name, report));
        let path = dir().join(name.replace(".cl", ext));
        if bless {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}; run with BLESS=1", path.display()));
        if expected != actual {
            failures.push(format!("{name}:\n--- expected\n{expected}--- actual\n{actual}"));
        }
    }
    assert!(failures.is_empty(), "golden mismatches (BLESS=1 to accept):\n{}", failures.join("\n"));
}

#[test]
fn tier_stats_tables() {
    check("--tier-stats", ".stats");
}

#[test]
fn trace_tiers_lines() {
    check("--trace-tiers", ".trace");
}

// ---- properties of the raw output ---------------------------------------------------

#[test]
fn masking_keeps_columns_and_hides_only_times_and_sizes() {
    let a = mask("[tier]      1.234ms compiled    f (a.cl:1) compile=0.120ms wait=12.500ms bytes=193\n");
    let b = mask("[tier]     12.345ms compiled    f (a.cl:1) compile=10.000ms wait=0.001ms bytes=2048\n");
    assert_eq!(a, b);
    assert_eq!(a, "[tier]      #.###ms compiled    f (a.cl:1) compile=#.###ms wait=#.###ms bytes=#\n");
    let header = format!(
        "{:<28} {:<22} {:>10} {:>11} {:<11} {:>12} {:>9} {:>11} {:>7} {:>5} {:>6} {:>8} {:>8}",
        "function",
        "location",
        "calls",
        "back-edges",
        "tier",
        "promoted-ms",
        "wait-ms",
        "compile-ms",
        "bytes",
        "osr",
        "deopts",
        "interp%",
        "native%"
    );
    let row = |t: &str, b: u32, p: &str| {
        format!(
            "{:<28} {:<22} {:>10} {:>11} {:<11} {:>12} {:>9} {:>11} {:>7} {:>5} {:>6} {:>8} {:>8}",
            "f", "a.cl:1", 10, 2, "native", t, t, t, b, 3, 0, p, p
        )
    };
    let x = mask(&format!(
        "{header}\n{}\ntotals: 1 functions compiled, 0.100 ms compiling\ntime by tier: 1.0% interpreted\n",
        row("1.500", 99, "-")
    ));
    let y = mask(&format!(
        "{header}\n{}\ntotals: 1 functions compiled, 10.100 ms compiling\ntime by tier: no samples\n",
        row("1234.500", 123456, "99.5")
    ));
    assert_eq!(x, y);
    let masked_row = x.lines().nth(1).unwrap();
    assert_eq!(masked_row.len(), header.len(), "{masked_row}");
    // Counts stay: calls, back-edges, osr, deopts.
    assert_eq!(
        masked_row.split_whitespace().collect::<Vec<_>>(),
        ["f", "a.cl:1", "10", "2", "native", "#.###", "#.###", "#.###", "#", "3", "0", "#.#", "#.#"]
    );
    // Program output and error reports are not touched.
    assert_eq!(mask("error: integer overflow in (+ 1.5 2)\n"), "error: integer overflow in (+ 1.5 2)\n");
}

/// The trace and the table of the same run agree: each native row has an
/// `installed` line, and the osr and deopt columns count the trace's
/// `osr-entry` and `deopt` lines for that function.
#[test]
fn trace_and_table_of_one_run_agree() {
    for name in programs() {
        let out = Command::new(env!("CARGO_BIN_EXE_claudelang"))
            .args(["run", "--jit=eager", "--trace-tiers", "--tier-stats"])
            .args(flags_of(&name))
            .arg(&name)
            .current_dir(dir())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut trace: HashMap<(String, String), Vec<String>> = HashMap::new();
        for l in stderr.lines().filter(|l| l.starts_with("[tier]")) {
            let w: Vec<&str> = l.split_whitespace().collect();
            assert!(
                ["queued", "compiling", "compiled", "installed", "osr-entry", "deopt", "invalidated", "failed", "blacklisted"]
                    .contains(&w[2]),
                "{name}: unknown event in {l}"
            );
            let who = format!("{} {}", w[3], w[4]);
            trace.entry((who, w[2].to_string())).or_default().push(l.to_string());
        }
        let header = stderr.lines().position(|l| l.starts_with(HEADER_START)).expect("a table");
        let header_len = stderr.lines().nth(header).unwrap().len();
        let mut rows = 0;
        for row in stderr.lines().skip(header + 1).take_while(|l| !l.starts_with("totals:")) {
            rows += 1;
            assert_eq!(row.len(), header_len, "{name}: row not aligned with the header:\n{row}");
            let f: Vec<&str> = row.split_whitespace().collect();
            let who = format!("{} ({})", f[0], f[1]);
            let count = |kind: &str| trace.get(&(who.clone(), kind.to_string())).map_or(0, |v| v.len());
            if f[4] == "native" {
                assert!(count("installed") >= 1, "{name}: {who} is native but never installed");
            }
            assert_eq!(f[9].parse::<usize>().unwrap(), count("osr-entry"), "{name}: osr column of {who}");
            assert_eq!(f[10].parse::<usize>().unwrap(), count("deopt"), "{name}: deopts column of {who}");
        }
        assert!(rows > 0, "{name}: empty table");
        let compiled = stderr.lines().filter(|l| l.starts_with(HEADER_START)).count();
        assert_eq!(compiled, 1, "{name}: one table");
    }
}

/// Without the flags, nothing of either format reaches stderr.
#[test]
fn no_tier_output_without_the_flags() {
    for name in programs() {
        let out = Command::new(env!("CARGO_BIN_EXE_claudelang"))
            .args(["run", "--jit=eager"])
            .args(flags_of(&name))
            .arg(&name)
            .current_dir(dir())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("[tier]") && !stderr.contains("totals:"), "{name}:\n{stderr}");
    }
}
