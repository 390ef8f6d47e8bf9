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
//!
//! A function is generated into a set of buffers taken from a pool (a
//! child is generated while its parent is half done, so each nesting level
//! has its own), and only the finished `Proto` gets vectors of its own,
//! each allocated at its exact size. Jumps waiting for a target sit on a stack in the same buffers:
//! each construct notes the stack height, pushes its jumps and patches
//! them, and whatever it calls in between leaves the stack as it found it.

use super::ir::*;
use super::sema::{R, REST_IGNORED};
use crate::ast::{Program, Sexp, SexpKind};
use crate::builtins::{BuiltinKind, BUILTINS, B};
use crate::bytecode::{Capture, Const, KIdx, Op, Proto, Reg};
use crate::diag::Diagnostic;
use crate::source::{SourceFile, Span};
use std::sync::Arc;

const MAX_REGS: u32 = 65_000;

pub(crate) enum GenErr {
    /// A fused jump's offset overflowed i16: regenerate without fusing.
    TooFar,
    /// Boxed, like sema's errors, to keep results small.
    Diag(Box<Diagnostic>),
}

impl From<Box<Diagnostic>> for GenErr {
    fn from(d: Box<Diagnostic>) -> Self {
        GenErr::Diag(d)
    }
}

/// A compile error as a `GenErr`.
#[cold]
fn fail(msg: &str, span: Span) -> GenErr {
    GenErr::Diag(Box::new(Diagnostic::new(msg, span)))
}

type GR<T> = Result<T, GenErr>;

pub(crate) struct Ctx<'a> {
    pub ir: &'a Ir,
    pub prog: &'a Program<'a>,
    pub source: &'a Arc<SourceFile>,
    pub is_builtin: bool,
}

/// Code generation's working memory, kept between units.
#[derive(Default)]
pub(crate) struct GenScratch {
    /// The register of each binding of the unit. A binding belongs to one
    /// function, so one vector serves every function of the unit.
    regs: Vec<Reg>,
    /// Buffers not in use, all cleared. Boxed so that taking one out and
    /// putting it back moves a pointer, not eight vectors.
    #[allow(clippy::vec_box)]
    pool: Vec<Box<FnBuffers>>,
}

/// What a function is generated into before its `Proto` is built.
#[derive(Default)]
struct FnBuffers {
    code: Vec<Op>,
    spans: Vec<Span>,
    consts: Vec<Const>,
    children: Vec<Arc<Proto>>,
    cell_reads: Vec<(u32, Box<str>)>,
    /// Per register: does it currently hold a binding (vs a temporary)?
    is_binding: Vec<bool>,
    /// Jumps waiting for their target (see the module docs).
    jumps: Vec<usize>,
    /// The capture list of the closure being created.
    captures: Vec<Capture>,
}

impl FnBuffers {
    fn clear(&mut self) {
        self.code.clear();
        self.spans.clear();
        self.consts.clear();
        self.children.clear();
        self.cell_reads.clear();
        self.is_binding.clear();
        self.jumps.clear();
        self.captures.clear();
    }
}

struct FnGen<'c, 'a> {
    ctx: &'c Ctx<'a>,
    ir: &'a Ir,
    shared: &'c mut GenScratch,
    buf: &'c mut FnBuffers,
    id: FuncId,
    free: &'a [BindingId],
    free_reg: u32,
    max_reg: u32,
    self_ref: Option<SelfRef>,
    nparams: usize,
    has_rest: bool,
    allow_fused: bool,
}

/// Generates the unit's top-level function (and, inside it, the rest).
pub(crate) fn gen_unit(ctx: &Ctx, scratch: &mut GenScratch, top: &Lambda) -> R<Arc<Proto>> {
    scratch.regs.clear();
    scratch.regs.resize(ctx.ir.bindings.len(), 0);
    gen_function(ctx, scratch, top, &[])
}

/// Generates the prototype of a lambda (or of the top level).
fn gen_function(ctx: &Ctx, scratch: &mut GenScratch, lam: &Lambda, captures: &[Capture]) -> R<Arc<Proto>> {
    let mut buf = scratch.pool.pop().unwrap_or_default();
    let mut result = try_gen(ctx, scratch, &mut buf, lam, true);
    if let Err(GenErr::TooFar) = result {
        buf.clear();
        result = try_gen(ctx, scratch, &mut buf, lam, false);
    }
    let result = match result {
        Ok(nregs) => Ok(finish(ctx, lam, &mut buf, nregs, captures)),
        Err(GenErr::Diag(d)) => Err(d),
        Err(GenErr::TooFar) => Err(Box::new(Diagnostic::new("function too large to compile", lam.span))),
    };
    buf.clear();
    scratch.pool.push(buf);
    result
}

fn try_gen(ctx: &Ctx, shared: &mut GenScratch, buf: &mut FnBuffers, lam: &Lambda, allow_fused: bool) -> GR<u32> {
    let mut g = FnGen {
        ctx,
        ir: ctx.ir,
        shared,
        buf,
        id: lam.id,
        free: ctx.ir.free_of(lam),
        free_reg: 0,
        max_reg: 0,
        self_ref: lam.self_binding,
        nparams: lam.params.len as usize,
        has_rest: lam.rest.is_some(),
        allow_fused,
    };
    for p in lam.params.iter().chain(lam.rest) {
        g.alloc_binding(p, lam.span)?;
    }
    // A captured-and-assigned parameter moves into a cell on entry.
    for p in lam.params.iter().chain(lam.rest) {
        if g.is_cell(p) {
            let r = g.reg(p);
            let t = g.alloc(lam.span)?;
            g.emit(Op::NewCell { dst: t }, lam.span);
            g.emit(Op::SetCell { cell: t, src: r }, lam.span);
            g.emit(Op::Move { dst: r, src: t }, lam.span);
            g.free_to(t);
        }
    }
    let dst = g.alloc(lam.span)?;
    g.sequence(ctx.ir.list(lam.body), dst, true, lam.span)?;
    Ok(g.max_reg)
}

/// The contents of `v` in a vector of their own, of exactly their size;
/// `v` is left empty but keeps its buffer for the next function.
fn take_exact<T>(v: &mut Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(v.len());
    out.append(v);
    out
}

/// Builds the `Proto` from a successful attempt, moving what it generated
/// into vectors of their own.
fn finish(ctx: &Ctx, lam: &Lambda, buf: &mut FnBuffers, nregs: u32, captures: &[Capture]) -> Arc<Proto> {
    let name = match lam.name {
        LambdaName::Toplevel => Some("<toplevel>".into()),
        LambdaName::Named(at) => Some(ctx.prog.span_text(at).into()),
        LambdaName::Anonymous => None,
    };
    Arc::new(Proto {
        name,
        nparams: lam.params.len as u16,
        has_rest: lam.rest.is_some(),
        nregs: nregs as u16,
        code: buf.code.as_slice().to_vec(),
        spans: buf.spans.as_slice().to_vec(),
        consts: take_exact(&mut buf.consts),
        children: take_exact(&mut buf.children),
        cell_reads: take_exact(&mut buf.cell_reads),
        captures: if captures.is_empty() { Vec::new() } else { captures.to_vec() },
        span: lam.span,
        source: ctx.source.clone(),
        is_builtin: ctx.is_builtin,
    })
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
        ExprKind::Const(Lit::Int(i)) => i16::try_from(i).ok(),
        _ => None,
    }
}

/// A string literal or quoted datum as a constant; inside a quote, `[..]`
/// is a list too.
fn datum(prog: &Program, d: &Sexp) -> Const {
    match d.kind {
        SexpKind::Int(i) => Const::Int(i),
        SexpKind::Float(x) => Const::Float(x),
        SexpKind::Str(_) => Const::Str(prog.str(d).unwrap_or_default().into()),
        SexpKind::Bool(b) => Const::Bool(b),
        SexpKind::Nil => Const::Nil,
        SexpKind::Sym => Const::Sym(prog.span_text(d.span).into()),
        SexpKind::List(items) | SexpKind::Bracket(items) => {
            Const::List(prog.items(items).iter().map(|i| datum(prog, i)).collect())
        }
        SexpKind::Quote(inner) => {
            Const::List(vec![Const::Sym("quote".into()), datum(prog, &prog.nodes[inner as usize])])
        }
    }
}

/// Does evaluating `e` assign binding `b` directly (not through a closure)?
fn assigns(ir: &Ir, e: &Expr, b: BindingId) -> bool {
    let one = |x: ExprId| assigns(ir, ir.expr(x), b);
    let any = |xs: ExprList| ir.list(xs).iter().any(|x| assigns(ir, x, b));
    match e.kind {
        ExprKind::SetLocal(t, v) => t == b || one(v),
        ExprKind::SetGlobal(_, v) | ExprKind::DefGlobal(_, v) | ExprKind::Init(_, v) => one(v),
        ExprKind::If(c, t, f) => one(c) || one(t) || f.is_some_and(one),
        ExprKind::And(xs) | ExprKind::Or(xs) | ExprKind::Begin(xs) | ExprKind::List(xs) => any(xs),
        ExprKind::CallBuiltin(_, xs) | ExprKind::Effect(_, xs) => any(xs),
        ExprKind::Call(f, xs) => one(f) || any(xs),
        ExprKind::While(c, body) => one(c) || any(body),
        ExprKind::Dotimes { count, body, .. } => one(count) || any(body),
        ExprKind::Match(s, arms) => one(s) || ir.arms(arms).iter().any(|a| any(a.body)),
        ExprKind::Scope { items, .. } => any(items),
        ExprKind::Const(_) | ExprKind::Empty | ExprKind::Local { .. } | ExprKind::Global { .. } => false,
        ExprKind::Builtin(_) | ExprKind::Lambda(_) => false,
    }
}

impl<'a> FnGen<'_, 'a> {
    fn emit(&mut self, op: Op, span: Span) -> usize {
        self.buf.code.push(op);
        self.buf.spans.push(span);
        self.buf.code.len() - 1
    }

    fn alloc(&mut self, span: Span) -> GR<Reg> {
        let r = self.free_reg;
        self.free_reg += 1;
        if self.free_reg > MAX_REGS {
            return Err(fail("function too large: it needs more than 65000 registers", span));
        }
        self.max_reg = self.max_reg.max(self.free_reg);
        let is_binding = &mut self.buf.is_binding;
        if is_binding.len() <= r as usize {
            is_binding.resize(r as usize + 1, false);
        }
        is_binding[r as usize] = false;
        Ok(r as Reg)
    }

    fn alloc_binding(&mut self, b: BindingId, span: Span) -> GR<Reg> {
        let r = self.alloc(span)?;
        self.buf.is_binding[r as usize] = true;
        self.shared.regs[b as usize] = r;
        Ok(r)
    }

    /// The register of a binding of this function.
    fn reg(&self, b: BindingId) -> Reg {
        self.shared.regs[b as usize]
    }

    fn free_to(&mut self, r: Reg) {
        self.free_reg = r as u32;
    }

    fn konst(&mut self, c: Const, span: Span) -> GR<KIdx> {
        if let Some(i) = self.buf.consts.iter().position(|k| same_const(k, &c)) {
            return Ok(i as KIdx);
        }
        if self.buf.consts.len() >= u16::MAX as usize {
            return Err(fail("function too large: more than 65535 constants", span));
        }
        self.buf.consts.push(c);
        Ok((self.buf.consts.len() - 1) as KIdx)
    }

    fn binding(&self, b: BindingId) -> &'a Binding {
        &self.ir.bindings[b as usize]
    }

    /// The name of a binding, as a symbol constant.
    fn name_const(&self, b: BindingId) -> Const {
        Const::Sym(self.name_text(b).into())
    }

    fn name_text(&self, b: BindingId) -> &'a str {
        self.ctx.prog.span_text(self.binding(b).name)
    }

    fn is_cell(&self, b: BindingId) -> bool {
        self.binding(b).is_cell()
    }

    fn owns(&self, b: BindingId) -> bool {
        self.binding(b).func == self.id
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
        match &mut self.buf.code[at] {
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

    /// Patches the jump at `at` to land on the next instruction.
    fn patch_here(&mut self, at: usize) -> GR<()> {
        self.patch(at, self.buf.code.len())
    }

    /// Patches every jump on the stack from `base` up to land on the next
    /// instruction, and pops them.
    fn patch_jumps_here(&mut self, base: usize) -> GR<()> {
        let here = self.buf.code.len();
        for i in base..self.buf.jumps.len() {
            self.patch(self.buf.jumps[i], here)?;
        }
        self.buf.jumps.truncate(base);
        Ok(())
    }

    fn emit_loop(&mut self, top: usize, span: Span) {
        let off = top as i64 - (self.buf.code.len() as i64 + 1);
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
        let ir = self.ir;
        let mark = self.free_reg as Reg;
        match e.kind {
            ExprKind::Const(_) | ExprKind::Empty | ExprKind::Local { checked: false, .. } => return Ok(()),
            ExprKind::SetLocal(b, v) => return self.set_local(b, ir.expr(v), e.span),
            ExprKind::SetGlobal(g, v) | ExprKind::DefGlobal(g, v) => {
                let r = self.operand(ir.expr(v), &[])?;
                let op = if matches!(e.kind, ExprKind::SetGlobal(..)) {
                    Op::SetGlobal { g, src: r }
                } else {
                    Op::DefGlobal { g, src: r }
                };
                self.emit(op, e.span);
                self.free_to(mark);
                return Ok(());
            }
            ExprKind::CallBuiltin(id, args) if id == B::VectorSet as u16 && args.len == 3 => {
                let args = ir.list(args);
                let v = self.operand(&args[0], &args[1..])?;
                let i = self.operand(&args[1], &args[2..])?;
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
    fn operand(&mut self, e: &Expr, later: &[Expr]) -> GR<Reg> {
        if let ExprKind::Local { b, checked } = e.kind {
            if self.owns(b)
                && !self.is_cell(b)
                && !(self.binding(b).assigned && later.iter().any(|l| assigns(self.ir, l, b)))
            {
                let r = self.reg(b);
                if checked {
                    let k = self.konst(self.name_const(b), e.span)?;
                    self.emit(Op::CheckInit { src: r, name: k }, e.span);
                }
                return Ok(r);
            }
        }
        let t = self.alloc(e.span)?;
        self.expr(e, t, false)?;
        Ok(t)
    }

    fn load_lit(&mut self, lit: Lit, dst: Reg, span: Span) -> GR<()> {
        // The same choice of instruction as `load_const`, without building
        // a constant for the common cases.
        let c = match lit {
            Lit::Int(i) if i32::try_from(i).is_ok() => {
                self.emit(Op::LoadInt { dst, val: i as i32 }, span);
                return Ok(());
            }
            Lit::Bool(val) => {
                self.emit(Op::LoadBool { dst, val }, span);
                return Ok(());
            }
            Lit::Nil => {
                self.emit(Op::LoadNil { dst }, span);
                return Ok(());
            }
            Lit::Int(i) => Const::Int(i),
            Lit::Float(x) => Const::Float(x),
            Lit::Node(n) => datum(self.ctx.prog, &self.ir.lit_nodes[n as usize]),
        };
        self.load_const(c, dst, span)
    }

    fn load_const(&mut self, c: Const, dst: Reg, span: Span) -> GR<()> {
        let op = match c {
            Const::Nil => Op::LoadNil { dst },
            Const::Bool(val) => Op::LoadBool { dst, val },
            Const::Int(i) if i32::try_from(i).is_ok() => Op::LoadInt { dst, val: i as i32 },
            Const::List(ref items) if items.is_empty() => Op::LoadEmpty { dst },
            c => Op::LoadK { dst, k: self.konst(c, span)? },
        };
        self.emit(op, span);
        Ok(())
    }

    fn expr(&mut self, e: &Expr, dst: Reg, tail: bool) -> GR<()> {
        let ir = self.ir;
        let span = e.span;
        match e.kind {
            ExprKind::Const(lit) => self.load_lit(lit, dst, span)?,
            ExprKind::Empty => {
                self.emit(Op::LoadEmpty { dst }, span);
            }
            ExprKind::Local { b, checked: false } if tail && self.owns(b) && !self.is_cell(b) => {
                let r = self.reg(b);
                self.emit(Op::Return { src: r }, span);
                return Ok(());
            }
            ExprKind::Local { b, checked } => self.read_local(b, checked, dst, span)?,
            ExprKind::Global { g } => {
                self.emit(Op::GetGlobal { dst, g }, span);
            }
            ExprKind::Builtin(id) => {
                self.emit(Op::LoadBuiltin { dst, id }, span);
            }
            ExprKind::SetLocal(b, v) => {
                self.set_local(b, ir.expr(v), span)?;
                self.emit(Op::LoadNil { dst }, span);
            }
            ExprKind::SetGlobal(g, v) => {
                let mark = self.free_reg as Reg;
                let r = self.operand(ir.expr(v), &[])?;
                self.emit(Op::SetGlobal { g, src: r }, span);
                self.free_to(mark);
                self.emit(Op::LoadNil { dst }, span);
            }
            ExprKind::DefGlobal(g, v) => {
                let mark = self.free_reg as Reg;
                let r = self.operand(ir.expr(v), &[])?;
                self.emit(Op::DefGlobal { g, src: r }, span);
                self.free_to(mark);
                self.emit(Op::LoadNil { dst }, span);
            }
            ExprKind::If(c, t, f) => {
                let base = self.buf.jumps.len();
                self.cond_jump(ir.expr(c))?;
                self.expr(ir.expr(t), dst, tail)?;
                let end = if tail { None } else { Some(self.emit(Op::Jmp { off: 0 }, span)) };
                self.patch_jumps_here(base)?;
                match f {
                    Some(f) => self.expr(ir.expr(f), dst, tail)?,
                    None => {
                        self.emit(Op::LoadNil { dst }, span);
                        self.ret(dst, tail, span);
                    }
                }
                if let Some(end) = end {
                    self.patch_here(end)?;
                }
                return Ok(());
            }
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let Some((last, init)) = ir.list(xs).split_last() else {
                    self.emit(Op::LoadBool { dst, val: is_and }, span);
                    self.ret(dst, tail, span);
                    return Ok(());
                };
                let base = self.buf.jumps.len();
                for x in init {
                    self.expr(x, dst, false)?;
                    let j = if is_and { Op::JmpIfFalse { src: dst, off: 0 } } else { Op::JmpIfTrue { src: dst, off: 0 } };
                    let at = self.emit(j, x.span);
                    self.buf.jumps.push(at);
                }
                self.expr(last, dst, tail)?;
                self.patch_jumps_here(base)?;
                if tail && !init.is_empty() {
                    self.emit(Op::Return { src: dst }, span);
                }
                return Ok(());
            }
            ExprKind::Begin(xs) => return self.sequence(ir.list(xs), dst, tail, span),
            ExprKind::Scope { bindings, items } => return self.scope(bindings, ir.list(items), dst, tail, span),
            ExprKind::Init(..) => unreachable!("an Init outside a Scope"),
            ExprKind::Lambda(l) => {
                let lam = &ir.lambdas[l as usize];
                self.buf.captures.clear();
                for &b in ir.free_of(lam) {
                    let c = if self.owns(b) { Capture::Reg(self.reg(b)) } else { Capture::Upval(self.upval(b)) };
                    self.buf.captures.push(c);
                }
                let child = gen_function(self.ctx, self.shared, lam, &self.buf.captures)?;
                if self.buf.children.len() >= u16::MAX as usize {
                    return Err(fail("function too large: too many nested lambdas", span));
                }
                self.buf.children.push(child);
                self.emit(Op::Closure { dst, proto: (self.buf.children.len() - 1) as u16 }, span);
            }
            ExprKind::While(c, body) => {
                let top = self.buf.code.len();
                let base = self.buf.jumps.len();
                self.cond_jump(ir.expr(c))?;
                for x in ir.list(body) {
                    self.discard(x)?;
                }
                self.emit_loop(top, span);
                self.patch_jumps_here(base)?;
                self.emit(Op::LoadNil { dst }, span);
            }
            ExprKind::Dotimes { var, count, body } => self.dotimes(var, ir.expr(count), ir.list(body), dst, span)?,
            ExprKind::Call(f, args) => return self.call(ir.expr(f), ir.list(args), dst, tail, span),
            ExprKind::CallBuiltin(id, args) => return self.call_builtin(id, ir.list(args), dst, tail, span),
            ExprKind::Effect(name, args) => {
                let args = ir.list(args);
                if args.len() > u8::MAX as usize {
                    return Err(fail("too many arguments to an effect (at most 255)", span));
                }
                let mark = self.free_reg as Reg;
                let base = self.args_at_top(args)?;
                let k = self.konst(Const::Sym(self.ctx.prog.span_text(name).into()), span)?;
                self.emit(Op::Effect { base, nargs: args.len() as u8, name: k }, span);
                if base != dst {
                    self.emit(Op::Move { dst, src: base }, span);
                }
                self.free_to(mark);
            }
            ExprKind::List(items) => {
                let items = ir.list(items);
                if items.len() > u16::MAX as usize {
                    return Err(fail("list literal too long (at most 65535 elements)", span));
                }
                let mark = self.free_reg as Reg;
                let base = self.args_at_top(items)?;
                self.emit(Op::MakeList { dst, base, n: items.len() as u16 }, span);
                self.free_to(mark);
            }
            ExprKind::Match(s, arms) => return self.match_expr(ir.expr(s), ir.arms(arms), dst, tail, span),
        }
        self.ret(dst, tail, span);
        Ok(())
    }

    fn read_local(&mut self, b: BindingId, checked: bool, dst: Reg, span: Span) -> GR<()> {
        if self.owns(b) {
            let r = self.reg(b);
            if self.is_cell(b) {
                let pc = self.emit(Op::GetCell { dst, cell: r }, span);
                self.buf.cell_reads.push((pc as u32, self.name_text(b).into()));
            } else {
                if checked {
                    let k = self.konst(self.name_const(b), span)?;
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
                self.buf.cell_reads.push((pc as u32, self.name_text(b).into()));
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
            let r = self.reg(b);
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

    fn scope(&mut self, bindings: BindingRange, items: &[Expr], dst: Reg, tail: bool, span: Span) -> GR<()> {
        let mark = self.free_reg as Reg;
        for b in bindings.iter() {
            let r = self.alloc_binding(b, span)?;
            if self.is_cell(b) {
                self.emit(Op::NewCell { dst: r }, span);
            } else if self.binding(b).read_early {
                self.emit(Op::LoadUndef { dst: r }, span);
            }
        }
        let n = items.len();
        for (i, item) in items.iter().enumerate() {
            let last = i + 1 == n;
            match item.kind {
                ExprKind::Init(b, v) => {
                    let v = self.ir.expr(v);
                    let r = self.reg(b);
                    if self.is_cell(b) {
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
                _ if last => self.expr(item, dst, tail)?,
                _ => self.discard(item)?,
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
        let top = self.buf.code.len();
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
        self.patch_here(exit)?;
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
        let me = match (f.kind, self.self_ref) {
            (ExprKind::Global { g }, Some(SelfRef::Global(s))) => g == s,
            (ExprKind::Local { b, .. }, Some(SelfRef::Local(s))) => b == s,
            _ => false,
        };
        me && nargs == self.nparams && !self.has_rest
    }

    fn call(&mut self, f: &Expr, args: &[Expr], dst: Reg, tail: bool, span: Span) -> GR<()> {
        if args.len() > u16::MAX as usize - 1 {
            return Err(fail("too many arguments in one call", span));
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
        self.buf.is_binding.get(r as usize).copied().unwrap_or(false)
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
        let bin = |a: Reg, b: Reg, dst: Reg| binary_op(id, n, dst, a, b);
        let is_arith = [B::Add, B::Sub, B::Mul, B::Div].iter().any(|b| *b as u16 == id);
        if n == 2 && bin(0, 0, 0).is_some() {
            let a = self.operand(&args[0], &args[1..])?;
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
            let rest = &args[1..];
            let a = self.operand(&args[0], rest)?;
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
        let a = self.operand(&args[0], &args[1..])?;
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

    /// Emits a test of `c` that jumps when it is false, and pushes those
    /// jumps on the jump stack for the caller to patch to the false
    /// target. Comparisons fuse into one instruction.
    fn cond_jump(&mut self, c: &Expr) -> GR<()> {
        let ir = self.ir;
        let mark = self.free_reg as Reg;
        let span = c.span;
        let jump = match c.kind {
            ExprKind::And(xs) if xs.len > 0 => {
                for x in ir.list(xs) {
                    self.cond_jump(x)?;
                }
                None
            }
            ExprKind::CallBuiltin(id, args) if args.len == 2 && self.allow_fused && fused_cmp(id).is_some() => {
                let args = ir.list(args);
                let (rr, ri) = fused_cmp(id).unwrap();
                let a = self.operand(&args[0], &args[1..])?;
                let op = match small_int(&args[1]) {
                    Some(imm) => ri(a, imm),
                    None => {
                        let b = self.operand(&args[1], &[])?;
                        rr(a, b)
                    }
                };
                Some(self.emit(op, span))
            }
            ExprKind::CallBuiltin(id, args) if args.len == 1 && id == B::Not as u16 => {
                let r = self.operand(&ir.list(args)[0], &[])?;
                Some(self.emit(Op::JmpIfTrue { src: r, off: 0 }, span))
            }
            ExprKind::Const(Lit::Bool(true)) => None,
            _ => {
                let r = self.operand(c, &[])?;
                Some(self.emit(Op::JmpIfFalse { src: r, off: 0 }, span))
            }
        };
        self.buf.jumps.extend(jump);
        self.free_to(mark);
        Ok(())
    }

    fn match_expr(&mut self, s: &Expr, arms: &[Arm], dst: Reg, tail: bool, span: Span) -> GR<()> {
        let ir = self.ir;
        let mark = self.free_reg as Reg;
        let sreg = self.alloc(s.span)?;
        self.expr(s, sreg, false)?;
        // The arms' exit jumps collect on the jump stack from `ends`; each
        // arm's failure jumps go above them and are patched (and popped)
        // before its exit jump is pushed.
        let ends = self.buf.jumps.len();
        for arm in arms {
            let arm_mark = self.free_reg as Reg;
            let fails = self.buf.jumps.len();
            self.pattern(ir.pattern(arm.pat), sreg)?;
            self.sequence(ir.list(arm.body), dst, tail, span)?;
            let end = if tail { None } else { Some(self.emit(Op::Jmp { off: 0 }, span)) };
            self.patch_jumps_here(fails)?;
            self.buf.jumps.extend(end);
            self.free_to(arm_mark);
        }
        self.emit(Op::NoMatch { src: sreg }, span);
        self.patch_jumps_here(ends)?;
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

    /// Emits the test of pattern `p` against register `s`, pushing the
    /// jumps taken on failure on the jump stack.
    fn pattern(&mut self, p: &Pattern, s: Reg) -> GR<()> {
        let ir = self.ir;
        match *p {
            Pattern::Wild => {}
            Pattern::Bind(b) => self.bind(b, s, Span::default())?,
            Pattern::Literal(lit, span) => {
                let k = self.alloc(span)?;
                self.load_lit(lit, k, span)?;
                // Literal tests use `=`; a plain jump keeps the offset 32-bit.
                let t = self.alloc(span)?;
                self.emit(Op::Eq { dst: t, a: s, b: k }, span);
                let at = self.emit(Op::JmpIfFalse { src: t, off: 0 }, span);
                self.buf.jumps.push(at);
            }
            Pattern::List(items, rest) => {
                let mut cur = s;
                for item in ir.pats(items) {
                    let at = self.emit(Op::TestCons { src: cur, off: 0 }, Span::default());
                    self.buf.jumps.push(at);
                    let h = self.alloc(Span::default())?;
                    self.emit(Op::Head { dst: h, src: cur }, Span::default());
                    let t = self.alloc(Span::default())?;
                    self.emit(Op::Tail { dst: t, src: cur }, Span::default());
                    self.pattern(item, h)?;
                    cur = t;
                }
                match rest {
                    None => {
                        let at = self.emit(Op::TestEmpty { src: cur, off: 0 }, Span::default());
                        self.buf.jumps.push(at);
                    }
                    Some(b) if b == REST_IGNORED => {}
                    Some(b) => self.bind(b, cur, Span::default())?,
                }
            }
            Pattern::Cons(h, t) => {
                let at = self.emit(Op::TestCons { src: s, off: 0 }, Span::default());
                self.buf.jumps.push(at);
                let hr = self.alloc(Span::default())?;
                self.emit(Op::Head { dst: hr, src: s }, Span::default());
                let tr = self.alloc(Span::default())?;
                self.emit(Op::Tail { dst: tr, src: s }, Span::default());
                self.pattern(ir.pattern(h), hr)?;
                self.pattern(ir.pattern(t), tr)?;
            }
        }
        Ok(())
    }
}

/// The three-register instruction of builtin `id` called with `n`
/// arguments, if it has one (comparisons only for exactly two).
#[inline]
fn binary_op(id: u16, n: usize, dst: Reg, a: Reg, b: Reg) -> Option<Op> {
    const ADD: u16 = B::Add as u16;
    const SUB: u16 = B::Sub as u16;
    const MUL: u16 = B::Mul as u16;
    const DIV: u16 = B::Div as u16;
    const MOD: u16 = B::Mod as u16;
    const REM: u16 = B::Rem as u16;
    const LT: u16 = B::Lt as u16;
    const LE: u16 = B::Le as u16;
    const GT: u16 = B::Gt as u16;
    const GE: u16 = B::Ge as u16;
    const NUM_EQ: u16 = B::NumEq as u16;
    const NUM_EQ2: u16 = B::NumEq2 as u16;
    const NOT_EQ: u16 = B::NotEq as u16;
    Some(match id {
        ADD => Op::Add { dst, a, b },
        SUB => Op::Sub { dst, a, b },
        MUL => Op::Mul { dst, a, b },
        DIV => Op::Div { dst, a, b },
        MOD => Op::Mod { dst, a, b },
        REM => Op::Rem { dst, a, b },
        LT if n == 2 => Op::Lt { dst, a, b },
        LE if n == 2 => Op::Le { dst, a, b },
        GT if n == 2 => Op::Gt { dst, a, b },
        GE if n == 2 => Op::Ge { dst, a, b },
        NUM_EQ | NUM_EQ2 if n == 2 => Op::Eq { dst, a, b },
        NOT_EQ => Op::Ne { dst, a, b },
        _ => return None,
    })
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
