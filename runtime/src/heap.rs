//! The garbage-collected heap: a precise, non-moving mark-and-sweep
//! collector in the style of Lua's.
//!
//! Every object is a `GcBox<T>` (header + payload) on an intrusive list of
//! all objects. Collection marks from roots the runtime supplies (the VM
//! register stack, globals, constants, effect state, host handles) with an
//! explicit worklist — never recursion, so a million-element list cannot
//! overflow the Rust stack — and sweeps the list, freeing what was not
//! reached. Cycles (a closure that refers to itself through a cell, a vector
//! that contains itself) are collected like anything else.
//!
//! When: `should_collect` turns true once allocation since the last cycle
//! exceeds the live size at that cycle (so heap growth is bounded by about
//! 2x the live data). The VM checks it only at safepoints — calls,
//! back-edges and allocating instructions — where every value it holds is
//! in a register; Rust code between safepoints (a builtin building a list)
//! therefore never has its temporaries collected from under it.

use crate::function::Function;
use crate::value::*;
use std::cell::Cell;
use std::ptr::NonNull;
use crate::safepoint::Safepoint;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Str,
    Cons,
    Vector,
    Closure,
    Cell,
    Host,
}

#[repr(C)]
pub(crate) struct Header {
    next: *mut Header,
    marked: Cell<bool>,
    kind: Kind,
}

/// A heap object: header, then the payload (`repr(C)`, so native code can
/// find the payload at a fixed offset).
#[repr(C)]
pub struct GcBox<T> {
    hdr: Header,
    pub(crate) value: T,
}

/// Collection statistics, for `--tier-stats`, tests and embedders.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeapStats {
    pub collections: u64,
    pub live_objects: usize,
    pub live_bytes: usize,
    pub allocated_bytes_total: u64,
    /// The most bytes held at once (checked at each collection).
    pub peak_bytes: usize,
    pub freed_objects_total: u64,
}

pub struct Heap {
    head: *mut Header,
    /// Bytes currently allocated (live + not yet swept garbage).
    pub(crate) bytes: usize,
    /// A collection is due once `bytes` reaches this.
    pub(crate) threshold: usize,
    /// The safepoint check compares `bytes` with `safepoint.limit`: the
    /// threshold, or zero when another thread wants attention.
    pub(crate) safepoint: Arc<Safepoint>,
    /// `&safepoint.limit`, for native code (stable: it is inside the Arc).
    pub(crate) limit_ptr: *const AtomicUsize,
    objects: usize,
    gray: Vec<Value>,
    stats: HeapStats,
}

const MIN_THRESHOLD: usize = 4 << 20;

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Heap {
    pub fn new() -> Heap {
        let safepoint = Safepoint::new(MIN_THRESHOLD);
        let limit_ptr = &safepoint.limit as *const AtomicUsize;
        Heap {
            head: std::ptr::null_mut(),
            bytes: 0,
            threshold: MIN_THRESHOLD,
            safepoint,
            limit_ptr,
            objects: 0,
            gray: Vec::new(),
            stats: HeapStats::default(),
        }
    }

    /// The safepoint check: a collection is due, or another thread made a
    /// request (see `safepoint.rs`). Either way, call
    /// `Runtime::safepoint`.
    #[inline(always)]
    pub fn at_safepoint(&self) -> bool {
        self.bytes >= self.safepoint.limit.load(Ordering::Relaxed)
    }

    /// Whether a collection is due now.
    pub fn should_collect(&self) -> bool {
        self.bytes >= self.threshold
    }

    pub fn stats(&self) -> HeapStats {
        HeapStats {
            live_objects: self.objects,
            live_bytes: self.bytes,
            peak_bytes: self.stats.peak_bytes.max(self.bytes),
            ..self.stats
        }
    }

    /// Bytes currently held by objects, garbage not yet swept included.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn alloc<T>(&mut self, kind: Kind, value: T, extra: usize) -> Gc<T> {
        let b = Box::new(GcBox { hdr: Header { next: self.head, marked: Cell::new(false), kind }, value });
        let size = std::mem::size_of::<GcBox<T>>() + extra;
        self.bytes += size;
        self.stats.allocated_bytes_total += size as u64;
        self.objects += 1;
        let p = Box::into_raw(b);
        self.head = p as *mut Header;
        // SAFETY: Box::into_raw never returns null.
        Gc(unsafe { NonNull::new_unchecked(p) })
    }

    pub fn alloc_str(&mut self, text: impl Into<Box<str>>) -> Value {
        let text = text.into();
        let extra = text.len();
        Value::Str(self.alloc(Kind::Str, Str::new(text), extra))
    }

    pub fn cons(&mut self, head: Value, tail: Value) -> Value {
        debug_assert!(tail.is_list(), "improper list");
        Value::Cons(self.alloc(Kind::Cons, Cons { head, tail }, 0))
    }

    /// Builds a proper list from a slice (allocating from the end).
    pub fn list_from(&mut self, items: &[Value]) -> Value {
        let mut acc = Value::Empty;
        for &v in items.iter().rev() {
            acc = self.cons(v, acc);
        }
        acc
    }

    pub fn alloc_vector(&mut self, items: Box<[Value]>) -> Value {
        let extra = items.len() * std::mem::size_of::<Value>();
        Value::Vector(self.alloc(Kind::Vector, Vector::new(items), extra))
    }

    pub fn alloc_closure(&mut self, func: NonNull<Function>, upvals: Box<[Value]>) -> Gc<Closure> {
        let extra = upvals.len() * std::mem::size_of::<Value>();
        let upvals_ptr = upvals.as_ptr();
        self.alloc(Kind::Closure, Closure { func, upvals_ptr, upvals }, extra)
    }

    pub fn alloc_cell(&mut self, v: Value) -> Value {
        Value::Cell(self.alloc(Kind::Cell, CellObj { value: Cell::new(v) }, 0))
    }

    pub fn alloc_host(&mut self, value: Box<dyn std::any::Any>, type_name: &'static str) -> Value {
        Value::Host(self.alloc(Kind::Host, HostObj { value, type_name }, 64))
    }

    // ---- collection ----------------------------------------------------

    /// Marks a root. Call for every root, then `finish_collection`.
    #[inline]
    pub fn mark(&mut self, v: Value) {
        if let Some(h) = header_of(v) {
            // SAFETY: a value reachable from a root points to a live object.
            let h = unsafe { &*h };
            if !h.marked.get() {
                h.marked.set(true);
                self.gray.push(v);
            }
        }
    }

    pub fn mark_all(&mut self, vs: &[Value]) {
        for &v in vs {
            self.mark(v);
        }
    }

    /// Traces everything reachable from the marked roots, then frees the
    /// rest. Returns the number of objects freed.
    pub fn finish_collection(&mut self) -> usize {
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.bytes);
        while let Some(v) = self.gray.pop() {
            match v {
                Value::Cons(c) => {
                    self.mark(c.head);
                    self.mark(c.tail);
                }
                Value::Vector(vec) => {
                    for i in 0..vec.len() {
                        self.mark(vec.get(i).unwrap());
                    }
                }
                Value::Closure(c) => {
                    for i in 0..c.upvals.len() {
                        self.mark(c.upvals[i]);
                    }
                }
                Value::Cell(c) => self.mark(c.value.get()),
                _ => {}
            }
        }
        let freed = self.sweep();
        self.stats.collections += 1;
        self.stats.freed_objects_total += freed as u64;
        self.threshold = (self.bytes * 2).max(MIN_THRESHOLD);
        self.safepoint.rearm(self.threshold);
        freed
    }

    fn sweep(&mut self) -> usize {
        let mut freed = 0;
        let mut link: *mut *mut Header = &mut self.head;
        // SAFETY: walks the intrusive list this heap owns; each unmarked
        // node is unlinked before it is freed.
        unsafe {
            while !(*link).is_null() {
                let h = *link;
                if (*h).marked.get() {
                    (*h).marked.set(false);
                    link = &mut (*h).next;
                } else {
                    *link = (*h).next;
                    self.bytes -= free_object(h);
                    self.objects -= 1;
                    freed += 1;
                }
            }
        }
        freed
    }
}

fn header_of(v: Value) -> Option<*const Header> {
    Some(match v {
        Value::Str(g) => g.0.as_ptr() as *const Header,
        Value::Cons(g) => g.0.as_ptr() as *const Header,
        Value::Vector(g) => g.0.as_ptr() as *const Header,
        Value::Closure(g) => g.0.as_ptr() as *const Header,
        Value::Cell(g) => g.0.as_ptr() as *const Header,
        Value::Host(g) => g.0.as_ptr() as *const Header,
        _ => return None,
    })
}

/// Frees one object; returns the bytes it accounted for.
///
/// # Safety
/// `h` must be an unlinked object of this heap that nothing will use again.
unsafe fn free_object(h: *mut Header) -> usize {
    unsafe fn drop_as<T>(h: *mut Header, extra: impl FnOnce(&T) -> usize) -> usize {
        let b = Box::from_raw(h as *mut GcBox<T>);
        std::mem::size_of::<GcBox<T>>() + extra(&b.value)
    }
    let vsz = std::mem::size_of::<Value>();
    match (*h).kind {
        Kind::Str => drop_as::<Str>(h, |s| s.text.len()),
        Kind::Cons => drop_as::<Cons>(h, |_| 0),
        Kind::Vector => drop_as::<Vector>(h, |v| v.len() * vsz),
        Kind::Closure => drop_as::<Closure>(h, |c| c.upvals.len() * vsz),
        Kind::Cell => drop_as::<CellObj>(h, |_| 0),
        Kind::Host => drop_as::<HostObj>(h, |_| 64),
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        // SAFETY: the heap is going away with everything on its list.
        unsafe {
            let mut h = self.head;
            while !h.is_null() {
                let next = (*h).next;
                free_object(h);
                h = next;
            }
        }
        self.head = std::ptr::null_mut();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_objects_are_freed_and_roots_kept() {
        let mut heap = Heap::new();
        let keep = heap.alloc_str("keep");
        let list = heap.list_from(&[Value::Int(1), keep]);
        let _garbage = heap.alloc_str("garbage");
        assert_eq!(heap.stats().live_objects, 4);
        heap.mark(list);
        let freed = heap.finish_collection();
        assert_eq!(freed, 1);
        assert_eq!(heap.stats().live_objects, 3);
    }

    #[test]
    fn cycles_reachable_only_from_themselves_are_freed() {
        let mut heap = Heap::new();
        // A vector that contains itself and a cell that holds a list
        // holding the cell: both unreachable from any root.
        let v = heap.alloc_vector(vec![Value::Nil; 2].into_boxed_slice());
        if let Value::Vector(g) = v {
            g.set(0, v);
        }
        let cell = heap.alloc_cell(Value::Nil);
        let l = heap.cons(cell, Value::Empty);
        if let Value::Cell(c) = cell {
            c.value.set(l);
        }
        let root = heap.alloc_str("root");
        heap.mark(root);
        assert_eq!(heap.finish_collection(), 3);
        assert_eq!(heap.stats().live_objects, 1);
        // With a root into the cycle it survives.
        let v2 = heap.alloc_vector(vec![Value::Nil].into_boxed_slice());
        if let Value::Vector(g) = v2 {
            g.set(0, v2);
        }
        heap.mark(v2);
        assert_eq!(heap.finish_collection(), 1); // `root` was not re-marked
        assert_eq!(heap.stats().live_objects, 1);
    }

    #[test]
    fn long_lists_mark_without_recursion() {
        let mut heap = Heap::new();
        let mut l = Value::Empty;
        for i in 0..1_000_000 {
            l = heap.cons(Value::Int(i), l);
        }
        heap.mark(l);
        assert_eq!(heap.finish_collection(), 0);
        assert_eq!(heap.stats().live_objects, 1_000_000);
    }
}
