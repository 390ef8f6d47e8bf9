//! Golden tests for the formats users read: the disassembler listing and
//! rendered runtime/compile errors, produced by the real `claudelang`
//! binary. Inputs are `tests/golden/{disasm,errors}/*.cl`; expectations sit
//! next to them (`.disasm`, `.stderr`). `BLESS=1 cargo test --test golden`
//! rewrites the expectations; review the diff before committing.

use std::path::Path;

use std::process::Command;

mod common;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_claudelang")
}

/// Runs `claudelang ARGS FILE` in the file's directory; returns the text
/// to compare (the chosen stream plus the exit status).
fn capture(dir: &Path, args: &[&str], file: &str, stderr: bool) -> String {
    let out = Command::new(bin()).args(args).arg(file).current_dir(dir).output().expect("run claudelang");
    let text = String::from_utf8_lossy(if stderr { &out.stderr } else { &out.stdout }).into_owned();
    format!("{text}--- exit {}\n", out.status.code().unwrap_or(-1))
}

fn check_dir(sub: &str, ext: &str, args: &[&str], stderr: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(sub);
    let bless = std::env::var_os("BLESS").is_some();
    let names = common::cl_programs(&dir);
    let mut failures = Vec::new();
    for name in &names {
        let actual = capture(&dir, args, name, stderr);
        let expected_path = dir.join(name.replace(".cl", ext));
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}; run with BLESS=1", expected_path.display()));
        if expected != actual {
            failures.push(format!("{name}:\n--- expected\n{expected}--- actual\n{actual}"));
        }
    }
    assert!(failures.is_empty(), "golden mismatches (BLESS=1 to accept):\n{}", failures.join("\n"));
}

#[test]
fn disassembler_listings() {
    check_dir("disasm", ".disasm", &["disasm"], false);
}

#[test]
fn rendered_errors() {
    check_dir("errors", ".stderr", &["run"], true);
}
