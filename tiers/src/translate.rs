//! Bytecode to Cranelift IR: the baseline native tier.
//!
//! Like V8's Sparkplug, the compiled function runs on the interpreter's
//! frame: every VM register keeps its 16-byte `Value` slot at `base`, and
//! every write goes to the slot, so native code can be entered at any entry
//! point and can leave at any instruction with nothing to reconstruct.
//! (Registers known to hold ints are also SSA variables, so loops keep them
//! in machine registers; see `Tx::int_payload`. Register loops write their
//! ints only when they are left or call a helper; see `Tx::deferred`.) The
//! entry block is a jump
//! table on the entry pc — function entry, a loop header for on-stack
//! replacement, the instruction after a call for resuming — and every
//! bytecode instruction becomes one block.
//!
//! Common instructions get inline fast paths with type checks (int and
//! float arithmetic with overflow checks, comparisons and fused branches,
//! moves, globals, upvalues and cells, list and vector access, builtins as
//! values, calls, returns and tail calls between compiled functions); their
//! slow paths, and the allocation of lists, closures and cells, call the
//! runtime's helpers (`claudelang_runtime::tier`), which produce exactly
//! the interpreter's results and errors. Effects, `match` failures and the
//! unusual cases of calls leave to the interpreter, which runs them and
//! re-enters native code at the next call boundary or loop back-edge. So
//! every function is compilable, and results and errors are the
//! interpreter's by construction.
//!
//! One `translate_*` method per kind of instruction, as in the Cranelift
//! JIT demo's `FunctionTranslator`.

use claudelang_frontend::builtins::{BuiltinKind, B, BUILTINS};
use claudelang_frontend::bytecode::{Op, Proto};
use claudelang_runtime::tier::*;
use claudelang_runtime::value::{TAG_BOOL, TAG_EMPTY, TAG_FLOAT, TAG_INT, TAG_NIL};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::{
    types, AbiParam, Block, BlockArg, Function, InstBuilder, InstructionData, JumpTableData, MemFlagsData, SigRef, Signature,
    StackSlot, StackSlotData, StackSlotKind, Type, Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};

const TAG_SYM: i64 = 5;
const TAG_BUILTIN: i64 = 6;
const TAG_UNDEF: i64 = 7;
const TAG_CONS: i64 = 9;
const TAG_CLOSURE: i64 = 11;
const TAG_CELL: i64 = 12;
const TAG_VECTOR: i64 = 10;
const SLOT: i32 = 16;
const PAYLOAD: i32 = 8;

/// Builds the native signature `(rt, func, base, pc: i32) -> status: i64`.
pub fn entry_signature(call_conv: CallConv, ptr: Type) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(types::I32));
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

struct Helpers {
    arith: SigRef,
    compare: SigRef,
    builtin: SigRef,
    builtin3: SigRef,
    call_value: SigRef,
    safepoint: SigRef,
    enter: SigRef,
    tail: SigRef,
    run_tail: SigRef,
    entry: SigRef,
    make_list: SigRef,
    new_cell: SigRef,
    closure: SigRef,
}

/// Addresses of the stubs compiled into the same module
/// (`compiler::compile_stubs`): machine code the translated functions call
/// that is not Rust.
#[derive(Clone, Copy, Debug)]
pub struct Stubs {
    /// `(rt)` with the `preserve_all` convention: calls `rt_safepoint`.
    /// A loop's back-edge calls it on its slow path, and since the call
    /// clobbers no register, the values the loop keeps in registers need
    /// not live in callee-saved ones (or on the stack) across the loop.
    pub safepoint: usize,
}

/// Translates `proto` into `func` (whose signature must be
/// `entry_signature`). `consts` is the address of the function's loaded
/// constants.
/// What the code may assume, from the interpreter's type feedback.
pub struct Speculation<'a> {
    /// `Function::feedback` as it was when the compile was queued.
    pub feedback: &'a [u16],
    /// Where the live feedback cells are (`Function::feedback`), for
    /// recording a failed loop guard (`FEEDBACK_GUARD`).
    pub feedback_cells: usize,
    /// False after repeated deoptimizations: no guards that deopt.
    pub enabled: bool,
}

pub fn translate(
    func: &mut Function,
    proto: &Proto,
    consts: u64,
    spec: &Speculation,
    stubs: &Stubs,
    target: TargetFrontendConfig,
    call_conv: CallConv,
) {
    let ptr = target.pointer_type();
    let mut fbc = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(func, &mut fbc);
    let sig = |params: &[Type], ret: Option<Type>| {
        let mut s = Signature::new(call_conv);
        s.params.extend(params.iter().map(|t| AbiParam::new(*t)));
        s.returns.extend(ret.map(AbiParam::new));
        s
    };
    let i32t = types::I32;
    let helpers = Helpers {
        arith: b.import_signature(sig(&[ptr, i32t, ptr, ptr, ptr], Some(i32t))),
        compare: b.import_signature(sig(&[ptr, i32t, ptr, ptr], Some(i32t))),
        builtin: b.import_signature(sig(&[ptr, i32t, ptr, i32t], Some(i32t))),
        builtin3: b.import_signature(sig(&[ptr, i32t, i32t, ptr, ptr, ptr, ptr], Some(i32t))),
        call_value: b.import_signature(sig(&[ptr, ptr, i32t], Some(i32t))),
        safepoint: b.import_signature({
            let mut s = Signature::new(CallConv::PreserveAll);
            s.params.push(AbiParam::new(ptr));
            s
        }),
        enter: b.import_signature(sig(&[ptr, ptr, i32t, i32t], Some(ptr))),
        tail: b.import_signature(sig(&[ptr, ptr, i32t, i32t], Some(i32t))),
        run_tail: b.import_signature(sig(&[ptr], Some(types::I64))),
        entry: b.import_signature(entry_signature(call_conv, ptr)),
        make_list: b.import_signature(sig(&[ptr, ptr, i32t, ptr], None)),
        new_cell: b.import_signature(sig(&[ptr, ptr], None)),
        closure: b.import_signature(sig(&[ptr, i32t, ptr, ptr], None)),
    };
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    let blocks: Vec<Block> = (0..proto.code.len()).map(|_| b.create_block()).collect();
    let bad_pc = b.create_block();
    b.set_cold_block(bad_pc);

    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (rt, fptr, base, pc) = (params[0], params[1], params[2], params[3]);
    // A scratch Value slot for immediates passed to slow paths by address.
    let scratch = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 4));
    // Only real entry points go in the table (function start, loop
    // headers, the instruction after each call), so straight-line code
    // between them stays mergeable; any other pc leaves to the interpreter.
    let entries = entry_points(proto);
    let int_only = |pc: usize| spec.enabled && spec.feedback.get(pc).is_some_and(|&f| f & FEEDBACK_TYPES == 0);
    // Loops whose entry guard failed before are entered unguarded.
    let mut loop_headers = vec![false; blocks.len()];
    for (pc, op) in proto.code.iter().enumerate() {
        if let (Op::Loop { .. }, Some(t)) = (op, op.jump_target(pc)) {
            loop_headers[t] = spec.feedback.get(t).is_none_or(|&f| f & FEEDBACK_GUARD == 0);
        }
    }
    let types = crate::types::analyse(proto, &entries, &loop_headers, &int_only);
    // Every way into a loop header but its back-edges checks, once, the
    // tags the loop body then relies on (see `types.rs`).
    let guard_blocks: Vec<Option<Block>> = (0..blocks.len()).map(|i| (!types.guards[i].is_empty()).then(|| b.create_block())).collect();
    // Entering at pc 0 starts an activation: a prologue sets the locals
    // to nil first (see `rt_enter`).
    let prologue = b.create_block();
    let targets: Vec<_> = (0..blocks.len())
        .map(|i| {
            let to = match guard_blocks[i] {
                _ if i == 0 => prologue,
                Some(g) => g,
                None if entries[i] => blocks[i],
                None => bad_pc,
            };
            b.func.dfg.block_call(to, &[])
        })
        .collect();

    // The payloads of registers known to hold ints live in SSA variables
    // (machine registers across a loop) as well as in their slots: reads
    // come from the variable, writes go to both (register loops delay the
    // slot writes until native code leaves them or calls a helper), so the
    // frame is exact whenever the interpreter, a helper, the collector or
    // an error report reads it, while loop-carried values no longer
    // round-trip through memory.
    let mut tracked = vec![false; proto.nregs as usize];
    for set in types.known.iter().chain(&types.guards) {
        for r in set.iter() {
            tracked[r as usize] = true;
        }
    }
    let vars: Vec<Option<Variable>> = tracked
        .iter()
        .map(|&t| {
            t.then(|| {
                let v = b.declare_var(types::I64);
                let zero = b.ins().iconst(types::I64, 0);
                b.def_var(v, zero);
                v
            })
        })
        .collect();
    // Back-edges are counted in a variable and added to
    // `Function::backedges` when native code returns, keeping a memory
    // read-modify-write off every iteration.
    let has_backedges = proto.code.iter().any(|op| matches!(op, Op::Loop { .. } | Op::TailSelf { .. }));
    let edges = has_backedges.then(|| {
        let v = b.declare_var(types::I64);
        let zero = b.ins().iconst(types::I64, 0);
        b.def_var(v, zero);
        v
    });
    let reg_loops = crate::types::register_loops(proto, &entries, &types.known, &int_only);
    // Register loops with a counter, and the variable holding the
    // counter's value when the loop was entered: set in the header's guard,
    // which every entry from outside the loop passes (see `Counter`).
    let counters: Vec<Option<(crate::types::Counter, Variable)>> = reg_loops
        .iter()
        .map(|l| {
            let h = *l.range.start();
            let c = crate::types::loop_counter(&proto.code, l).filter(|c| types.guards[h].contains(c.reg))?;
            let start = b.declare_var(types::I64);
            let zero = b.ins().iconst(types::I64, 0);
            b.def_var(start, zero);
            Some((c, start))
        })
        .collect();
    let mut reg_loop_at = vec![None; blocks.len()];
    let mut loop_exits = Vec::new();
    for (i, l) in reg_loops.iter().enumerate() {
        l.range.clone().for_each(|pc| reg_loop_at[pc] = Some(i));
        loop_exits.push(l.exits.iter().map(|&t| (t, b.create_block())).collect::<Vec<_>>());
    }
    // Where the safepoint limit lives is fixed for the runtime's life; the
    // limit itself is re-read at every check (other threads lower it).
    // Loaded once on entry where loops outside register loops will check
    // it on every iteration. Register loops check rarely and reload it
    // then, like a function without loops: cheaper than keeping it in a
    // callee-saved register, or in a spill slot that the register
    // allocator shuffles on the loop's hot path.
    let polls_often = proto.code.iter().enumerate().any(|(pc, op)| {
        matches!(op, Op::Loop { .. } | Op::TailSelf { .. }) && reg_loop_at.get(pc).is_none_or(|l| l.is_none())
    });
    let limit_ptr = polls_often.then(|| b.ins().load(ptr, mem(), rt, SAFEPOINT_LIMIT_PTR_OFFSET));
    // Calls enter at pc 0 (`NATIVE_CALL` from native code): test for that
    // before the table's bounds check and indirect jump.
    let dispatch = b.create_block();
    // Calls are far more frequent than resumptions: the calls' way in
    // falls through into the prologue.
    b.set_cold_block(dispatch);
    // Where a `Return` finds how this activation was entered: a stack slot
    // rather than an SSA value, which the register allocator would keep in
    // a callee-saved register (a save and restore on every call).
    let entered_by = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 4, 2));
    b.ins().stack_store(ptr, pc, entered_by, 0);
    let resume = b.ins().band_imm_s(pc, !(NATIVE_CALL as i64));
    b.ins().brif(resume, dispatch, &[], prologue, &[]);
    b.switch_to_block(dispatch);
    let default = b.func.dfg.block_call(bad_pc, &[]);
    let jt = b.create_jump_table(JumpTableData::new(default, &targets));
    b.ins().br_table(pc, jt);

    let known = types.known;
    let mut jumped_to = entries.clone();
    for (pc, op) in proto.code.iter().enumerate() {
        if let Some(t) = op.jump_target(pc).filter(|&t| t < jumped_to.len()) {
            jumped_to[t] = true;
        }
    }
    let loop_at = crate::types::innermost_loops(proto);
    let mut tx = Tx {
        b,
        rt,
        fptr,
        base,
        ptr,
        helpers,
        blocks,
        guard_blocks,
        consts,
        stubs: *stubs,
        scratch,
        pc: 0,
        int_only: false,
        known,
        vars,
        edges,
        limit_ptr,
        entered_by,
        code: &proto.code,
        jumped_to,
        loop_at,
        reg_loops,
        counters,
        reg_loop_at,
        loop_exits,
        outside_loops: true,
    };

    tx.b.switch_to_block(prologue);
    tx.clear_locals(proto.nparams + proto.has_rest as u16, proto.nregs);
    let start = tx.forward(0);
    tx.b.ins().jump(start, &[]);

    // An out-of-range entry pc cannot happen; leave to the interpreter.
    tx.b.switch_to_block(bad_pc);
    let pc64 = tx.b.ins().uextend(types::I64, pc);
    tx.ret(pc64);

    for i in 0..tx.blocks.len() {
        let Some(g) = tx.guard_blocks[i] else { continue };
        tx.b.switch_to_block(g);
        let mut all = None;
        for r in types.guards[i].iter() {
            let tag = tx.tag(r);
            let ok = tx.is_tag(tag, TAG_INT as i64);
            all = Some(match all {
                None => ok,
                Some(acc) => tx.b.ins().band(acc, ok),
            });
        }
        let pass = tx.b.create_block();
        let deopt = tx.cold();
        tx.b.ins().brif(all.expect("a guard checks something"), pass, &[], deopt, &[]);
        tx.b.switch_to_block(deopt);
        // Remember the failure for the next compile (see FEEDBACK_GUARD).
        let cell = tx.b.ins().iconst(ptr, (spec.feedback_cells + 2 * i) as i64);
        let bits = tx.b.ins().uload16(types::I32, mem(), cell, 0);
        let bits = tx.b.ins().bor_imm_s(bits, FEEDBACK_GUARD as i64);
        tx.b.ins().istore16(mem(), bits, cell, 0);
        let st = tx.b.ins().iconst(types::I64, (STATUS_DEOPT | i as u64) as i64);
        tx.ret(st);
        tx.b.switch_to_block(pass);
        for r in types.guards[i].iter() {
            let v = tx.payload(r);
            tx.def_int(r, v);
        }
        // A register loop's only entry from outside is its header's guard.
        if let Some((c, start)) = tx.reg_loop_at[i].and_then(|l| tx.counters[l]) {
            let v = tx.counter_value(c);
            tx.b.def_var(start, v);
        }
        let header = tx.blocks[i];
        tx.b.ins().jump(header, &[]);
    }

    tx.outside_loops = false;
    for (i, op) in proto.code.iter().enumerate() {
        tx.pc = i;
        tx.int_only = int_only(i);
        tx.b.switch_to_block(tx.blocks[i]);
        tx.translate_op(*op);
    }
    // A register loop's exits write its registers' slots on the way out.
    for l in 0..tx.reg_loops.len() {
        tx.pc = *tx.reg_loops[l].range.start();
        for (t, blk) in tx.loop_exits[l].clone() {
            tx.b.switch_to_block(blk);
            tx.flush(l);
            // A counted loop is left only before its step: the counter's
            // distance from its start is the back-edges taken.
            if let Some(iters) = tx.counted_iterations(l, false) {
                let e = tx.edges.expect("loops count back-edges");
                let n = tx.b.use_var(e);
                let n1 = tx.b.ins().iadd(n, iters);
                tx.b.def_var(e, n1);
            }
            let to = tx.guard_blocks[t].unwrap_or(tx.blocks[t]);
            tx.b.ins().jump(to, &[]);
        }
    }
    tx.b.seal_all_blocks();
    tx.b.finalize(target);
    cold_exits(func);
}

/// Settles which code is cold, for Cranelift's layout (which puts cold
/// blocks last):
///
/// * A block reached only from cold blocks is cold too: the translator
///   marks where slow paths start, and this carries the mark to their
///   continuations (after a helper call, say).
/// * Every branch from a cold block to a hot one goes through a cold block
///   of its own. Cranelift splits such an edge when the hot block has other
///   predecessors, and the block it adds for the edge is not cold: it stays
///   where the cold block was in the lowering order, inside the hot code,
///   where it can cost the hot path a taken jump around it (a slow path's
///   return into a loop body, say). A cold block of our own keeps the
///   split, and the jump, with the rest of the slow path at the end.
fn cold_exits(func: &mut Function) {
    let blocks: Vec<Block> = func.layout.blocks().collect();
    let cfg = ControlFlowGraph::with_function(func);
    let entry = func.layout.entry_block();
    loop {
        let mut changed = false;
        for &blk in &blocks {
            if func.layout.is_cold(blk) || Some(blk) == entry {
                continue;
            }
            let mut preds = cfg.pred_iter(blk).peekable();
            if preds.peek().is_some() && preds.all(|p| func.layout.is_cold(p.block)) {
                func.layout.set_cold(blk);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for blk in blocks {
        if !func.layout.is_cold(blk) {
            continue;
        }
        let Some(inst) = func.layout.last_inst(blk) else { continue };
        if !matches!(func.dfg.insts[inst], InstructionData::Brif { .. } | InstructionData::BranchTable { .. }) {
            continue;
        }
        let dests = func.dfg.insts[inst].branch_destination(&func.dfg.jump_tables, &func.dfg.exception_tables).to_vec();
        for (i, dest) in dests.into_iter().enumerate() {
            let to = dest.block(&func.dfg.value_lists);
            if func.layout.is_cold(to) {
                continue;
            }
            let args: Vec<BlockArg> = dest.args(&func.dfg.value_lists).collect();
            let via = func.dfg.make_block();
            func.layout.append_block(via);
            func.layout.set_cold(via);
            let mut pos = FuncCursor::new(func).at_bottom(via);
            pos.ins().jump(to, &args);
            let call = func.dfg.block_call(via, &[]);
            match func.dfg.insts[inst] {
                InstructionData::BranchTable { table, .. } => func.dfg.jump_tables[table].all_branches_mut()[i] = call,
                InstructionData::Brif { ref mut blocks, .. } => blocks[i] = call,
                _ => unreachable!("only branches were collected"),
            }
        }
    }
}

/// The pcs where the interpreter may enter native code: 0, every loop
/// header, and every instruction following a call.
fn entry_points(proto: &Proto) -> Vec<bool> {
    let mut e = vec![false; proto.code.len()];
    if !e.is_empty() {
        e[0] = true;
    }
    for (pc, op) in proto.code.iter().enumerate() {
        match op {
            Op::Loop { .. } => {
                if let Some(t) = op.jump_target(pc) {
                    e[t] = true;
                }
            }
            Op::Call { .. } if pc + 1 < e.len() => e[pc + 1] = true,
            _ => {}
        }
    }
    e
}

struct Tx<'a> {
    b: FunctionBuilder<'a>,
    rt: Value,
    fptr: Value,
    base: Value,
    ptr: Type,
    helpers: Helpers,
    blocks: Vec<Block>,
    /// Where forward edges into a guarded loop header go.
    guard_blocks: Vec<Option<Block>>,
    consts: u64,
    stubs: Stubs,
    scratch: cranelift_codegen::ir::StackSlot,
    pc: usize,
    /// The current instruction has only seen int operands: compile just
    /// the int path, and deoptimize if that ever stops being true.
    int_only: bool,
    /// Registers known to hold ints at each instruction (`types.rs`).
    known: Vec<crate::types::RegSet>,
    /// The SSA variable caching each tracked register's int payload.
    vars: Vec<Option<Variable>>,
    /// The back-edge count not yet added to `Function::backedges`.
    edges: Option<Variable>,
    /// Holds the entry's `pc` argument: negative (`NATIVE_CALL`) when
    /// native code called this activation, which then returns to it
    /// directly.
    entered_by: StackSlot,
    /// `Heap::limit_ptr`, loaded once on entry in functions with loops.
    limit_ptr: Option<Value>,
    /// The function's code.
    code: &'a [Op],
    /// Instructions that something other than the previous instruction's
    /// fall-through reaches: jump targets and entry points.
    jumped_to: Vec<bool>,
    /// For each pc, the innermost loop around it (header, back-edge pc),
    /// if any: what `branch` lays code out for.
    loop_at: Vec<Option<(usize, usize)>>,
    /// Loops whose int registers are written to their slots only on the
    /// way out (`types::register_loops`), the one each pc is in, and the
    /// blocks on their exit edges that do the writing.
    reg_loops: Vec<crate::types::RegisterLoop>,
    /// Per register loop: its counter, if it has one, and the variable
    /// holding the counter's value when the loop was entered.
    counters: Vec<Option<(crate::types::Counter, Variable)>>,
    reg_loop_at: Vec<Option<usize>>,
    loop_exits: Vec<Vec<(usize, Block)>>,
    /// Emitting code that is not the translation of `pc` (entry dispatch,
    /// loop guards), which no register loop's deferred writes concern.
    outside_loops: bool,
}

const _: () = assert!(FRAME_NATIVE_OFFSET == FRAME_ENTERED_NATIVE_OFFSET + 1, "the frame flags are adjacent bytes");

/// How many iterations of a register loop pass between safepoint checks
/// (a power of two).
const REGISTER_LOOP_POLL: i64 = 1024;

fn mem() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl Tx<'_> {
    // ---- small builders ------------------------------------------------

    fn off(r: u16) -> i32 {
        r as i32 * SLOT
    }
    fn tag(&mut self, r: u16) -> Value {
        self.b.ins().uload8(types::I32, mem(), self.base, Self::off(r))
    }
    fn payload(&mut self, r: u16) -> Value {
        self.b.ins().load(types::I64, mem(), self.base, Self::off(r) + PAYLOAD)
    }
    fn addr(&mut self, r: u16) -> Value {
        self.b.ins().iadd_imm_s(self.base, Self::off(r) as i64)
    }
    fn store_tag(&mut self, r: u16, tag: u8) {
        let t = self.b.ins().iconst(types::I8, tag as i64);
        self.b.ins().store(mem(), t, self.base, Self::off(r));
    }
    fn store_int(&mut self, r: u16, v: Value) {
        if self.deferred(r) {
            return;
        }
        self.store_tag(r, TAG_INT);
        self.store_payload(r, v);
    }
    /// Stores a result whose tag the slot already has: `dst` is an operand
    /// whose tag this path has just checked (`(set! i (+ i 1))`), so only
    /// the payload changes — one store per loop-carried update, not two.
    fn store_payload(&mut self, r: u16, v: Value) {
        if self.deferred(r) {
            return;
        }
        self.b.ins().store(mem(), v, self.base, Self::off(r) + PAYLOAD);
    }
    /// The register loop the instruction being translated is in.
    fn reg_loop(&self) -> Option<usize> {
        if self.outside_loops {
            return None;
        }
        self.reg_loop_at.get(self.pc).copied().flatten()
    }
    /// Whether a write of int register `r` to its slot waits for the
    /// register loop to be left.
    fn deferred(&self, r: u16) -> bool {
        self.reg_loop().is_some_and(|l| self.reg_loops[l].regs.contains(r))
    }
    /// Writes register loop `l`'s registers' payloads to their slots. Their
    /// tags already say int: the loop's header guard checked them, and the
    /// loop writes nothing but ints to them.
    fn flush(&mut self, l: usize) {
        let regs: Vec<u16> = self.reg_loops[l].regs.iter().collect();
        for r in regs {
            let v = self.b.use_var(self.vars[r as usize].expect("register loop registers are tracked"));
            self.b.ins().store(mem(), v, self.base, Self::off(r) + PAYLOAD);
        }
    }
    fn store_float(&mut self, r: u16, v: Value) {
        self.store_tag(r, TAG_FLOAT);
        self.b.ins().store(mem(), v, self.base, Self::off(r) + PAYLOAD);
    }
    fn store_bool(&mut self, r: u16, v: Value) {
        self.store_tag(r, TAG_BOOL);
        let w = self.b.ins().uextend(types::I64, v);
        self.b.ins().store(mem(), w, self.base, Self::off(r) + PAYLOAD);
    }
    /// Copies a 16-byte Value from `src + soff` to register `dst`.
    fn copy_from(&mut self, src: Value, soff: i32, dst: u16) {
        let lo = self.b.ins().load(types::I64, mem(), src, soff);
        let hi = self.b.ins().load(types::I64, mem(), src, soff + 8);
        self.b.ins().store(mem(), lo, self.base, Self::off(dst));
        self.b.ins().store(mem(), hi, self.base, Self::off(dst) + 8);
    }
    /// Copies register `src` to `dst + doff`.
    fn copy_to(&mut self, src: u16, dst: Value, doff: i32) {
        let lo = self.b.ins().load(types::I64, mem(), self.base, Self::off(src));
        let hi = self.b.ins().load(types::I64, mem(), self.base, Self::off(src) + 8);
        self.b.ins().store(mem(), lo, dst, doff);
        self.b.ins().store(mem(), hi, dst, doff + 8);
    }
    fn is_tag(&mut self, tag: Value, t: i64) -> Value {
        self.b.ins().icmp_imm_s(IntCC::Equal, tag, t)
    }
    /// Branches to `to` when `cond` holds, else continues in a new block.
    fn bail_if(&mut self, cond: Value, to: Block) {
        let go_on = self.b.create_block();
        self.b.ins().brif(cond, to, &[], go_on, &[]);
        self.b.switch_to_block(go_on);
    }

    /// Sets registers `from..to` to nil (the tag is enough: a nil's payload
    /// is never read). Run on every entry at pc 0, which is also where an
    /// activation that already ran re-enters after the interpreter made a
    /// self tail call, or through OSR when pc 0 is a loop header: harmless,
    /// because the bytecode compiler writes every local before reading it
    /// (a `letrec` binding is `LoadUndef` first), so no local is live at
    /// pc 0.
    fn clear_locals(&mut self, from: u16, to: u16) {
        const UNROLL: u16 = 16;
        if to.saturating_sub(from) <= UNROLL {
            for r in from..to {
                self.store_tag(r, TAG_NIL);
            }
            return;
        }
        let start = self.addr(from);
        let end = self.addr(to);
        let body = self.b.create_block();
        let p = self.b.append_block_param(body, self.ptr);
        let done = self.b.create_block();
        self.b.ins().jump(body, &[BlockArg::Value(start)]);
        self.b.switch_to_block(body);
        let nil = self.b.ins().iconst(types::I8, TAG_NIL as i64);
        self.b.ins().store(mem(), nil, p, 0);
        let p1 = self.b.ins().iadd_imm_s(p, SLOT as i64);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, p1, end);
        self.b.ins().brif(more, body, &[BlockArg::Value(p1)], done, &[]);
        self.b.switch_to_block(done);
    }

    /// The block for a forward edge (or fall-through) to `pc`: a loop
    /// header's guard when it has one. Only back-edges (`Op::Loop`) jump
    /// straight to a guarded header.
    fn forward(&self, pc: usize) -> Block {
        if let Some(l) = self.reg_loop() {
            if let Some(&(_, exit)) = self.loop_exits[l].iter().find(|(t, _)| *t == pc) {
                return exit;
            }
        }
        self.guard_blocks[pc].unwrap_or(self.blocks[pc])
    }
    fn next(&self) -> Block {
        self.forward(self.pc + 1)
    }
    /// The pc a jump by `off` from this instruction lands on.
    fn target_pc(&self, off: i32) -> usize {
        (self.pc as i64 + 1 + off as i64) as usize
    }
    fn target(&self, off: i32) -> Block {
        self.forward(self.target_pc(off))
    }
    /// Returns `status` to whoever called this native code, first adding
    /// the back-edges counted in this activation to the function's total.
    fn ret(&mut self, status: Value) {
        if let Some(l) = self.reg_loop() {
            self.flush(l);
        }
        if let Some(e) = self.edges {
            let mut n = self.b.use_var(e);
            if let Some(l) = self.reg_loop() {
                let stepped = self.counters[l].is_some_and(|(c, _)| self.pc > c.step_pc);
                if let Some(iters) = self.counted_iterations(l, stepped) {
                    n = self.b.ins().iadd(n, iters);
                }
            }
            let total = self.b.ins().load(types::I64, mem(), self.fptr, FUNC_BACKEDGES_OFFSET);
            let sum = self.b.ins().iadd(total, n);
            self.b.ins().store(mem(), sum, self.fptr, FUNC_BACKEDGES_OFFSET);
        }
        self.b.ins().return_(&[status]);
    }
    /// The current value of counted loop counter `c` (always in a register).
    fn counter_value(&mut self, c: crate::types::Counter) -> Value {
        self.b.use_var(self.vars[c.reg as usize].expect("a counter is tracked"))
    }

    /// The back-edges register loop `l` has taken since it was entered, if
    /// it is counted: how far its counter has moved, less one if this
    /// iteration has already `stepped`.
    fn counted_iterations(&mut self, l: usize, stepped: bool) -> Option<Value> {
        let (c, start) = self.counters[l]?;
        let now = self.counter_value(c);
        let from = self.b.use_var(start);
        let moved = if c.step > 0 { self.b.ins().isub(now, from) } else { self.b.ins().isub(from, now) };
        Some(if stepped { self.b.ins().iadd_imm_s(moved, -1) } else { moved })
    }
    /// Register `r`'s int payload: from its variable when the register is
    /// known to hold an int here, else from its slot.
    fn int_payload(&mut self, r: u16) -> Value {
        match self.vars[r as usize] {
            Some(v) if self.known[self.pc].contains(r) => self.b.use_var(v),
            _ => self.payload(r),
        }
    }
    /// Records that register `r` now holds the int `v` (already in its
    /// slot, or about to be stored there).
    fn def_int(&mut self, r: u16, v: Value) {
        if let Some(var) = self.vars.get(r as usize).copied().flatten() {
            self.b.def_var(var, v);
        }
    }
    fn goto_next(&mut self) {
        let n = self.next();
        self.b.ins().jump(n, &[]);
    }
    fn status(&mut self, s: u64) {
        let v = self.b.ins().iconst(types::I64, (s | self.pc as u64) as i64);
        self.ret(v);
    }
    /// Leave to the interpreter, which runs this instruction.
    fn exit_here(&mut self) {
        self.status(STATUS_EXEC);
    }
    /// A cold block that deoptimizes at this instruction.
    fn deopt_block(&mut self) -> Block {
        let blk = self.cold();
        let here = self.b.current_block();
        self.b.switch_to_block(blk);
        self.status(STATUS_DEOPT);
        if let Some(h) = here {
            self.b.switch_to_block(h);
        }
        blk
    }
    fn cold(&mut self) -> Block {
        let blk = self.b.create_block();
        self.b.set_cold_block(blk);
        blk
    }
    fn helper(&mut self, sig: SigRef, f: usize, args: &[Value]) -> Option<Value> {
        // Helpers read registers from their slots.
        if let Some(l) = self.reg_loop() {
            self.flush(l);
        }
        let callee = self.b.ins().iconst(self.ptr, f as i64);
        let call = self.b.ins().call_indirect(sig, callee, args);
        self.b.inst_results(call).first().copied()
    }
    /// Branches to the error exit if `status` (an i32) is non-zero,
    /// otherwise continues with the next instruction.
    fn check_status_then_next(&mut self, status: Value) {
        let err = self.cold();
        let n = self.next();
        self.b.ins().brif(status, err, &[], n, &[]);
        self.b.switch_to_block(err);
        self.status(STATUS_ERROR);
    }
    fn scratch_int(&mut self, imm: i64) -> Value {
        let t = self.b.ins().iconst(types::I8, TAG_INT as i64);
        self.b.ins().stack_store(self.ptr, t, self.scratch, 0);
        let v = self.b.ins().iconst(types::I64, imm);
        self.b.ins().stack_store(self.ptr, v, self.scratch, PAYLOAD);
        self.b.ins().stack_addr(self.ptr, self.scratch, 0)
    }
    /// `falsy = tag == nil || (tag == bool && byte == 0)`
    fn is_falsy(&mut self, r: u16) -> Value {
        let tag = self.tag(r);
        let is_nil = self.is_tag(tag, TAG_NIL as i64);
        let is_bool = self.is_tag(tag, TAG_BOOL as i64);
        let byte = self.b.ins().uload8(types::I32, mem(), self.base, Self::off(r) + PAYLOAD);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, byte, 0);
        let false_bool = self.b.ins().band(is_bool, zero);
        self.b.ins().bor(is_nil, false_bool)
    }

    // ---- instructions --------------------------------------------------

    fn translate_op(&mut self, op: Op) {
        match op {
            Op::Move { dst, src } => {
                if self.known[self.pc].contains(src) {
                    let v = self.int_payload(src);
                    self.store_int(dst, v);
                    self.def_int(dst, v);
                } else {
                    let s = self.base;
                    self.copy_from(s, Self::off(src), dst);
                }
                self.goto_next();
            }
            Op::LoadNil { dst } => self.translate_load_tag(dst, TAG_NIL),
            Op::LoadEmpty { dst } => self.translate_load_tag(dst, TAG_EMPTY),
            Op::LoadUndef { dst } => self.translate_load_tag(dst, TAG_UNDEF as u8),
            Op::LoadBool { dst, val } => {
                let v = self.b.ins().iconst(types::I8, val as i64);
                self.store_bool(dst, v);
                self.goto_next();
            }
            Op::LoadInt { dst, val } => {
                let v = self.b.ins().iconst(types::I64, val as i64);
                self.store_int(dst, v);
                self.def_int(dst, v);
                self.goto_next();
            }
            Op::LoadK { dst, k } => {
                let c = self.b.ins().iconst(self.ptr, self.consts as i64);
                self.copy_from(c, k as i32 * SLOT, dst);
                self.goto_next();
            }
            Op::CheckInit { src, .. } => {
                let tag = self.tag(src);
                let undef = self.is_tag(tag, TAG_UNDEF);
                self.exit_if(undef);
            }
            Op::DotimesInit { count } => {
                let tag = self.tag(count);
                let not_int = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, TAG_INT as i64);
                self.exit_if(not_int);
            }
            Op::GetGlobal { dst, g } => self.translate_global(dst, g, false),
            Op::SetGlobal { g, src } => self.translate_global(src, g, true),
            Op::DefGlobal { g, src } => {
                let gp = self.b.ins().load(self.ptr, mem(), self.rt, GLOBALS_PTR_OFFSET);
                self.copy_to(src, gp, g as i32 * SLOT);
                self.goto_next();
            }
            Op::GetUpval { dst, u } => {
                let up = self.upvals();
                self.copy_from(up, u as i32 * SLOT, dst);
                self.goto_next();
            }
            Op::GetUpcell { dst, u } => {
                let up = self.upvals();
                let cell = self.b.ins().load(types::I64, mem(), up, u as i32 * SLOT + PAYLOAD);
                self.translate_cell_read(cell, dst);
            }
            Op::SetUpcell { u, src } => {
                let up = self.upvals();
                let cell = self.b.ins().load(types::I64, mem(), up, u as i32 * SLOT + PAYLOAD);
                self.copy_to(src, cell, CELL_VALUE_OFFSET);
                self.goto_next();
            }
            Op::GetCell { dst, cell } => {
                self.require_tag(cell, TAG_CELL);
                let c = self.payload(cell);
                self.translate_cell_read(c, dst);
            }
            Op::SetCell { cell, src } => {
                self.require_tag(cell, TAG_CELL);
                let c = self.payload(cell);
                self.copy_to(src, c, CELL_VALUE_OFFSET);
                self.goto_next();
            }

            Op::Add { dst, a, b } => self.translate_arith(ARITH_ADD, dst, a, Operand::Reg(b)),
            Op::Sub { dst, a, b } => self.translate_arith(ARITH_SUB, dst, a, Operand::Reg(b)),
            Op::Mul { dst, a, b } => self.translate_arith(ARITH_MUL, dst, a, Operand::Reg(b)),
            Op::AddI { dst, a, imm } => self.translate_arith(ARITH_ADD, dst, a, Operand::Imm(imm as i64)),
            Op::SubI { dst, a, imm } => self.translate_arith(ARITH_SUB, dst, a, Operand::Imm(imm as i64)),
            Op::MulI { dst, a, imm } => self.translate_arith(ARITH_MUL, dst, a, Operand::Imm(imm as i64)),
            Op::Div { dst, a, b } => self.translate_divide(ARITH_DIV, dst, a, b),
            Op::Mod { dst, a, b } => self.translate_divide(ARITH_MOD, dst, a, b),
            Op::Rem { dst, a, b } => self.translate_divide(ARITH_REM, dst, a, b),
            Op::Neg { dst, src } => self.translate_neg(dst, src),
            Op::Not { dst, src } => {
                let f = self.is_falsy(src);
                self.store_bool(dst, f);
                self.goto_next();
            }

            Op::Lt { dst, a, b } => self.translate_compare_value(CMP_LT, dst, a, b),
            Op::Le { dst, a, b } => self.translate_compare_value(CMP_LE, dst, a, b),
            Op::Gt { dst, a, b } => self.translate_compare_value(CMP_GT, dst, a, b),
            Op::Ge { dst, a, b } => self.translate_compare_value(CMP_GE, dst, a, b),
            Op::Eq { dst, a, b } => self.translate_compare_value(CMP_EQ, dst, a, b),
            Op::Ne { dst, a, b } => self.translate_compare_value(CMP_NE, dst, a, b),

            Op::Jmp { off } => {
                let t = self.target(off);
                self.b.ins().jump(t, &[]);
            }
            Op::Loop { off } => {
                // A back-edge: straight to the header, past its guard.
                let t = self.blocks[self.target_pc(off)];
                self.backedge();
                self.b.ins().jump(t, &[]);
            }
            Op::JmpIfFalse { src, off } => {
                let f = self.is_falsy(src);
                let t = self.target_pc(off);
                self.branch(f, t, self.pc + 1);
            }
            Op::JmpIfTrue { src, off } => {
                let f = self.is_falsy(src);
                let t = self.target_pc(off);
                self.branch(f, self.pc + 1, t);
            }
            Op::JmpIfNotLt { a, b, off } => self.translate_compare_jump(CMP_LT, a, Operand::Reg(b), off),
            Op::JmpIfNotLe { a, b, off } => self.translate_compare_jump(CMP_LE, a, Operand::Reg(b), off),
            Op::JmpIfNotGt { a, b, off } => self.translate_compare_jump(CMP_GT, a, Operand::Reg(b), off),
            Op::JmpIfNotGe { a, b, off } => self.translate_compare_jump(CMP_GE, a, Operand::Reg(b), off),
            Op::JmpIfNotEq { a, b, off } => self.translate_compare_jump(CMP_EQ, a, Operand::Reg(b), off),
            Op::JmpIfNotNe { a, b, off } => self.translate_compare_jump(CMP_NE, a, Operand::Reg(b), off),
            Op::JmpIfNotLtI { a, imm, off } => self.translate_compare_jump(CMP_LT, a, Operand::Imm(imm as i64), off),
            Op::JmpIfNotLeI { a, imm, off } => self.translate_compare_jump(CMP_LE, a, Operand::Imm(imm as i64), off),
            Op::JmpIfNotGtI { a, imm, off } => self.translate_compare_jump(CMP_GT, a, Operand::Imm(imm as i64), off),
            Op::JmpIfNotGeI { a, imm, off } => self.translate_compare_jump(CMP_GE, a, Operand::Imm(imm as i64), off),
            Op::JmpIfNotEqI { a, imm, off } => self.translate_compare_jump(CMP_EQ, a, Operand::Imm(imm as i64), off),
            Op::JmpIfNotNeI { a, imm, off } => self.translate_compare_jump(CMP_NE, a, Operand::Imm(imm as i64), off),

            Op::TailSelf { base, nargs } => self.translate_tail_self(base, nargs),
            Op::CallBuiltin { base, nargs: 1, id } if id == B::Sqrt as u16 => self.translate_sqrt(base),
            Op::CallBuiltin { base, nargs, id } => self.call_builtin(base, nargs as u16, id),
            Op::VecRef { dst, v, i } => self.translate_vector(v, i, dst, false),
            Op::VecSet { v, i, x } => self.translate_vector(v, i, x, true),
            Op::Cons { dst, h, t } => self.translate_builtin3(B::Cons, &[h, t], Some(dst)),
            Op::Car { dst, src } => self.translate_list_part(dst, src, CONS_HEAD_OFFSET, B::Head),
            Op::Cdr { dst, src } => self.translate_list_part(dst, src, CONS_TAIL_OFFSET, B::Tail),
            Op::IsEmpty { dst, src } => {
                let tag = self.tag(src);
                let is_list = {
                    let e = self.is_tag(tag, TAG_EMPTY as i64);
                    let c = self.is_tag(tag, TAG_CONS);
                    self.b.ins().bor(e, c)
                };
                let fast = self.b.create_block();
                let slow = self.cold();
                self.b.ins().brif(is_list, fast, &[], slow, &[]);
                self.b.switch_to_block(fast);
                let e = self.is_tag(tag, TAG_EMPTY as i64);
                self.store_bool(dst, e);
                self.goto_next();
                self.b.switch_to_block(slow);
                self.translate_builtin3(B::IsEmpty, &[src], Some(dst));
            }
            Op::TestCons { src, off } => {
                let tag = self.tag(src);
                let c = self.is_tag(tag, TAG_CONS);
                let (t, n) = (self.target(off), self.next());
                self.b.ins().brif(c, n, &[], t, &[]);
            }
            Op::TestEmpty { src, off } => {
                let tag = self.tag(src);
                let c = self.is_tag(tag, TAG_EMPTY as i64);
                let (t, n) = (self.target(off), self.next());
                self.b.ins().brif(c, n, &[], t, &[]);
            }
            Op::Head { dst, src } => {
                let p = self.payload(src);
                self.copy_from(p, CONS_HEAD_OFFSET, dst);
                self.goto_next();
            }
            Op::Tail { dst, src } => {
                let p = self.payload(src);
                self.copy_from(p, CONS_TAIL_OFFSET, dst);
                self.goto_next();
            }

            Op::Call { base, nargs } => self.translate_call(base, nargs),
            Op::Return { src } => self.translate_return(src),

            Op::TailCall { base, nargs } => self.translate_tail_call(base, nargs),

            Op::LoadBuiltin { dst, id } => self.translate_load_builtin(dst, id),
            // Allocations: through the runtime, which polls the safepoint
            // first as the interpreter does (they cannot fail).
            Op::MakeList { dst, base, n } => {
                let (rt, items, dstp) = (self.rt, self.addr(base), self.addr(dst));
                let n = self.b.ins().iconst(types::I32, n as i64);
                self.helper(self.helpers.make_list, rt_make_list as *const () as usize, &[rt, items, n, dstp]);
                self.goto_next();
            }
            Op::NewCell { dst } => {
                let (rt, dstp) = (self.rt, self.addr(dst));
                self.helper(self.helpers.new_cell, rt_new_cell as *const () as usize, &[rt, dstp]);
                self.goto_next();
            }
            Op::Closure { dst, proto } => {
                let (rt, base, dstp) = (self.rt, self.base, self.addr(dst));
                let p = self.b.ins().iconst(types::I32, proto as i64);
                self.helper(self.helpers.closure, rt_closure as *const () as usize, &[rt, p, base, dstp]);
                self.goto_next();
            }
            // Effects run host handlers that may reach anything in the
            // runtime (and are rare in hot code); `NoMatch` only raises an
            // error. The interpreter runs both.
            Op::Effect { .. } | Op::NoMatch { .. } => self.exit_here(),
        }
    }

    /// A call. When the callee has native code and nothing unusual is
    /// going on, its frame is pushed right here, as `rt_enter` would
    /// (see there) — inline, since calls are what recursive code spends
    /// its time on — and the callee runs on the machine stack. Anything
    /// unusual (a builtin, not a closure, no native code, a rest
    /// parameter or the wrong arity, limits, no room or a safepoint due)
    /// takes the slow path: builtins as `call_builtin_value` says, the rest
    /// through `rt_enter`, which handles it or returns 0 to leave the call
    /// to the interpreter. A
    /// callee that returns normally leaves its result in our call register.
    /// Any other status (a callee left to the interpreter, an error, a
    /// deopt) is passed up unchanged: the interpreter resumes whichever
    /// frame is on top.
    fn translate_call(&mut self, base: u16, nargs: u16) {
        let rt = self.rt;
        let ptr = self.ptr;
        // The callee's code and its `Function`, from either path.
        let call = self.b.create_block();
        let entry = self.b.append_block_param(call, ptr);
        let callee = self.b.append_block_param(call, ptr);
        let slow = self.cold();
        let checks = self.b.create_block();
        let push = self.b.create_block();

        let tag = self.tag(base);
        let is_closure = self.is_tag(tag, TAG_CLOSURE);
        self.b.ins().brif(is_closure, checks, &[], slow, &[]);

        // One compare and branch per condition: cheaper, and far lighter on
        // registers, than or-ing eight flags together.
        self.b.switch_to_block(checks);
        let closure = self.payload(base);
        let func = self.b.ins().load(ptr, mem(), closure, CLOSURE_FUNC_OFFSET);
        let slot = self.b.ins().load(ptr, mem(), func, FUNC_ENTRY_SLOT_OFFSET);
        // Acquire: pairs with the compile thread's Release publication.
        let code = self.b.ins().atomic_load(ptr, mem(), slot);
        let c = self.b.ins().icmp_imm_s(IntCC::Equal, code, 0);
        self.bail_if(c, slow);
        let arity = self.b.ins().uload16(types::I32, mem(), func, FUNC_FIXED_ARITY_OFFSET);
        let c = self.b.ins().icmp_imm_s(IntCC::NotEqual, arity, nargs as i64);
        self.bail_if(c, slow);
        // Room in the frame stack, within the frame limit and within the
        // native depth limit: one compare (see `FrameStack::native_limit`).
        let len = self.b.ins().load(types::I64, mem(), rt, FRAMES_LEN_OFFSET);
        let limit = self.b.ins().load(types::I64, mem(), rt, FRAMES_NATIVE_LIMIT_OFFSET);
        let c = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, len, limit);
        self.bail_if(c, slow);
        let nregs = self.b.ins().uload16(types::I64, mem(), func, FUNC_NREGS_OFFSET);
        let frame_bytes = self.b.ins().ishl_imm_u(nregs, 4);
        let callee_base = self.addr(base + 1);
        let top = self.b.ins().iadd(callee_base, frame_bytes);
        let stack_end = self.b.ins().load(ptr, mem(), rt, STACK_END_OFFSET);
        let c = self.b.ins().icmp(IntCC::UnsignedGreaterThan, top, stack_end);
        self.bail_if(c, slow);
        let c = self.safepoint_due();
        self.b.ins().brif(c, slow, &[], push, &[]);

        // The frame push, as `rt_enter` does it.
        self.b.switch_to_block(push);
        // The callee has code, so the tier manager has nothing to decide
        // (it sets `hot_calls_at` to `u64::MAX` once it sees the code
        // installed): count the call without comparing.
        let calls = self.b.ins().load(types::I64, mem(), func, FUNC_CALLS_OFFSET);
        let calls1 = self.b.ins().iadd_imm_s(calls, 1);
        self.b.ins().store(mem(), calls1, func, FUNC_CALLS_OFFSET);
        let frames = self.b.ins().load(ptr, mem(), rt, FRAMES_PTR_OFFSET);
        let off = self.b.ins().imul_imm_s(len, FRAME_SIZE);
        let new = self.b.ins().iadd(frames, off);
        let caller = self.b.ins().iadd_imm_s(new, -FRAME_SIZE);
        let resume = self.b.ins().iconst(types::I32, self.pc as i64 + 1);
        self.b.ins().store(mem(), resume, caller, FRAME_PC_OFFSET);
        let caller_base = self.b.ins().load(types::I32, mem(), caller, FRAME_BASE_OFFSET);
        let new_base = self.b.ins().iadd_imm_s(caller_base, base as i64 + 1);
        self.b.ins().store(mem(), func, new, FRAME_FUNC_OFFSET);
        self.b.ins().store(mem(), closure, new, FRAME_CLOSURE_OFFSET);
        let zero = self.b.ins().iconst(types::I32, 0);
        self.b.ins().store(mem(), zero, new, FRAME_PC_OFFSET);
        self.b.ins().store(mem(), new_base, new, FRAME_BASE_OFFSET);
        // `entered_native` and `native`, both true, in one store.
        let yes = self.b.ins().iconst(types::I16, 0x0101);
        self.b.ins().store(mem(), yes, new, FRAME_ENTERED_NATIVE_OFFSET);
        let len1 = self.b.ins().iadd_imm_s(len, 1);
        self.b.ins().store(mem(), len1, rt, FRAMES_LEN_OFFSET);
        self.b.ins().jump(call, &[BlockArg::Value(code), BlockArg::Value(func)]);

        self.b.switch_to_block(slow);
        let slot = self.addr(base);
        let n = self.b.ins().iconst(types::I32, nargs as i64);
        let next = self.next();
        let not_builtin = self.call_builtin_value(tag, base, nargs, next, false);
        self.b.switch_to_block(not_builtin);
        let resume = self.b.ins().iconst(types::I32, self.pc as i64 + 1);
        let e = self.helper(self.helpers.enter, rt_enter as *const () as usize, &[rt, slot, n, resume]).unwrap();
        let no_native = self.b.ins().icmp_imm_s(IntCC::Equal, e, 0);
        let out = self.cold();
        let entered = self.b.create_block();
        self.b.ins().brif(no_native, out, &[], entered, &[]);
        self.b.switch_to_block(out);
        self.exit_here();
        self.b.switch_to_block(entered);
        let func = self.callee_function(base);
        self.b.ins().jump(call, &[BlockArg::Value(e), BlockArg::Value(func)]);

        self.b.switch_to_block(call);
        let status = self.enter_callee(entry, callee, base);
        // The callee returned; or it tail-called, and `rt_run_tail` runs
        // the chain that follows; or it left for the interpreter (passed
        // up, as is a chain that reaches a function without native code).
        let n = self.next();
        let other = self.cold();
        let returned = self.b.ins().icmp_imm_s(IntCC::Equal, status, STATUS_RETURNED as i64);
        self.b.ins().brif(returned, n, &[], other, &[]);
        self.b.switch_to_block(other);
        let is_tail = self.b.ins().icmp_imm_s(IntCC::Equal, status, STATUS_TAIL as i64);
        let tail = self.cold();
        let pass_up = self.cold();
        let st = self.b.append_block_param(pass_up, types::I64);
        self.b.ins().brif(is_tail, tail, &[], pass_up, &[BlockArg::Value(status)]);
        self.b.switch_to_block(tail);
        let status = self.helper(self.helpers.run_tail, rt_run_tail as *const () as usize, &[rt]).unwrap();
        let returned = self.b.ins().icmp_imm_s(IntCC::Equal, status, STATUS_RETURNED as i64);
        self.b.ins().brif(returned, n, &[], pass_up, &[BlockArg::Value(status)]);
        self.b.switch_to_block(pass_up);
        self.ret(st);
    }

    /// A call of register `base` when it holds a builtin (or host
    /// function), given its `tag`: sites whose type feedback says they
    /// have called one run it here and continue at `done` with the value
    /// in `base`; other sites speculate that they call closures only, and
    /// deoptimize (so that repeated builtin calls recompile the function
    /// with this path). Returns the block where other callees go on.
    /// With `native_callers_only` (a tail call, which returns the value
    /// directly), activations the interpreter entered leave it the call.
    fn call_builtin_value(&mut self, tag: Value, base: u16, nargs: u16, done: Block, native_callers_only: bool) -> Block {
        let is_builtin = self.is_tag(tag, TAG_BUILTIN);
        let builtin = self.cold();
        let not_builtin = self.cold();
        self.b.ins().brif(is_builtin, builtin, &[], not_builtin, &[]);
        self.b.switch_to_block(builtin);
        if self.int_only {
            let d = self.deopt_block();
            self.b.ins().jump(d, &[]);
            return not_builtin;
        }
        let native = self.cold();
        let out = self.cold();
        if native_callers_only {
            let from_interp = self.entered_by_interpreter();
            self.b.ins().brif(from_interp, out, &[], native, &[]);
        } else {
            self.b.ins().jump(native, &[]);
        }
        self.b.switch_to_block(native);
        let (rt, slot) = (self.rt, self.addr(base));
        let n = self.b.ins().iconst(types::I32, nargs as i64);
        let st = self.helper(self.helpers.call_value, rt_call_value as *const () as usize, &[rt, slot, n]).unwrap();
        // 0: done; 1: an error is pending; 2: left to the interpreter
        // (`apply`, the wrong number of arguments).
        let not_done = self.cold();
        self.b.ins().brif(st, not_done, &[], done, &[]);
        self.b.switch_to_block(not_done);
        let left = self.b.ins().icmp_imm_s(IntCC::Equal, st, 2);
        let err = self.cold();
        self.b.ins().brif(left, out, &[], err, &[]);
        self.b.switch_to_block(err);
        self.status(STATUS_ERROR);
        self.b.switch_to_block(out);
        self.exit_here();
        not_builtin
    }

    /// The `Function` of the closure in register `base`.
    fn callee_function(&mut self, base: u16) -> Value {
        let closure = self.payload(base);
        self.b.ins().load(self.ptr, mem(), closure, CLOSURE_FUNC_OFFSET)
    }

    /// Runs native code `entry` at pc 0 for `callee`, the function of the
    /// closure in register `base`, whose frame is already pushed above it;
    /// returns its status.
    fn enter_callee(&mut self, entry: Value, callee: Value, base: u16) -> Value {
        let callee_base = self.addr(base + 1);
        let start = self.b.ins().iconst(types::I32, NATIVE_CALL as i64);
        let (rt, sig) = (self.rt, self.helpers.entry);
        let inst = self.b.ins().call_indirect(sig, entry, &[rt, callee, callee_base, start]);
        self.b.inst_results(inst)[0]
    }

    /// A tail call: `rt_tail` replaces our frame with the callee's and we
    /// return `STATUS_TAIL` so that whoever called us runs it (see
    /// `rt_tail`). A builtin callee runs here first (`call_builtin_value`:
    /// checked before the helper call, so that the frame base need not
    /// live across it); the cases `rt_tail` does not take (not a closure,
    /// arity mismatch, rest parameters, no stack room) leave to the
    /// interpreter.
    fn translate_tail_call(&mut self, base: u16, nargs: u16) {
        // A builtin callee runs to completion: return its value.
        let tag = self.tag(base);
        let ret = self.cold();
        let call = self.call_builtin_value(tag, base, nargs, ret, true);
        self.b.switch_to_block(ret);
        self.return_direct(base);
        self.b.switch_to_block(call);
        let rt = self.rt;
        let fbase = self.base;
        let b = self.b.ins().iconst(types::I32, base as i64);
        let n = self.b.ins().iconst(types::I32, nargs as i64);
        let done = self.helper(self.helpers.tail, rt_tail as *const () as usize, &[rt, fbase, b, n]).unwrap();
        let out = self.cold();
        let replaced = self.b.create_block();
        self.b.ins().brif(done, replaced, &[], out, &[]);
        self.b.switch_to_block(out);
        self.exit_here();
        self.b.switch_to_block(replaced);
        let st = self.b.ins().iconst(types::I64, STATUS_TAIL as i64);
        self.ret(st);
    }

    /// A return: if native code called us (`NATIVE_CALL`), pop our frame
    /// and hand the value back directly; if the interpreter did, let it
    /// return.
    fn translate_return(&mut self, src: u16) {
        let from_interp = self.entered_by_interpreter();
        let direct = self.b.create_block();
        let out = self.b.create_block();
        self.b.ins().brif(from_interp, out, &[], direct, &[]);
        self.b.switch_to_block(out);
        self.exit_here();
        self.b.switch_to_block(direct);
        self.return_direct(src);
    }

    /// Whether the interpreter (rather than native code) entered this
    /// activation.
    fn entered_by_interpreter(&mut self) -> Value {
        let pc = self.b.ins().stack_load(self.ptr, types::I32, self.entered_by, 0);
        self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, pc, 0)
    }

    /// Returns register `src` to the native code that called us (and
    /// pushed our frame): pops the frame and puts the value in the
    /// caller's call register, just below our registers.
    fn return_direct(&mut self, src: u16) {
        let (rt, base) = (self.rt, self.base);
        if self.known[self.pc].contains(src) {
            let v = self.int_payload(src);
            let t = self.b.ins().iconst(types::I8, TAG_INT as i64);
            self.b.ins().store(mem(), t, base, -SLOT);
            self.b.ins().store(mem(), v, base, -SLOT + PAYLOAD);
        } else {
            self.copy_to(src, base, -SLOT);
        }
        let len = self.b.ins().load(types::I64, mem(), rt, FRAMES_LEN_OFFSET);
        let len1 = self.b.ins().iadd_imm_s(len, -1);
        self.b.ins().store(mem(), len1, rt, FRAMES_LEN_OFFSET);
        let st = self.b.ins().iconst(types::I64, STATUS_RETURNED as i64);
        self.ret(st);
    }

    fn translate_load_tag(&mut self, dst: u16, tag: u8) {
        self.store_tag(dst, tag);
        self.goto_next();
    }

    /// A builtin as a value, as the interpreter loads it: a prelude
    /// builtin (`map`...) is its closure, read from the runtime's prelude
    /// table when the instruction runs; any other is `Builtin(id)`, a
    /// constant.
    fn translate_load_builtin(&mut self, dst: u16, id: u16) {
        match BUILTINS.get(id as usize).map(|b| b.1) {
            Some(BuiltinKind::Prelude) => {
                let table = self.b.ins().load(self.ptr, mem(), self.rt, PRELUDE_PTR_OFFSET);
                self.copy_from(table, id as i32 * SLOT, dst);
            }
            Some(_) => {
                self.store_tag(dst, TAG_BUILTIN as u8);
                let v = self.b.ins().iconst(types::I64, id as i64);
                self.b.ins().store(mem(), v, self.base, Self::off(dst) + PAYLOAD);
            }
            // Not a builtin id: the interpreter says what is wrong.
            None => return self.exit_here(),
        }
        self.goto_next();
    }

    /// Continues in a new block if register `r` has tag `t`; otherwise
    /// leaves to the interpreter (which reports what is wrong).
    fn require_tag(&mut self, r: u16, t: i64) {
        let tag = self.tag(r);
        let wrong = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, t);
        let ok = self.b.create_block();
        let out = self.cold();
        self.b.ins().brif(wrong, out, &[], ok, &[]);
        self.b.switch_to_block(out);
        self.exit_here();
        self.b.switch_to_block(ok);
    }

    /// Leaves to the interpreter when `cond` holds, else goes on.
    fn exit_if(&mut self, cond: Value) {
        let out = self.cold();
        let n = self.next();
        self.b.ins().brif(cond, out, &[], n, &[]);
        self.b.switch_to_block(out);
        self.exit_here();
    }

    fn upvals(&mut self) -> Value {
        // The running closure sits just below the frame's registers.
        let closure = self.b.ins().load(types::I64, mem(), self.base, -SLOT + PAYLOAD);
        self.b.ins().load(self.ptr, mem(), closure, CLOSURE_UPVALS_OFFSET)
    }

    fn translate_cell_read(&mut self, cell: Value, dst: u16) {
        let tag = self.b.ins().uload8(types::I32, mem(), cell, CELL_VALUE_OFFSET);
        let undef = self.is_tag(tag, TAG_UNDEF);
        let ok = self.b.create_block();
        let out = self.cold();
        self.b.ins().brif(undef, out, &[], ok, &[]);
        self.b.switch_to_block(out);
        self.exit_here();
        self.b.switch_to_block(ok);
        self.copy_from(cell, CELL_VALUE_OFFSET, dst);
        self.goto_next();
    }

    fn translate_global(&mut self, reg: u16, g: u32, set: bool) {
        let gp = self.b.ins().load(self.ptr, mem(), self.rt, GLOBALS_PTR_OFFSET);
        let goff = g as i32 * SLOT;
        let tag = self.b.ins().uload8(types::I32, mem(), gp, goff);
        let undef = self.is_tag(tag, TAG_UNDEF);
        let ok = self.b.create_block();
        let out = self.cold();
        self.b.ins().brif(undef, out, &[], ok, &[]);
        self.b.switch_to_block(out);
        self.exit_here();
        self.b.switch_to_block(ok);
        if set {
            self.copy_to(reg, gp, goff);
        } else {
            self.copy_from(gp, goff, reg);
        }
        self.goto_next();
    }

    /// The operands' tags and, when both are ints, a block that has them.
    /// The tags of `a` and `b` (None where the register is known to hold
    /// an int, or `b` is an immediate) and whether both are ints (None:
    /// known to be, so no check is emitted).
    fn int_pair(&mut self, a: u16, b: Operand) -> (Option<Value>, Option<Value>, Option<Value>) {
        let known_a = self.known[self.pc].contains(a);
        let rb = match b {
            Operand::Reg(r) if !self.known[self.pc].contains(r) => Some(r),
            _ => None,
        };
        let ta = (!known_a).then(|| self.tag(a));
        let tb = rb.map(|r| self.tag(r));
        let both = match (ta, tb) {
            (None, None) => None,
            (Some(t), None) | (None, Some(t)) => Some(self.is_tag(t, TAG_INT as i64)),
            (Some(ta), Some(tb)) => {
                // One compare for both tags (shift, or, compare, which
                // the branch fuses) rather than two compares and an and.
                let hi = self.b.ins().ishl_imm_u(ta, 8);
                let pair = self.b.ins().bor(hi, tb);
                Some(self.b.ins().icmp_imm_s(IntCC::Equal, pair, ((TAG_INT as i64) << 8) | TAG_INT as i64))
            }
        };
        (ta, tb, both)
    }

    /// Branches to `int_blk` when `both` (from `int_pair`) holds, else to
    /// `other`; straight to `int_blk` when the types are known.
    fn branch_on_ints(&mut self, both: Option<Value>, int_blk: Block, other: Block) {
        match both {
            Some(c) => {
                self.b.ins().brif(c, int_blk, &[], other, &[]);
            }
            None => {
                self.b.ins().jump(int_blk, &[]);
            }
        }
    }

    /// Continues in a new block with both operands as f64 if both tags are
    /// float; otherwise branches to `slow`.
    fn float_pair(&mut self, ta: Value, tb: Value, a: u16, b: u16, slow: Block) -> (Value, Value) {
        let hi = self.b.ins().ishl_imm_u(ta, 8);
        let pair = self.b.ins().bor(hi, tb);
        let both = self.b.ins().icmp_imm_s(IntCC::Equal, pair, ((TAG_FLOAT as i64) << 8) | TAG_FLOAT as i64);
        let fblk = self.b.create_block();
        self.b.ins().brif(both, fblk, &[], slow, &[]);
        self.b.switch_to_block(fblk);
        let x = self.b.ins().load(types::F64, mem(), self.base, Self::off(a) + PAYLOAD);
        let y = self.b.ins().load(types::F64, mem(), self.base, Self::off(b) + PAYLOAD);
        (x, y)
    }

    /// After a path has checked that `a` and `b` hold the ints `x` and
    /// `y`: remember them.
    fn def_operands(&mut self, a: u16, x: Value, b: Operand, y: Value) {
        self.def_int(a, x);
        if let Operand::Reg(rb) = b {
            self.def_int(rb, y);
        }
    }

    fn operand_payload(&mut self, b: Operand) -> Value {
        match b {
            Operand::Reg(r) => self.int_payload(r),
            Operand::Imm(i) => self.b.ins().iconst(types::I64, i),
        }
    }

    fn operand_addr(&mut self, b: Operand) -> Value {
        match b {
            Operand::Reg(r) => self.addr(r),
            Operand::Imm(i) => self.scratch_int(i),
        }
    }

    /// `+ - *`: ints with an overflow check inline. A site that has only
    /// seen ints deoptimizes on anything else; others also inline float +
    /// float and send the rest (mixed, overflow, errors) to the runtime.
    fn translate_arith(&mut self, op: u32, dst: u16, a: u16, b: Operand) {
        let (ta, tb, both_int) = self.int_pair(a, b);
        let int_blk = self.b.create_block();
        let float_check = self.b.create_block();
        let slow = if self.int_only { self.deopt_block() } else { self.cold() };
        let not_ints = if self.int_only { slow } else { float_check };
        self.branch_on_ints(both_int, int_blk, not_ints);

        self.b.switch_to_block(int_blk);
        let x = self.int_payload(a);
        let y = self.operand_payload(b);
        let (r, overflow) = match (op, b) {
            // With a constant, the result overflowed iff it moved the
            // wrong way: a compare that x86 fuses with its branch, where
            // the overflow flag costs a `seto; test` pair, and a
            // three-operand `lea` that spares a loop counter's copy.
            (ARITH_ADD | ARITH_SUB, Operand::Imm(c)) if c != 0 => {
                let c = if op == ARITH_ADD { c } else { -c };
                let r = self.b.ins().iadd_imm_s(x, c);
                if (c == 1 || c == -1) && crate::types::bounded_step(self.code, &self.loop_at, &self.known, self.pc, a, c) {
                    // A loop counter stepping towards its loop's bound.
                    (r, None)
                } else {
                    let wrapped = if c > 0 { IntCC::SignedLessThan } else { IntCC::SignedGreaterThan };
                    (r, Some(self.b.ins().icmp(wrapped, r, x)))
                }
            }
            (ARITH_ADD, _) => {
                let (r, o) = self.b.ins().sadd_overflow(x, y);
                (r, Some(o))
            }
            (ARITH_SUB, _) => {
                let (r, o) = self.b.ins().ssub_overflow(x, y);
                (r, Some(o))
            }
            _ => {
                let (r, o) = self.b.ins().smul_overflow(x, y);
                (r, Some(o))
            }
        };
        if let Some(overflow) = overflow {
            let ok = self.b.create_block();
            match self.undo_block(op, dst, a, b, x, y, r, slow) {
                Some(undo) => self.b.ins().brif(overflow, undo, &[], ok, &[]),
                None => self.b.ins().brif(overflow, slow, &[], ok, &[]),
            };
            self.b.switch_to_block(ok);
        }
        // Both operand tags were checked (an immediate is an int).
        let dst_is_operand = dst == a || matches!(b, Operand::Reg(rb) if rb == dst);
        if dst_is_operand {
            self.store_payload(dst, r);
        } else {
            self.store_int(dst, r);
        }
        self.def_operands(a, x, b, y);
        self.def_int(dst, r);
        self.goto_next();
        if self.int_only {
            // `float_check` is unused; give it a terminator.
            self.b.switch_to_block(float_check);
            self.b.ins().jump(slow, &[]);
            return;
        }

        // Float + float inline; everything else (mixed, overflow, errors)
        // through the runtime's slow path.
        self.b.switch_to_block(float_check);
        // (A register known to be an int rules the float path out.)
        match (b, ta, tb) {
            (Operand::Reg(rb), Some(ta), Some(tb)) => {
                let (x, y) = self.float_pair(ta, tb, a, rb, slow);
                let r = match op {
                    ARITH_ADD => self.b.ins().fadd(x, y),
                    ARITH_SUB => self.b.ins().fsub(x, y),
                    _ => self.b.ins().fmul(x, y),
                };
                // Both operands were checked to be floats here.
                if dst == a || dst == rb {
                    self.b.ins().store(mem(), r, self.base, Self::off(dst) + PAYLOAD);
                } else {
                    self.store_float(dst, r);
                }
                self.goto_next();
            }
            _ => {
                self.b.ins().jump(slow, &[]);
            }
        }

        self.b.switch_to_block(slow);
        self.arith_slow(op, dst, a, b);
    }

    /// In a register loop, the deoptimization on overflow writes the
    /// registers' values from before the instruction, which the
    /// interpreter then runs again. When the instruction updates one of
    /// its operands (`(set! i (+ i 1))`), that value is recomputed from
    /// the wrapped result here (`+` and `-` wrap exactly), so the old one
    /// need not stay live beside the new (a register copy per update).
    /// Returns the block that does it, on the way to `deopt`.
    #[allow(clippy::too_many_arguments)]
    fn undo_block(&mut self, op: u32, dst: u16, a: u16, b: Operand, x: Value, y: Value, r: Value, deopt: Block) -> Option<Block> {
        let var = self.vars[dst as usize]?;
        if !self.int_only || !self.deferred(dst) || op == ARITH_MUL || b == Operand::Reg(a) {
            return None;
        }
        let updates_b = b == Operand::Reg(dst);
        if dst != a && !updates_b {
            return None;
        }
        let here = self.b.current_block()?;
        let undo = self.cold();
        self.b.switch_to_block(undo);
        let old = match (op, dst == a) {
            (ARITH_ADD, true) => self.b.ins().isub(r, y),
            (ARITH_ADD, false) => self.b.ins().isub(r, x),
            (_, true) => self.b.ins().iadd(r, y),
            (_, false) => self.b.ins().isub(x, r),
        };
        self.b.def_var(var, old);
        self.b.ins().jump(deopt, &[]);
        self.b.switch_to_block(here);
        Some(undo)
    }

    fn arith_slow(&mut self, op: u32, dst: u16, a: u16, b: Operand) {
        let opv = self.b.ins().iconst(types::I32, op as i64);
        let aa = self.addr(a);
        let ba = self.operand_addr(b);
        let da = self.addr(dst);
        let rt = self.rt;
        let st = self.helper(self.helpers.arith, rt_arith as *const () as usize, &[rt, opv, aa, ba, da]).unwrap();
        self.check_status_then_next(st);
    }

    /// `/`, `mod`, `rem`: int fast path when the divisor is neither 0 nor
    /// -1 (the two cases that error or can overflow), else the slow path.
    fn translate_divide(&mut self, op: u32, dst: u16, a: u16, b: u16) {
        let (ta, tb, both_int) = self.int_pair(a, Operand::Reg(b));
        let check = self.b.create_block();
        let fast = self.b.create_block();
        let slow = self.cold();
        match (op, ta, tb) {
            // `/` of two floats is IEEE division, inline (as `numeric::div`).
            (ARITH_DIV, Some(ta), Some(tb)) => {
                let not_ints = self.b.create_block();
                self.branch_on_ints(both_int, check, not_ints);
                self.b.switch_to_block(not_ints);
                let (x, y) = self.float_pair(ta, tb, a, b, slow);
                let r = self.b.ins().fdiv(x, y);
                self.store_float(dst, r);
                self.goto_next();
            }
            _ => self.branch_on_ints(both_int, check, slow),
        }
        self.b.switch_to_block(check);
        let y = self.int_payload(b);
        let yp1 = self.b.ins().iadd_imm_s(y, 1);
        // y + 1 <= 1 (unsigned) exactly when y is 0 or -1.
        let risky = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, yp1, 1);
        self.b.ins().brif(risky, slow, &[], fast, &[]);
        self.b.switch_to_block(fast);
        let x = self.int_payload(a);
        let r = match op {
            ARITH_DIV => self.b.ins().sdiv(x, y),
            ARITH_REM => self.b.ins().srem(x, y),
            _ => {
                // mod takes the divisor's sign: adjust a non-zero
                // remainder whose sign differs from the divisor's.
                let m = self.b.ins().srem(x, y);
                let nz = self.b.ins().icmp_imm_s(IntCC::NotEqual, m, 0);
                let x_or = self.b.ins().bxor(m, y);
                let differ = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, x_or, 0);
                let adjust = self.b.ins().band(nz, differ);
                let plus = self.b.ins().iadd(m, y);
                self.b.ins().select(adjust, plus, m)
            }
        };
        self.store_int(dst, r);
        self.goto_next();
        self.b.switch_to_block(slow);
        self.arith_slow(op, dst, a, Operand::Reg(b));
    }

    /// `(sqrt x)` of a float or an int: IEEE square root inline, as
    /// `f64::sqrt` computes it; anything else through the builtin.
    fn translate_sqrt(&mut self, r: u16) {
        let tag = self.tag(r);
        let is_float = self.is_tag(tag, TAG_FLOAT as i64);
        let float_blk = self.b.create_block();
        let not_float = self.b.create_block();
        let done = self.b.create_block();
        let x = self.b.append_block_param(done, types::F64);
        let slow = self.cold();
        self.b.ins().brif(is_float, float_blk, &[], not_float, &[]);
        self.b.switch_to_block(float_blk);
        let f = self.b.ins().load(types::F64, mem(), self.base, Self::off(r) + PAYLOAD);
        self.b.ins().jump(done, &[BlockArg::Value(f)]);
        self.b.switch_to_block(not_float);
        let is_int = self.is_tag(tag, TAG_INT as i64);
        let int_blk = self.b.create_block();
        self.b.ins().brif(is_int, int_blk, &[], slow, &[]);
        self.b.switch_to_block(int_blk);
        let i = self.payload(r);
        let f = self.b.ins().fcvt_from_sint(types::F64, i);
        self.b.ins().jump(done, &[BlockArg::Value(f)]);
        self.b.switch_to_block(done);
        let root = self.b.ins().sqrt(x);
        self.store_float(r, root);
        self.goto_next();
        self.b.switch_to_block(slow);
        self.call_builtin(r, 1, B::Sqrt as u16);
    }

    /// A builtin on `nargs` registers from `base`, result in `base`,
    /// through the runtime.
    fn call_builtin(&mut self, base: u16, nargs: u16, id: u16) {
        let (rt, idv) = (self.rt, self.b.ins().iconst(types::I32, id as i64));
        let args = self.addr(base);
        let n = self.b.ins().iconst(types::I32, nargs as i64);
        let st = self.helper(self.helpers.builtin, rt_call_builtin as *const () as usize, &[rt, idv, args, n]).unwrap();
        self.check_status_then_next(st);
    }

    fn translate_neg(&mut self, dst: u16, src: u16) {
        let tag = self.tag(src);
        let is_int = self.is_tag(tag, TAG_INT as i64);
        let int_blk = self.b.create_block();
        let not_int = self.b.create_block();
        let out = self.cold();
        self.b.ins().brif(is_int, int_blk, &[], not_int, &[]);
        self.b.switch_to_block(int_blk);
        let x = self.payload(src);
        let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, x, i64::MIN);
        let ok = self.b.create_block();
        self.b.ins().brif(is_min, out, &[], ok, &[]);
        self.b.switch_to_block(ok);
        let r = self.b.ins().ineg(x);
        self.store_int(dst, r);
        self.goto_next();
        self.b.switch_to_block(not_int);
        let is_float = self.is_tag(tag, TAG_FLOAT as i64);
        let fblk = self.b.create_block();
        self.b.ins().brif(is_float, fblk, &[], out, &[]);
        self.b.switch_to_block(fblk);
        let f = self.b.ins().load(types::F64, mem(), self.base, Self::off(src) + PAYLOAD);
        let r = self.b.ins().fneg(f);
        self.store_float(dst, r);
        self.goto_next();
        self.b.switch_to_block(out);
        self.exit_here();
    }

    /// Evaluates a comparison into an i8 truth value in a fresh block,
    /// returning (that block, the value); errors leave through the error
    /// exit.
    fn compare(&mut self, cmp: u32, a: u16, b: Operand) -> (Block, Value) {
        let done = self.b.create_block();
        let truth = self.b.append_block_param(done, types::I8);
        let (ta, tb, both_int) = self.int_pair(a, b);
        let int_blk = self.b.create_block();
        let other = self.b.create_block();
        let slow = self.cold();
        if self.int_only {
            let deopt = self.deopt_block();
            self.branch_on_ints(both_int, int_blk, deopt);
        } else {
            self.branch_on_ints(both_int, int_blk, other);
        }

        self.b.switch_to_block(int_blk);
        let x = self.int_payload(a);
        let y = self.operand_payload(b);
        self.def_operands(a, x, b, y);
        let cc = match cmp {
            CMP_LT => IntCC::SignedLessThan,
            CMP_LE => IntCC::SignedLessThanOrEqual,
            CMP_GT => IntCC::SignedGreaterThan,
            CMP_GE => IntCC::SignedGreaterThanOrEqual,
            CMP_EQ => IntCC::Equal,
            _ => IntCC::NotEqual,
        };
        let t = self.b.ins().icmp(cc, x, y);
        self.b.ins().jump(done, &[BlockArg::Value(t)]);

        self.b.switch_to_block(other);
        match (b, ta, tb, cmp) {
            (Operand::Reg(rb), Some(ta), Some(tb), CMP_LT | CMP_LE | CMP_GT | CMP_GE) => {
                let (x, y) = self.float_pair(ta, tb, a, rb, slow);
                let fcc = match cmp {
                    CMP_LT => FloatCC::LessThan,
                    CMP_LE => FloatCC::LessThanOrEqual,
                    CMP_GT => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                let t = self.b.ins().fcmp(fcc, x, y);
                self.b.ins().jump(done, &[BlockArg::Value(t)]);
            }
            _ => {
                self.b.ins().jump(slow, &[]);
            }
        }

        self.b.switch_to_block(slow);
        let cmpv = self.b.ins().iconst(types::I32, cmp as i64);
        let aa = self.addr(a);
        let ba = self.operand_addr(b);
        let rt = self.rt;
        let r = self.helper(self.helpers.compare, rt_compare as *const () as usize, &[rt, cmpv, aa, ba]).unwrap();
        let is_err = self.b.ins().icmp_imm_s(IntCC::Equal, r, 2);
        let err = self.cold();
        let fine = self.b.create_block();
        self.b.ins().brif(is_err, err, &[], fine, &[]);
        self.b.switch_to_block(err);
        self.status(STATUS_ERROR);
        self.b.switch_to_block(fine);
        let t = self.b.ins().ireduce(types::I8, r);
        self.b.ins().jump(done, &[BlockArg::Value(t)]);

        self.b.switch_to_block(done);
        (done, truth)
    }

    /// A comparison into a register. When the next instruction only
    /// branches on that register (`(if (not (< a b)) ...)`) and nothing
    /// else jumps to it, the branch is taken here on the comparison's
    /// result, not re-derived from the stored bool (which is still stored:
    /// the slot stays exact).
    fn translate_compare_value(&mut self, cmp: u32, dst: u16, a: u16, b: u16) {
        let (_, t) = self.compare(cmp, a, Operand::Reg(b));
        self.store_bool(dst, t);
        let next = self.pc + 1;
        let fused = match self.code.get(next) {
            Some(&Op::JmpIfTrue { src, off }) if src == dst && !self.jumped_to[next] => Some((true, off)),
            Some(&Op::JmpIfFalse { src, off }) if src == dst && !self.jumped_to[next] => Some((false, off)),
            _ => None,
        };
        match fused {
            Some((if_true, off)) => {
                let target = (next as i64 + 1 + off as i64) as usize;
                let fall = next + 1;
                let (yes, no) = if if_true { (target, fall) } else { (fall, target) };
                self.branch(t, yes, no);
            }
            None => self.goto_next(),
        }
    }

    fn translate_compare_jump(&mut self, cmp: u32, a: u16, b: Operand, off: i16) {
        let (_, t) = self.compare(cmp, a, b);
        let target = self.target_pc(off.into());
        self.branch(t, self.pc + 1, target);
    }

    /// A two-way branch to the blocks of pcs `yes` (when `c` is non-zero)
    /// and `no`. Cranelift lays a branch's second successor out right
    /// after it, so when one way leaves the innermost loop around this
    /// instruction and the other stays, the branch is written with the
    /// condition inverted as needed to make the staying way the second:
    /// the loop body falls through and the only taken branch per
    /// iteration is the back-edge. (`icmp == 0` of a comparison folds into
    /// the complementary comparison.)
    fn branch(&mut self, c: Value, yes: usize, no: usize) {
        let (yb, nb) = (self.forward(yes), self.forward(no));
        let leaves = |t: usize| self.loop_at[self.pc].is_some_and(|(h, e)| t < h || t > e);
        if leaves(no) && !leaves(yes) {
            let not = self.b.ins().icmp_imm_s(IntCC::Equal, c, 0);
            self.b.ins().brif(not, nb, &[], yb, &[]);
        } else {
            self.b.ins().brif(c, yb, &[], nb, &[]);
        }
    }

    /// A loop back-edge: count it (for the statistics) and make the
    /// safepoint check (a collection is due, or a profiler or another
    /// thread wants attention) — both inline; the slow path is a cold call.
    fn backedge(&mut self) {
        // In a register loop, what says when to poll: the back-edge count,
        // or a counted loop's counter, which also tells, when the loop is
        // left, how many back-edges it took (so nothing else counts them).
        let ticker = match self.reg_loop().and_then(|l| self.counters[l]) {
            Some((c, _)) => Some(self.counter_value(c)),
            None => {
                let e = self.edges.expect("functions with back-edges count them");
                let n = self.b.use_var(e);
                let n1 = self.b.ins().iadd_imm_s(n, 1);
                self.b.def_var(e, n1);
                self.reg_loop().map(|_| n1)
            }
        };
        let go_on = self.b.create_block();
        if let Some(t) = ticker {
            // A register loop allocates nothing: a collection due here was
            // due when the loop started, and otherwise only other threads'
            // requests make a safepoint due (see `safepoint.rs`). Checking
            // every `REGISTER_LOOP_POLL` iterations serves either a few
            // microseconds later at most, for a test-and-branch instead of
            // two loads and a compare.
            let some = self.b.ins().band_imm_s(t, REGISTER_LOOP_POLL - 1);
            let poll = self.cold();
            self.b.ins().brif(some, go_on, &[], poll, &[]);
            self.b.switch_to_block(poll);
        }
        self.poll(go_on);
        self.b.switch_to_block(go_on);
    }

    /// The safepoint check, continuing at `go_on`.
    fn poll(&mut self, go_on: Block) {
        let due = self.safepoint_due();
        let gc = self.cold();
        self.b.ins().brif(due, gc, &[], go_on, &[]);
        self.b.switch_to_block(gc);
        let rt = self.rt;
        self.helper(self.helpers.safepoint, self.stubs.safepoint, &[rt]);
        self.b.ins().jump(go_on, &[]);
    }

    /// Whether a safepoint is due (a collection, or another thread asks
    /// for attention; see `safepoint.rs`): `heap.bytes >= *limit`.
    fn safepoint_due(&mut self) -> Value {
        let bytes = self.b.ins().load(self.ptr, mem(), self.rt, HEAP_BYTES_OFFSET);
        let limit_ptr = match self.limit_ptr.filter(|_| self.reg_loop().is_none()) {
            Some(p) => p,
            None => self.b.ins().load(self.ptr, mem(), self.rt, SAFEPOINT_LIMIT_PTR_OFFSET),
        };
        let limit = self.b.ins().load(self.ptr, mem(), limit_ptr, 0);
        self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, bytes, limit)
    }

    /// A self tail call: if the callee is the running closure, move the
    /// arguments into the parameters and loop; otherwise the interpreter
    /// performs a real tail call.
    fn translate_tail_self(&mut self, base: u16, nargs: u16) {
        let tag = self.tag(base);
        let is_closure = self.is_tag(tag, TAG_CLOSURE);
        let check = self.b.create_block();
        let out = self.cold();
        self.b.ins().brif(is_closure, check, &[], out, &[]);
        self.b.switch_to_block(check);
        let callee = self.payload(base);
        let me = self.b.ins().load(types::I64, mem(), self.base, -SLOT + PAYLOAD);
        let same = self.b.ins().icmp(IntCC::Equal, callee, me);
        let jump = self.b.create_block();
        self.b.ins().brif(same, jump, &[], out, &[]);
        self.b.switch_to_block(jump);
        for i in 0..nargs {
            let src = self.base;
            self.copy_from(src, Self::off(base + 1 + i), i);
        }
        self.backedge();
        // Like a call, through the start's guard if the start is a loop
        // header.
        let start = self.forward(0);
        self.b.ins().jump(start, &[]);
        // Another function after all (the name was rebound).
        self.b.switch_to_block(out);
        self.translate_tail_call(base, nargs);
    }

    fn translate_builtin3(&mut self, id: B, regs: &[u16], dst: Option<u16>) {
        let rt = self.rt;
        let idv = self.b.ins().iconst(types::I32, id as i64);
        let n = self.b.ins().iconst(types::I32, regs.len() as i64);
        let mut ptrs = Vec::new();
        for i in 0..3 {
            ptrs.push(match regs.get(i) {
                Some(&r) => self.addr(r),
                None => self.b.ins().iconst(self.ptr, 0),
            });
        }
        let d = match dst {
            Some(r) => self.addr(r),
            None => self.b.ins().iconst(self.ptr, 0),
        };
        let st = self
            .helper(self.helpers.builtin3, rt_builtin3 as *const () as usize, &[rt, idv, n, ptrs[0], ptrs[1], ptrs[2], d])
            .unwrap();
        self.check_status_then_next(st);
    }

    /// `vector-ref` / `vector-set!`: inline when the operands are a vector
    /// and an in-range int, else the builtin (for its errors).
    fn translate_vector(&mut self, v: u16, i: u16, x: u16, set: bool) {
        let tv = self.tag(v);
        let is_vec = self.is_tag(tv, TAG_VECTOR);
        let both = if self.known[self.pc].contains(i) {
            is_vec
        } else {
            let ti = self.tag(i);
            let is_int = self.is_tag(ti, TAG_INT as i64);
            self.b.ins().band(is_vec, is_int)
        };
        let check = self.b.create_block();
        let fast = self.b.create_block();
        let slow = self.cold();
        self.b.ins().brif(both, check, &[], slow, &[]);
        self.b.switch_to_block(check);
        let obj = self.payload(v);
        let idx = self.int_payload(i);
        let len = self.b.ins().load(types::I64, mem(), obj, VECTOR_LEN_OFFSET);
        // Unsigned compare: negative indices are huge, hence out of range.
        let inb = self.b.ins().icmp(IntCC::UnsignedLessThan, idx, len);
        self.b.ins().brif(inb, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let items = self.b.ins().load(self.ptr, mem(), obj, VECTOR_PTR_OFFSET);
        let byte_off = self.b.ins().ishl_imm_u(idx, 4);
        let elem = self.b.ins().iadd(items, byte_off);
        if set {
            self.copy_to(x, elem, 0);
        } else {
            self.copy_from(elem, 0, x);
        }
        self.goto_next();
        self.b.switch_to_block(slow);
        if set {
            self.translate_builtin3(B::VectorSet, &[v, i, x], None);
        } else {
            self.translate_builtin3(B::VectorRef, &[v, i], Some(x));
        }
    }

    fn translate_list_part(&mut self, dst: u16, src: u16, offset: i32, id: B) {
        let tag = self.tag(src);
        let is_cons = self.is_tag(tag, TAG_CONS);
        let fast = self.b.create_block();
        let slow = self.cold();
        self.b.ins().brif(is_cons, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let p = self.payload(src);
        self.copy_from(p, offset, dst);
        self.goto_next();
        self.b.switch_to_block(slow);
        self.translate_builtin3(id, &[src], Some(dst));
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Operand {
    Reg(u16),
    Imm(i64),
}

#[allow(dead_code)]
const _: () = assert!(TAG_SYM == 5);
