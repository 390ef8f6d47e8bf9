//! Code generation for both backends, checked on any host: every program
//! of the conformance suite and the shared corpus (and the prelude) is
//! compiled to bytecode and then, function by function, to aarch64 and to
//! x86_64 machine code in a `JITModule` built with that target's ISA and
//! taken through `finalize_definitions` (relocations applied) — without
//! running it (`claudelang_tiers::compiler::cross_compile`).
//!
//! Each target's tests run when its backend is in the build (Cargo
//! features `jit-aarch64`, `jit-x86_64`; both by default).
//!
//! Programs that do not parse or compile (syntax-error tests) are skipped
//! and counted. `CLAUDELANG_CORPUS=dir` overrides the corpus location, as
//! in `tests/conformance.rs`.

use claudelang_frontend::bytecode::Proto;
use claudelang_frontend::{compile, parser, GlobalTable, SourceFile, UnitKind};
use claudelang_tiers::compiler::cross_compile;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use target_lexicon::Triple;

fn program_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus =
        std::env::var_os("CLAUDELANG_CORPUS").map(PathBuf::from).unwrap_or_else(|| root.join("../../shared/corpus"));
    vec![root.join("../tests/conformance"), corpus]
}

struct Unit {
    name: String,
    proto: Arc<Proto>,
}

/// Every program's bytecode, plus the number skipped as not compiling.
fn units() -> (Vec<Unit>, usize) {
    let mut units = Vec::new();
    let mut skipped = 0;
    for dir in program_dirs() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e} (set CLAUDELANG_CORPUS for the corpus)", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cl"))
            .collect();
        names.sort();
        assert!(!names.is_empty(), "no programs in {}", dir.display());
        for path in names {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Ok(text) = String::from_utf8(std::fs::read(&path).unwrap()) else {
                skipped += 1;
                continue;
            };
            let source = SourceFile::new(name.clone(), text);
            let Ok(forms) = parser::parse_program(&source) else {
                skipped += 1;
                continue;
            };
            match compile(&source, &forms, &mut GlobalTable::default(), UnitKind::Program) {
                Ok(proto) => units.push(Unit { name, proto }),
                Err(_) => skipped += 1,
            }
        }
    }
    // The prelude (map, filter, fold) is compiled like user code too.
    let prelude = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src/prelude.cl");
    let source = SourceFile::new("<prelude>", std::fs::read_to_string(prelude).unwrap());
    let forms = parser::parse_program(&source).expect("the prelude parses");
    let proto = compile(&source, &forms, &mut GlobalTable::default(), UnitKind::Prelude).expect("the prelude compiles");
    units.push(Unit { name: "<prelude>".into(), proto });
    (units, skipped)
}

fn count_functions(p: &Proto) -> usize {
    1 + p.children.iter().map(|c| count_functions(c)).sum::<usize>()
}

fn check_target(triple: &str) {
    let triple = Triple::from_str(triple).unwrap();
    let (units, skipped) = units();
    let mut functions = 0;
    let mut bytes = 0u64;
    let mut failures = Vec::new();
    for u in &units {
        let n = count_functions(&u.proto);
        match cross_compile(&triple, std::slice::from_ref(&u.proto)) {
            Ok(b) => {
                // Every function gets some code: at least a jump table and
                // a return.
                assert!(b >= 16 * n as u64, "{}: {n} functions in only {b} bytes", u.name);
                functions += n;
                bytes += b;
            }
            Err(e) => failures.push(format!("{}: {e}", u.name)),
        }
    }
    println!(
        "{triple}: {} programs, {functions} functions, {bytes} bytes of code; {skipped} programs skipped (do not compile)",
        units.len()
    );
    assert!(failures.is_empty(), "{triple}: {} programs failed:\n{}", failures.len(), failures.join("\n"));
    assert!(units.len() > 300, "only {} programs found", units.len());
    assert!(skipped < units.len() / 4, "{skipped} programs skipped");
}

#[test]
#[cfg(feature = "jit-aarch64")]
fn every_program_compiles_for_aarch64() {
    check_target("aarch64-unknown-linux-gnu");
}

#[test]
#[cfg(feature = "jit-x86_64")]
fn every_program_compiles_for_x86_64() {
    check_target("x86_64-unknown-linux-gnu");
}

#[test]
#[cfg(feature = "jit-aarch64")]
fn all_programs_in_one_module_for_aarch64() {
    // One module holding everything: many functions finalized together,
    // so calls and relocations span more code than a single program's.
    let triple = Triple::from_str("aarch64-unknown-linux-gnu").unwrap();
    let (units, _) = units();
    let protos: Vec<Arc<Proto>> = units.iter().map(|u| u.proto.clone()).collect();
    let bytes = cross_compile(&triple, &protos).expect("everything compiles in one aarch64 module");
    assert!(bytes > 0);
}

#[test]
fn an_unsupported_target_is_an_error_not_a_panic() {
    let riscv = Triple::from_str("riscv64gc-unknown-linux-gnu").unwrap();
    let source = SourceFile::new("r.cl", "(define (f x) (+ x 1)) (f 2)");
    let forms = parser::parse_program(&source).unwrap();
    let proto = compile(&source, &forms, &mut GlobalTable::default(), UnitKind::Program).unwrap();
    let err = cross_compile(&riscv, &[proto]).unwrap_err();
    assert!(err.contains("riscv64"), "{err}");
}
