//! ClaudeLang: a tiered JIT runtime for a small Lisp-like language.
//!
//! This facade re-exports the embedding API; the pieces live in the
//! workspace crates `claudelang-frontend`, `claudelang-runtime`,
//! `claudelang-tiers` and `claudelang-profiler`.

pub use claudelang_frontend as frontend;
pub use claudelang_runtime as runtime;
