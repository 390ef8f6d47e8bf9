//! ClaudeLang's front end: source text to register bytecode.
//!
//! `lexer` (logos, borrowing from the source) → `parser` (S-expressions with
//! spans) → `compiler` (scopes, special forms, registers) → `bytecode`
//! (`Proto`s plus the opcode table and disassembler). Nothing here knows
//! about the heap: constants are plain Rust data that the runtime loads.

pub mod ast;
pub mod diag;
pub mod lexer;
mod names;
pub mod parser;
pub mod source;

pub use ast::{Program, Sexp, SexpKind};
pub use diag::Diagnostic;
pub use source::{SourceFile, Span};
pub mod builtins;
pub mod bytecode;
pub mod compiler;

pub use bytecode::{Op, Proto};
pub use compiler::{compile, GlobalTable, UnitKind};
