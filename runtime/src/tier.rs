//! The contract between the interpreter and native tiers.
//!
//! A compiled function runs on the interpreter's own frame: its registers
//! are the same `Value` slots of the VM stack, so entering native code at
//! any instruction — function entry, a loop header (on-stack replacement),
//! the instruction after a call — needs no frame conversion, and leaving it
//! needs none either. Native code handles the common cases inline, calls
//! and returns between compiled functions included (it pushes and pops
//! frames itself, at the offsets below), and returns to the interpreter
//! for everything rare, with a status word:
//!
//! * `EXEC | pc`: interpret from `pc` (the instruction there was not run);
//! * `ERROR | pc`: the instruction at `pc` raised `Runtime::pending_error`;
//! * `DEOPT | pc`: a type guard failed at `pc`: interpret from there;
//! * `TAIL`: a tail call replaced the frame: run the new top frame.
//!
//! The interpreter re-enters native code at its two tier-up points: when a
//! frame (re)starts running — after a call pushes it or a callee returns to
//! it — and at loop back-edges. This is the only mechanism: OSR, resuming
//! after calls and deoptimizing are all "leave at pc, re-enter later".
//!
//! The helpers below are what compiled code calls for slow paths. They
//! take raw pointers because they are called from generated code; each
//! documents what it requires.

use crate::builtins::{call_native, numeric, NativeCtx};
use crate::error::Exn;
use crate::function::Function;
use crate::printer;
use crate::runtime::Runtime;
use crate::value::Value;
use claudelang_frontend::bytecode::Capture;

/// The entry point of a compiled function.
pub type NativeEntry = unsafe extern "C" fn(rt: *mut Runtime, func: *const Function, base: *mut Value, pc: u32) -> u64;

/// Status word high half: interpret from the pc in the low half.
pub const STATUS_EXEC: u64 = 0;
/// Status word high half: `pending_error` was raised at the pc.
pub const STATUS_ERROR: u64 = 1 << 32;

/// Status word high half: a speculation failed at the pc; interpret from
/// there (a deoptimization).
pub const STATUS_DEOPT: u64 = 2 << 32;

/// Status word high half: a natively called function returned; its
/// result is in the caller's call register. Only native code sees this.
pub const STATUS_RETURNED: u64 = 3 << 32;

/// Status word high half: the running function made a tail call, which
/// replaced its frame (now at pc 0). Whoever called the native code runs
/// the new top frame: a native call site has `rt_run_tail` enter the
/// callee's code when `Runtime::tail_entry` is non-zero; the interpreter restarts the
/// frame (entering native code if it has some). Either way the machine
/// stack does not grow, so tail calls stay proper in native code.
pub const STATUS_TAIL: u64 = 4 << 32;

/// How deep native code may call native code on the machine stack before
/// calls go through the interpreter again (which then starts a new chain).
/// Bounds machine-stack use independently of the ClaudeLang frame limit.
/// Kept as a bound on the frame stack's length (`FrameStack::native_limit`,
/// set by the interpreter when it enters native code), so that the frame
/// push's one compare checks it too.
pub const MAX_NATIVE_DEPTH: usize = 512;

/// The `pc` argument with which native code (and `rt_run_tail` for it)
/// calls a function's native entry: start at pc 0, and on return hand the
/// result straight back (pop the frame, `STATUS_RETURNED`). The
/// interpreter passes plain pcs, and gets `EXEC | pc` at a `Return` so that
/// it returns itself. The high bit cannot be a real pc (functions are far
/// smaller), so native code tells the two apart with a sign test.
pub const NATIVE_CALL: u32 = 1 << 31;

/// Type feedback bits per instruction (`Function::feedback`). Zero means
/// only int operands have been seen (or the instruction never ran).
pub const FEEDBACK_FLOAT: u16 = 1;
/// Anything else: mixed or non-numeric operands, or an int overflow. On a
/// `Call`: the callee was a builtin (or host function) value, such as
/// `car` passed to `map`; zero there means no builtin was called (only
/// closures, or values that are not functions at all).
/// The same on a `TailCall`.
pub const FEEDBACK_OTHER: u16 = 2;
/// On a loop header's instruction: native code's guard at the loop entry
/// failed there (set by the native code itself). Later compiles of the
/// function enter that loop without a guard, so a loop that starts with,
/// say, a non-int accumulator it never reads before exiting does not
/// deoptimize on every entry.
pub const FEEDBACK_GUARD: u16 = 4;
/// The bits that say an instruction saw operands other than ints.
pub const FEEDBACK_TYPES: u16 = FEEDBACK_FLOAT | FEEDBACK_OTHER;

/// Why a function is hot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hot {
    /// Its call counter crossed the threshold.
    Calls,
    /// A loop back-edge counter crossed the threshold at this loop header.
    Loop { header: u32 },
}

/// What the runtime tells a tier manager. The manager decides (policy)
/// and compiles (mechanism); the runtime only counts and calls native code.
pub trait TierHooks: Send {
    /// `func` crossed a hotness threshold. The manager adjusts the
    /// function's `hot_calls_at` / `hot_loops_at` to say when to ask again.
    fn on_hot(&mut self, func: &Function, why: Hot);
    /// Native code was entered at a loop header while the frame was
    /// already running in the interpreter: on-stack replacement.
    fn on_osr_entry(&mut self, _func: &Function, _pc: u32) {}
    /// The runtime is letting go of the manager: stop publishing code.
    fn detach(&mut self) {}
    /// Native code of `func` left at `pc` because a speculation failed.
    fn on_deopt(&mut self, _func: &Function, _pc: u32) {}
    /// For reports: lets the owner reach the concrete manager.
    fn as_any(&self) -> &dyn std::any::Any;
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any;
}

/// Byte offset of the globals pointer in a `Runtime`.
pub const GLOBALS_PTR_OFFSET: i32 = std::mem::offset_of!(Runtime, globals_ptr) as i32;
/// Byte offset of the prelude table's pointer in a `Runtime`: the values
/// `LoadBuiltin` loads for prelude builtins (`map`...), by builtin id.
pub const PRELUDE_PTR_OFFSET: i32 = std::mem::offset_of!(Runtime, prelude_ptr) as i32;
/// Byte offsets of a cons cell's head and tail from its object pointer.
pub const CONS_HEAD_OFFSET: i32 =
    (std::mem::offset_of!(crate::heap::GcBox<crate::value::Cons>, value) + std::mem::offset_of!(crate::value::Cons, head)) as i32;
pub const CONS_TAIL_OFFSET: i32 =
    (std::mem::offset_of!(crate::heap::GcBox<crate::value::Cons>, value) + std::mem::offset_of!(crate::value::Cons, tail)) as i32;

/// Byte offsets of the frame stack's pointer, length and native push limit
/// in a `Runtime` (`frames.rs`).
pub const FRAMES_PTR_OFFSET: i32 =
    (std::mem::offset_of!(Runtime, frames) + std::mem::offset_of!(crate::frames::FrameStack, ptr)) as i32;
pub const FRAMES_LEN_OFFSET: i32 =
    (std::mem::offset_of!(Runtime, frames) + std::mem::offset_of!(crate::frames::FrameStack, len)) as i32;
pub const FRAMES_NATIVE_LIMIT_OFFSET: i32 =
    (std::mem::offset_of!(Runtime, frames) + std::mem::offset_of!(crate::frames::FrameStack, native_limit)) as i32;
/// Byte offset of `Runtime::stack_end`.
pub const STACK_END_OFFSET: i32 = std::mem::offset_of!(Runtime, stack_end) as i32;
/// The size of a `Frame` and the byte offsets of its fields.
pub const FRAME_SIZE: i64 = std::mem::size_of::<crate::runtime::Frame>() as i64;
pub const FRAME_FUNC_OFFSET: i32 = std::mem::offset_of!(crate::runtime::Frame, func) as i32;
pub const FRAME_CLOSURE_OFFSET: i32 = std::mem::offset_of!(crate::runtime::Frame, closure) as i32;
pub const FRAME_PC_OFFSET: i32 = std::mem::offset_of!(crate::runtime::Frame, pc) as i32;
pub const FRAME_BASE_OFFSET: i32 = std::mem::offset_of!(crate::runtime::Frame, base) as i32;
pub const FRAME_ENTERED_NATIVE_OFFSET: i32 = std::mem::offset_of!(crate::runtime::Frame, entered_native) as i32;
pub const FRAME_NATIVE_OFFSET: i32 = std::mem::offset_of!(crate::runtime::Frame, native) as i32;
/// Byte offsets of the `Function` fields native code's call path reads.
pub const FUNC_ENTRY_SLOT_OFFSET: i32 = std::mem::offset_of!(Function, entry_slot) as i32;
pub const FUNC_FIXED_ARITY_OFFSET: i32 = std::mem::offset_of!(Function, fixed_arity) as i32;
pub const FUNC_NREGS_OFFSET: i32 = std::mem::offset_of!(Function, nregs) as i32;
pub const FUNC_CALLS_OFFSET: i32 = std::mem::offset_of!(Function, calls) as i32;

/// Byte offset of `Closure::func` from a closure's object pointer.
pub const CLOSURE_FUNC_OFFSET: i32 = (std::mem::offset_of!(crate::heap::GcBox<crate::value::Closure>, value)
    + std::mem::offset_of!(crate::value::Closure, func)) as i32;

/// Byte offset of the heap's allocation counter in a `Runtime`.
pub const HEAP_BYTES_OFFSET: i32 = std::mem::offset_of!(Runtime, heap.bytes) as i32;
/// Byte offset of the pointer to the safepoint limit (`Heap::limit_ptr`):
/// the safepoint check is `heap.bytes >= *limit_ptr` (see `safepoint.rs`).
pub const SAFEPOINT_LIMIT_PTR_OFFSET: i32 = std::mem::offset_of!(Runtime, heap.limit_ptr) as i32;
/// Byte offset of `Function::backedges` (a `Cell<u64>`).
pub const FUNC_BACKEDGES_OFFSET: i32 = std::mem::offset_of!(Function, backedges) as i32;

/// Byte offsets of a vector's element pointer and length from its object
/// pointer.
pub const VECTOR_PTR_OFFSET: i32 = (std::mem::offset_of!(crate::heap::GcBox<crate::value::Vector>, value)
    + std::mem::offset_of!(crate::value::Vector, ptr)) as i32;
pub const VECTOR_LEN_OFFSET: i32 = (std::mem::offset_of!(crate::heap::GcBox<crate::value::Vector>, value)
    + std::mem::offset_of!(crate::value::Vector, len)) as i32;

/// Byte offset of `Closure::upvals_ptr` from a closure's object pointer.
pub const CLOSURE_UPVALS_OFFSET: i32 = (std::mem::offset_of!(crate::heap::GcBox<crate::value::Closure>, value)
    + std::mem::offset_of!(crate::value::Closure, upvals_ptr)) as i32;
/// Byte offset of a cell's value from its object pointer.
pub const CELL_VALUE_OFFSET: i32 = (std::mem::offset_of!(crate::heap::GcBox<crate::value::CellObj>, value)
    + std::mem::offset_of!(crate::value::CellObj, value)) as i32;

/// Binary arithmetic selectors for `rt_arith`.
pub const ARITH_ADD: u32 = 0;
pub const ARITH_SUB: u32 = 1;
pub const ARITH_MUL: u32 = 2;
pub const ARITH_DIV: u32 = 3;
pub const ARITH_MOD: u32 = 4;
pub const ARITH_REM: u32 = 5;

/// Comparison selectors for `rt_compare`.
pub const CMP_LT: u32 = 0;
pub const CMP_LE: u32 = 1;
pub const CMP_GT: u32 = 2;
pub const CMP_GE: u32 = 3;
pub const CMP_EQ: u32 = 4;
pub const CMP_NE: u32 = 5;

#[cold]
fn fail(rt: &mut Runtime, e: Exn) -> u32 {
    rt.pending_error = Some(e);
    1
}

/// `*dst = a OP b` for any operands. Returns 0, or 1 with
/// `pending_error` set.
///
/// # Safety
/// `rt` is the running runtime; `a`, `b`, `dst` point at VM registers.
pub unsafe extern "C" fn rt_arith(rt: *mut Runtime, op: u32, a: *const Value, b: *const Value, dst: *mut Value) -> u32 {
    let (x, y) = (*a, *b);
    let r = match op {
        ARITH_ADD => numeric::add(x, y),
        ARITH_SUB => numeric::sub(x, y),
        ARITH_MUL => numeric::mul(x, y),
        ARITH_DIV => numeric::div(x, y),
        ARITH_MOD => numeric::modulo(x, y),
        _ => numeric::rem(x, y),
    };
    match r {
        Ok(v) => {
            *dst = v;
            0
        }
        Err(e) => fail(&mut *rt, e),
    }
}

/// `a CMP b` for any operands: 0 false, 1 true, 2 error (pending set).
///
/// # Safety
/// As `rt_arith`.
pub unsafe extern "C" fn rt_compare(rt: *mut Runtime, op: u32, a: *const Value, b: *const Value) -> u32 {
    let (x, y) = (*a, *b);
    let r = match op {
        CMP_LT => numeric::lt(x, y),
        CMP_LE => numeric::le(x, y),
        CMP_GT => numeric::gt(x, y),
        CMP_GE => numeric::ge(x, y),
        CMP_EQ => printer::equal(x, y),
        _ => printer::equal(x, y).map(|b| !b),
    };
    match r {
        Ok(b) => b as u32,
        Err(e) => {
            fail(&mut *rt, e);
            2
        }
    }
}

/// Runs native builtin `id` on `nargs` registers at `args`, result in
/// `*args` (the call's base register). Returns 0 or 1 (error pending).
///
/// # Safety
/// `args` points at `nargs` consecutive VM registers.
pub unsafe extern "C" fn rt_call_builtin(rt: *mut Runtime, id: u32, args: *mut Value, nargs: u32) -> u32 {
    let rt = &mut *rt;
    let slice = std::slice::from_raw_parts(args, nargs as usize);
    let mut ctx = NativeCtx { heap: &mut rt.heap, names: &mut rt.names, out: &mut *rt.out };
    match call_native(id as u16, &mut ctx, slice) {
        Ok(v) => {
            *args = v;
            0
        }
        Err(e) => fail(rt, e),
    }
}

/// A call of the value in `*slot` with `nargs` arguments above it, when
/// that value is a builtin or host function (a call site whose type
/// feedback says it has called one: `(map car xs)`'s call of `f`). Runs it
/// as the interpreter does, result in `*slot`, and returns 0, or 1 with
/// `pending_error` set; returns 2 without doing anything for what it leaves
/// to the interpreter: a closure or other value, `apply`, or the wrong
/// number of arguments (the interpreter reports it).
///
/// # Safety
/// `slot` points at a register of the running frame with `nargs`
/// registers above it.
pub unsafe extern "C" fn rt_call_value(rt: *mut Runtime, slot: *mut Value, nargs: u32) -> u32 {
    let rt = &mut *rt;
    let Value::Builtin(id) = *slot else { return 2 };
    if id == claudelang_frontend::builtins::B::Apply as u16 || !rt.builtin_accepts(id, nargs as usize) {
        return 2;
    }
    let index = slot.offset_from(rt.stack.as_ptr()) as usize;
    match rt.run_builtin(id, index, nargs as usize) {
        Ok(v) => {
            rt.stack[index] = v;
            0
        }
        Err(e) => fail(rt, e),
    }
}

/// Runs builtin `id` on up to three arbitrary registers (`nargs` of
/// `a`, `b`, `c`), result in `*dst`. For the instructions that inline a
/// builtin (`VecRef`, `VecSet`, `Cons`...). Returns 0 or 1 (error pending).
///
/// # Safety
/// The first `nargs` of `a`, `b`, `c` and `dst` point at VM registers.
pub unsafe extern "C" fn rt_builtin3(
    rt: *mut Runtime,
    id: u32,
    nargs: u32,
    a: *const Value,
    b: *const Value,
    c: *const Value,
    dst: *mut Value,
) -> u32 {
    let rt = &mut *rt;
    let all = [*a, if nargs > 1 { *b } else { Value::Nil }, if nargs > 2 { *c } else { Value::Nil }];
    let mut ctx = NativeCtx { heap: &mut rt.heap, names: &mut rt.names, out: &mut *rt.out };
    match call_native(id as u16, &mut ctx, &all[..nargs as usize]) {
        Ok(v) => {
            if !dst.is_null() {
                *dst = v;
            }
            0
        }
        Err(e) => fail(rt, e),
    }
}

/// The safepoint check the interpreter makes before each allocating
/// instruction (`MakeList`, `NewCell`, `Closure`), made by the helpers
/// that run those instructions for native code: the frame's registers
/// are in their slots at a helper call (register loops write theirs back
/// first, and allocate nothing anyway), so a collection here is exact.
#[inline(always)]
fn allocation_safepoint(rt: &mut Runtime) {
    if rt.heap.at_safepoint() {
        rt.safepoint();
    }
}

/// `MakeList`: `*dst` = a list of the `n` registers at `items`. Cannot
/// fail (the interpreter raises nothing there either).
///
/// # Safety
/// `rt` is the running runtime; `items` points at `n` consecutive VM
/// registers and `dst` at a register of the running frame.
pub unsafe extern "C" fn rt_make_list(rt: *mut Runtime, items: *const Value, n: u32, dst: *mut Value) {
    let rt = &mut *rt;
    allocation_safepoint(rt);
    let l = rt.heap.list_from(std::slice::from_raw_parts(items, n as usize));
    *dst = l;
}

/// `NewCell`: `*dst` = a fresh cell holding `Undef`. Cannot fail.
///
/// # Safety
/// `rt` is the running runtime; `dst` points at a register of the
/// running frame.
pub unsafe extern "C" fn rt_new_cell(rt: *mut Runtime, dst: *mut Value) {
    let rt = &mut *rt;
    allocation_safepoint(rt);
    *dst = rt.heap.alloc_cell(Value::Undef);
}

/// `Closure`: `*dst` = a closure of child prototype `proto` of the running
/// function (the top frame's), capturing what its capture list says:
/// registers of the frame at `base`, or upvalues of the running closure —
/// exactly as the interpreter builds it. Cannot fail.
///
/// # Safety
/// `rt` is the running runtime, whose top frame is the running function's;
/// `base` is that frame's first register and `dst` one of its registers.
pub unsafe extern "C" fn rt_closure(rt: *mut Runtime, proto: u32, base: *const Value, dst: *mut Value) {
    let rt = &mut *rt;
    allocation_safepoint(rt);
    let fr = *rt.frames.last().expect("native code without a frame");
    let func: &Function = &*fr.func.as_ptr();
    let child = func.children[proto as usize];
    let caps = &child.as_ref().proto.captures;
    let upvals: Box<[Value]> = caps
        .iter()
        .map(|c| match *c {
            Capture::Reg(r) => *base.add(r as usize),
            Capture::Upval(u) => fr.closure.upvals[u as usize],
        })
        .collect();
    *dst = Value::Closure(rt.heap.alloc_closure(child, upvals));
}

/// A call from native code. If the callee (the closure in `*slot`, with
/// `nargs` arguments above it) has native code and everything a frame push
/// needs is at hand — the right number of arguments, frame and
/// native-depth limits, stack room (the stack must not move under running
/// native code) — pushes its frame as the interpreter would (collecting
/// the arguments past a rest parameter's into its list) and returns the
/// callee's entry point;
/// the caller then calls it (with `NATIVE_CALL`) on the machine stack. Otherwise
/// returns 0 and the caller leaves to the interpreter, which makes the
/// call. Unlike the interpreter's call, this leaves the callee's locals
/// (registers past its arguments) to the callee's native prologue, which
/// sets them to nil before anything can observe them.
///
/// # Safety
/// `slot` points at a register of the running frame; `caller_pc` is the
/// index of the instruction after the call.
pub unsafe extern "C" fn rt_enter(rt: *mut Runtime, slot: *mut Value, nargs: u32, caller_pc: u32) -> usize {
    let rt = &mut *rt;
    let Value::Closure(c) = *slot else { return 0 };
    let f: &Function = &*c.func.as_ptr();
    let Some(entry) = f.native_entry() else { return 0 };
    let (np, nargs) = (f.proto.nparams as usize, nargs as usize);
    let arity_ok = if f.proto.has_rest { nargs >= np } else { nargs == np };
    // `native_limit` is within the frame limit too (`FrameStack`).
    if !arity_ok || rt.frames.len() >= rt.frames.native_limit {
        return 0;
    }
    let stack = rt.stack.as_mut_ptr();
    let slot_index = slot.offset_from(stack) as usize;
    let base = slot_index + 1;
    let top = base + f.nregs as usize;
    if top > rt.stack.len() {
        return 0;
    }
    let mut filled = nargs;
    if f.proto.has_rest {
        // The interpreter's `enter_frame` does the same (its list is
        // rooted in the stack before anything can collect).
        let rest = rt.heap.list_from(&rt.stack[base + np..base + nargs]);
        rt.stack[base + np] = rest;
        filled = np + 1;
    }
    rt.frames.last_mut().expect("native call without a frame").pc = caller_pc;
    rt.frames.push(crate::runtime::Frame { func: c.func, closure: c, pc: 0, base: base as u32, entered_native: true, native: true });
    rt.count_call(f);
    // The callee's locals still hold whatever an earlier frame left there.
    // Its native code clears them on entry (see the translator's
    // prologue); only a collection before that must not see them.
    if rt.heap.at_safepoint() {
        clear_slots(stack, base + filled..top);
        rt.safepoint();
    }
    entry as usize
}

/// A tail call from native code: the closure in `base[b]` with `nargs`
/// arguments above it replaces the running (top) frame, as the
/// interpreter's tail call does (but leaving a compiled callee's locals to
/// its prologue, as `rt_enter` does), when the callee has a fixed arity that
/// matches and its frame fits in the stack that exists. Sets
/// `tail_entry` to the callee's native entry point (0: none) and returns
/// 1; the caller then returns `STATUS_TAIL`. Returns 0 without changing
/// anything otherwise, and the interpreter makes the call (and reports
/// any error).
///
/// # Safety
/// `base` is the running frame's first register; `b + nargs` is within it.
pub unsafe extern "C" fn rt_tail(rt: *mut Runtime, base: *mut Value, b: u32, nargs: u32) -> u32 {
    let rt = &mut *rt;
    let callee = base.add(b as usize);
    let Value::Closure(c) = *callee else { return 0 };
    let f: &Function = &*c.func.as_ptr();
    if f.fixed_arity as u32 != nargs {
        return 0;
    }
    let stack = rt.stack.as_mut_ptr();
    let frame_base = base.offset_from(stack) as usize;
    let top = frame_base + f.nregs as usize;
    if top > rt.stack.len() {
        return 0;
    }
    // The callee and its arguments move down over the caller's closure
    // slot and parameters (the ranges may overlap: `copy`, not
    // `copy_nonoverlapping`).
    std::ptr::copy(callee, base.sub(1), nargs as usize + 1);
    let frame =
        crate::runtime::Frame { func: c.func, closure: c, pc: 0, base: frame_base as u32, entered_native: false, native: false };
    *rt.frames.last_mut().expect("native tail call without a frame") = frame;
    // May compile the callee (synchronously under `eager`).
    rt.count_call(f);
    let mark_native = |rt: &mut Runtime, native: bool| {
        if let Some(fr) = rt.frames.last_mut() {
            fr.entered_native = native;
            fr.native = native;
        }
    };
    // The callee's locals still hold the caller's values. Native code
    // clears them in its prologue (as after `rt_enter`); they are cleared
    // here only if a collection could see them first, or if the
    // interpreter will run the callee.
    let locals = frame_base + nargs as usize..top;
    let due = rt.heap.at_safepoint();
    if due {
        // A profiler samples this frame here: marked native if it is about
        // to run native code.
        mark_native(rt, f.native_entry().is_some());
        clear_slots(stack, locals.clone());
        rt.safepoint();
    }
    // Read after the safepoint: a tier manager may have just installed code.
    let entry = f.native_entry().map_or(0, |e| e as usize);
    if entry == 0 && !due {
        clear_slots(stack, locals);
    }
    mark_native(rt, entry != 0);
    rt.tail_entry = entry;
    1
}

/// Runs, for a native call site, the chain of functions that tail calls
/// hand over: the callee it called returned `STATUS_TAIL`, so the top
/// frame now belongs to a new function, whose native entry (if any) is in
/// `tail_entry`. Each link runs at pc 0 of the top frame, and each
/// returns here before the next starts, so the chain takes constant
/// machine stack. Returns the first status other than `STATUS_TAIL`, or
/// `STATUS_TAIL` itself when a link has no native code (the interpreter,
/// further up, then runs the frame).
///
/// A helper rather than a loop at every call site: loop-invariant values
/// of such a loop get hoisted before the call, where they would occupy
/// callee-saved registers on the common path.
///
/// # Safety
/// `rt` is the running runtime, and `tail_entry` is either 0 or the entry
/// of the function whose frame `rt_tail` just put on top.
pub unsafe extern "C" fn rt_run_tail(rt: *mut Runtime) -> u64 {
    loop {
        let (entry, func, base) = {
            let r = &mut *rt;
            let Some(top) = r.frames.last() else { return STATUS_TAIL };
            if r.tail_entry == 0 {
                return STATUS_TAIL;
            }
            (r.tail_entry, top.func.as_ptr() as *const Function, r.stack.as_mut_ptr().add(top.base as usize))
        };
        // SAFETY: `tail_entry` is a finalized function's entry point
        // (see `Function::native_entry`).
        let entry = std::mem::transmute::<usize, NativeEntry>(entry);
        let status = entry(rt, func, base, NATIVE_CALL);
        if status != STATUS_TAIL {
            return status;
        }
    }
}

/// Sets `stack[range]` to nil.
///
/// # Safety
/// `range` lies within the stack that `stack` points at.
unsafe fn clear_slots(stack: *mut Value, range: std::ops::Range<usize>) {
    for i in range {
        *stack.add(i) = Value::Nil;
    }
}

/// The safepoint slow path of a loop back-edge in native code (which
/// counts the back-edge and checks the safepoint inline): a collection is
/// due or a profiler wants a sample. Registers are in the VM stack, so the
/// collection is exact.
///
/// # Safety
/// `rt` is the running runtime.
pub unsafe extern "C" fn rt_safepoint(rt: *mut Runtime) {
    let rt = &mut *rt;
    if rt.heap.at_safepoint() {
        rt.safepoint();
    }
}
