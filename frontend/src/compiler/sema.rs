//! Semantic analysis: S-expressions to the resolved IR.
//!
//! Recognises special forms, checks their shape (every error points at the
//! offending form), resolves names (local, builtin, global, in that order),
//! and records per binding whether it is captured, assigned, or used before
//! its initialiser ran — the facts that decide cells vs registers and where
//! `CheckInit` is needed. The letrec* rule of `let` and of bodies with
//! `define`s is decided here by textual order: a reference that comes after a
//! binding's init in the same body can never observe it uninitialised.
//!
//! The order in which subforms are analysed is observable (it numbers
//! bindings and orders each lambda's captures, hence upvalue indices, and
//! picks which error is reported first), so it is part of the contract.
//!
//! Lists of IR nodes are built on a stack: a form pushes its children's
//! roots as it analyses them (nested forms push and pop above), then moves
//! them into the IR arena in one run. Scopes work the same way, as one
//! vector of names with a start index per scope.

use super::ir::*;
use super::Scratch;
use crate::ast::{Program, Sexp, SexpKind};
use crate::builtins::{self, BuiltinKind, B};
use crate::names::{NameKey, NameTable};
use crate::diag::Diagnostic;
use crate::source::Span;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// Global names to slot numbers. Owned by the runtime and passed to every
/// compilation, so later units (REPL lines) see earlier globals. It also
/// holds the compiler's working buffers between units (see
/// [`crate::compiler`]), which is why `compile` takes it by `&mut`.
#[derive(Default)]
pub struct GlobalTable {
    slots: GlobalSlots,
    scratch: Scratch,
}

#[derive(Debug, Default)]
pub(crate) struct GlobalSlots {
    map: HashMap<Box<str>, u32, BuildHasherDefault<NameHasher>>,
    names: Vec<Box<str>>,
}

impl GlobalSlots {
    fn slot(&mut self, name: &str) -> u32 {
        if let Some(&g) = self.map.get(name) {
            return g;
        }
        let g = self.names.len() as u32;
        self.names.push(name.into());
        self.map.insert(name.into(), g);
        g
    }
}

impl GlobalTable {
    pub fn slot(&mut self, name: &str) -> u32 {
        self.slots.slot(name)
    }
    pub fn get(&self, name: &str) -> Option<u32> {
        self.slots.map.get(name).copied()
    }
    pub fn name(&self, g: u32) -> &str {
        &self.slots.names[g as usize]
    }
    pub fn len(&self) -> usize {
        self.slots.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.slots.names.is_empty()
    }
    pub(crate) fn parts(&mut self) -> (&mut GlobalSlots, &mut Scratch) {
        (&mut self.slots, &mut self.scratch)
    }
}

impl fmt::Debug for GlobalTable {
    /// The names only: the scratch buffers are not state anyone asks about.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GlobalTable").field("names", &self.slots.names).finish_non_exhaustive()
    }
}

/// FxHash, rustc's hasher: a multiply per word. Global names are short and
/// come from the program being compiled, so SipHash's defence against
/// chosen collisions buys nothing and costs a lookup several times over.
#[derive(Default, Clone, Copy)]
struct NameHasher(u64);

impl NameHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes(w.try_into().unwrap()));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut w = [0u8; 8];
            w[..tail.len()].copy_from_slice(tail);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.add(b as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The effects the runtime knows by default; naming one outside operator
/// position is a compile error (effects are not values).
const KNOWN_EFFECTS: &[&str] = &["io:print", "time:now", "random:int", "random:float", "state:get", "state:set"];

/// The special forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Special {
    Quote,
    If,
    Cond,
    Begin,
    And,
    Or,
    Define,
    Set,
    Lambda,
    Let,
    While,
    Dotimes,
    Match,
    Effect,
}

const SPECIAL_NAMES: &[&str] = &[
    "quote", "if", "cond", "begin", "do", "and", "or", "define", "set!", "lambda", "let", "while", "dotimes", "match",
    "effect",
];
const SPECIALS: &[Special] = &[
    Special::Quote,
    Special::If,
    Special::Cond,
    Special::Begin,
    Special::Begin,
    Special::And,
    Special::Or,
    Special::Define,
    Special::Set,
    Special::Lambda,
    Special::Let,
    Special::While,
    Special::Dotimes,
    Special::Match,
    Special::Effect,
];

/// What a name in operator position means when no local shadows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Special(Special),
    Builtin(u16),
}

/// The special forms' names, then the builtins' (so a builtin's id is its
/// index minus the number of special forms).
const OPERATOR_NAMES: &[&str] = &concat::<{ SPECIAL_NAMES.len() + builtins::NAMES.len() }>(SPECIAL_NAMES, builtins::NAMES);
static OPERATORS: NameTable<256> = NameTable::build(OPERATOR_NAMES);

const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

/// Special forms and builtins in one probe: every operator is checked
/// against both (no name is both). `text` is the name, for long names.
fn operator<'a>(key: NameKey, text: impl Fn() -> &'a str) -> Option<Operator> {
    let i = OPERATORS.find(OPERATOR_NAMES, key, text)?;
    Some(match SPECIALS.get(i) {
        Some(&special) => Operator::Special(special),
        None => Operator::Builtin((i - SPECIALS.len()) as u16),
    })
}

/// A name as written: its key, and where it is (the text is read from
/// there only when the key does not settle a comparison, so that the
/// common case never slices the source).
#[derive(Clone, Copy, Debug)]
struct Name {
    key: NameKey,
    at: Span,
}

impl Name {
    /// A name the compiler looks for itself; short enough that its key
    /// alone identifies it (so it needs no place in the source).
    const fn fixed(text: &'static str) -> Name {
        let key = NameKey::of(text);
        assert!(text.len() <= 8);
        Name { key, at: Span::new(0, 0) }
    }
}

const DEFINE: Name = Name::fixed("define");
const ELSE: Name = Name::fixed("else");

/// Errors are boxed: they are rare, and a small error type lets every
/// `R<Reg>`, `R<()>` and the like come back in registers.
pub(crate) type R<T> = Result<T, Box<Diagnostic>>;

#[cold]
fn err<T>(msg: impl Into<String>, span: Span) -> R<T> {
    Err(Box::new(Diagnostic::new(msg, span)))
}

/// Analysis state kept between units for its buffers (see the module docs).
#[derive(Default)]
pub(crate) struct SemaScratch {
    /// Every name in scope, innermost last.
    locals: Vec<Local>,
    /// Where each open scope starts in `locals`.
    scope_starts: Vec<u32>,
    /// The functions being analysed, innermost last.
    funcs: Vec<FuncId>,
    /// Per entry of `funcs`: the bindings of enclosing functions it uses,
    /// in order of first use. Kept per depth so the vectors are reused.
    free_lists: Vec<Vec<BindingId>>,
    /// Bindings whose initialiser is being analysed, for the self-reference
    /// compile error. Only entries from `Analyzer::init_base` on belong to
    /// the current function.
    initializing: Vec<BindingId>,
    /// Roots of the IR lists under construction (see the module docs).
    pending: Vec<Expr>,
    pending_pats: Vec<Pattern>,
    pending_arms: Vec<Arm>,
}

/// A name in scope.
struct Local {
    key: NameKey,
    /// Where the name is written.
    name: Span,
    b: BindingId,
}

pub(crate) struct Analyzer<'a, 'p> {
    globals: &'a mut GlobalSlots,
    prog: &'p Program<'p>,
    ir: &'a mut Ir,
    s: &'a mut SemaScratch,
    init_base: usize,
    next_func: FuncId,
    /// Prelude units may define builtin names (that is how `map` exists).
    allow_builtin_defs: bool,
}

impl<'a, 'p> Analyzer<'a, 'p> {
    pub fn new(
        globals: &'a mut GlobalSlots,
        prog: &'p Program<'p>,
        ir: &'a mut Ir,
        s: &'a mut SemaScratch,
        allow_builtin_defs: bool,
    ) -> Self {
        ir.clear();
        s.locals.clear();
        s.scope_starts.clear();
        s.funcs.clear();
        s.initializing.clear();
        s.pending.clear();
        s.pending_pats.clear();
        s.pending_arms.clear();
        let mut an = Analyzer { globals, prog, ir, s, init_base: 0, next_func: 1, allow_builtin_defs };
        an.push_func(0);
        an
    }

    fn cur_func(&self) -> FuncId {
        *self.s.funcs.last().unwrap()
    }

    fn push_func(&mut self, id: FuncId) {
        let depth = self.s.funcs.len();
        self.s.funcs.push(id);
        if self.s.free_lists.len() <= depth {
            self.s.free_lists.push(Vec::new());
        }
        self.s.free_lists[depth].clear();
    }

    /// Ends the innermost function; returns its free list as a run of
    /// `ir.free`.
    fn pop_func(&mut self) -> (u32, u32) {
        self.s.funcs.pop();
        let free = &self.s.free_lists[self.s.funcs.len()];
        let start = self.ir.free.len() as u32;
        self.ir.free.extend_from_slice(free);
        (start, free.len() as u32)
    }

    fn push_scope(&mut self) {
        self.s.scope_starts.push(self.s.locals.len() as u32);
    }

    fn pop_scope(&mut self) {
        let start = self.s.scope_starts.pop().expect("scope underflow");
        self.s.locals.truncate(start as usize);
    }

    /// The name written at `at`.
    #[inline]
    fn name_at(&self, at: Span) -> Name {
        Name { key: NameKey::in_text(self.prog.text, at.start as usize, at.end as usize), at }
    }

    /// The name of a symbol node.
    #[inline]
    fn sym_name(&self, node: &Sexp) -> Option<Name> {
        (node.kind == SexpKind::Sym).then(|| self.name_at(node.span))
    }

    fn text(&self, name: Name) -> &'p str {
        self.prog.span_text(name.at)
    }

    fn operator(&self, name: Name) -> Option<Operator> {
        operator(name.key, || self.text(name))
    }

    /// Is `local` named `name`?
    #[inline]
    fn is_named(&self, local: &Local, name: Name) -> bool {
        local.key == name.key && (name.key.is_exact() || self.prog.span_text(local.name) == self.text(name))
    }

    /// Declares a binding in the innermost scope. `name` is where the name
    /// is written, `span` where a duplicate is reported.
    fn declare(&mut self, name: Span, span: Span, ready: bool) -> R<BindingId> {
        let n = self.name_at(name);
        let start = *self.s.scope_starts.last().expect("declare outside a scope") as usize;
        if self.s.locals[start..].iter().any(|l| self.is_named(l, n)) {
            return err(format!("duplicate binding {}", self.text(n)), span);
        }
        let b = self.ir.bindings.len() as BindingId;
        self.s.locals.push(Local { key: n.key, name, b });
        let func = self.cur_func();
        self.ir.bindings.push(Binding {
            name,
            func,
            captured: false,
            assigned: false,
            captured_early: false,
            read_early: false,
            ready,
        });
        Ok(b)
    }

    fn lookup_local(&self, name: Name) -> Option<BindingId> {
        self.s.locals.iter().rev().find(|l| self.is_named(l, name)).map(|l| l.b)
    }

    /// Records a use of `b` from the current function; returns whether the
    /// read must be checked for initialisation.
    fn use_binding(&mut self, b: BindingId, span: Span, is_read: bool) -> R<bool> {
        let cur = self.cur_func();
        let binding = &mut self.ir.bindings[b as usize];
        let owner = binding.func;
        if owner != cur {
            binding.captured = true;
            if !binding.ready {
                binding.captured_early = true;
            }
            let start = self.s.funcs.iter().position(|&f| f == owner).unwrap() + 1;
            for free in &mut self.s.free_lists[start..self.s.funcs.len()] {
                if !free.contains(&b) {
                    free.push(b);
                }
            }
            return Ok(false);
        }
        if is_read && !binding.ready {
            if self.s.initializing[self.init_base..].contains(&b) {
                let name = self.prog.span_text(binding.name);
                return err(
                    format!("{name} is used in its own initializer (bind a new name, or use a lambda for recursion)"),
                    span,
                );
            }
            binding.read_early = true;
            return Ok(true);
        }
        Ok(false)
    }

    // ---- building IR -----------------------------------------------------

    fn push(&mut self, e: Expr) -> ExprId {
        self.ir.exprs.push(e);
        self.ir.exprs.len() as ExprId - 1
    }

    /// Moves the pending roots from `base` up into the arena, as one list.
    fn finish_list(&mut self, base: usize) -> ExprList {
        let start = self.ir.exprs.len() as u32;
        self.ir.exprs.extend_from_slice(&self.s.pending[base..]);
        self.s.pending.truncate(base);
        ExprList { start, len: self.ir.exprs.len() as u32 - start }
    }

    fn push_pat(&mut self, p: Pattern) -> PatId {
        self.ir.patterns.push(p);
        self.ir.patterns.len() as PatId - 1
    }

    fn finish_pats(&mut self, base: usize) -> PatList {
        let start = self.ir.patterns.len() as u32;
        self.ir.patterns.extend_from_slice(&self.s.pending_pats[base..]);
        self.s.pending_pats.truncate(base);
        PatList { start, len: self.ir.patterns.len() as u32 - start }
    }

    fn finish_arms(&mut self, base: usize) -> ArmList {
        let start = self.ir.arms.len() as u32;
        self.ir.arms.extend_from_slice(&self.s.pending_arms[base..]);
        self.s.pending_arms.truncate(base);
        ArmList { start, len: self.ir.arms.len() as u32 - start }
    }

    /// A string literal or quoted datum, kept as syntax for codegen.
    fn lit_node(&mut self, d: &Sexp) -> Lit {
        self.ir.lit_nodes.push(*d);
        Lit::Node(self.ir.lit_nodes.len() as u32 - 1)
    }

    // ---- top level -------------------------------------------------------

    pub fn toplevel(&mut self, forms: &'p [Sexp]) -> R<ExprList> {
        let base = self.s.pending.len();
        for f in forms {
            self.toplevel_form(f)?;
        }
        Ok(self.finish_list(base))
    }

    /// Analyses one top-level form onto the pending stack (a `begin` there
    /// splices its forms in).
    fn toplevel_form(&mut self, f: &'p Sexp) -> R<()> {
        if let Some(items) = self.prog.list(f) {
            let head = items.first().and_then(|h| self.sym_name(h));
            match head.map(|h| self.text(h)) {
                Some("define") if self.lookup_local(DEFINE).is_none() => {
                    let (name, name_span, value) = self.define_parts(f, items)?;
                    self.check_definable(name, name_span)?;
                    let g = self.globals.slot(name);
                    let value = self.value_for(name_span, value, Some(SelfRef::Global(g)))?;
                    let value = self.push(value);
                    self.s.pending.push(Expr { kind: ExprKind::DefGlobal(g, value), span: f.span });
                    return Ok(());
                }
                Some("begin" | "do") if self.lookup_local(head.unwrap()).is_none() => {
                    let start = self.s.pending.len();
                    for item in &items[1..] {
                        self.toplevel_form(item)?;
                    }
                    if self.s.pending.len() == start {
                        self.s.pending.push(Expr { kind: ExprKind::Const(Lit::Nil), span: f.span });
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
        let e = self.expr(f)?;
        self.s.pending.push(e);
        Ok(())
    }

    fn check_definable(&self, name: &str, span: Span) -> R<()> {
        if !self.allow_builtin_defs && builtins::lookup(name).is_some() {
            return err(format!("cannot redefine builtin {name}"), span);
        }
        Ok(())
    }

    /// Splits `(define name expr)` / `(define (name params...) body...)` into
    /// the name, where it is written, and a value form (a lambda is
    /// synthesised as needed).
    fn define_parts(&mut self, f: &'p Sexp, items: &'p [Sexp]) -> R<(&'p str, Span, DefValue<'p>)> {
        let Some(target) = items.get(1) else {
            return err("define needs a name: (define name expr) or (define (name params...) body...)", f.span);
        };
        match target.kind {
            SexpKind::Sym => {
                let name = self.prog.span_text(target.span);
                match items.len() {
                    3 => Ok((name, target.span, DefValue::Expr(&items[2]))),
                    2 => err(format!("define of {name} needs a value: (define {name} expr)"), f.span),
                    _ => err(format!("define of {name} takes one value expression"), items[3].span),
                }
            }
            SexpKind::List(sig) => {
                let sig = self.prog.items(sig);
                let Some(name) = sig.first().and_then(|s| self.prog.sym(s)) else {
                    return err("expected a function name after (define (", target.span);
                };
                if items.len() < 3 {
                    return err(format!("function {name} needs a body"), f.span);
                }
                Ok((name, sig[0].span, DefValue::Lambda { params: &sig[1..], params_span: target.span, body: &items[2..], span: f.span }))
            }
            _ => err("define needs a name: (define name expr) or (define (name params...) body...)", target.span),
        }
    }

    /// `name` is where the defined name is written.
    fn value_for(&mut self, name: Span, v: DefValue<'p>, self_ref: Option<SelfRef>) -> R<Expr> {
        match v {
            DefValue::Expr(e) => self.expr_named(e, Some(name), self_ref),
            DefValue::Lambda { params, params_span, body, span } => {
                self.lambda(Some(name), self_ref, params, params_span, body, span)
            }
        }
    }

    // ---- expressions -----------------------------------------------------

    fn expr(&mut self, e: &'p Sexp) -> R<Expr> {
        self.expr_named(e, None, None)
    }

    fn expr_id(&mut self, e: &'p Sexp) -> R<ExprId> {
        let e = match self.atom(e) {
            Some(atom) => atom?,
            None => self.expr(e)?,
        };
        Ok(self.push(e))
    }

    /// The IR of `e` if it is a number, boolean, nil or variable, the
    /// commonest nodes. Their analysis is small enough to inline at the
    /// callers that store the result, which then write it straight from
    /// registers: an `Expr` returned through memory and copied onward
    /// stalls on store forwarding.
    #[inline(always)]
    fn atom(&mut self, e: &Sexp) -> Option<R<Expr>> {
        let span = e.span;
        let kind = match e.kind {
            SexpKind::Int(i) => ExprKind::Const(Lit::Int(i)),
            SexpKind::Float(x) => ExprKind::Const(Lit::Float(x)),
            SexpKind::Bool(b) => ExprKind::Const(Lit::Bool(b)),
            SexpKind::Nil => ExprKind::Const(Lit::Nil),
            SexpKind::Sym => {
                let name = self.name_at(span);
                match self.lookup_local(name) {
                    Some(b) => match self.use_binding(b, span, true) {
                        Ok(checked) => ExprKind::Local { b, checked },
                        Err(e) => return Some(Err(e)),
                    },
                    None => return Some(self.variable(name, span)),
                }
            }
            _ => return None,
        };
        Some(Ok(Expr { kind, span }))
    }

    /// Analyses `e`; a lambda there is named by the text at `name` (for
    /// printing and traces) and may tail-call itself through `self_ref`.
    fn expr_named(&mut self, e: &'p Sexp, name: Option<Span>, self_ref: Option<SelfRef>) -> R<Expr> {
        let span = e.span;
        let kind = match e.kind {
            SexpKind::Int(i) => ExprKind::Const(Lit::Int(i)),
            SexpKind::Float(x) => ExprKind::Const(Lit::Float(x)),
            SexpKind::Str(_) => ExprKind::Const(self.lit_node(e)),
            SexpKind::Bool(b) => ExprKind::Const(Lit::Bool(b)),
            SexpKind::Nil => ExprKind::Const(Lit::Nil),
            SexpKind::Sym => return self.variable(self.name_at(span), span),
            SexpKind::Quote(d) => self.quoted(&self.prog.nodes[d as usize]),
            SexpKind::Bracket(items) => {
                if items.len == 0 {
                    ExprKind::Empty
                } else {
                    ExprKind::List(self.sequence(self.prog.items(items))?)
                }
            }
            SexpKind::List(items) => return self.form(e, self.prog.items(items), name, self_ref),
        };
        Ok(Expr { kind, span })
    }

    fn variable(&mut self, name: Name, span: Span) -> R<Expr> {
        if let Some(b) = self.lookup_local(name) {
            let checked = self.use_binding(b, span, true)?;
            return Ok(Expr { kind: ExprKind::Local { b, checked }, span });
        }
        // A special form's name here is a global like any other.
        if let Some(Operator::Builtin(id)) = self.operator(name) {
            return Ok(Expr { kind: ExprKind::Builtin(id), span });
        }
        let name = self.text(name);
        if KNOWN_EFFECTS.contains(&name) {
            return err(
                format!("effects are not first-class values: {name} is only valid in operator position, as ({name} ...)"),
                span,
            );
        }
        let g = self.globals.slot(name);
        Ok(Expr { kind: ExprKind::Global { g }, span })
    }

    fn form(&mut self, e: &'p Sexp, items: &'p [Sexp], name: Option<Span>, self_ref: Option<SelfRef>) -> R<Expr> {
        let span = e.span;
        let Some(head) = items.first() else {
            return Ok(Expr { kind: ExprKind::Empty, span });
        };
        if let Some(op) = self.sym_name(head) {
            if self.lookup_local(op).is_none() {
                let known = self.operator(op);
                if let Some(Operator::Special(special)) = known {
                    return self.special_form(special, e, items, name, self_ref);
                }
                // Builtin names have no ':', so testing for an effect
                // after the table is the same as testing before it.
                if known.is_none() && self.text(op).contains(':') {
                    let args = self.sequence(&items[1..])?;
                    return Ok(Expr { kind: ExprKind::Effect(head.span, args), span });
                }
                if let Some(Operator::Builtin(id)) = known {
                    let args = self.sequence(&items[1..])?;
                    if let Some(c) = fold_constant(id, self.ir.list(args)) {
                        // The arguments were constants, with nothing
                        // under them: the list is the arena's tail.
                        self.ir.exprs.truncate(args.start as usize);
                        return Ok(Expr { kind: ExprKind::Const(c), span });
                    }
                    return Ok(Expr { kind: ExprKind::CallBuiltin(id, args), span });
                }
            }
        }
        let f = self.expr_id(head)?;
        let args = self.sequence(&items[1..])?;
        Ok(Expr { kind: ExprKind::Call(f, args), span })
    }

    fn special_form(
        &mut self,
        special: Special,
        e: &'p Sexp,
        items: &'p [Sexp],
        name: Option<Span>,
        self_ref: Option<SelfRef>,
    ) -> R<Expr> {
        let span = e.span;
        let args = &items[1..];
        let kind = match special {
            Special::Quote => {
                if args.len() != 1 {
                    return err("quote takes exactly one datum", span);
                }
                self.quoted(&args[0])
            }
            Special::If => {
                if args.len() < 2 || args.len() > 3 {
                    return err(format!("if takes a condition and one or two branches, found {} forms", args.len()), span);
                }
                let c = self.expr_id(&args[0])?;
                let t = self.expr_id(&args[1])?;
                let f = args.get(2).map(|x| self.expr_id(x)).transpose()?;
                ExprKind::If(c, t, f)
            }
            Special::Cond => return self.cond(args, span),
            Special::Begin => {
                if args.is_empty() {
                    ExprKind::Const(Lit::Nil)
                } else {
                    ExprKind::Begin(self.sequence(args)?)
                }
            }
            Special::And => ExprKind::And(self.sequence(args)?),
            Special::Or => ExprKind::Or(self.sequence(args)?),
            Special::Define => {
                return err("define is only allowed at top level or directly in a body (of lambda, define or let)", span)
            }
            Special::Set => {
                if args.len() != 2 {
                    return err("set! takes a name and a value: (set! name expr)", span);
                }
                let Some(target) = self.sym_name(&args[0]) else {
                    return err("set! needs a variable name", args[0].span);
                };
                let target_name = self.text(target);
                if let Some(b) = self.lookup_local(target) {
                    self.use_binding(b, args[0].span, false)?;
                    self.ir.bindings[b as usize].assigned = true;
                    let v = self.expr_id(&args[1])?;
                    ExprKind::SetLocal(b, v)
                } else if let Some(Operator::Builtin(_)) = self.operator(target) {
                    return err(format!("cannot assign to builtin {target_name}"), args[0].span);
                } else {
                    let g = self.globals.slot(target_name);
                    let v = self.expr_id(&args[1])?;
                    ExprKind::SetGlobal(g, v)
                }
            }
            Special::Lambda => {
                let Some(params) = args.first() else {
                    return err("lambda needs a parameter list and a body", span);
                };
                let SexpKind::List(ps) = params.kind else {
                    return err("expected a parameter list (a b ...) after lambda", params.span);
                };
                if args.len() < 2 {
                    return err("lambda needs a body", span);
                }
                return self.lambda(name, self_ref, self.prog.items(ps), params.span, &args[1..], span);
            }
            Special::Let => return self.let_form(args, span),
            Special::While => {
                let Some(c) = args.first() else {
                    return err("while needs a condition", span);
                };
                let c = self.expr_id(c)?;
                let body = self.sequence(&args[1..])?;
                ExprKind::While(c, body)
            }
            Special::Dotimes => return self.dotimes(args, span),
            Special::Match => return self.match_form(args, span),
            Special::Effect => {
                let Some(n) = args.first().filter(|a| a.kind == SexpKind::Sym) else {
                    return err("effect needs an effect name, e.g. (effect io:print x)", span);
                };
                let a = self.sequence(&args[1..])?;
                ExprKind::Effect(n.span, a)
            }
        };
        Ok(Expr { kind, span })
    }

    /// `'d` or `(quote d)`: an empty list is `[]`, anything else a constant.
    fn quoted(&mut self, d: &Sexp) -> ExprKind {
        match d.kind {
            SexpKind::List(items) | SexpKind::Bracket(items) if items.len == 0 => ExprKind::Empty,
            SexpKind::Int(i) => ExprKind::Const(Lit::Int(i)),
            SexpKind::Float(x) => ExprKind::Const(Lit::Float(x)),
            SexpKind::Bool(b) => ExprKind::Const(Lit::Bool(b)),
            SexpKind::Nil => ExprKind::Const(Lit::Nil),
            _ => ExprKind::Const(self.lit_node(d)),
        }
    }

    /// Analyses `forms` onto the pending stack.
    fn seq_into(&mut self, forms: &'p [Sexp]) -> R<()> {
        for f in forms {
            let e = match self.atom(f) {
                Some(atom) => atom?,
                None => self.expr(f)?,
            };
            self.s.pending.push(e);
        }
        Ok(())
    }

    fn sequence(&mut self, forms: &'p [Sexp]) -> R<ExprList> {
        let base = self.s.pending.len();
        self.seq_into(forms)?;
        Ok(self.finish_list(base))
    }

    fn cond(&mut self, clauses: &'p [Sexp], span: Span) -> R<Expr> {
        // Built from the last clause backwards into nested ifs.
        let mut acc: Option<Expr> = None;
        for (i, clause) in clauses.iter().enumerate().rev() {
            let Some(parts) = self.prog.list(clause).filter(|p| !p.is_empty()) else {
                return err("cond clause must be (test body...)", clause.span);
            };
            let is_else = self.sym_name(&parts[0]).is_some_and(|n| n.key == ELSE.key) && self.lookup_local(ELSE).is_none();
            if is_else {
                if i != clauses.len() - 1 {
                    return err("else must be the last cond clause", clause.span);
                }
                acc = Some(self.begin_of(&parts[1..], clause.span)?);
                continue;
            }
            let test = self.expr(&parts[0])?;
            let rest = acc.take();
            let e = if parts.len() == 1 {
                let base = self.s.pending.len();
                self.s.pending.push(test);
                self.s.pending.extend(rest);
                Expr { kind: ExprKind::Or(self.finish_list(base)), span: clause.span }
            } else {
                let body = self.begin_of(&parts[1..], clause.span)?;
                let test = self.push(test);
                let body = self.push(body);
                let rest = rest.map(|r| self.push(r));
                Expr { kind: ExprKind::If(test, body, rest), span: clause.span }
            };
            acc = Some(e);
        }
        Ok(acc.unwrap_or(Expr { kind: ExprKind::Const(Lit::Nil), span }))
    }

    fn begin_of(&mut self, forms: &'p [Sexp], span: Span) -> R<Expr> {
        Ok(match forms.len() {
            0 => Expr { kind: ExprKind::Const(Lit::Nil), span },
            1 => self.expr(&forms[0])?,
            _ => Expr { kind: ExprKind::Begin(self.sequence(forms)?), span },
        })
    }

    fn lambda(
        &mut self,
        name: Option<Span>,
        self_ref: Option<SelfRef>,
        params: &'p [Sexp],
        params_span: Span,
        body: &'p [Sexp],
        span: Span,
    ) -> R<Expr> {
        let id = self.next_func;
        self.next_func += 1;
        self.push_func(id);
        self.push_scope();
        // Bindings being initialised outside belong to another function now:
        // a reference from in here is a capture, not a direct read.
        let saved_init = std::mem::replace(&mut self.init_base, self.s.initializing.len());
        let result: R<_> = (|| {
            let first = self.ir.bindings.len() as BindingId;
            let mut nparams = 0u32;
            let mut rest = None;
            let mut i = 0;
            while i < params.len() {
                let p = &params[i];
                let Some(pn) = self.prog.sym(p) else {
                    return err("parameters must be names", p.span);
                };
                if pn == "." {
                    let Some(r) = params.get(i + 1).filter(|r| r.kind == SexpKind::Sym) else {
                        return err("expected a rest parameter name after '.'", p.span);
                    };
                    if params.len() != i + 2 {
                        return err("the rest parameter must be the last one", params[i + 1].span);
                    }
                    rest = Some(self.declare(r.span, r.span, true)?);
                    break;
                }
                self.declare(p.span, p.span, true)?;
                nparams += 1;
                i += 1;
            }
            if nparams > 250 {
                return err("too many parameters (at most 250)", params_span);
            }
            let base = self.s.pending.len();
            self.body_into(body, span)?;
            Ok((BindingRange { first, len: nparams }, rest, self.finish_list(base)))
        })();
        self.init_base = saved_init;
        self.pop_scope();
        let free = self.pop_func();
        let (params, rest, body) = result?;
        let lam = Lambda {
            id,
            name: name.map_or(LambdaName::Anonymous, LambdaName::Named),
            self_binding: self_ref,
            params,
            rest,
            body,
            free,
            span,
        };
        self.ir.lambdas.push(lam);
        Ok(Expr { kind: ExprKind::Lambda(self.ir.lambdas.len() as LambdaId - 1), span })
    }

    /// A body: forms where `define` may appear, visible in the whole body.
    /// Its expressions (or one scope holding them) go on the pending stack.
    fn body_into(&mut self, forms: &'p [Sexp], span: Span) -> R<()> {
        let prog = self.prog;
        let is_define = |f: &Sexp| {
            let head = prog.list(f).and_then(|l| l.first()).filter(|h| h.kind == SexpKind::Sym);
            head.is_some_and(|h| {
                let (start, end) = (h.span.start as usize, h.span.end as usize);
                NameKey::in_text(prog.text, start, end) == DEFINE.key
            })
        };
        if !forms.iter().any(is_define) || self.lookup_local(DEFINE).is_some() {
            return self.seq_into(forms);
        }
        self.push_scope();
        let result: R<_> = (|| {
            let first = self.ir.bindings.len() as BindingId;
            let mut count = 0;
            for f in forms.iter().filter(|f| is_define(f)) {
                let items = prog.list(f).unwrap();
                let (_, name_span, _) = self.define_parts(f, items)?;
                self.declare(name_span, name_span, false)?;
                count += 1;
            }
            let base = self.s.pending.len();
            let mut next = first;
            for f in forms {
                if is_define(f) {
                    let b = next;
                    next += 1;
                    let (_, name_span, value) = self.define_parts(f, prog.list(f).unwrap())?;
                    self.s.initializing.push(b);
                    let v = self.value_for(name_span, value, Some(SelfRef::Local(b)));
                    self.s.initializing.pop();
                    self.ir.bindings[b as usize].ready = true;
                    self.push_init(b, v?);
                } else {
                    let e = self.expr(f)?;
                    self.s.pending.push(e);
                }
            }
            Ok(ExprKind::Scope { bindings: BindingRange { first, len: count }, items: self.finish_list(base) })
        })();
        self.pop_scope();
        self.s.pending.push(Expr { kind: result?, span });
        Ok(())
    }

    /// Pushes the scope item that initialises `b` with `v`.
    fn push_init(&mut self, b: BindingId, v: Expr) {
        let span = v.span;
        let v = self.push(v);
        self.s.pending.push(Expr { kind: ExprKind::Init(b, v), span });
    }

    fn let_form(&mut self, args: &'p [Sexp], span: Span) -> R<Expr> {
        let Some(binds) = args.first() else {
            return err("let needs a binding list: (let ((name expr) ...) body...)", span);
        };
        let Some(pairs) = self.prog.list(binds) else {
            return err("expected a binding list ((name expr) ...) after let", binds.span);
        };
        if args.len() < 2 {
            return err("let needs a body", span);
        }
        self.push_scope();
        let result: R<_> = (|| {
            let first = self.ir.bindings.len() as BindingId;
            for p in pairs {
                let Some([n, _]) = self.prog.list(p).and_then(|l| <&[Sexp; 2]>::try_from(l).ok()) else {
                    return err("let binding must be (name expr)", p.span);
                };
                if n.kind != SexpKind::Sym {
                    return err("let binding name must be a symbol", n.span);
                }
                self.declare(n.span, n.span, false)?;
            }
            let base = self.s.pending.len();
            for (b, p) in (first..).zip(pairs) {
                let [n, v] = self.prog.list(p).unwrap() else { unreachable!("checked above") };
                self.s.initializing.push(b);
                let e = match self.atom(v) {
                    Some(atom) => atom,
                    None => self.expr_named(v, Some(n.span), Some(SelfRef::Local(b))),
                };
                self.s.initializing.pop();
                self.ir.bindings[b as usize].ready = true;
                self.push_init(b, e?);
            }
            self.body_into(&args[1..], span)?;
            let bindings = BindingRange { first, len: pairs.len() as u32 };
            Ok(ExprKind::Scope { bindings, items: self.finish_list(base) })
        })();
        self.pop_scope();
        Ok(Expr { kind: result?, span })
    }

    fn dotimes(&mut self, args: &'p [Sexp], span: Span) -> R<Expr> {
        let spec = args.first().and_then(|s| self.prog.list(s)).filter(|l| l.len() == 2);
        let Some(spec) = spec else {
            return err("dotimes needs (dotimes (var count) body...)", span);
        };
        if spec[0].kind != SexpKind::Sym {
            return err("dotimes variable must be a name", spec[0].span);
        }
        let count = self.expr_id(&spec[1])?;
        self.push_scope();
        let result: R<_> = (|| {
            let b = self.declare(spec[0].span, spec[0].span, true)?;
            let body = self.sequence(&args[1..])?;
            Ok(ExprKind::Dotimes { var: b, count, body })
        })();
        self.pop_scope();
        Ok(Expr { kind: result?, span })
    }

    fn match_form(&mut self, args: &'p [Sexp], span: Span) -> R<Expr> {
        let Some(scrutinee) = args.first() else {
            return err("match needs a value and arms: (match e (pattern body...) ...)", span);
        };
        let s = self.expr_id(scrutinee)?;
        let base = self.s.pending_arms.len();
        for arm in &args[1..] {
            let Some(parts) = self.prog.list(arm).filter(|p| p.len() >= 2) else {
                return err("match arm must be (pattern body...)", arm.span);
            };
            self.push_scope();
            let result: R<_> = (|| {
                let p = self.pattern(&parts[0])?;
                let pat = self.push_pat(p);
                let body = self.sequence(&parts[1..])?;
                Ok(Arm { pat, body })
            })();
            self.pop_scope();
            self.s.pending_arms.push(result?);
        }
        let arms = self.finish_arms(base);
        Ok(Expr { kind: ExprKind::Match(s, arms), span })
    }

    fn pattern(&mut self, p: &'p Sexp) -> R<Pattern> {
        Ok(match p.kind {
            SexpKind::Int(i) => Pattern::Literal(Lit::Int(i), p.span),
            SexpKind::Float(x) => Pattern::Literal(Lit::Float(x), p.span),
            SexpKind::Str(_) => Pattern::Literal(self.lit_node(p), p.span),
            SexpKind::Bool(b) => Pattern::Literal(Lit::Bool(b), p.span),
            SexpKind::Nil => Pattern::Literal(Lit::Nil, p.span),
            SexpKind::Quote(d) => match self.quoted(&self.prog.nodes[d as usize]) {
                ExprKind::Const(c) => Pattern::Literal(c, p.span),
                _ => Pattern::List(PatList::default(), None),
            },
            SexpKind::Sym => match self.prog.span_text(p.span) {
                "_" => Pattern::Wild,
                s if s.starts_with("...") => return err("a ...rest pattern is only allowed last in [..]", p.span),
                _ => Pattern::Bind(self.declare(p.span, p.span, true)?),
            },
            SexpKind::Bracket(items) => {
                let items = self.prog.items(items);
                let base = self.s.pending_pats.len();
                let mut rest = None;
                for (i, item) in items.iter().enumerate() {
                    if let Some(r) = self.prog.sym(item).and_then(|s| s.strip_prefix("...")) {
                        if i != items.len() - 1 {
                            return err("a ...rest pattern must come last", item.span);
                        }
                        rest = Some(if r.is_empty() || r == "_" {
                            None
                        } else {
                            // The name follows the three dots.
                            let name = Span::new(item.span.start + 3, item.span.end);
                            Some(self.declare(name, item.span, true)?)
                        });
                        break;
                    }
                    let ip = self.pattern(item)?;
                    self.s.pending_pats.push(ip);
                }
                let ps = self.finish_pats(base);
                match rest {
                    // `...` or `..._` alone: accept any remainder.
                    Some(None) => Pattern::List(ps, Some(REST_IGNORED)),
                    Some(Some(b)) => Pattern::List(ps, Some(b)),
                    None => Pattern::List(ps, None),
                }
            }
            SexpKind::List(items) => {
                let items = self.prog.items(items);
                match items.first().and_then(|h| self.prog.sym(h)) {
                    Some("cons") if items.len() == 3 => {
                        let h = self.pattern(&items[1])?;
                        let h = self.push_pat(h);
                        let t = self.pattern(&items[2])?;
                        let t = self.push_pat(t);
                        Pattern::Cons(h, t)
                    }
                    Some("quote") if items.len() == 2 => match self.quoted(&items[1]) {
                        ExprKind::Const(c) => Pattern::Literal(c, p.span),
                        _ => Pattern::List(PatList::default(), None),
                    },
                    _ if items.is_empty() => Pattern::List(PatList::default(), None),
                    _ => return err("invalid pattern: expected a literal, _, a name, [..] or (cons h t)", p.span),
                }
            }
        })
    }
}

/// The rest-binding sentinel for `[a ...]` (remainder not bound).
pub const REST_IGNORED: BindingId = u32::MAX;

enum DefValue<'p> {
    Expr(&'p Sexp),
    Lambda { params: &'p [Sexp], params_span: Span, body: &'p [Sexp], span: Span },
}

/// Folds `(+ 1 2)`-style calls on literal numbers. Anything that could fail
/// (overflow, division) is left for the runtime, so errors keep their place.
fn fold_constant(id: u16, args: &[Expr]) -> Option<Lit> {
    if builtins::BUILTINS[id as usize].1 != BuiltinKind::Native {
        return None;
    }
    let op = match id {
        x if x == B::Add as u16 => 0,
        x if x == B::Sub as u16 => 1,
        x if x == B::Mul as u16 => 2,
        _ => return None,
    };
    let num = |a: &Expr| match a.kind {
        ExprKind::Const(c @ (Lit::Int(_) | Lit::Float(_))) => Some(c),
        _ => None,
    };
    if args.is_empty() || !args.iter().all(|a| num(a).is_some()) {
        return None;
    }
    let mut nums = args.iter().map(|a| num(a).unwrap());
    let mut acc = nums.next().unwrap();
    if args.len() == 1 {
        return match (op, acc) {
            (1, Lit::Int(i)) => i.checked_neg().map(Lit::Int),
            (1, Lit::Float(x)) => Some(Lit::Float(-x)),
            _ => None,
        };
    }
    for n in nums {
        acc = match (acc, n) {
            (Lit::Int(a), Lit::Int(b)) => Lit::Int(match op {
                0 => a.checked_add(b)?,
                1 => a.checked_sub(b)?,
                _ => a.checked_mul(b)?,
            }),
            _ => {
                let a = as_f64(acc);
                let b = as_f64(n);
                Lit::Float(match op {
                    0 => a + b,
                    1 => a - b,
                    _ => a * b,
                })
            }
        };
    }
    Some(acc)
}

fn as_f64(c: Lit) -> f64 {
    match c {
        Lit::Int(i) => i as f64,
        Lit::Float(x) => x,
        _ => unreachable!("fold_constant only sees numbers"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str) -> Option<Operator> {
        operator(NameKey::of(name), || name)
    }

    #[test]
    fn operators_are_found_by_name() {
        for (name, special) in SPECIAL_NAMES.iter().zip(SPECIALS) {
            assert_eq!(op(name), Some(Operator::Special(*special)));
        }
        for (id, (name, ..)) in builtins::BUILTINS.iter().enumerate() {
            assert_eq!(op(name), Some(Operator::Builtin(id as u16)));
            // The effect test in `form` relies on this.
            assert!(!name.contains(':'), "{name}");
        }
        for name in ["", "else", "lambdas", "le", "definex", "io:print", "vector-set", "string-concatx"] {
            assert_eq!(op(name), None, "{name}");
        }
    }

    #[test]
    fn global_table_stays_plain_data() {
        // The runtime owns one and moves it between threads with itself.
        fn plain<T: Send + Sync + Default + fmt::Debug + 'static>() {}
        plain::<GlobalTable>();
    }

    #[test]
    fn global_slots_are_stable() {
        let mut t = GlobalTable::default();
        assert_eq!(t.slot("a"), 0);
        assert_eq!(t.slot("a-much-longer-global-name"), 1);
        assert_eq!(t.slot("a"), 0);
        assert_eq!(t.get("a-much-longer-global-name"), Some(1));
        assert_eq!(t.get("b"), None);
        assert_eq!(t.name(1), "a-much-longer-global-name");
        assert_eq!(t.len(), 2);
    }
}
