//! Tiering for ClaudeLang: the tier manager (policy, states, compile
//! queue, events) and the Cranelift native tier (x86_64 and aarch64).
//!
//! The runtime only counts calls and back-edges and calls native code
//! through `claudelang_runtime::tier`; everything that decides and
//! compiles lives here.

pub mod codemodel;
pub mod compiler;
pub mod config;
pub mod manager;
pub mod perfmap;
pub mod policy;
pub mod report;
pub mod translate;
pub mod types;
pub mod unwind;

pub use config::TierConfig;
pub use manager::{EventKind, TierEvent, TierManager};
