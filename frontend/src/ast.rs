//! The syntax tree: S-expressions with a span on every node.
//!
//! ClaudeLang's surface syntax is S-expressions, so the parser stops at
//! data (`Sexp`) and the compiler recognises special forms itself; that keeps
//! the parser small and lets `quote` reuse the same tree. Atoms borrow from
//! the source text: the lexer and parser allocate nothing per token except
//! list vectors and strings that contain escapes.

use crate::source::Span;
use std::borrow::Cow;

#[derive(Clone, Debug, PartialEq)]
pub struct Sexp<'src> {
    pub kind: SexpKind<'src>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SexpKind<'src> {
    Int(i64),
    Float(f64),
    /// String contents with escapes already resolved.
    Str(Cow<'src, str>),
    Bool(bool),
    Nil,
    Sym(&'src str),
    /// `( ... )`: a call or a special form.
    List(Vec<Sexp<'src>>),
    /// `[ ... ]`: a list literal (elements are evaluated).
    Bracket(Vec<Sexp<'src>>),
    /// `'datum`, the same as `(quote datum)`.
    Quote(Box<Sexp<'src>>),
}

impl<'src> Sexp<'src> {
    pub fn new(kind: SexpKind<'src>, span: Span) -> Self {
        Sexp { kind, span }
    }
    pub fn as_sym(&self) -> Option<&'src str> {
        match self.kind {
            SexpKind::Sym(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Sexp<'src>]> {
        match &self.kind {
            SexpKind::List(items) => Some(items),
            _ => None,
        }
    }
}
