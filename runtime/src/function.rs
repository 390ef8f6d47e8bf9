//! A loaded function: a bytecode `Proto` plus its constants as heap values
//! and the per-function state tiers attach to.
//!
//! Functions are owned by the runtime (boxed, so their address is stable)
//! and never freed while it lives: closures point at them directly, and so
//! will compiled code. Their constants are GC roots.

use crate::value::Value;
use claudelang_frontend::bytecode::Proto;
use crate::tier::NativeEntry;
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub struct Function {
    pub proto: Arc<Proto>,
    pub consts: Box<[Value]>,
    pub children: Box<[NonNull<Function>]>,
    /// `proto.code`, cached: the interpreter reloads it on every call.
    pub code: *const claudelang_frontend::Op,
    /// Registers the frame needs (`proto.nregs`), cached likewise.
    pub nregs: u16,
    /// The argument count when it is fixed; `u16::MAX` for rest params.
    pub fixed_arity: u16,
    /// Index in the runtime's function table (stable id for tiers and
    /// profilers).
    pub id: u32,
    /// Calls into this function (the tier manager's hot counter lives here).
    pub calls: Cell<u64>,
    /// Loop back-edges taken inside this function.
    pub backedges: Cell<u64>,
    /// The call count at which the tier manager hears about this function
    /// again (`u64::MAX`: never). One compare on the call path.
    pub hot_calls_at: Cell<u64>,
    /// Likewise for loop back-edges.
    pub hot_loops_at: Cell<u64>,
    /// Times native code was entered at a loop header of a frame that was
    /// running in the interpreter (on-stack replacement).
    pub osr_entries: Cell<u64>,
    /// Times native code gave up on a speculation and returned here.
    pub deopts: Cell<u64>,
    /// The native entry point, published by the compile thread with
    /// Release and read with Acquire at calls and back-edges; 0 = none.
    pub native: Arc<AtomicUsize>,
    /// `Arc::as_ptr(&native)`: where native code reads a callee's entry
    /// point on its inline call path (one load, not two).
    pub entry_slot: *const AtomicUsize,
    /// Per-instruction type feedback: bit set of value tags seen by the
    /// instruction at that pc (arithmetic and comparisons), which the
    /// native tier speculates on.
    pub feedback: Box<[Cell<u16>]>,
}

impl Function {
    /// A freshly loaded function: interpreted, counters at zero, reporting
    /// hot after `hot_calls` calls or `hot_loops` back-edges.
    pub fn new(
        id: u32,
        proto: Arc<Proto>,
        consts: Box<[Value]>,
        children: Box<[NonNull<Function>]>,
        (hot_calls, hot_loops): (u64, u64),
    ) -> Function {
        let native = Arc::new(AtomicUsize::new(0));
        Function {
            entry_slot: Arc::as_ptr(&native),
            native,
            id,
            code: proto.code.as_ptr(),
            nregs: proto.nregs,
            fixed_arity: if proto.has_rest { u16::MAX } else { proto.nparams },
            hot_calls_at: Cell::new(hot_calls),
            hot_loops_at: Cell::new(hot_loops),
            osr_entries: Cell::new(0),
            deopts: Cell::new(0),
            calls: Cell::new(0),
            backedges: Cell::new(0),
            feedback: (0..proto.code.len()).map(|_| Cell::new(0)).collect(),
            proto,
            consts,
            children,
        }
    }

    /// The compiled code, if the native tier has installed some.
    #[inline(always)]
    pub fn native_entry(&self) -> Option<NativeEntry> {
        match self.native.load(Ordering::Acquire) {
            0 => None,
            // SAFETY: only the tier manager stores here, and only addresses
            // of finalized functions with the `NativeEntry` signature.
            p => Some(unsafe { std::mem::transmute::<usize, NativeEntry>(p) }),
        }
    }

    pub fn name(&self) -> &str {
        self.proto.display_name()
    }

    /// `file:line` where the function was defined.
    pub fn location(&self) -> String {
        let (line, _) = self.proto.source.line_col(self.proto.span.start);
        format!("{}:{}", self.proto.source.name, line)
    }
}
