//! The frame stack: a growable array of `Frame`s whose pointer, length and
//! capacity sit at known offsets (`#[repr(C)]`, exported in `tier.rs`), so
//! native code can push and pop frames inline on its call path, the way
//! LuaJIT's and V8's generated code maintains their frame chains. A `Vec`
//! keeps those fields private; everything else here is `Vec`'s behaviour.

use crate::runtime::Frame;
use std::ops::{Deref, DerefMut};

#[repr(C)]
pub(crate) struct FrameStack {
    pub(crate) ptr: *mut Frame,
    pub(crate) len: usize,
    pub(crate) cap: usize,
    /// `min(cap, max)`: how far frames can be pushed inline, without
    /// growing the stack and within the frame limit. `native_limit` is
    /// never above it.
    pub(crate) push_limit: usize,
    /// How far native code pushes frames inline: `push_limit`, or less, to
    /// bound its use of the machine stack (see `tier::MAX_NATIVE_DEPTH`) —
    /// one compare for room, the frame limit and the native depth. The
    /// interpreter sets it each time it enters native code; 0 otherwise.
    /// At it, native code leaves the call to `rt_enter` or the interpreter,
    /// which grow the stack or report overflow.
    pub(crate) native_limit: usize,
    max: usize,
}

impl FrameStack {
    /// Room for this many frames before the first reallocation; native
    /// code pushes inline only while there is room, and leaves growing to
    /// the runtime.
    const INITIAL: usize = 256;

    /// An empty stack for a runtime allowing `max` frames.
    pub fn new(max: usize) -> FrameStack {
        let mut v: Vec<Frame> = Vec::with_capacity(Self::INITIAL);
        let (ptr, cap) = (v.as_mut_ptr(), v.capacity());
        std::mem::forget(v);
        FrameStack { ptr, len: 0, cap, push_limit: cap.min(max), native_limit: 0, max }
    }

    #[inline]
    pub fn push(&mut self, f: Frame) {
        if self.len == self.cap {
            self.grow();
        }
        // SAFETY: len < cap after `grow`; the slot is inside the allocation.
        unsafe { self.ptr.add(self.len).write(f) };
        self.len += 1;
    }

    #[cold]
    fn grow(&mut self) {
        // SAFETY: ptr/len/cap always describe a live Vec allocation.
        let mut v = unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) };
        v.reserve(v.capacity().max(1));
        self.ptr = v.as_mut_ptr();
        self.cap = v.capacity();
        self.push_limit = self.cap.min(self.max);
        std::mem::forget(v);
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Frame> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the slot was written by `push` (frames are `Copy`).
        Some(unsafe { self.ptr.add(self.len).read() })
    }

    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

impl Deref for FrameStack {
    type Target = [Frame];
    #[inline]
    fn deref(&self) -> &[Frame] {
        // SAFETY: the first `len` slots are initialized.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl DerefMut for FrameStack {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Frame] {
        // SAFETY: as `deref`, and `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for FrameStack {
    fn drop(&mut self) {
        // SAFETY: ptr/len/cap describe the Vec allocation made in `new` or
        // `grow`; frames need no drop.
        drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Function;
    use std::ptr::NonNull;

    #[test]
    fn pushes_past_the_initial_capacity_and_pops_in_order() {
        let mut rt = crate::Runtime::new();
        rt.eval("f.cl", "(define (f) 1)").unwrap();
        let func: NonNull<Function> = NonNull::from(&**rt.functions.last().unwrap());
        let closure = match rt.global("f") {
            Some(crate::Value::Closure(c)) => c,
            other => panic!("{other:?}"),
        };
        let n = FrameStack::INITIAL * 3 + 7;
        let mut s = FrameStack::new(n - 5);
        assert_eq!(s.push_limit, FrameStack::INITIAL);
        for i in 0..n {
            s.push(Frame { func, closure, pc: i as u32, base: 0, entered_native: false, native: false });
        }
        assert_eq!(s.len(), n);
        assert_eq!(s.push_limit, n - 5, "the limit caps the inline pushes once the capacity exceeds it");
        assert!(s.iter().enumerate().all(|(i, f)| f.pc == i as u32));
        s.truncate(10);
        assert_eq!(s.last().map(|f| f.pc), Some(9));
        for i in (0..10).rev() {
            assert_eq!(s.pop().map(|f| f.pc), Some(i));
        }
        assert!(s.pop().is_none() && s.is_empty());
    }
}
