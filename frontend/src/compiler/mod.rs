//! The compiler: S-expressions → resolved IR (`sema`) → bytecode
//! (`codegen`). A compilation unit is a whole file (or REPL input); it
//! becomes one top-level `Proto` whose children are its lambdas.
//!
//! Both passes work in buffers that outlive the unit: the [`GlobalTable`]
//! the runtime passes to every compilation also carries them, so compiling
//! a small expression allocates only the `Proto`s it returns. Each buffer
//! is cleared when a unit starts, never shrunk unless a unit was huge.

mod codegen;
pub mod ir;
mod sema;

pub use sema::GlobalTable;

use crate::ast::Program;
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

/// The compiler's working memory between units (see the module docs).
#[derive(Default)]
pub(crate) struct Scratch {
    ir: ir::Ir,
    sema: sema::SemaScratch,
    gen: codegen::GenScratch,
}

impl Scratch {
    /// Past this many IR nodes a unit is unusually large, and its buffers
    /// are released rather than kept for the next (small) one.
    const KEEP_LIMIT: usize = 1 << 16;
}

/// Compiles a parsed unit. `globals` is the runtime's table of global
/// names; new names referenced by the unit get slots in it.
pub fn compile(
    source: &Arc<SourceFile>,
    forms: &Program<'_>,
    globals: &mut GlobalTable,
    kind: UnitKind,
) -> Result<Arc<Proto>, Diagnostic> {
    let (slots, scratch) = globals.parts();
    let result = compile_with(source, forms, slots, scratch, kind).map_err(|d| *d);
    if scratch.ir.exprs.capacity() > Scratch::KEEP_LIMIT {
        *scratch = Scratch::default();
    }
    result
}

fn compile_with(
    source: &Arc<SourceFile>,
    forms: &Program<'_>,
    slots: &mut sema::GlobalSlots,
    scratch: &mut Scratch,
    kind: UnitKind,
) -> sema::R<Arc<Proto>> {
    let mut an = sema::Analyzer::new(slots, forms, &mut scratch.ir, &mut scratch.sema, kind == UnitKind::Prelude);
    let body = an.toplevel(forms.forms())?;
    let span = match (forms.forms().first(), forms.forms().last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span::default(),
    };
    let top = ir::Lambda {
        id: 0,
        name: ir::LambdaName::Toplevel,
        self_binding: None,
        params: ir::BindingRange::default(),
        rest: None,
        body,
        free: (0, 0),
        span,
    };
    let ctx = codegen::Ctx { ir: &scratch.ir, prog: forms, source, is_builtin: kind == UnitKind::Prelude };
    codegen::gen_unit(&ctx, &mut scratch.gen, &top)
}
