//! Helpers shared by the golden-file test binaries (`golden.rs`,
//! `tier_formats.rs`, `profiling.rs`): which programs a golden directory
//! holds, and the extra CLI flags a program asks for.

use std::path::Path;

/// The `*.cl` files in `dir`, sorted by name; panics if there are none.
pub fn cl_programs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cl"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no golden inputs in {}", dir.display());
    names
}

/// Extra CLI flags from a `; flags: ...` first line of `file`.
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn flags_of(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    match text.lines().next().and_then(|l| l.strip_prefix("; flags:")) {
        Some(f) => f.split_whitespace().map(str::to_string).collect(),
        None => Vec::new(),
    }
}
