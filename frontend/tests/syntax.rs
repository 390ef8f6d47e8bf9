//! Golden tests for how syntax errors look to a user.
//!
//! Each `tests/golden/syntax/NAME.cl` must fail to load: either
//! `decode_source` rejects its bytes (the one-line message is the output) or
//! `parse_program` rejects its text (the full `Diagnostic::render` is the
//! output, under the bare file name). The output must equal `NAME.stderr`
//! byte for byte. Run with `BLESS=1` to rewrite the `.stderr` files instead,
//! then review the diff.

use claudelang_frontend::parser::{decode_source, parse_program};
use std::fs;
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/syntax")
}

/// What loading `path` prints, or `None` if it loaded without error.
fn render_error(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let file = match decode_source(name, bytes) {
        Ok(file) => file,
        Err(message) => return Some(format!("{message}\n")),
    };
    match parse_program(&file) {
        Ok(_) => None,
        Err(err) => Some(err.diag.render(&file)),
    }
}

fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    paths.sort();
    paths
}

#[test]
fn syntax_errors_render_as_blessed() {
    let dir = golden_dir();
    let bless = std::env::var_os("BLESS").is_some_and(|v| v == "1");
    let inputs = files_with_extension(&dir, "cl");
    assert!(inputs.len() >= 12, "expected at least 12 golden inputs in {}", dir.display());

    let mut failures = Vec::new();
    for input in &inputs {
        let expected_path = input.with_extension("stderr");
        let Some(actual) = render_error(input) else {
            failures.push(format!("{}: parsed without error", input.display()));
            continue;
        };
        if bless {
            fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}: rendering differs\n--- expected\n{expected}--- actual\n{actual}",
                input.display()
            )),
            Err(_) => failures.push(format!(
                "{}: missing (run with BLESS=1 to create it); actual:\n{actual}",
                expected_path.display()
            )),
        }
    }

    // A golden output whose input is gone would silently stop being checked.
    for stale in files_with_extension(&dir, "stderr") {
        if !stale.with_extension("cl").exists() {
            failures.push(format!("{}: no matching .cl input", stale.display()));
        }
    }

    assert!(
        failures.is_empty(),
        "{} golden failure(s):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The golden files cover each distinct message at least once, so a new
/// error path without a golden shows up here rather than going unreviewed.
#[test]
fn goldens_cover_every_error_kind() {
    let dir = golden_dir();
    let outputs: Vec<String> = files_with_extension(&dir, "cl")
        .iter()
        .filter_map(|input| fs::read_to_string(input.with_extension("stderr")).ok())
        .collect();
    let headlines = [
        "error: expected ')' to close '(' opened at",
        "error: expected ']' to close '[' opened at",
        ", found ']'",
        ", found ')'",
        "error: unexpected ')'",
        "error: unexpected ']'",
        "error: integer literal out of range",
        "error: invalid number literal `",
        "error: unterminated string",
        "error: unknown escape \\q",
        "error: invalid unicode escape, expected '{' after \\u",
        "error: invalid unicode escape, expected 1 to 6 hex digits",
        "error: invalid unicode escape \\u{",
        "error: expected a datum after '\n",
        "error: expected a datum after ', found ')'",
        "error: unknown # syntax `#true`",
        "error: unexpected character U+00A0",
        "error: unexpected character U+000C",
        "error: unexpected control character U+0001",
        "error: nesting deeper than 1000 levels",
        ": invalid UTF-8 (byte 0x",
    ];
    for headline in headlines {
        assert!(
            outputs.iter().any(|o| o.contains(headline)),
            "no golden output contains {headline:?}"
        );
    }
}
