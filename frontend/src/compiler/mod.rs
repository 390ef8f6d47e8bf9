//! The compiler: S-expressions → resolved IR (`sema`) → bytecode
//! (`codegen`). A compilation unit is a whole file (or REPL input); it
//! becomes one top-level `Proto` whose children are its lambdas.

mod codegen;
pub mod ir;
mod sema;

pub use sema::GlobalTable;

use crate::ast::Sexp;
use crate::bytecode::Proto;
use crate::diag::Diagnostic;
use crate::source::{SourceFile, Span};
use std::sync::Arc;

/// What kind of unit is being compiled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnitKind {
    #[default]
    Program,
    /// The runtime's own prelude: may define builtin names, and its
    /// functions print as builtins.
    Prelude,
}

/// Compiles a parsed unit. `globals` is the runtime's table of global
/// names; new names referenced by the unit get slots in it.
pub fn compile(
    source: &Arc<SourceFile>,
    forms: &[Sexp<'_>],
    globals: &mut GlobalTable,
    kind: UnitKind,
) -> Result<Arc<Proto>, Diagnostic> {
    let mut an = sema::Analyzer::new(globals, kind == UnitKind::Prelude);
    let body = an.toplevel(forms)?;
    let span = match (forms.first(), forms.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span::default(),
    };
    let top = ir::Lambda {
        id: 0,
        name: Some("<toplevel>".into()),
        self_binding: None,
        params: Vec::new(),
        rest: None,
        body,
        free: Vec::new(),
        span,
    };
    let ctx = codegen::Ctx { bindings: &an.bindings, source: source.clone(), is_builtin: kind == UnitKind::Prelude };
    codegen::gen_function(&ctx, &top, Vec::new())
}
