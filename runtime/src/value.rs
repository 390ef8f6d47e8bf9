//! The value representation, chosen for the JIT.
//!
//! `Value` is a `#[repr(C, u8)]` enum: a one-byte tag at offset 0 and an
//! 8-byte payload at offset 8, 16 bytes in all (asserted below). Ints and
//! floats are unboxed in the payload; every heap object is a pointer to a
//! `GcBox`. A type check is one byte compare against `TAG_*`, which compiled
//! code can do with a single `cmp byte [reg], imm` — the layout is part of
//! the contract with the Cranelift tier, so it is spelled out as constants.
//!
//! | tag | variant  | payload                          |
//! |-----|----------|----------------------------------|
//! | 0   | Nil      | –                                |
//! | 1   | Bool     | u8 0/1                           |
//! | 2   | Int      | i64                              |
//! | 3   | Float    | f64                              |
//! | 4   | Empty    | – (the empty list `[]`)          |
//! | 5   | Sym      | u32 symbol id                    |
//! | 6   | Builtin  | u16 builtin / host function id   |
//! | 7   | Undef    | – (a binding before its init)    |
//! | 8.. | objects  | pointer to `GcBox<T>`            |

use crate::heap::GcBox;
use crate::function::Function;
use std::cell::{Cell, UnsafeCell};
use std::ptr::NonNull;

#[derive(Clone, Copy, Debug)]
#[repr(C, u8)]
pub enum Value {
    Nil = 0,
    Bool(bool) = 1,
    Int(i64) = 2,
    Float(f64) = 3,
    Empty = 4,
    Sym(u32) = 5,
    Builtin(u16) = 6,
    Undef = 7,
    Str(Gc<Str>) = 8,
    Cons(Gc<Cons>) = 9,
    Vector(Gc<Vector>) = 10,
    Closure(Gc<Closure>) = 11,
    Cell(Gc<CellObj>) = 12,
    Host(Gc<HostObj>) = 13,
}

pub const TAG_NIL: u8 = 0;
pub const TAG_BOOL: u8 = 1;
pub const TAG_INT: u8 = 2;
pub const TAG_FLOAT: u8 = 3;
pub const TAG_EMPTY: u8 = 4;
pub const TAG_CLOSURE: u8 = 11;
/// Offset of the payload within a `Value`.
pub const PAYLOAD_OFFSET: usize = 8;

impl Value {
    /// The tag byte (see the table above).
    #[inline(always)]
    pub fn tag(&self) -> u8 {
        // SAFETY: repr(C, u8) puts the discriminant in the first byte.
        unsafe { *(self as *const Value as *const u8) }
    }

    #[inline(always)]
    pub fn truthy(self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    pub fn type_name(self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Empty | Value::Cons(_) => "list",
            Value::Sym(_) => "symbol",
            Value::Builtin(_) | Value::Closure(_) => "function",
            Value::Undef => "uninitialized",
            Value::Str(_) => "string",
            Value::Vector(_) => "vector",
            Value::Cell(_) => "cell",
            Value::Host(_) => "host value",
        }
    }

    pub fn is_list(self) -> bool {
        matches!(self, Value::Empty | Value::Cons(_))
    }

    pub fn as_f64(self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(i as f64),
            Value::Float(x) => Some(x),
            _ => None,
        }
    }
}

/// A pointer to a heap object. Copyable and unchecked: validity is the
/// collector's business (an object stays alive while reachable from a root).
#[repr(transparent)]
pub struct Gc<T>(pub(crate) NonNull<GcBox<T>>);

impl<T> Clone for Gc<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Gc<T> {}

impl<T> Gc<T> {
    #[inline(always)]
    pub fn ptr_eq(self, other: Gc<T>) -> bool {
        self.0 == other.0
    }
    pub fn addr(self) -> usize {
        self.0.as_ptr() as usize
    }
}

impl<T> std::ops::Deref for Gc<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: a Gc is only created by the heap and only dereferenced
        // while its object is reachable, which the collector guarantees.
        unsafe { &(*self.0.as_ptr()).value }
    }
}

impl<T> std::fmt::Debug for Gc<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gc({:p})", self.0.as_ptr())
    }
}

/// An immutable string; lengths and indices count Unicode scalar values,
/// so the count is cached.
pub struct Str {
    pub text: Box<str>,
    pub chars: usize,
}

impl Str {
    pub fn new(text: Box<str>) -> Str {
        let chars = text.chars().count();
        Str { text, chars }
    }
    pub fn is_ascii(&self) -> bool {
        self.chars == self.text.len()
    }
}

/// A cons cell; `tail` is always `Empty` or `Cons` (no improper lists).
/// `repr(C)`: native code reads `head` and `tail` at fixed offsets.
#[repr(C)]
pub struct Cons {
    pub head: Value,
    pub tail: Value,
}

/// A mutable fixed-length vector. Access goes through copying accessors
/// only, so no reference into the storage ever escapes; a heap is used by
/// one thread at a time, which makes the interior mutability sound.
///
/// `repr(C)` with the element pointer and length first, so native code
/// can bounds-check and index with two loads.
#[repr(C)]
pub struct Vector {
    pub(crate) ptr: *mut Value,
    pub(crate) len: usize,
    items: UnsafeCell<Box<[Value]>>,
}

impl Vector {
    pub fn new(mut items: Box<[Value]>) -> Vector {
        Vector { ptr: items.as_mut_ptr(), len: items.len(), items: UnsafeCell::new(items) }
    }
    #[inline]
    pub fn len(&self) -> usize {
        unsafe { (&*self.items.get()).len() }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    #[inline]
    pub fn get(&self, i: usize) -> Option<Value> {
        unsafe { (&*self.items.get()).get(i).copied() }
    }
    #[inline]
    pub fn set(&self, i: usize, v: Value) -> bool {
        unsafe {
            match (&mut *self.items.get()).get_mut(i) {
                Some(slot) => {
                    *slot = v;
                    true
                }
                None => false,
            }
        }
    }
    pub fn to_vec(&self) -> Vec<Value> {
        unsafe { (&*self.items.get()).to_vec() }
    }
}

/// A closure: a function plus its captured upvalues. An upvalue is the
/// captured value itself, or a `Value::Cell` when the variable can change
/// after capture.
///
/// `repr(C)` with `upvals_ptr` (the address of `upvals[0]`) so native code
/// can load an upvalue with two loads at fixed offsets.
#[repr(C)]
pub struct Closure {
    pub func: NonNull<Function>,
    pub upvals_ptr: *const Value,
    pub upvals: Box<[Value]>,
}

impl Closure {
    #[inline(always)]
    pub fn function(&self) -> &Function {
        // SAFETY: functions are owned by the runtime and never freed while
        // it lives; closures cannot outlive it.
        unsafe { self.func.as_ref() }
    }
}

/// A mutable box for a captured variable.
#[repr(C)]
pub struct CellObj {
    pub value: Cell<Value>,
}

/// An opaque value handed in by the embedding program.
pub struct HostObj {
    pub value: Box<dyn std::any::Any>,
    pub type_name: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_sixteen_bytes_with_tag_first() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(Value::Nil.tag(), TAG_NIL);
        assert_eq!(Value::Bool(true).tag(), TAG_BOOL);
        assert_eq!(Value::Int(-1).tag(), TAG_INT);
        assert_eq!(Value::Float(1.5).tag(), TAG_FLOAT);
        assert_eq!(Value::Empty.tag(), TAG_EMPTY);
        let v = Value::Int(0x1122_3344_5566_7788);
        let payload = unsafe { *((&v as *const Value as *const u8).add(PAYLOAD_OFFSET) as *const i64) };
        assert_eq!(payload, 0x1122_3344_5566_7788);
        let f = Value::Float(2.5);
        let bits = unsafe { *((&f as *const Value as *const u8).add(PAYLOAD_OFFSET) as *const f64) };
        assert_eq!(bits, 2.5);
    }

    #[test]
    fn truthiness() {
        assert!(!Value::Nil.truthy());
        assert!(!Value::Bool(false).truthy());
        assert!(Value::Int(0).truthy());
        assert!(Value::Empty.truthy());
    }
}
