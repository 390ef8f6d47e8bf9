//! Code generation: resolved IR to register bytecode, one `Proto` per
//! lambda.
//!
//! Registers are allocated as a stack: parameters first, then each scope's
//! bindings, then temporaries above them, released when the expression that
//! needed them is done. `expr(e, dst, tail)` evaluates `e` into `dst`; in
//! tail position it also returns, so calls there become `TailCall` (or a
//! `TailSelf` back-edge) and branches return on their own instead of
//! jumping to a shared exit.
//!
//! Fused compare-and-branch instructions carry 16-bit offsets. If one does
//! not fit, the function is generated again without fusing — simpler than
//! relaxing jumps in place, and only huge functions pay for it.

use super::ir::*;
use super::sema::REST_IGNORED;
use crate::builtins::{BuiltinKind, BUILTINS, B};
use crate::bytecode::{Capture, Const, KIdx, Op, Proto, Reg};
use crate::diag::Diagnostic;
use crate::source::{SourceFile, Span};
use std::collections::HashMap;
use std::sync::Arc;

const MAX_REGS: u32 = 65_000;

pub(crate) enum GenErr {
    /// A fused jump's offset overflowed i16: regenerate without fusing.
    TooFar,
    Diag(Diagnostic),
}

impl From<Diagnostic> for GenErr {
    fn from(d: Diagnostic) -> Self {
        GenErr::Diag(d)
    }
}

type GR<T> = Result<T, GenErr>;

pub(crate) struct Ctx<'a> {
    pub bindings: &'a [Binding],
    pub source: Arc<SourceFile>,
    pub is_builtin: bool,
}

struct FnGen<'c, 'a> {
    ctx: &'c Ctx<'a>,
    id: FuncId,
    code: Vec<Op>,
    spans: Vec<Span>,
    consts: Vec<Const>,
    children: Vec<Arc<Proto>>,
    cell_reads: Vec<(u32, Box<str>)>,
    regs: HashMap<BindingId, Reg>,
    free: &'c [BindingId],
    free_reg: u32,
    max_reg: u32,
    /// Per register: does it currently hold a binding (vs a temporary)?
    is_binding: Vec<bool>,
    self_ref: Option<SelfRef>,
    nparams: usize,
    has_rest: bool,
    allow_fused: bool,
}

/// Generates the prototype of a lambda (or of the top level, `lam.id == 0`).
pub(crate) fn gen_function(ctx: &Ctx, lam: &Lambda, captures: Vec<Capture>) -> Result<Arc<Proto>, Diagnostic> {
    for allow_fused in [true, false] {
        match try_gen(ctx, lam, captures.clone(), allow_fused) {
            Ok(p) => return Ok(p),
            Err(GenErr::Diag(d)) => return Err(d),
            Err(GenErr::TooFar) => continue,
        }
    }
    Err(Diagnostic::new("function too large to compile", lam.span))
}

fn try_gen(ctx: &Ctx, lam: &Lambda, captures: Vec<Capture>, allow_fused: bool) -> GR<Arc<Proto>> {
    let mut g = FnGen {
        ctx,
        id: lam.id,
        code: Vec::new(),
        spans: Vec::new(),
        consts: Vec::new(),
        children: Vec::new(),
        cell_reads: Vec::new(),
        regs: HashMap::new(),
        free: &lam.free,
        free_reg: 0,
        max_reg: 0,
        is_binding: Vec::new(),
        self_ref: lam.self_binding,
        nparams: lam.params.len(),
        has_rest: lam.rest.is_some(),
        allow_fused,
    };
    for &p in lam.params.iter().chain(lam.rest.iter()) {
        g.alloc_binding(p, lam.span)?;
    }
    // A captured-and-assigned parameter moves into a cell on entry.
    for &p in lam.params.iter().chain(lam.rest.iter()) {
        if ctx.bindings[p as usize].is_cell() {
            let r = g.regs[&p];
            let t = g.alloc(lam.span)?;
            g.emit(Op::NewCell { dst: t }, lam.span);
            g.emit(Op::SetCell { cell: t, src: r }, lam.span);
            g.emit(Op::Move { dst: r, src: t }, lam.span);
            g.free_to(t);
        }
    }
    let dst = g.alloc(lam.span)?;
    g.sequence(&lam.body, dst, true, lam.span)?;
    Ok(Arc::new(Proto {
        name: lam.name.clone(),
        nparams: lam.params.len() as u16,
        has_rest: lam.rest.is_some(),
        nregs: g.max_reg as u16,
        code: g.code,
        spans: g.spans,
        consts: g.consts,
        children: g.children,
        cell_reads: g.cell_reads,
        captures,
        span: lam.span,
        source: ctx.source.clone(),
        is_builtin: ctx.is_builtin,
    }))
}

/// Constant identity for deduplication: floats by bit pattern, so `0.0`
/// and `-0.0` stay distinct (and NaN can be shared).
fn same_const(a: &Const, b: &Const) -> bool {
    match (a, b) {
        (Const::Float(x), Const::Float(y)) => x.to_bits() == y.to_bits(),
        (Const::List(xs), Const::List(ys)) => xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_const(x, y)),
        _ => a == b,
    }
}

fn small_int(e: &Expr) -> Option<i16> {
    match e.kind {
        ExprKind::Const(Const::Int(i)) => i16::try_from(i).ok(),
        _ => None,
    }
}

/// Does evaluating `e` assign binding `b` directly (not through a closure)?
fn assigns(e: &Expr, b: BindingId) -> bool {
    let any = |xs: &[Expr]| xs.iter().any(|x| assigns(x, b));
    match &e.kind {
        ExprKind::SetLocal(t, v) => *t == b || assigns(v, b),
        ExprKind::SetGlobal(_, v) | ExprKind::DefGlobal(_, v) => assigns(v, b),
        ExprKind::If(c, t, f) => assigns(c, b) || assigns(t, b) || f.as_ref().is_some_and(|f| assigns(f, b)),
        ExprKind::And(xs) | ExprKind::Or(xs) | ExprKind::Begin(xs) | ExprKind::List(xs) => any(xs),
        ExprKind::CallBuiltin(_, xs) | ExprKind::Effect(_, xs) => any(xs),
        ExprKind::Call(f, xs) => assigns(f, b) || any(xs),
        ExprKind::While(c, body) => assigns(c, b) || any(body),
        ExprKind::Dotimes { count, body, .. } => assigns(count, b) || any(body),
        ExprKind::Match(s, arms) => assigns(s, b) || arms.iter().any(|(_, body)| any(body)),
        ExprKind::Scope(s) => s.items.iter().any(|i| match i {
            ScopeItem::Init(_, e) | ScopeItem::Expr(e) => assigns(e, b),
        }),
        ExprKind::Const(_) | ExprKind::Empty | ExprKind::Local { .. } | ExprKind::Global { .. } => false,
        ExprKind::Builtin(_) | ExprKind::Lambda(_) => false,
    }
}

impl FnGen<'_, '_> {
    fn emit(&mut self, op: Op, span: Span) -> usize {
        self.code.push(op);
        self.spans.push(span);
        self.code.len() - 1
    }

    fn alloc(&mut self, span: Span) -> GR<Reg> {
        let r = self.free_reg;
        self.free_reg += 1;
        if self.free_reg > MAX_REGS {
            return Err(Diagnostic::new("function too large: it needs more than 65000 registers", span).into());
        }
        self.max_reg = self.max_reg.max(self.free_reg);
        if self.is_binding.len() <= r as usize {
            self.is_binding.resize(r as usize + 1, false);
        }
        self.is_binding[r as usize] = false;
        Ok(r as Reg)
    }

    fn alloc_binding(&mut self, b: BindingId, span: Span) -> GR<Reg> {
        let r = self.alloc(span)?;
        self.is_binding[r as usize] = true;
        self.regs.insert(b, r);
        Ok(r)
    }

    fn free_to(&mut self, r: Reg) {
        self.free_reg = r as u32;
    }

    fn konst(&mut self, c: Const, span: Span) -> GR<KIdx> {
        if let Some(i) = self.consts.iter().position(|k| same_const(k, &c)) {
            return Ok(i as KIdx);
        }
        if self.consts.len() >= u16::MAX as usize {
            return Err(Diagnostic::new("function too large: more than 65535 constants", span).into());
        }
        self.consts.push(c);
        Ok((self.consts.len() - 1) as KIdx)
    }

    fn is_cell(&self, b: BindingId) -> bool {
        self.ctx.bindings[b as usize].is_cell()
    }

    fn owns(&self, b: BindingId) -> bool {
        self.ctx.bindings[b as usize].func == self.id
    }

    fn upval(&self, b: BindingId) -> u16 {
        self.free.iter().position(|&f| f == b).expect("free variable not in capture list") as u16
    }

    fn ret(&mut self, dst: Reg, tail: bool, span: Span) {
        if tail {
            self.emit(Op::Return { src: dst }, span);
        }
    }

    /// Patches the jump at `at` to land on `target`.
    fn patch(&mut self, at: usize, target: usize) -> GR<()> {
        let off = target as i64 - (at as i64 + 1);
        let off32 = off as i32;
        let off16 = i16::try_from(off).map_err(|_| GenErr::TooFar);
        match &mut self.code[at] {
            Op::Jmp { off } | Op::JmpIfFalse { off, .. } | Op::JmpIfTrue { off, .. } => *off = off32,
            Op::TestCons { off, .. } | Op::TestEmpty { off, .. } => *off = off32,
            Op::JmpIfNotLt { off, .. }
            | Op::JmpIfNotLe { off, .. }
            | Op::JmpIfNotGt { off, .. }
            | Op::JmpIfNotGe { off, .. }
            | Op::JmpIfNotEq { off, .. }
            | Op::JmpIfNotNe { off, .. }
            | Op::JmpIfNotLtI { off, .. }
            | Op::JmpIfNotLeI { off, .. }
            | Op::JmpIfNotGtI { off, .. }
            | Op::JmpIfNotGeI { off, .. }
            | Op::JmpIfNotEqI { off, .. }
            | Op::JmpIfNotNeI { off, .. } => *off = off16?,
            other => unreachable!("patching a non-jump {other:?}"),
        }
        Ok(())
    }

    fn patch_here(&mut self, jumps: &[usize]) -> GR<()> {
        let here = self.code.len();
        for &j in jumps {
            self.patch(j, here)?;
        }
        Ok(())
    }

    fn emit_loop(&mut self, top: usize, span: Span) {
        let off = top as i64 - (self.code.len() as i64 + 1);
        self.emit(Op::Loop { off: off as i32 }, span);
    }

    // ---- expressions -----------------------------------------------------

    fn sequence(&mut self, xs: &[Expr], dst: Reg, tail: bool, span: Span) -> GR<()> {
        let Some((last, init)) = xs.split_last() else {
            self.emit(Op::LoadNil { dst }, span);
            self.ret(dst, tail, span);
            return Ok(());
        };
        for x in init {
            self.discard(x)?;
        }
        self.expr(last, dst, tail)
    }

    /// Evaluates `e` for its effects only.
    fn discard(&mut self, e: &Expr) -> GR<()> {
        let mark = self.free_reg as Reg;
        match &e.kind {
            ExprKind::Const(_) | ExprKind::Empty | ExprKind::Local { checked: false, .. } => return Ok(()),
            ExprKind::SetLocal(b, v) => return self.set_local(*b, v, e.span),
            ExprKind::SetGlobal(g, v) | ExprKind::DefGlobal(g, v) => {
                let r = self.operand(v, &[])?;
                let op = if matches!(e.kind, ExprKind::SetGlobal(..)) {
                    Op::SetGlobal { g: *g, src: r }
                } else {
                    Op::DefGlobal { g: *g, src: r }
                };
                self.emit(op, e.span);
                self.free_to(mark);
                return Ok(());
            }
            ExprKind::CallBuiltin(id, args) if *id == B::VectorSet as u16 && args.len() == 3 => {
                let later: Vec<&Expr> = args.iter().collect();
                let v = self.operand(&args[0], &later[1..])?;
                let i = self.operand(&args[1], &later[2..])?;
                let x = self.operand(&args[2], &[])?;
                self.emit(Op::VecSet { v, i, x }, e.span);
                self.free_to(mark);
                return Ok(());
            }
            _ => {}
        }
        let t = self.alloc(e.span)?;
        self.expr(e, t, false)?;
        self.free_to(t);
        Ok(())
    }

    /// A register holding `e`'s value: a plain local's own register when
    /// no later operand (`later`) can assign it, else a fresh temporary.
    fn operand(&mut self, e: &Expr, later: &[&Expr]) -> GR<Reg> {
        if let ExprKind::Local { b, checked } = e.kind {
            if self.owns(b)
                && !self.is_cell(b)
                && !(self.ctx.bindings[b as usize].assigned && later.iter().any(|l| assigns(l, b)))
            {
                let r = self.regs[&b];
                if checked {
                    let k = self.konst(Const::Sym(self.ctx.bindings[b as usize].name.clone()), e.span)?;
                    self.emit(Op::CheckInit { src: r, name: k }, e.span);
                }
                return Ok(r);
            }
        }
        let t = self.alloc(e.span)?;
        self.expr(e, t, false)?;
        Ok(t)
    }

    fn load_const(&mut self, c: &Const, dst: Reg, span: Span) -> GR<()> {
        let op = match c {
            Const::Nil => Op::LoadNil { dst },
            Const::Bool(val) => Op::LoadBool { dst, val: *val },
            Const::Int(i) if i32::try_from(*i).is_ok() => Op::LoadInt { dst, val: *i as i32 },
            Const::List(items) if items.is_empty() => Op::LoadEmpty { dst },
            c => Op::LoadK { dst, k: self.konst(c.clone(), span)? },
        };
        self.emit(op, span);
        Ok(())
    }

    fn expr(&mut self, e: &Expr, dst: Reg, tail: bool) -> GR<()> {
        let span = e.span;
        match &e.kind {
            ExprKind::Const(c) => self.load_const(c, dst, span)?,
            ExprKind::Empty => {
                self.emit(Op::LoadEmpty { dst }, span);
            }
            ExprKind::Local { b, checked: false } if tail && self.owns(*b) && !self.is_cell(*b) => {
                let r = self.regs[b];
                self.emit(Op::Return { src: r }, span);
                return Ok(());
            }
            ExprKind::Local { b, checked } => self.read_local(*b, *checked, dst, span)?,
            ExprKind::Global { g } => {
                self.emit(Op::GetGlobal { dst, g: *g }, span);
            }
            ExprKind::Builtin(id) => {
                self.emit(Op::LoadBuiltin { dst, id: *id }, span);
            }
            ExprKind::SetLocal(b, v) => {
                self.set_local(*b, v, span)?;
                self.emit(Op::LoadNil { dst }, span);
            }
            ExprKind::SetGlobal(g, v) => {
                let mark = self.free_reg as Reg;
                let r = self.operand(v, &[])?;
                self.emit(Op::SetGlobal { g: *g, src: r }, span);
                self.free_to(mark);
                self.emit(Op::LoadNil { dst }, span);
            }
            ExprKind::DefGlobal(g, v) => {
                let mark = self.free_reg as Reg;
                let r = self.operand(v, &[])?;
                self.emit(Op::DefGlobal { g: *g, src: r }, span);
                self.free_to(mark);
                self.emit(Op::LoadNil { dst }, span);
            }
            ExprKind::If(c, t, f) => {
                let falses = self.cond_jump(c)?;
                self.expr(t, dst, tail)?;
                let end = if tail { None } else { Some(self.emit(Op::Jmp { off: 0 }, span)) };
                self.patch_here(&falses)?;
                match f {
                    Some(f) => self.expr(f, dst, tail)?,
                    None => {
                        self.emit(Op::LoadNil { dst }, span);
                        self.ret(dst, tail, span);
                    }
                }
                if let Some(end) = end {
                    self.patch_here(&[end])?;
                }
                return Ok(());
            }
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let Some((last, init)) = xs.split_last() else {
                    self.emit(Op::LoadBool { dst, val: is_and }, span);
                    self.ret(dst, tail, span);
                    return Ok(());
                };
                let mut exits = Vec::new();
                for x in init {
                    self.expr(x, dst, false)?;
                    let j = if is_and { Op::JmpIfFalse { src: dst, off: 0 } } else { Op::JmpIfTrue { src: dst, off: 0 } };
                    exits.push(self.emit(j, x.span));
                }
                self.expr(last, dst, tail)?;
                self.patch_here(&exits)?;
                if tail && !exits.is_empty() {
                    self.emit(Op::Return { src: dst }, span);
                }
                return Ok(());
            }
            ExprKind::Begin(xs) => return self.sequence(xs, dst, tail, span),
            ExprKind::Scope(s) => return self.scope(s, dst, tail, span),
            ExprKind::Lambda(lam) => {
                let captures = lam
                    .free
                    .iter()
                    .map(|&b| if self.owns(b) { Capture::Reg(self.regs[&b]) } else { Capture::Upval(self.upval(b)) })
                    .collect();
                let child = gen_function(self.ctx, lam, captures)?;
                if self.children.len() >= u16::MAX as usize {
                    return Err(Diagnostic::new("function too large: too many nested lambdas", span).into());
                }
                self.children.push(child);
                self.emit(Op::Closure { dst, proto: (self.children.len() - 1) as u16 }, span);
            }
            ExprKind::While(c, body) => {
                let top = self.code.len();
                let falses = self.cond_jump(c)?;
                for x in body {
                    self.discard(x)?;
                }
                self.emit_loop(top, span);
                self.patch_here(&falses)?;
                self.emit(Op::LoadNil { dst }, span);
            }
            ExprKind::Dotimes { var, count, body } => self.dotimes(*var, count, body, dst, span)?,
            ExprKind::Call(f, args) => return self.call(f, args, dst, tail, span),
            ExprKind::CallBuiltin(id, args) => return self.call_builtin(*id, args, dst, tail, span),
            ExprKind::Effect(name, args) => {
                if args.len() > u8::MAX as usize {
                    return Err(Diagnostic::new("too many arguments to an effect (at most 255)", span).into());
                }
                let mark = self.free_reg as Reg;
                let base = self.args_at_top(args)?;
                let k = self.konst(Const::Sym(name.clone()), span)?;
                self.emit(Op::Effect { base, nargs: args.len() as u8, name: k }, span);
                if base != dst {
                    self.emit(Op::Move { dst, src: base }, span);
                }
                self.free_to(mark);
            }
            ExprKind::List(items) => {
                if items.len() > u16::MAX as usize {
                    return Err(Diagnostic::new("list literal too long (at most 65535 elements)", span).into());
                }
                let mark = self.free_reg as Reg;
                let base = self.args_at_top(items)?;
                self.emit(Op::MakeList { dst, base, n: items.len() as u16 }, span);
                self.free_to(mark);
            }
            ExprKind::Match(s, arms) => return self.match_expr(s, arms, dst, tail, span),
        }
        self.ret(dst, tail, span);
        Ok(())
    }

    fn read_local(&mut self, b: BindingId, checked: bool, dst: Reg, span: Span) -> GR<()> {
        if self.owns(b) {
            let r = self.regs[&b];
            if self.is_cell(b) {
                let pc = self.emit(Op::GetCell { dst, cell: r }, span);
                self.cell_reads.push((pc as u32, self.ctx.bindings[b as usize].name.clone()));
            } else {
                if checked {
                    let k = self.konst(Const::Sym(self.ctx.bindings[b as usize].name.clone()), span)?;
                    self.emit(Op::CheckInit { src: r, name: k }, span);
                }
                if r != dst {
                    self.emit(Op::Move { dst, src: r }, span);
                }
            }
        } else {
            let u = self.upval(b);
            if self.is_cell(b) {
                let pc = self.emit(Op::GetUpcell { dst, u }, span);
                self.cell_reads.push((pc as u32, self.ctx.bindings[b as usize].name.clone()));
            } else {
                self.emit(Op::GetUpval { dst, u }, span);
            }
        }
        Ok(())
    }

    /// Expressions that write their destination only after reading every
    /// operand, so they may target a variable's own register.
    fn writes_dst_last(e: &Expr) -> bool {
        matches!(
            e.kind,
            ExprKind::Const(_)
                | ExprKind::Empty
                | ExprKind::Local { .. }
                | ExprKind::Global { .. }
                | ExprKind::Builtin(_)
                | ExprKind::CallBuiltin(..)
                | ExprKind::Call(..)
                | ExprKind::Lambda(_)
                | ExprKind::List(_)
        )
    }

    fn set_local(&mut self, b: BindingId, v: &Expr, span: Span) -> GR<()> {
        let mark = self.free_reg as Reg;
        if self.owns(b) {
            let r = self.regs[&b];
            if self.is_cell(b) {
                let t = self.operand(v, &[])?;
                self.emit(Op::SetCell { cell: r, src: t }, span);
            } else if Self::writes_dst_last(v) {
                self.expr(v, r, false)?;
            } else {
                let t = self.alloc(span)?;
                self.expr(v, t, false)?;
                self.emit(Op::Move { dst: r, src: t }, span);
            }
        } else {
            let u = self.upval(b);
            let t = self.operand(v, &[])?;
            self.emit(Op::SetUpcell { u, src: t }, span);
        }
        self.free_to(mark);
        Ok(())
    }

    fn scope(&mut self, s: &Scope, dst: Reg, tail: bool, span: Span) -> GR<()> {
        let mark = self.free_reg as Reg;
        for &b in &s.bindings {
            let r = self.alloc_binding(b, span)?;
            if self.is_cell(b) {
                self.emit(Op::NewCell { dst: r }, span);
            } else if self.ctx.bindings[b as usize].read_early {
                self.emit(Op::LoadUndef { dst: r }, span);
            }
        }
        let n = s.items.len();
        for (i, item) in s.items.iter().enumerate() {
            let last = i + 1 == n;
            match item {
                ScopeItem::Init(b, v) => {
                    let r = self.regs[b];
                    if self.is_cell(*b) {
                        let m = self.free_reg as Reg;
                        let t = self.operand(v, &[])?;
                        self.emit(Op::SetCell { cell: r, src: t }, v.span);
                        self.free_to(m);
                    } else {
                        self.expr(v, r, false)?;
                    }
                    if last {
                        self.emit(Op::LoadNil { dst }, span);
                        self.ret(dst, tail, span);
                    }
                }
                ScopeItem::Expr(e) if last => self.expr(e, dst, tail)?,
                ScopeItem::Expr(e) => self.discard(e)?,
            }
        }
        if n == 0 {
            self.emit(Op::LoadNil { dst }, span);
            self.ret(dst, tail, span);
        }
        self.free_to(mark);
        Ok(())
    }

    fn dotimes(&mut self, var: BindingId, count: &Expr, body: &[Expr], dst: Reg, span: Span) -> GR<()> {
        let mark = self.free_reg as Reg;
        let n = self.alloc(span)?;
        self.expr(count, n, false)?;
        self.emit(Op::DotimesInit { count: n }, count.span);
        let k = self.alloc(span)?;
        self.emit(Op::LoadInt { dst: k, val: 0 }, span);
        let v = self.alloc_binding(var, span)?;
        let top = self.code.len();
        let exit = if self.allow_fused {
            self.emit(Op::JmpIfNotLt { a: k, b: n, off: 0 }, span)
        } else {
            let t = self.alloc(span)?;
            self.emit(Op::Lt { dst: t, a: k, b: n }, span);
            self.free_to(t);
            self.emit(Op::JmpIfFalse { src: t, off: 0 }, span)
        };
        if self.is_cell(var) {
            self.emit(Op::NewCell { dst: v }, span);
            self.emit(Op::SetCell { cell: v, src: k }, span);
        } else {
            self.emit(Op::Move { dst: v, src: k }, span);
        }
        for x in body {
            self.discard(x)?;
        }
        self.emit(Op::AddI { dst: k, a: k, imm: 1 }, span);
        self.emit_loop(top, span);
        self.patch_here(&[exit])?;
        self.free_to(mark);
        self.emit(Op::LoadNil { dst }, span);
        Ok(())
    }

    /// Evaluates `xs` into consecutive fresh registers; returns the first.
    fn args_at_top(&mut self, xs: &[Expr]) -> GR<Reg> {
        let base = self.free_reg as Reg;
        for x in xs {
            let r = self.alloc(x.span)?;
            self.expr(x, r, false)?;
        }
        if xs.is_empty() {
            // Still reserve the result register.
            self.alloc(Span::default())?;
        }
        Ok(base)
    }

    fn is_self_call(&self, f: &Expr, nargs: usize) -> bool {
        let me = match (&f.kind, self.self_ref) {
            (ExprKind::Global { g }, Some(SelfRef::Global(s))) => *g == s,
            (ExprKind::Local { b, .. }, Some(SelfRef::Local(s))) => *b == s,
            _ => false,
        };
        me && nargs == self.nparams && !self.has_rest
    }

    fn call(&mut self, f: &Expr, args: &[Expr], dst: Reg, tail: bool, span: Span) -> GR<()> {
        if args.len() > u16::MAX as usize - 1 {
            return Err(Diagnostic::new("too many arguments in one call", span).into());
        }
        // Reuse `dst` as the call base when it is the topmost register: it
        // saves the result move on the hottest path (operands of `+`).
        let mark = self.free_reg as Reg;
        let base = if dst as u32 + 1 == self.free_reg && !self.is_binding_reg(dst) { dst } else { self.alloc(span)? };
        self.expr(f, base, false)?;
        for a in args {
            let r = self.alloc(a.span)?;
            self.expr(a, r, false)?;
        }
        let nargs = args.len() as u16;
        if tail && self.is_self_call(f, args.len()) {
            self.emit(Op::TailSelf { base, nargs }, span);
        } else if tail {
            self.emit(Op::TailCall { base, nargs }, span);
        } else {
            self.emit(Op::Call { base, nargs }, span);
            if base != dst {
                self.emit(Op::Move { dst, src: base }, span);
            }
        }
        self.free_to(mark);
        Ok(())
    }

    fn is_binding_reg(&self, r: Reg) -> bool {
        self.is_binding.get(r as usize).copied().unwrap_or(false)
    }

    fn call_builtin(&mut self, id: u16, args: &[Expr], dst: Reg, tail: bool, span: Span) -> GR<()> {
        let (_, kind, min, max) = BUILTINS[id as usize];
        let arity_ok = args.len() >= min as usize && (max == crate::builtins::VARIADIC || args.len() <= max as usize);
        if kind != BuiltinKind::Native || args.len() > u8::MAX as usize || !arity_ok {
            // Through the generic call path, which also reports bad arity
            // at run time exactly as a first-class call would.
            let f = Expr { kind: ExprKind::Builtin(id), span };
            return self.call(&f, args, dst, tail, span);
        }
        let mark = self.free_reg as Reg;
        let n = args.len();
        let bin = |a: Reg, b: Reg, dst: Reg| -> Option<Op> {
            Some(match id {
                x if x == B::Add as u16 => Op::Add { dst, a, b },
                x if x == B::Sub as u16 => Op::Sub { dst, a, b },
                x if x == B::Mul as u16 => Op::Mul { dst, a, b },
                x if x == B::Div as u16 => Op::Div { dst, a, b },
                x if x == B::Mod as u16 => Op::Mod { dst, a, b },
                x if x == B::Rem as u16 => Op::Rem { dst, a, b },
                x if x == B::Lt as u16 && n == 2 => Op::Lt { dst, a, b },
                x if x == B::Le as u16 && n == 2 => Op::Le { dst, a, b },
                x if x == B::Gt as u16 && n == 2 => Op::Gt { dst, a, b },
                x if x == B::Ge as u16 && n == 2 => Op::Ge { dst, a, b },
                x if (x == B::NumEq as u16 || x == B::NumEq2 as u16) && n == 2 => Op::Eq { dst, a, b },
                x if x == B::NotEq as u16 => Op::Ne { dst, a, b },
                _ => return None,
            })
        };
        let is_arith = [B::Add, B::Sub, B::Mul, B::Div].iter().any(|b| *b as u16 == id);
        if n == 2 && bin(0, 0, 0).is_some() {
            let a = self.operand(&args[0], &[&args[1]])?;
            let imm = small_int(&args[1]);
            let op = match (id, imm) {
                (x, Some(imm)) if x == B::Add as u16 => Op::AddI { dst, a, imm },
                (x, Some(imm)) if x == B::Sub as u16 => Op::SubI { dst, a, imm },
                (x, Some(imm)) if x == B::Mul as u16 => Op::MulI { dst, a, imm },
                _ => {
                    let b = self.operand(&args[1], &[])?;
                    bin(a, b, dst).unwrap()
                }
            };
            self.emit(op, span);
        } else if n > 2 && is_arith {
            // Left fold through a temporary, so `dst` is written last.
            let acc = self.alloc(span)?;
            let rest: Vec<&Expr> = args[1..].iter().collect();
            let a = self.operand(&args[0], &rest)?;
            let b = self.operand(&args[1], &rest[1..])?;
            self.emit(bin(a, b, acc).unwrap(), span);
            for (i, x) in args[2..].iter().enumerate() {
                let m = self.free_reg as Reg;
                let r = self.operand(x, &rest[i + 2..])?;
                let target = if i + 3 == n { dst } else { acc };
                self.emit(bin(acc, r, target).unwrap(), span);
                self.free_to(m);
            }
        } else if let Some(op) = self.direct_builtin(id, args, dst)? {
            self.emit(op, span);
        } else if n == 1 && id == B::Sub as u16 {
            let a = self.operand(&args[0], &[])?;
            self.emit(Op::Neg { dst, src: a }, span);
        } else if n == 1 && id == B::Not as u16 {
            let a = self.operand(&args[0], &[])?;
            self.emit(Op::Not { dst, src: a }, span);
        } else {
            let base = self.args_at_top(args)?;
            self.emit(Op::CallBuiltin { base, nargs: n as u8, id }, span);
            if base != dst {
                self.emit(Op::Move { dst, src: base }, span);
            }
        }
        self.free_to(mark);
        self.ret(dst, tail, span);
        Ok(())
    }

    /// The single-instruction forms of the hottest list and vector
    /// builtins (their slow paths share the builtins' error messages).
    fn direct_builtin(&mut self, id: u16, args: &[Expr], dst: Reg) -> GR<Option<Op>> {
        let is = |b: B| b as u16 == id;
        let unary = is(B::Head) || is(B::Car) || is(B::Tail) || is(B::Cdr) || is(B::IsEmpty);
        let binary = is(B::VectorRef) || is(B::Cons);
        if !(unary && args.len() == 1 || binary && args.len() == 2) {
            return Ok(None);
        }
        let later: Vec<&Expr> = args.iter().collect();
        let a = self.operand(&args[0], &later[1..])?;
        if unary {
            return Ok(Some(if is(B::Head) || is(B::Car) {
                Op::Car { dst, src: a }
            } else if is(B::Tail) || is(B::Cdr) {
                Op::Cdr { dst, src: a }
            } else {
                Op::IsEmpty { dst, src: a }
            }));
        }
        let b = self.operand(&args[1], &[])?;
        Ok(Some(if is(B::VectorRef) { Op::VecRef { dst, v: a, i: b } } else { Op::Cons { dst, h: a, t: b } }))
    }

    /// Emits a test of `c` that jumps when it is false; returns the jumps
    /// to patch to the false target. Comparisons fuse into one instruction.
    fn cond_jump(&mut self, c: &Expr) -> GR<Vec<usize>> {
        let mark = self.free_reg as Reg;
        let span = c.span;
        let jumps = match &c.kind {
            ExprKind::And(xs) if !xs.is_empty() => {
                let mut all = Vec::new();
                for x in xs {
                    all.extend(self.cond_jump(x)?);
                }
                all
            }
            ExprKind::CallBuiltin(id, args) if args.len() == 2 && self.allow_fused && fused_cmp(*id).is_some() => {
                let (rr, ri) = fused_cmp(*id).unwrap();
                let a = self.operand(&args[0], &[&args[1]])?;
                let op = match small_int(&args[1]) {
                    Some(imm) => ri(a, imm),
                    None => {
                        let b = self.operand(&args[1], &[])?;
                        rr(a, b)
                    }
                };
                vec![self.emit(op, span)]
            }
            ExprKind::CallBuiltin(id, args) if args.len() == 1 && *id == B::Not as u16 => {
                let r = self.operand(&args[0], &[])?;
                vec![self.emit(Op::JmpIfTrue { src: r, off: 0 }, span)]
            }
            ExprKind::Const(Const::Bool(true)) => vec![],
            _ => {
                let r = self.operand(c, &[])?;
                vec![self.emit(Op::JmpIfFalse { src: r, off: 0 }, span)]
            }
        };
        self.free_to(mark);
        Ok(jumps)
    }

    fn match_expr(&mut self, s: &Expr, arms: &[(Pattern, Vec<Expr>)], dst: Reg, tail: bool, span: Span) -> GR<()> {
        let mark = self.free_reg as Reg;
        let sreg = self.alloc(s.span)?;
        self.expr(s, sreg, false)?;
        let mut ends = Vec::new();
        for (pat, body) in arms {
            let arm_mark = self.free_reg as Reg;
            let mut fails = Vec::new();
            self.pattern(pat, sreg, &mut fails)?;
            self.sequence(body, dst, tail, span)?;
            if !tail {
                ends.push(self.emit(Op::Jmp { off: 0 }, span));
            }
            self.patch_here(&fails)?;
            self.free_to(arm_mark);
        }
        self.emit(Op::NoMatch { src: sreg }, span);
        self.patch_here(&ends)?;
        self.free_to(mark);
        Ok(())
    }

    fn bind(&mut self, b: BindingId, src: Reg, span: Span) -> GR<()> {
        let r = self.alloc_binding(b, span)?;
        if self.is_cell(b) {
            self.emit(Op::NewCell { dst: r }, span);
            self.emit(Op::SetCell { cell: r, src }, span);
        } else {
            self.emit(Op::Move { dst: r, src }, span);
        }
        Ok(())
    }

    fn pattern(&mut self, p: &Pattern, s: Reg, fails: &mut Vec<usize>) -> GR<()> {
        match p {
            Pattern::Wild => {}
            Pattern::Bind(b) => self.bind(*b, s, Span::default())?,
            Pattern::Literal(c, span) => {
                let k = self.alloc(*span)?;
                self.load_const(c, k, *span)?;
                // Literal tests use `=`; a plain jump keeps the offset 32-bit.
                let t = self.alloc(*span)?;
                self.emit(Op::Eq { dst: t, a: s, b: k }, *span);
                fails.push(self.emit(Op::JmpIfFalse { src: t, off: 0 }, *span));
            }
            Pattern::List(items, rest) => {
                let mut cur = s;
                for item in items {
                    fails.push(self.emit(Op::TestCons { src: cur, off: 0 }, Span::default()));
                    let h = self.alloc(Span::default())?;
                    self.emit(Op::Head { dst: h, src: cur }, Span::default());
                    let t = self.alloc(Span::default())?;
                    self.emit(Op::Tail { dst: t, src: cur }, Span::default());
                    self.pattern(item, h, fails)?;
                    cur = t;
                }
                match rest {
                    None => fails.push(self.emit(Op::TestEmpty { src: cur, off: 0 }, Span::default())),
                    Some(b) if *b == REST_IGNORED => {}
                    Some(b) => self.bind(*b, cur, Span::default())?,
                }
            }
            Pattern::Cons(h, t) => {
                fails.push(self.emit(Op::TestCons { src: s, off: 0 }, Span::default()));
                let hr = self.alloc(Span::default())?;
                self.emit(Op::Head { dst: hr, src: s }, Span::default());
                let tr = self.alloc(Span::default())?;
                self.emit(Op::Tail { dst: tr, src: s }, Span::default());
                self.pattern(h, hr, fails)?;
                self.pattern(t, tr, fails)?;
            }
        }
        Ok(())
    }
}

type RegRegJump = fn(Reg, Reg) -> Op;
type RegImmJump = fn(Reg, i16) -> Op;

/// The fused jump-if-not forms of a comparison builtin.
fn fused_cmp(id: u16) -> Option<(RegRegJump, RegImmJump)> {
    Some(match id {
        x if x == B::Lt as u16 => (|a, b| Op::JmpIfNotLt { a, b, off: 0 }, |a, imm| Op::JmpIfNotLtI { a, imm, off: 0 }),
        x if x == B::Le as u16 => (|a, b| Op::JmpIfNotLe { a, b, off: 0 }, |a, imm| Op::JmpIfNotLeI { a, imm, off: 0 }),
        x if x == B::Gt as u16 => (|a, b| Op::JmpIfNotGt { a, b, off: 0 }, |a, imm| Op::JmpIfNotGtI { a, imm, off: 0 }),
        x if x == B::Ge as u16 => (|a, b| Op::JmpIfNotGe { a, b, off: 0 }, |a, imm| Op::JmpIfNotGeI { a, imm, off: 0 }),
        x if x == B::NumEq as u16 || x == B::NumEq2 as u16 => {
            (|a, b| Op::JmpIfNotEq { a, b, off: 0 }, |a, imm| Op::JmpIfNotEqI { a, imm, off: 0 })
        }
        x if x == B::NotEq as u16 => (|a, b| Op::JmpIfNotNe { a, b, off: 0 }, |a, imm| Op::JmpIfNotNeI { a, imm, off: 0 }),
        _ => return None,
    })
}
