//! The ClaudeLang runtime: values, the GC heap, the bytecode interpreter,
//! builtins, effects, and the embedding API (`Runtime`).

pub mod builtins;
pub mod effects;
pub mod error;
mod frames;
pub mod function;
pub mod heap;
mod interp;
pub mod names;
pub mod printer;
pub mod probe;
pub mod runtime;
pub mod safepoint;
pub mod tier;
pub mod value;

pub use error::{Exn, RuntimeError};
pub use runtime::{Config, Error, Runtime, Unit};
pub use value::Value;
