//! The interpreter tier: one dispatch loop over register bytecode.
//!
//! Each call pushes a `Frame` whose registers are a window of the single VM
//! stack; ClaudeLang calls never recurse on the Rust stack, so call depth is
//! limited only by `Config::max_frames`. Tail calls reuse the caller's
//! window. Fast paths (int and float arithmetic, fused compare-and-branch)
//! are inline; everything else calls a `#[cold]` slow path. Anything that
//! can raise saves the pc first, so an error always knows its instruction.
//!
//! Calls and back-edges pass through exactly two places, `enter_frame` and
//! `backedge`: that is where hotness counters, GC safepoints and (later)
//! fuel and deadline checks and tier-up live.

use crate::builtins::{call_native, numeric, NativeCtx};
use crate::effects::EffectCtx;
use crate::error::{exn, Exn, RuntimeError, TraceFrame, MAX_TRACE_FRAMES};
use crate::function::Function;
use crate::printer;
use crate::runtime::{Frame, Runtime};
use crate::tier::{Hot, FEEDBACK_FLOAT, FEEDBACK_OTHER, MAX_NATIVE_DEPTH, STATUS_DEOPT, STATUS_ERROR, STATUS_TAIL};
use crate::value::{Closure, Gc, Value};
use claudelang_frontend::builtins::{BuiltinKind, B, BUILTINS};
use claudelang_frontend::bytecode::{Capture, Op};

/// What dispatching a call did.
enum Called {
    /// A ClaudeLang frame was pushed: continue in it.
    Pushed,
    /// A builtin ran to completion with this result.
    Value(Value),
}

#[cold]
fn not_a_function(v: Value, names: &crate::names::Names) -> Exn {
    let shown = printer::to_display(v, names).unwrap_or_else(|_| v.type_name().to_string());
    exn(format!("not a function: {shown} ({}) cannot be called", v.type_name()))
}

#[cold]
fn arity_error(f: &Function, nargs: usize) -> Exn {
    let p = &f.proto;
    let expected = if p.has_rest { format!("at least {}", p.nparams) } else { p.nparams.to_string() };
    exn(format!("wrong number of arguments: {} expects {expected}, got {nargs}", p.display_name()))
}

#[cold]
fn uninitialized(name: &str) -> Exn {
    exn(format!("{name} used before its initialization"))
}

impl Runtime {
    /// Calls `stack[slot]` with the `nargs` values above it and runs until
    /// that call returns.
    pub(crate) fn call_at(&mut self, slot: usize, nargs: usize, entry_depth: usize) -> Result<Value, RuntimeError> {
        match self.dispatch_call(slot, nargs, false) {
            Ok(Called::Value(v)) => Ok(v),
            Ok(Called::Pushed) => self.execute(entry_depth),
            Err(e) => Err(self.raise(e)),
        }
    }

    /// Pushes a frame for `closure`, whose arguments are at `slot + 1 ..`.
    /// With `replace`, the current frame is a tail caller and goes away.
    fn enter_frame(&mut self, closure: Gc<Closure>, slot: usize, nargs: usize, replace: bool) -> Result<(), Exn> {
        let fptr = closure.func;
        // SAFETY: functions live as long as the runtime.
        let f: &Function = unsafe { fptr.as_ref() };
        let p = &f.proto;
        let np = p.nparams as usize;
        let base = slot + 1;
        let mut filled = nargs;
        if (p.has_rest && nargs < np) || (!p.has_rest && nargs != np) {
            return Err(arity_error(f, nargs));
        }
        if replace {
            self.frames.pop();
        } else if self.frames.len() >= self.config.max_frames {
            return Err(self.stack_overflow());
        }
        let top = base + p.nregs as usize;
        if top > self.stack.len() {
            self.grow_stack(top)?;
        }
        if p.has_rest {
            // After growing: with no extra arguments, the rest parameter's
            // register may lie past the stack's current end.
            let rest = self.heap.list_from(&self.stack[base + np..base + nargs]);
            self.stack[base + np] = rest;
            filled = np + 1;
        }
        for v in &mut self.stack[base + filled..top] {
            *v = Value::Nil;
        }
        self.frames.push(Frame { func: fptr, closure, pc: 0, base: base as u32, entered_native: false, native: false });
        self.count_call(f);
        if self.heap.at_safepoint() {
            self.safepoint();
        }
        Ok(())
    }

    /// Every ClaudeLang call passes through here: an increment and one
    /// compare on the hot path.
    #[inline(always)]
    pub(crate) fn count_call(&mut self, f: &Function) {
        let c = f.calls.get() + 1;
        f.calls.set(c);
        if c >= f.hot_calls_at.get() {
            self.report_hot(f, Hot::Calls);
        }
    }

    /// Every loop back-edge (a `Loop` or a `TailSelf` jump) passes through
    /// here. `header` is the pc the back-edge jumps to.
    #[inline(always)]
    fn count_backedge(&mut self, f: &Function, header: usize) {
        let b = f.backedges.get() + 1;
        f.backedges.set(b);
        if b >= f.hot_loops_at.get() {
            self.report_hot(f, Hot::Loop { header: header as u32 });
        }
    }

    #[cold]
    #[inline(never)]
    fn report_hot(&mut self, f: &Function, why: Hot) {
        match self.tier.as_mut() {
            Some(t) => t.on_hot(f, why),
            None => {
                f.hot_calls_at.set(u64::MAX);
                f.hot_loops_at.set(u64::MAX);
            }
        }
    }

    #[cold]
    fn stack_overflow(&self) -> Exn {
        exn(format!("stack overflow: more than {} nested calls", self.config.max_frames))
    }

    #[cold]
    fn grow_stack(&mut self, top: usize) -> Result<(), Exn> {
        if top > self.config.max_stack_slots {
            return Err(self.stack_overflow());
        }
        let new_len = top.next_power_of_two().min(self.config.max_stack_slots.max(top));
        self.resize_stack(new_len);
        Ok(())
    }

    /// Calls the value in `stack[slot]`. Builtins run to completion here;
    /// closures get a frame.
    fn dispatch_call(&mut self, slot: usize, mut nargs: usize, tail: bool) -> Result<Called, Exn> {
        loop {
            match self.stack[slot] {
                Value::Closure(c) => {
                    self.enter_frame(c, slot, nargs, tail)?;
                    return Ok(Called::Pushed);
                }
                Value::Builtin(id) => {
                    if !self.builtin_accepts(id, nargs) {
                        return Err(self.builtin_arity_error(id, nargs));
                    }
                    if id == B::Apply as u16 {
                        nargs = self.spread_apply(slot, nargs)?;
                        continue;
                    }
                    return self.run_builtin(id, slot, nargs).map(Called::Value);
                }
                other => return Err(not_a_function(other, &self.names)),
            }
        }
    }

    /// Runs builtin or host function `id` (not `apply`) on the `nargs`
    /// arguments above `stack[slot]`, whose number it has already been
    /// checked for. For the interpreter's calls and native code's
    /// (`tier::rt_call_value`).
    ///
    /// A host function that panics raises a runtime error instead: the
    /// panic must not unwind through the runtime's frames, nor out of
    /// native code (which would abort the process).
    pub(crate) fn run_builtin(&mut self, id: u16, slot: usize, nargs: usize) -> Result<Value, Exn> {
        let args = slot + 1..slot + 1 + nargs;
        if let Some(h) = (id as usize).checked_sub(BUILTINS.len()) {
            let f = self.host_fns[h].f.clone();
            let mut ctx = NativeCtx { heap: &mut self.heap, names: &mut self.names, out: &mut *self.out };
            let args = &self.stack[args];
            return match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut ctx, args))) {
                Ok(r) => r.map_err(exn),
                Err(p) => Err(exn(format!(
                    "host function {} panicked: {}",
                    self.names.builtin(id),
                    crate::error::panic_message(&*p)
                ))),
            };
        }
        let mut ctx = NativeCtx { heap: &mut self.heap, names: &mut self.names, out: &mut *self.out };
        call_native(id, &mut ctx, &self.stack[args])
    }

    /// Whether builtin `id` takes `nargs` arguments.
    pub(crate) fn builtin_accepts(&self, id: u16, nargs: usize) -> bool {
        let (min, max) = self.builtin_arity(id);
        nargs >= min as usize && (max == claudelang_frontend::builtins::VARIADIC || nargs <= max as usize)
    }

    /// `(apply f a b ... list)`: rewrites the call in place as
    /// `(f a b ... list-elements...)`; returns the new argument count.
    fn spread_apply(&mut self, slot: usize, nargs: usize) -> Result<usize, Exn> {
        let mut spread = Vec::new();
        let mut l = self.stack[slot + nargs];
        loop {
            match l {
                Value::Cons(c) => {
                    spread.push(c.head);
                    l = c.tail;
                }
                Value::Empty => break,
                other => {
                    return Err(exn(format!(
                        "wrong type in (apply ...): the last argument must be a list, got {}",
                        other.type_name()
                    )))
                }
            }
        }
        let fixed = nargs - 2;
        let new_nargs = fixed + spread.len();
        let top = slot + 1 + new_nargs;
        if top > self.stack.len() {
            self.grow_stack(top)?;
        }
        self.stack.copy_within(slot + 1..slot + 1 + fixed + 1, slot);
        self.stack[slot + 1 + fixed..top].copy_from_slice(&spread);
        Ok(new_nargs)
    }

    /// Turns an `Exn` into a located `RuntimeError` with a stack trace.
    #[cold]
    pub(crate) fn raise(&self, e: Exn) -> RuntimeError {
        let mut err = RuntimeError::new(e.message);
        for fr in self.frames.iter().rev() {
            // SAFETY: frames point at live functions.
            let f = unsafe { fr.func.as_ref() };
            let p = &f.proto;
            let pc = (fr.pc as usize).saturating_sub(1).min(p.spans.len().saturating_sub(1));
            let span = p.spans.get(pc).copied();
            if err.span.is_none() && !p.is_builtin {
                err.span = span.map(|s| (p.source.clone(), s));
            }
            // Consecutive identical frames (deep recursion) collapse into
            // one line with a repeat count, so the 20 lines stay useful.
            if let Some(last) = err.trace.last_mut() {
                if last.func_id == f.id && last.pc == fr.pc && err.trace_omitted == 0 {
                    last.repeats += 1;
                    continue;
                }
            }
            if err.trace.len() < MAX_TRACE_FRAMES {
                let location = if p.is_builtin { None } else { span.map(|s| p.source.location(s.start)) };
                let function = if p.is_builtin { format!("{} (builtin)", p.display_name()) } else { p.display_name().to_string() };
                err.trace.push(TraceFrame { function, location, repeats: 0, func_id: f.id, pc: fr.pc });
            } else {
                err.trace_omitted += 1;
            }
        }
        err
    }

    /// Pops the running frame and delivers `v` to its caller. Returns
    /// `Some(v)` when that ends the current `execute`.
    #[inline]
    fn return_value(&mut self, v: Value, entry_depth: usize) -> Option<Value> {
        let fr = self.frames.pop().expect("return without a frame");
        if self.frames.len() == entry_depth {
            return Some(v);
        }
        self.stack[fr.base as usize - 1] = v;
        None
    }

    /// Handles native code's exit status for the top frame, which stops at
    /// `at`: counts a deopt, or raises the pending error.
    #[inline]
    fn native_exit(&mut self, status: u64, at: u32) -> Option<RuntimeError> {
        let top = self.frames.last_mut().expect("native exit without a frame");
        top.pc = at;
        // SAFETY: frames point at live functions.
        let f: &Function = unsafe { &*top.func.as_ptr() };
        if status & STATUS_DEOPT != 0 {
            // A speculation failed: the interpreter runs this instruction
            // (recording the type it really saw).
            f.deopts.set(f.deopts.get() + 1);
            if let Some(t) = self.tier.as_mut() {
                t.on_deopt(f, at);
            }
        }
        if status & STATUS_ERROR != 0 {
            let e = self.pending_error.take().unwrap_or_else(|| exn("internal error: native code failed without an error"));
            self.frames.last_mut().unwrap().pc = at + 1;
            return Some(self.raise(e));
        }
        None
    }

    /// The dispatch loop.
    fn execute(&mut self, entry_depth: usize) -> Result<Value, RuntimeError> {
        // Set when a back-edge hands a running frame to native code.
        let mut osr = false;
        // Set when the top frame must resume in the interpreter (native code
        // left it at an instruction only the interpreter runs).
        let mut interpret_once = false;
        'frame: loop {
            let fr = *self.frames.last().expect("execute without a frame");
            // SAFETY: functions live as long as the runtime; the reference
            // is not tied to `self` so the loop can keep mutating it.
            let func: &Function = unsafe { &*fr.func.as_ptr() };
            let code = func.code;
            let consts = func.consts.as_ptr();
            let fbase = fr.base as usize;
            let mut pc = fr.pc as usize;
            // Valid until the stack is resized, which only happens in
            // calls; every call path continues at 'frame to reload it.
            let base = unsafe { self.stack.as_mut_ptr().add(fbase) };

            // Tier-up point: a frame that starts or resumes running enters
            // its native code if it has some (see `tier.rs`).
            if let Some(entry) = func.native_entry().filter(|_| !interpret_once) {
                // On-stack replacement proper: a loop of an activation that
                // has only run in the interpreter so far moves to native
                // code. (Re-entries after native code left for an
                // interpreter-only instruction are not counted.)
                if osr && !fr.entered_native {
                    func.osr_entries.set(func.osr_entries.get() + 1);
                    if let Some(t) = self.tier.as_mut() {
                        t.on_osr_entry(func, pc as u32);
                    }
                }
                let depth = self.frames.len();
                let top = self.frames.last_mut().unwrap();
                top.entered_native = true;
                top.native = true;
                // Native code calls native code on the machine stack up to
                // MAX_NATIVE_DEPTH frames above this one.
                let outer_limit = self.frames.native_limit;
                self.frames.native_limit = self.frames.push_limit.min(depth + MAX_NATIVE_DEPTH);
                // SAFETY: the entry was compiled from this function's
                // bytecode and runs on this frame's registers.
                let status = unsafe { entry(self, func, base, pc as u32) };
                self.frames.native_limit = outer_limit;
                // Whatever native code left on the stack resumes in the
                // interpreter (profilers read this flag).
                let from = (depth - 1).min(self.frames.len());
                for fr in &mut self.frames[from..] {
                    fr.native = false;
                }
                let at = (status & 0xFFFF_FFFF) as u32;
                if status & STATUS_TAIL != 0 {
                    // A tail call replaced the top frame (native code ran
                    // it as far as it could): start the new function.
                    interpret_once = false;
                    osr = false;
                    continue 'frame;
                }
                if self.frames.len() != depth {
                    // Native code called native code, and a callee left to
                    // the interpreter: that callee is now the top frame.
                    // Resume it, interpreting from `at`.
                    if let Some(e) = self.native_exit(status, at) {
                        return Err(e);
                    }
                    interpret_once = true;
                    osr = false;
                    continue 'frame;
                }
                pc = at as usize;
                if let Some(e) = self.native_exit(status, at) {
                    return Err(e);
                }
            }
            interpret_once = false;
            osr = false;

            macro_rules! r {
                ($i:expr) => {
                    *base.add($i as usize)
                };
            }
            macro_rules! save_pc {
                () => {
                    self.frames.last_mut().unwrap().pc = pc as u32
                };
            }
            macro_rules! throw {
                ($e:expr) => {{
                    let e = $e;
                    save_pc!();
                    return Err(self.raise(e));
                }};
            }
            macro_rules! tri {
                ($e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(e) => throw!(e),
                    }
                };
            }
            macro_rules! safepoint {
                () => {
                    if self.heap.at_safepoint() {
                        save_pc!();
                        self.safepoint();
                    }
                };
            }
            // Type feedback: the int/int fast path records nothing (so a
            // site whose feedback is 0 has only seen ints); the float path
            // and the slow path set a bit. The native tier speculates on it.
            macro_rules! feedback {
                ($bit:expr) => {{
                    let cell = func.feedback.get_unchecked(pc - 1);
                    cell.set(cell.get() | $bit);
                }};
            }
            macro_rules! arith {
                ($dst:expr, $x:expr, $y:expr, $checked:ident, $fop:tt, $slow:path) => {{
                    let (x, y) = ($x, $y);
                    r!($dst) = match (x, y) {
                        (Value::Int(i), Value::Int(j)) => match i.$checked(j) {
                            Some(v) => Value::Int(v),
                            None => {
                                feedback!(FEEDBACK_OTHER);
                                tri!($slow(x, y))
                            }
                        },
                        (Value::Float(a), Value::Float(b)) => {
                            feedback!(FEEDBACK_FLOAT);
                            Value::Float(a $fop b)
                        }
                        _ => {
                            feedback!(FEEDBACK_OTHER);
                            tri!($slow(x, y))
                        }
                    };
                }};
            }
            macro_rules! compare {
                ($x:expr, $y:expr, $op:tt, $slow:path) => {{
                    match ($x, $y) {
                        (Value::Int(i), Value::Int(j)) => i $op j,
                        (Value::Float(a), Value::Float(b)) => {
                            feedback!(FEEDBACK_FLOAT);
                            a $op b
                        }
                        (x, y) => {
                            feedback!(FEEDBACK_OTHER);
                            tri!($slow(x, y))
                        }
                    }
                }};
            }
            macro_rules! equal {
                ($x:expr, $y:expr) => {{
                    match ($x, $y) {
                        (Value::Int(i), Value::Int(j)) => i == j,
                        (x, y) => {
                            feedback!(FEEDBACK_OTHER);
                            tri!(printer::equal(x, y))
                        }
                    }
                }};
            }
            macro_rules! jump_unless {
                ($cond:expr, $off:expr) => {
                    if !$cond {
                        pc = (pc as isize + $off as isize) as usize;
                    }
                };
            }

            unsafe {
                loop {
                    let op = *code.add(pc);
                    pc += 1;
                    match op {
                        Op::Move { dst, src } => r!(dst) = r!(src),
                        Op::LoadNil { dst } => r!(dst) = Value::Nil,
                        Op::LoadBool { dst, val } => r!(dst) = Value::Bool(val),
                        Op::LoadInt { dst, val } => r!(dst) = Value::Int(val as i64),
                        Op::LoadK { dst, k } => r!(dst) = *consts.add(k as usize),
                        Op::LoadEmpty { dst } => r!(dst) = Value::Empty,
                        Op::LoadBuiltin { dst, id } => {
                            r!(dst) = if BUILTINS[id as usize].1 == BuiltinKind::Prelude {
                                self.prelude[id as usize]
                            } else {
                                Value::Builtin(id)
                            }
                        }
                        Op::LoadUndef { dst } => r!(dst) = Value::Undef,
                        Op::CheckInit { src, name } => {
                            if let Value::Undef = r!(src) {
                                let n = self.names.symbol(sym_id(*consts.add(name as usize))).to_string();
                                throw!(uninitialized(&n));
                            }
                        }

                        Op::GetGlobal { dst, g } => {
                            let v = self.globals[g as usize];
                            if let Value::Undef = v {
                                throw!(exn(format!("undefined variable {}", self.global_table.name(g))));
                            }
                            r!(dst) = v;
                        }
                        Op::SetGlobal { g, src } => {
                            if let Value::Undef = self.globals[g as usize] {
                                throw!(exn(format!(
                                    "undefined variable {} (set! needs an existing binding; use define)",
                                    self.global_table.name(g)
                                )));
                            }
                            self.globals[g as usize] = r!(src);
                        }
                        Op::DefGlobal { g, src } => self.globals[g as usize] = r!(src),

                        Op::GetUpval { dst, u } => r!(dst) = fr.closure.upvals[u as usize],
                        Op::GetUpcell { dst, u } => {
                            let v = match fr.closure.upvals[u as usize] {
                                Value::Cell(c) => c.value.get(),
                                _ => throw!(exn("internal error: upvalue is not a cell")),
                            };
                            if let Value::Undef = v {
                                throw!(uninitialized(func.proto.cell_name(pc - 1)));
                            }
                            r!(dst) = v;
                        }
                        Op::SetUpcell { u, src } => match fr.closure.upvals[u as usize] {
                            Value::Cell(c) => c.value.set(r!(src)),
                            _ => throw!(exn("internal error: upvalue is not a cell")),
                        },
                        Op::NewCell { dst } => {
                            safepoint!();
                            r!(dst) = self.heap.alloc_cell(Value::Undef);
                        }
                        Op::GetCell { dst, cell } => {
                            let v = match r!(cell) {
                                Value::Cell(c) => c.value.get(),
                                _ => throw!(exn("internal error: register is not a cell")),
                            };
                            if let Value::Undef = v {
                                throw!(uninitialized(func.proto.cell_name(pc - 1)));
                            }
                            r!(dst) = v;
                        }
                        Op::SetCell { cell, src } => match r!(cell) {
                            Value::Cell(c) => c.value.set(r!(src)),
                            _ => throw!(exn("internal error: register is not a cell")),
                        },
                        Op::Closure { dst, proto } => {
                            safepoint!();
                            let child = func.children[proto as usize];
                            let caps = &child.as_ref().proto.captures;
                            let upvals: Box<[Value]> = caps
                                .iter()
                                .map(|c| match *c {
                                    Capture::Reg(r) => r!(r),
                                    Capture::Upval(u) => fr.closure.upvals[u as usize],
                                })
                                .collect();
                            r!(dst) = Value::Closure(self.heap.alloc_closure(child, upvals));
                        }

                        Op::Add { dst, a, b } => arith!(dst, r!(a), r!(b), checked_add, +, numeric::add),
                        Op::Sub { dst, a, b } => arith!(dst, r!(a), r!(b), checked_sub, -, numeric::sub),
                        Op::Mul { dst, a, b } => arith!(dst, r!(a), r!(b), checked_mul, *, numeric::mul),
                        Op::AddI { dst, a, imm } => arith!(dst, r!(a), Value::Int(imm as i64), checked_add, +, numeric::add),
                        Op::SubI { dst, a, imm } => arith!(dst, r!(a), Value::Int(imm as i64), checked_sub, -, numeric::sub),
                        Op::MulI { dst, a, imm } => arith!(dst, r!(a), Value::Int(imm as i64), checked_mul, *, numeric::mul),
                        Op::Div { dst, a, b } => {
                            r!(dst) = match (r!(a), r!(b)) {
                                (Value::Int(i), Value::Int(j)) if j != 0 && !(j == -1 && i == i64::MIN) => Value::Int(i / j),
                                (Value::Float(x), Value::Float(y)) => Value::Float(x / y),
                                (x, y) => tri!(numeric::div(x, y)),
                            }
                        }
                        Op::Mod { dst, a, b } => {
                            r!(dst) = match (r!(a), r!(b)) {
                                (Value::Int(i), Value::Int(j)) if j != 0 => {
                                    let m = i.wrapping_rem(j);
                                    Value::Int(if m != 0 && ((m < 0) != (j < 0)) { m + j } else { m })
                                }
                                (x, y) => tri!(numeric::modulo(x, y)),
                            }
                        }
                        Op::Rem { dst, a, b } => {
                            r!(dst) = match (r!(a), r!(b)) {
                                (Value::Int(i), Value::Int(j)) if j != 0 => Value::Int(i.wrapping_rem(j)),
                                (x, y) => tri!(numeric::rem(x, y)),
                            }
                        }
                        Op::Neg { dst, src } => {
                            r!(dst) = match r!(src) {
                                Value::Int(i) if i != i64::MIN => Value::Int(-i),
                                Value::Float(x) => Value::Float(-x),
                                x => tri!(numeric::neg(x)),
                            }
                        }
                        Op::Not { dst, src } => r!(dst) = Value::Bool(!r!(src).truthy()),

                        Op::Lt { dst, a, b } => r!(dst) = Value::Bool(compare!(r!(a), r!(b), <, numeric::lt)),
                        Op::Le { dst, a, b } => r!(dst) = Value::Bool(compare!(r!(a), r!(b), <=, numeric::le)),
                        Op::Gt { dst, a, b } => r!(dst) = Value::Bool(compare!(r!(a), r!(b), >, numeric::gt)),
                        Op::Ge { dst, a, b } => r!(dst) = Value::Bool(compare!(r!(a), r!(b), >=, numeric::ge)),
                        Op::Eq { dst, a, b } => r!(dst) = Value::Bool(equal!(r!(a), r!(b))),
                        Op::Ne { dst, a, b } => r!(dst) = Value::Bool(!equal!(r!(a), r!(b))),

                        Op::Jmp { off } => pc = (pc as isize + off as isize) as usize,
                        Op::Loop { off } => {
                            pc = (pc as isize + off as isize) as usize;
                            self.count_backedge(func, pc);
                            safepoint!();
                            if func.native_entry().is_some() {
                                save_pc!();
                                osr = true;
                                continue 'frame;
                            }
                        }
                        Op::JmpIfFalse { src, off } => jump_unless!(r!(src).truthy(), off),
                        Op::JmpIfTrue { src, off } => jump_unless!(!r!(src).truthy(), off),
                        Op::JmpIfNotLt { a, b, off } => jump_unless!(compare!(r!(a), r!(b), <, numeric::lt), off),
                        Op::JmpIfNotLe { a, b, off } => jump_unless!(compare!(r!(a), r!(b), <=, numeric::le), off),
                        Op::JmpIfNotGt { a, b, off } => jump_unless!(compare!(r!(a), r!(b), >, numeric::gt), off),
                        Op::JmpIfNotGe { a, b, off } => jump_unless!(compare!(r!(a), r!(b), >=, numeric::ge), off),
                        Op::JmpIfNotEq { a, b, off } => jump_unless!(equal!(r!(a), r!(b)), off),
                        Op::JmpIfNotNe { a, b, off } => jump_unless!(!equal!(r!(a), r!(b)), off),
                        Op::JmpIfNotLtI { a, imm, off } => {
                            jump_unless!(compare!(r!(a), Value::Int(imm as i64), <, numeric::lt), off)
                        }
                        Op::JmpIfNotLeI { a, imm, off } => {
                            jump_unless!(compare!(r!(a), Value::Int(imm as i64), <=, numeric::le), off)
                        }
                        Op::JmpIfNotGtI { a, imm, off } => {
                            jump_unless!(compare!(r!(a), Value::Int(imm as i64), >, numeric::gt), off)
                        }
                        Op::JmpIfNotGeI { a, imm, off } => {
                            jump_unless!(compare!(r!(a), Value::Int(imm as i64), >=, numeric::ge), off)
                        }
                        Op::JmpIfNotEqI { a, imm, off } => jump_unless!(equal!(r!(a), Value::Int(imm as i64)), off),
                        Op::JmpIfNotNeI { a, imm, off } => jump_unless!(!equal!(r!(a), Value::Int(imm as i64)), off),

                        Op::Call { base: b, nargs } => {
                            save_pc!();
                            // Fast path: a closure with fixed arity whose
                            // frame fits in the stack we already have.
                            if let Value::Closure(c) = r!(b) {
                                let f = &*c.func.as_ptr();
                                let slot = fbase + b as usize;
                                let top = slot + 1 + f.nregs as usize;
                                if f.fixed_arity == nargs
                                    && top <= self.stack.len()
                                    && self.frames.len() < self.config.max_frames
                                {
                                    for i in slot + 1 + nargs as usize..top {
                                        *self.stack.as_mut_ptr().add(i) = Value::Nil;
                                    }
                                    self.frames.push(Frame { func: c.func, closure: c, pc: 0, base: slot as u32 + 1, entered_native: false, native: false });
                                    self.count_call(f);
                                    if self.heap.at_safepoint() {
                                        self.safepoint();
                                    }
                                    continue 'frame;
                                }
                            }
                            let slot = fbase + b as usize;
                            if let Value::Builtin(_) = r!(b) {
                                // Native code at this site then calls
                                // builtins itself (`rt_call_value`).
                                feedback!(crate::tier::FEEDBACK_OTHER);
                            }
                            match tri!(self.dispatch_call(slot, nargs as usize, false)) {
                                Called::Pushed => {}
                                Called::Value(v) => self.stack[slot] = v,
                            }
                            continue 'frame;
                        }
                        Op::TailSelf { base: b, nargs } => {
                            if let Value::Closure(c) = r!(b) {
                                if c.ptr_eq(fr.closure) {
                                    for i in 0..nargs as usize {
                                        r!(i) = r!(b as usize + 1 + i);
                                    }
                                    pc = 0;
                                    self.count_backedge(func, 0);
                                    safepoint!();
                                    if func.native_entry().is_some() {
                                        save_pc!();
                                        osr = true;
                                        continue 'frame;
                                    }
                                    continue;
                                }
                            }
                            save_pc!();
                            if let Some(v) = tri!(self.tail_call(fbase, b as usize, nargs as usize, entry_depth)) {
                                return Ok(v);
                            }
                            continue 'frame;
                        }
                        Op::TailCall { base: b, nargs } => {
                            save_pc!();
                            if let Value::Builtin(_) = r!(b) {
                                feedback!(crate::tier::FEEDBACK_OTHER);
                            }
                            if let Some(v) = tri!(self.tail_call(fbase, b as usize, nargs as usize, entry_depth)) {
                                return Ok(v);
                            }
                            continue 'frame;
                        }
                        Op::CallBuiltin { base: b, nargs, id } => {
                            safepoint!();
                            let args = fbase + b as usize..fbase + b as usize + nargs as usize;
                            let mut ctx = NativeCtx { heap: &mut self.heap, names: &mut self.names, out: &mut *self.out };
                            let v = tri!(call_native(id, &mut ctx, &self.stack[args]));
                            r!(b) = v;
                        }
                        Op::Effect { base: b, nargs, name } => {
                            let id = sym_id(*consts.add(name as usize));
                            let Some(h) = self.effects.get(&id).cloned() else {
                                throw!(exn(format!("unknown effect {}", self.names.symbol(id))));
                            };
                            let args = fbase + b as usize..fbase + b as usize + nargs as usize;
                            let mut ctx = EffectCtx {
                                heap: &mut self.heap,
                                names: &mut self.names,
                                out: &mut *self.out,
                                state: &mut self.state,
                                rng: &mut self.rng,
                            };
                            let v = tri!(h(&mut ctx, &self.stack[args]));
                            r!(b) = v;
                        }
                        Op::Return { src } => {
                            let v = r!(src);
                            if let Some(v) = self.return_value(v, entry_depth) {
                                return Ok(v);
                            }
                            continue 'frame;
                        }

                        Op::VecRef { dst, v, i } => {
                            r!(dst) = match (r!(v), r!(i)) {
                                (Value::Vector(vec), Value::Int(k)) if (k as u64) < vec.len() as u64 => {
                                    vec.get(k as usize).unwrap_unchecked()
                                }
                                (x, y) => tri!(self.native2(B::VectorRef, &[x, y])),
                            }
                        }
                        Op::VecSet { v, i, x } => match (r!(v), r!(i)) {
                            (Value::Vector(vec), Value::Int(k)) if (k as u64) < vec.len() as u64 => {
                                vec.set(k as usize, r!(x));
                            }
                            (a, b) => {
                                tri!(self.native2(B::VectorSet, &[a, b, r!(x)]));
                            }
                        },
                        Op::Car { dst, src } => {
                            r!(dst) = match r!(src) {
                                Value::Cons(c) => c.head,
                                x => tri!(self.native2(B::Head, &[x])),
                            }
                        }
                        Op::Cdr { dst, src } => {
                            r!(dst) = match r!(src) {
                                Value::Cons(c) => c.tail,
                                x => tri!(self.native2(B::Tail, &[x])),
                            }
                        }
                        Op::Cons { dst, h, t } => {
                            safepoint!();
                            r!(dst) = match r!(t) {
                                t @ (Value::Cons(_) | Value::Empty) => self.heap.cons(r!(h), t),
                                t => tri!(self.native2(B::Cons, &[r!(h), t])),
                            }
                        }
                        Op::IsEmpty { dst, src } => {
                            r!(dst) = match r!(src) {
                                Value::Empty => Value::Bool(true),
                                Value::Cons(_) => Value::Bool(false),
                                x => tri!(self.native2(B::IsEmpty, &[x])),
                            }
                        }

                        Op::MakeList { dst, base: b, n } => {
                            safepoint!();
                            let items = fbase + b as usize..fbase + b as usize + n as usize;
                            let l = self.heap.list_from(&self.stack[items]);
                            r!(dst) = l;
                        }
                        Op::DotimesInit { count } => {
                            if !matches!(r!(count), Value::Int(_)) {
                                throw!(exn(format!(
                                    "wrong type in dotimes: the count must be an int, got {}",
                                    r!(count).type_name()
                                )));
                            }
                        }
                        Op::TestCons { src, off } => jump_unless!(matches!(r!(src), Value::Cons(_)), off),
                        Op::TestEmpty { src, off } => jump_unless!(matches!(r!(src), Value::Empty), off),
                        Op::Head { dst, src } => match r!(src) {
                            Value::Cons(c) => r!(dst) = c.head,
                            _ => throw!(exn("internal error: Head of a non-cons")),
                        },
                        Op::Tail { dst, src } => match r!(src) {
                            Value::Cons(c) => r!(dst) = c.tail,
                            _ => throw!(exn("internal error: Tail of a non-cons")),
                        },
                        Op::NoMatch { src } => {
                            let mut shown = String::new();
                            printer::write_brief(&mut shown, r!(src), Some(&self.names), printer::BRIEF_CHARS);
                            throw!(exn(format!("no match for {shown}")));
                        }
                    }
                }
            }
        }
    }

    /// A builtin's full implementation, for the slow paths of the
    /// instructions that inline its common case.
    #[cold]
    fn native2(&mut self, id: B, args: &[Value]) -> Result<Value, Exn> {
        let mut ctx = NativeCtx { heap: &mut self.heap, names: &mut self.names, out: &mut *self.out };
        call_native(id as u16, &mut ctx, args)
    }

    /// Performs a tail call from the running frame: the callee and its
    /// arguments move down into the caller's slot, and the frame is
    /// replaced. Returns `Some` if a builtin's result ended `execute`.
    fn tail_call(&mut self, fbase: usize, b: usize, nargs: usize, entry_depth: usize) -> Result<Option<Value>, Exn> {
        let slot = fbase - 1;
        self.stack.copy_within(fbase + b..fbase + b + nargs + 1, slot);
        match self.dispatch_call(slot, nargs, true)? {
            Called::Pushed => Ok(None),
            Called::Value(v) => Ok(self.return_value(v, entry_depth)),
        }
    }
}

fn sym_id(v: Value) -> u32 {
    match v {
        Value::Sym(id) => id,
        _ => unreachable!("effect and binding names are symbol constants"),
    }
}
