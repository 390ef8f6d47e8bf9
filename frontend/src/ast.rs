//! The syntax tree: S-expressions with a span on every node.
//!
//! ClaudeLang's surface syntax is S-expressions, so the parser stops at
//! data (`Sexp`) and the compiler recognises special forms itself; that keeps
//! the parser small and lets `quote` reuse the same tree.
//!
//! A parsed unit is one [`Program`]: every node of every form lives in one
//! vector, and a list refers to its items as a range of that vector (the
//! items of one list are always contiguous). Nodes hold no heap data of
//! their own: a symbol's name and a plain string's contents are the source
//! text under the node's span, and only strings with escapes keep decoded
//! text, in a side table. So a parse costs one or two allocations however
//! large the program, and dropping the tree is freeing those, with no walk
//! (a tree of boxed `Vec`s cost an allocation per list and a recursive drop).

use crate::source::Span;

/// The index of a node in its [`Program`].
pub type NodeId = u32;

/// A contiguous run of nodes: the items of a list, or the top-level forms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Items {
    pub start: NodeId,
    pub len: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sexp {
    pub kind: SexpKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SexpKind {
    Int(i64),
    Float(f64),
    /// A string literal; [`Program::str`] gives its contents. `None`: the
    /// literal has no escapes, so its contents are the source text between
    /// the quotes. `Some(i)`: the decoded contents are the program's
    /// `i`th decoded string.
    Str(Option<u32>),
    Bool(bool),
    Nil,
    /// A symbol; its name is the source text of its span ([`Program::sym`]).
    Sym,
    /// `( ... )`: a call or a special form.
    List(Items),
    /// `[ ... ]`: a list literal (elements are evaluated).
    Bracket(Items),
    /// `'datum`, the same as `(quote datum)`; the datum is this node.
    Quote(NodeId),
}

impl Sexp {
    pub fn new(kind: SexpKind, span: Span) -> Self {
        Sexp { kind, span }
    }
}

/// A parsed unit: its top-level forms and every node under them. Atoms
/// borrow their text from the source (`'src`).
#[derive(Clone, Debug, Default)]
pub struct Program<'src> {
    pub(crate) text: &'src str,
    pub(crate) nodes: Vec<Sexp>,
    /// Contents of string literals that contained escapes.
    pub(crate) strings: Vec<String>,
    pub(crate) top: Items,
}

impl<'src> Program<'src> {
    /// The top-level forms, in order.
    pub fn forms(&self) -> &[Sexp] {
        self.items(self.top)
    }

    /// The source text the program was parsed from.
    pub fn text(&self) -> &'src str {
        self.text
    }

    pub fn items(&self, items: Items) -> &[Sexp] {
        let start = items.start as usize;
        &self.nodes[start..start + items.len as usize]
    }

    /// The items of a `( ... )` list.
    #[inline]
    pub fn list(&self, node: &Sexp) -> Option<&[Sexp]> {
        match node.kind {
            SexpKind::List(items) => Some(self.items(items)),
            _ => None,
        }
    }

    /// The name of a symbol.
    #[inline]
    pub fn sym(&self, node: &Sexp) -> Option<&'src str> {
        match node.kind {
            SexpKind::Sym => Some(self.span_text(node.span)),
            _ => None,
        }
    }

    /// The contents of a string literal (escapes resolved).
    pub fn str(&self, node: &Sexp) -> Option<&str> {
        match node.kind {
            SexpKind::Str(None) => {
                Some(&self.text[node.span.start as usize + 1..node.span.end as usize - 1])
            }
            SexpKind::Str(Some(i)) => Some(&self.strings[i as usize]),
            _ => None,
        }
    }

    /// The datum of a `'datum` node.
    pub fn quoted(&self, node: &Sexp) -> Option<&Sexp> {
        match node.kind {
            SexpKind::Quote(d) => Some(&self.nodes[d as usize]),
            _ => None,
        }
    }

    /// The source text under a span.
    #[inline]
    pub fn span_text(&self, span: Span) -> &'src str {
        &self.text[span.start as usize..span.end as usize]
    }
}
