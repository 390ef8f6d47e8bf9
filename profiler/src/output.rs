//! Writing guest profiles: flamegraph SVGs (through `inferno`, the engine
//! behind the `pprof` crate's flamegraphs) and pprof protobuf profiles.

use crate::guest::{FrameKey, GuestProfile};
pub use pprof::protos;
use pprof::flamegraph::color::{Color, PaletteMap};
use pprof::protos::Message;
use std::collections::HashMap;

/// A ClaudeLang-level flamegraph: one box per guest frame, labelled
/// `name file:line [interp]` or `[native]`.
pub fn flamegraph_svg(profile: &GuestProfile, title: &str) -> Result<Vec<u8>, String> {
    let lines = profile.collapsed();
    let mut opts = pprof::flamegraph::Options::default();
    opts.title = title.to_string();
    opts.count_name = "samples".to_string();
    opts.subtitle = Some(format!(
        "{} samples at {} Hz over {:.3} s; green frames [native] ran compiled code, orange [interp] the interpreter",
        profile.total_samples(),
        profile.hz,
        profile.duration.as_secs_f64()
    ));
    let mut palette = tier_palette(profile);
    opts.palette_map = Some(&mut palette);
    let mut out = Vec::new();
    if lines.is_empty() {
        // inferno refuses empty input; an empty profile is still a valid
        // (if short) run, so say so in a picture rather than fail.
        out.extend_from_slice(
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="60"><text x="10" y="35">no samples (the program ran for less than one sampling period)</text></svg>"#,
        );
        return Ok(out);
    }
    pprof::flamegraph::from_lines(&mut opts, lines.iter().map(|s| s.as_str()), &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Colours by tier: greens for native frames, oranges for interpreted
/// ones, each function's shade fixed by a hash of its name (so the same
/// function keeps its colour across runs).
fn tier_palette(profile: &GuestProfile) -> PaletteMap {
    let mut map = PaletteMap::default();
    let mut keys: Vec<FrameKey> = profile.stacks.keys().flatten().copied().collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let label = profile.frame_label(k);
        // FNV-1a: a stable shade in 0..40.
        let h = label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        let v = (h % 40) as u8;
        let color = if k.native { Color { r: 70 + v, g: 170 + v, b: 70 + v / 2 } } else { Color { r: 215 + v, g: 120 + v, b: 40 + v / 2 } };
        map.insert(label, color);
    }
    map
}

/// The profile in pprof's protobuf format (uncompressed; `go tool pprof`
/// and other viewers accept it as is). Each frame's function is named
/// with its tier, so interpreted and native time stay apart.
pub fn pprof_protobuf(profile: &GuestProfile) -> Vec<u8> {
    let mut strings = Strings::default();
    strings.id(""); // index 0 must be the empty string
    let period_ns = 1_000_000_000 / profile.hz.max(1) as i64;
    let sample_type = vec![
        protos::ValueType { ty: strings.id("samples"), unit: strings.id("count") },
        protos::ValueType { ty: strings.id("cpu"), unit: strings.id("nanoseconds") },
    ];
    let mut location_ids: HashMap<FrameKey, u64> = HashMap::new();
    let mut functions = Vec::new();
    let mut locations = Vec::new();
    let mut samples = Vec::new();
    let mut stacks: Vec<_> = profile.stacks.iter().collect();
    stacks.sort();
    for (stack, n) in stacks {
        // pprof lists a sample's locations leaf first.
        let ids = stack
            .iter()
            .rev()
            .map(|k| {
                *location_ids.entry(*k).or_insert_with(|| {
                    let id = locations.len() as u64 + 1;
                    let tier = k.tier();
                    let (name, file, line) = match profile.functions.get(&k.func_id) {
                        Some(f) => (f.name.as_str(), f.file.as_str(), f.line as i64),
                        None => ("?", "", 0),
                    };
                    functions.push(protos::Function {
                        id,
                        name: strings.id(&format!("{name} [{tier}]")),
                        system_name: strings.id(name),
                        filename: strings.id(file),
                        start_line: line,
                    });
                    locations.push(protos::Location {
                        id,
                        line: vec![protos::Line { function_id: id, line }],
                        ..Default::default()
                    });
                    id
                })
            })
            .collect();
        samples.push(protos::Sample { location_id: ids, value: vec![*n as i64, *n as i64 * period_ns], label: vec![] });
    }
    let p = protos::Profile {
        sample_type,
        sample: samples,
        location: locations,
        function: functions,
        period_type: Some(protos::ValueType { ty: strings.id("cpu"), unit: strings.id("nanoseconds") }),
        period: period_ns,
        duration_nanos: profile.duration.as_nanos() as i64,
        string_table: strings.table,
        ..Default::default()
    };
    p.encode_to_vec()
}

/// pprof's string table: every string once, referred to by index.
#[derive(Default)]
struct Strings {
    table: Vec<String>,
    index: HashMap<String, i64>,
}

impl Strings {
    fn id(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.table.len() as i64;
        self.table.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest::FuncInfo;

    fn profile() -> GuestProfile {
        let mut p = GuestProfile { hz: 1000, ..GuestProfile::default() };
        p.functions.insert(1, FuncInfo { name: "main".into(), file: "p.cl".into(), line: 1 });
        p.functions.insert(2, FuncInfo { name: "fib".into(), file: "p.cl".into(), line: 3 });
        let main = FrameKey { func_id: 1, native: false };
        p.stacks.insert(vec![main, FrameKey { func_id: 2, native: true }, FrameKey { func_id: 2, native: true }], 7);
        p.stacks.insert(vec![main, FrameKey { func_id: 2, native: false }], 3);
        p
    }

    #[test]
    fn collapsed_stacks_name_tiers() {
        assert_eq!(
            profile().collapsed(),
            vec![
                "main p.cl:1 [interp];fib p.cl:3 [interp] 3",
                "main p.cl:1 [interp];fib p.cl:3 [native];fib p.cl:3 [native] 7",
            ]
        );
    }

    #[test]
    fn flamegraph_contains_the_frames() {
        let svg = String::from_utf8(flamegraph_svg(&profile(), "t").unwrap()).unwrap();
        assert!(svg.contains("fib p.cl:3 [native]"), "{svg}");
        assert!(svg.contains("main p.cl:1 [interp]"));
        // Tiers are told apart by colour too: native frames are green.
        let native_fill = tier_palette(&profile()).get("fib p.cl:3 [native]").unwrap();
        assert!(native_fill.g > native_fill.r);
        assert!(svg.contains(&format!("rgb({},{},{})", native_fill.r, native_fill.g, native_fill.b)), "{svg}");
        let empty = flamegraph_svg(&GuestProfile::default(), "t").unwrap();
        assert!(String::from_utf8(empty).unwrap().contains("no samples"));
    }

    #[test]
    fn pprof_profile_decodes_to_the_same_samples() {
        let bytes = pprof_protobuf(&profile());
        let p = protos::Profile::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(p.string_table[0], "");
        assert_eq!(p.sample.len(), 2);
        let total: i64 = p.sample.iter().map(|s| s.value[0]).sum();
        assert_eq!(total, 10);
        let name_of = |loc: u64| {
            let f = p.function.iter().find(|f| f.id == loc).unwrap();
            p.string_table[f.name as usize].clone()
        };
        let deep = p.sample.iter().find(|s| s.location_id.len() == 3).unwrap();
        assert_eq!(deep.value, vec![7, 7_000_000]);
        let names: Vec<String> = deep.location_id.iter().map(|&l| name_of(l)).collect();
        assert_eq!(names, ["fib [native]", "fib [native]", "main [interp]"], "leaf first");
        let f = p.function.iter().find(|f| p.string_table[f.name as usize] == "fib [interp]").unwrap();
        assert_eq!((p.string_table[f.filename as usize].as_str(), f.start_line), ("p.cl", 3));
    }
}
