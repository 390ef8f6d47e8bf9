//! The resolved intermediate form between the S-expression tree and
//! bytecode. Special forms are recognised, every name is resolved to a
//! local binding, a global slot or a builtin, and every binding carries what
//! the code generator needs to decide its storage (a plain register, or a
//! heap cell because a closure captures it and it can change afterwards).
//!
//! The IR of a unit lives in the flat vectors of one [`Ir`], and nodes refer
//! to each other by index; a node's list of children (call arguments, a
//! body) is a contiguous run. Nothing in a node owns heap memory, so the
//! vectors are cleared and reused for the next unit instead of a tree of
//! boxes being built and dropped for each one.

use crate::ast::Sexp;
use crate::source::Span;

pub type BindingId = u32;
pub type FuncId = u32;
pub type ExprId = u32;
pub type PatId = u32;
pub type LambdaId = u32;

#[derive(Clone, Debug)]
pub struct Binding {
    /// Where the name is written; the name is the source text there.
    pub name: Span,
    pub func: FuncId,
    /// Some inner lambda refers to it.
    pub captured: bool,
    /// The target of a `set!`.
    pub assigned: bool,
    /// Captured by a lambda created before the binding's init finished
    /// (letrec): the closure must see the later value, so it needs a cell.
    pub captured_early: bool,
    /// Some read may happen before the init (a runtime check is emitted and
    /// the register must start out uninitialized).
    pub read_early: bool,
    /// Analysis state: the init has been analysed, so a later read in the
    /// same function cannot see the binding uninitialised.
    pub(crate) ready: bool,
}

impl Binding {
    /// Captured and able to change after capture: must live in a cell.
    pub fn is_cell(&self) -> bool {
        self.captured && (self.assigned || self.captured_early)
    }
}

/// A contiguous run of expressions in [`Ir::exprs`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExprList {
    pub start: ExprId,
    pub len: u32,
}

/// Consecutive bindings (a `let`'s or a body's, a lambda's parameters):
/// they are declared one after another, so their ids are too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BindingRange {
    pub first: BindingId,
    pub len: u32,
}

impl BindingRange {
    pub fn iter(self) -> impl Iterator<Item = BindingId> {
        self.first..self.first + self.len
    }
}

/// A constant operand. Strings and quoted data stay syntax
/// ([`Ir::lit_nodes`]) until the code generator turns them into a
/// [`crate::bytecode::Const`], the only point where they need heap memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lit {
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    /// A string literal or a quoted datum (a symbol, a string, a non-empty
    /// list), by index into [`Ir::lit_nodes`].
    Node(u32),
}

#[derive(Clone, Copy, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug)]
pub enum ExprKind {
    Const(Lit),
    /// `[]`.
    Empty,
    Local { b: BindingId, checked: bool },
    Global { g: u32 },
    Builtin(u16),
    SetLocal(BindingId, ExprId),
    SetGlobal(u32, ExprId),
    DefGlobal(u32, ExprId),
    If(ExprId, ExprId, Option<ExprId>),
    And(ExprList),
    Or(ExprList),
    Begin(ExprList),
    /// `let`, and bodies with internal defines: `bindings` get registers
    /// on entry, then `items` run in order. A define is an `Init` item.
    Scope { bindings: BindingRange, items: ExprList },
    /// Only as a `Scope` item: initialise the binding with the expression.
    Init(BindingId, ExprId),
    Lambda(LambdaId),
    While(ExprId, ExprList),
    Dotimes { var: BindingId, count: ExprId, body: ExprList },
    Call(ExprId, ExprList),
    CallBuiltin(u16, ExprList),
    /// An effect, named by the source text at the span.
    Effect(Span, ExprList),
    List(ExprList),
    Match(ExprId, ArmList),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LambdaName {
    Toplevel,
    /// The source text at the span.
    Named(Span),
    Anonymous,
}

#[derive(Clone, Copy, Debug)]
pub struct Lambda {
    pub id: FuncId,
    pub name: LambdaName,
    /// The binding this lambda initialises (for self tail calls), if any.
    pub self_binding: Option<SelfRef>,
    pub params: BindingRange,
    pub rest: Option<BindingId>,
    pub body: ExprList,
    /// Bindings of enclosing functions this one uses, in upvalue order:
    /// a run of [`Ir::free`].
    pub free: (u32, u32),
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfRef {
    Local(BindingId),
    Global(u32),
}

/// A contiguous run of patterns in [`Ir::patterns`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PatList {
    pub start: PatId,
    pub len: u32,
}

#[derive(Clone, Copy, Debug)]
pub enum Pattern {
    Wild,
    Bind(BindingId),
    Literal(Lit, Span),
    /// `[p1 p2 ...]`, optionally with `...rest` binding the remainder.
    List(PatList, Option<BindingId>),
    Cons(PatId, PatId),
}

/// One `match` arm: a pattern and its body.
#[derive(Clone, Copy, Debug)]
pub struct Arm {
    pub pat: PatId,
    pub body: ExprList,
}

/// A contiguous run of arms in [`Ir::arms`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArmList {
    pub start: u32,
    pub len: u32,
}

/// The IR of one unit.
#[derive(Debug, Default)]
pub struct Ir {
    pub bindings: Vec<Binding>,
    pub exprs: Vec<Expr>,
    pub lambdas: Vec<Lambda>,
    pub patterns: Vec<Pattern>,
    pub arms: Vec<Arm>,
    pub free: Vec<BindingId>,
    /// Copies of the syntax of string literals and quoted data.
    pub lit_nodes: Vec<Sexp>,
}

impl Ir {
    pub fn clear(&mut self) {
        self.bindings.clear();
        self.exprs.clear();
        self.lambdas.clear();
        self.patterns.clear();
        self.arms.clear();
        self.free.clear();
        self.lit_nodes.clear();
    }

    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id as usize]
    }

    pub fn list(&self, l: ExprList) -> &[Expr] {
        &self.exprs[l.start as usize..(l.start + l.len) as usize]
    }

    pub fn pattern(&self, id: PatId) -> &Pattern {
        &self.patterns[id as usize]
    }

    pub fn pats(&self, l: PatList) -> &[Pattern] {
        &self.patterns[l.start as usize..(l.start + l.len) as usize]
    }

    pub fn arms(&self, l: ArmList) -> &[Arm] {
        &self.arms[l.start as usize..(l.start + l.len) as usize]
    }

    pub fn free_of(&self, lam: &Lambda) -> &[BindingId] {
        &self.free[lam.free.0 as usize..(lam.free.0 + lam.free.1) as usize]
    }
}
