//! The resolved intermediate form between the S-expression tree and
//! bytecode. Special forms are recognised, every name is resolved to a
//! local binding, a global slot or a builtin, and every binding carries what
//! the code generator needs to decide its storage (a plain register, or a
//! heap cell because a closure captures it and it can change afterwards).

use crate::bytecode::Const;
use crate::source::Span;

pub type BindingId = u32;
pub type FuncId = u32;

#[derive(Debug)]
pub struct Binding {
    pub name: Box<str>,
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
}

impl Binding {
    /// Captured and able to change after capture: must live in a cell.
    pub fn is_cell(&self) -> bool {
        self.captured && (self.assigned || self.captured_early)
    }
}

#[derive(Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug)]
pub enum ExprKind {
    Const(Const),
    /// `[]`.
    Empty,
    Local { b: BindingId, checked: bool },
    Global { g: u32 },
    Builtin(u16),
    SetLocal(BindingId, Box<Expr>),
    SetGlobal(u32, Box<Expr>),
    DefGlobal(u32, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Begin(Vec<Expr>),
    /// `let`, and bodies with internal defines: bindings initialised in
    /// order, then the body. A body define is an init in the middle.
    Scope(Box<Scope>),
    Lambda(Box<Lambda>),
    While(Box<Expr>, Vec<Expr>),
    Dotimes { var: BindingId, count: Box<Expr>, body: Vec<Expr> },
    Call(Box<Expr>, Vec<Expr>),
    CallBuiltin(u16, Vec<Expr>),
    Effect(Box<str>, Vec<Expr>),
    List(Vec<Expr>),
    Match(Box<Expr>, Vec<(Pattern, Vec<Expr>)>),
}

/// A lexical scope: its bindings get registers on entry; `items` run in order.
#[derive(Debug)]
pub struct Scope {
    pub bindings: Vec<BindingId>,
    pub items: Vec<ScopeItem>,
}

#[derive(Debug)]
pub enum ScopeItem {
    Init(BindingId, Expr),
    Expr(Expr),
}

#[derive(Debug)]
pub struct Lambda {
    pub id: FuncId,
    pub name: Option<Box<str>>,
    /// The binding this lambda initialises (for self tail calls), if any.
    pub self_binding: Option<SelfRef>,
    pub params: Vec<BindingId>,
    pub rest: Option<BindingId>,
    pub body: Vec<Expr>,
    /// Bindings of enclosing functions this one uses, in upvalue order.
    pub free: Vec<BindingId>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfRef {
    Local(BindingId),
    Global(u32),
}

#[derive(Debug)]
pub enum Pattern {
    Wild,
    Bind(BindingId),
    Literal(Const, Span),
    /// `[p1 p2 ...]`, optionally with `...rest` binding the remainder.
    List(Vec<Pattern>, Option<BindingId>),
    Cons(Box<Pattern>, Box<Pattern>),
}
