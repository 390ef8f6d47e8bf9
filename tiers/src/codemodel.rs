//! The per-target code model, a pure function of the target triple.
//!
//! cranelift-jit 0.135 asserts `!is_pic` on every architecture (the old
//! PLT workaround became the only choice), so: no PIC, runtime helpers
//! called by absolute address (`iconst` + `call_indirect`, no relocation
//! and no symbol lookup), frame pointers kept (aarch64 leaf functions
//! otherwise have no frame record, and profilers walk frame chains),
//! `opt_level=speed`. Being a function of `Triple`, the aarch64 choice is
//! checked on x86_64 hosts too (see the cross-compilation test).

use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use target_lexicon::{Architecture, Triple};

/// The Cranelift shared settings for `triple`, as (name, value) pairs.
pub fn code_model(triple: &Triple) -> Vec<(&'static str, &'static str)> {
    let mut flags = vec![
        ("is_pic", "false"),
        ("use_colocated_libcalls", "false"),
        ("preserve_frame_pointers", "true"),
        ("opt_level", "speed"),
    ];
    match triple.architecture {
        // x86_64 needs nothing more.
        Architecture::X86_64 => {}
        // Branch ranges on aarch64 are covered by veneers for calls; data
        // is never addressed PC-relative (constants are baked in as
        // absolute immediates), so no extra flag is needed either.
        Architecture::Aarch64(_) => {}
        _ => {}
    }
    flags.sort();
    flags
}

/// Whether this build can generate code for `triple` (Cargo features
/// `jit-x86_64` / `jit-aarch64`).
pub fn supported(triple: &Triple) -> bool {
    (matches!(triple.architecture, Architecture::X86_64) && cfg!(feature = "jit-x86_64"))
        || (matches!(triple.architecture, Architecture::Aarch64(_)) && cfg!(feature = "jit-aarch64"))
}

/// Whether compiles run Cranelift's IR verifier: in debug builds, and
/// when `CLAUDELANG_JIT_VERIFY` is set to anything but `0` (the
/// conformance harness sets it for all its runs; the aarch64 cross-check
/// always verifies). It checks every function the translator builds — a
/// translator bug then fails that one compile, which the tier manager
/// treats like any failed compile — but costs about 30% of compile time
/// (callgrind, `--jit=eager` on tak), so release builds skip it otherwise,
/// as production JITs do.
pub fn verify_ir() -> bool {
    cfg!(debug_assertions) || std::env::var_os("CLAUDELANG_JIT_VERIFY").is_some_and(|v| v != "0")
}

/// Builds the ISA for `triple` with the code model applied (and the IR
/// verifier when `verify`). For the host triple, host CPU features are
/// detected.
pub fn build_isa(triple: &Triple, verify: bool) -> Result<OwnedTargetIsa, String> {
    if !supported(triple) {
        return Err(format!("no native backend for {triple} in this build"));
    }
    let mut b = settings::builder();
    for (k, v) in code_model(triple) {
        b.set(k, v).map_err(|e| format!("setting {k}={v}: {e}"))?;
    }
    b.set("enable_verifier", if verify { "true" } else { "false" }).map_err(|e| e.to_string())?;
    let flags = settings::Flags::new(b);
    let isa_builder = if *triple == Triple::host() {
        cranelift_native::builder().map_err(|e| e.to_string())?
    } else {
        isa::lookup(triple.clone()).map_err(|e| e.to_string())?
    };
    isa_builder.finish(flags).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn code_model_is_the_same_non_pic_model_on_both_targets() {
        let x86 = Triple::from_str("x86_64-unknown-linux-gnu").unwrap();
        let arm = Triple::from_str("aarch64-unknown-linux-gnu").unwrap();
        for t in [&x86, &arm] {
            let m = code_model(t);
            assert!(m.contains(&("is_pic", "false")), "{t}: {m:?}");
            assert!(m.contains(&("preserve_frame_pointers", "true")), "{t}: {m:?}");
            assert!(m.contains(&("use_colocated_libcalls", "false")), "{t}: {m:?}");
        }
    }

    #[test]
    fn the_features_decide_which_backends_exist() {
        let x86 = Triple::from_str("x86_64-unknown-linux-gnu").unwrap();
        let arm = Triple::from_str("aarch64-unknown-linux-gnu").unwrap();
        assert_eq!(supported(&x86), cfg!(feature = "jit-x86_64"));
        assert_eq!(supported(&arm), cfg!(feature = "jit-aarch64"));
        assert_eq!(build_isa(&x86, true).is_ok(), cfg!(feature = "jit-x86_64"));
        assert_eq!(build_isa(&arm, true).is_ok(), cfg!(feature = "jit-aarch64"));
        assert_eq!(build_isa(&Triple::host(), false).is_ok(), supported(&Triple::host()));
    }
}
