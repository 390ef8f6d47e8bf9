//! The `--tier-stats` table stays a table whatever the file names: every
//! row's columns line up with the header's.

use claudelang_runtime::Runtime;
use claudelang_tiers::{report, TierConfig, TierManager};

#[test]
fn long_locations_widen_the_location_column() {
    let mut rt = Runtime::new();
    rt.set_output(Box::new(std::io::sink()));
    TierManager::install(&mut rt, TierConfig::eager(), None).unwrap();
    let file = "some/rather/long/directory/name/program.cl";
    rt.eval(file, "(define (f x) (+ x 1)) (f 1) (f 2)").unwrap();
    let table = report::tier_stats(&mut rt);
    let lines: Vec<&str> = table.lines().filter(|l| !l.starts_with("totals") && !l.starts_with("time by tier")).collect();
    assert!(lines.len() >= 2, "{table}");
    assert!(table.contains(&format!("{file}:1")), "{table}");
    // Right-aligned columns end where the header's names end.
    let end_of = |line: &str, col: usize| line.split_whitespace().nth(col).map(|w| line.find(w).unwrap() + w.len());
    let header = lines[0];
    let calls_end = header.find("calls").unwrap() + "calls".len();
    for row in &lines[1..] {
        let loc_end = end_of(row, 1).unwrap();
        assert!(loc_end < calls_end - 1, "location overlaps calls:\n{table}");
        let (calls_at, _) = row.char_indices().skip(loc_end).find(|(_, c)| !c.is_whitespace()).unwrap();
        let calls = row[calls_at..].split_whitespace().next().unwrap();
        assert_eq!(calls_at + calls.len(), calls_end, "calls column misaligned:\n{table}");
    }
}
