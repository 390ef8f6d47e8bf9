//! List and vector builtins.
//!
//! Lists are immutable cons lists, so results share structure where that is
//! free (`drop`, the last argument of `append`, `take` of the whole list);
//! every walk is a loop over the tail, never recursion. Vectors are mutable
//! and fixed-length. The hot accessors (`head`, `tail`, `cons`,
//! `vector-ref`, `vector-set!`, `length`) allocate nothing but their result
//! and format nothing unless they fail.

use super::{index_out_of_range, wrong_type, NativeCtx};
use crate::error::{exn, Exn};
use crate::value::{Gc, Value, Vector};
use claudelang_frontend::builtins::name;

// ---- helpers ---------------------------------------------------------------

/// `wrong type in (name args...): what, got TYPE`, with the symbol table.
#[cold]
#[inline(never)]
fn type_error(id: u16, ctx: &NativeCtx, args: &[Value], what: &str, got: Value) -> Exn {
    wrong_type(name(id), args, Some(ctx.names), what, got)
}

#[cold]
#[inline(never)]
fn empty_list(id: u16) -> Exn {
    exn(format!("{} of empty list", name(id)))
}

/// The elements of a list; `None` when `v` is not a list.
fn list_items(v: Value) -> Option<Vec<Value>> {
    let mut items = Vec::new();
    let mut l = v;
    loop {
        match l {
            Value::Cons(c) => {
                items.push(c.head);
                l = c.tail;
            }
            Value::Empty => return Some(items),
            _ => return None,
        }
    }
}

/// The number of elements of a list (`v` must be `Empty` or `Cons`).
fn list_length(v: Value) -> usize {
    let mut n = 0;
    let mut l = v;
    while let Value::Cons(c) = l {
        n += 1;
        l = c.tail;
    }
    n
}

/// The count argument of `take`/`drop`: an int, negative ones clamped to
/// 0; `None` when it is not an int.
fn count_arg(v: Value) -> Option<usize> {
    match v {
        Value::Int(n) => Some(usize::try_from(n).unwrap_or(if n < 0 { 0 } else { usize::MAX })),
        _ => None,
    }
}

// ---- lists -----------------------------------------------------------------

pub(crate) fn list(_: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    Ok(ctx.heap.list_from(args))
}

pub(crate) fn cons(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let tail = args[1];
    if !tail.is_list() {
        return Err(type_error(id, ctx, args, "cons needs a list as its second argument", tail));
    }
    Ok(ctx.heap.cons(args[0], tail))
}

/// `head` and its alias `car`.
pub(crate) fn head(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Cons(c) => Ok(c.head),
        Value::Empty => Err(empty_list(id)),
        other => Err(type_error(id, ctx, args, "expected a list", other)),
    }
}

/// `tail` and its alias `cdr`.
pub(crate) fn tail(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Cons(c) => Ok(c.tail),
        Value::Empty => Err(empty_list(id)),
        other => Err(type_error(id, ctx, args, "expected a list", other)),
    }
}

/// `length` of a list, a vector or a string (in Unicode scalar values).
pub(crate) fn length(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let n = match args[0] {
        Value::Empty | Value::Cons(_) => list_length(args[0]),
        Value::Vector(v) => v.len(),
        Value::Str(s) => s.chars,
        other => return Err(type_error(id, ctx, args, "expected a list, vector or string", other)),
    };
    Ok(Value::Int(n as i64))
}

/// `(nth coll i)` on a list or a vector.
pub(crate) fn nth(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let Value::Int(i) = args[1] else {
        return Err(type_error(id, ctx, args, "expected an int index", args[1]));
    };
    match args[0] {
        Value::Vector(v) => vector_get(v, i),
        l @ (Value::Empty | Value::Cons(_)) => {
            if let Ok(mut k) = usize::try_from(i) {
                let mut rest = l;
                while let Value::Cons(c) = rest {
                    if k == 0 {
                        return Ok(c.head);
                    }
                    k -= 1;
                    rest = c.tail;
                }
            }
            Err(index_out_of_range(i, "list", list_length(l)))
        }
        other => Err(type_error(id, ctx, args, "expected a list or vector", other)),
    }
}

/// `append`: a new list with the elements of all its arguments; the last
/// argument is shared, not copied.
pub(crate) fn append(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let Some((&last, init)) = args.split_last() else {
        return Ok(Value::Empty);
    };
    let mut items = Vec::new();
    for &a in init {
        let mut l = a;
        loop {
            match l {
                Value::Cons(c) => {
                    items.push(c.head);
                    l = c.tail;
                }
                Value::Empty => break,
                other => return Err(type_error(id, ctx, args, "expected lists", other)),
            }
        }
    }
    if !last.is_list() {
        return Err(type_error(id, ctx, args, "expected lists", last));
    }
    let mut acc = last;
    for &x in items.iter().rev() {
        acc = ctx.heap.cons(x, acc);
    }
    Ok(acc)
}

pub(crate) fn reverse(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let mut acc = Value::Empty;
    let mut l = args[0];
    loop {
        match l {
            Value::Cons(c) => {
                acc = ctx.heap.cons(c.head, acc);
                l = c.tail;
            }
            Value::Empty => return Ok(acc),
            other => return Err(type_error(id, ctx, args, "expected a list", other)),
        }
    }
}

/// `(range e)` is 0 .. e-1 and `(range b e)` is b .. e-1; empty when
/// `e <= b`. Ints only.
pub(crate) fn range(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let mut bounds = [0i64; 2];
    let given = &mut bounds[2 - args.len()..];
    for (slot, &a) in given.iter_mut().zip(args) {
        match a {
            Value::Int(n) => *slot = n,
            other => return Err(type_error(id, ctx, args, "expected ints", other)),
        }
    }
    let [b, e] = bounds;
    // Built from the end, so each element is one cons. `i > b` keeps
    // `i - 1` in range.
    let mut acc = Value::Empty;
    let mut i = e;
    while i > b {
        i -= 1;
        acc = ctx.heap.cons(Value::Int(i), acc);
    }
    Ok(acc)
}

/// `(take xs n)`: the first `n` elements, or all of them when the list is
/// shorter; a negative `n` takes nothing.
pub(crate) fn take(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let xs = args[0];
    if !xs.is_list() {
        return Err(type_error(id, ctx, args, "expected a list", xs));
    }
    let Some(n) = count_arg(args[1]) else {
        return Err(type_error(id, ctx, args, "expected an int count", args[1]));
    };
    let mut items = Vec::new();
    let mut l = xs;
    while let Value::Cons(c) = l {
        if items.len() == n {
            return Ok(ctx.heap.list_from(&items));
        }
        items.push(c.head);
        l = c.tail;
    }
    // The whole list was taken: lists are immutable, so share it.
    Ok(xs)
}

/// `(drop xs n)`: the list without its first `n` elements (shared, not
/// copied); empty when the list is shorter; a negative `n` drops nothing.
pub(crate) fn drop(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let xs = args[0];
    if !xs.is_list() {
        return Err(type_error(id, ctx, args, "expected a list", xs));
    }
    let Some(mut n) = count_arg(args[1]) else {
        return Err(type_error(id, ctx, args, "expected an int count", args[1]));
    };
    let mut l = xs;
    while n > 0 {
        let Value::Cons(c) = l else { break };
        l = c.tail;
        n -= 1;
    }
    Ok(l)
}

pub(crate) fn last(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Cons(mut c) => {
            while let Value::Cons(next) = c.tail {
                c = next;
            }
            Ok(c.head)
        }
        Value::Empty => Err(empty_list(id)),
        other => Err(type_error(id, ctx, args, "expected a list", other)),
    }
}

// ---- vectors ---------------------------------------------------------------

pub(crate) fn vector(_: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    Ok(ctx.heap.alloc_vector(args.into()))
}

/// `(make-vector n [fill])`; the fill defaults to nil.
pub(crate) fn make_vector(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let Value::Int(n) = args[0] else {
        return Err(type_error(id, ctx, args, "expected an int length", args[0]));
    };
    let fill = args.get(1).copied().unwrap_or(Value::Nil);
    let Ok(len) = usize::try_from(n) else {
        return Err(bad_length(n));
    };
    // A length the allocator refuses is an error, not an abort.
    let mut items = Vec::new();
    if items.try_reserve_exact(len).is_err() {
        return Err(too_long(n));
    }
    items.resize(len, fill);
    Ok(ctx.heap.alloc_vector(items.into_boxed_slice()))
}

#[cold]
#[inline(never)]
fn bad_length(n: i64) -> Exn {
    exn(format!("invalid length in (make-vector {n}): a length cannot be negative"))
}

#[cold]
#[inline(never)]
fn too_long(n: i64) -> Exn {
    exn(format!("out of memory in (make-vector {n}): cannot allocate {n} elements"))
}

/// Element `i` of `v`, or the index error.
#[inline]
fn vector_get(v: Gc<Vector>, i: i64) -> Result<Value, Exn> {
    match usize::try_from(i).ok().and_then(|k| v.get(k)) {
        Some(x) => Ok(x),
        None => Err(index_out_of_range(i, "vector", v.len())),
    }
}

pub(crate) fn vector_ref(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match (args[0], args[1]) {
        (Value::Vector(v), Value::Int(i)) => vector_get(v, i),
        (Value::Vector(_), other) => Err(type_error(id, ctx, args, "expected an int index", other)),
        (other, _) => Err(type_error(id, ctx, args, "expected a vector", other)),
    }
}

/// `(vector-set! v i x)`; yields nil.
pub(crate) fn vector_set(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match (args[0], args[1]) {
        (Value::Vector(v), Value::Int(i)) => match usize::try_from(i) {
            Ok(k) if v.set(k, args[2]) => Ok(Value::Nil),
            _ => Err(index_out_of_range(i, "vector", v.len())),
        },
        (Value::Vector(_), other) => Err(type_error(id, ctx, args, "expected an int index", other)),
        (other, _) => Err(type_error(id, ctx, args, "expected a vector", other)),
    }
}

pub(crate) fn vector_length(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Vector(v) => Ok(Value::Int(v.len() as i64)),
        other => Err(type_error(id, ctx, args, "expected a vector", other)),
    }
}

pub(crate) fn vector_to_list(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Vector(v) => Ok(ctx.heap.list_from(&v.to_vec())),
        other => Err(type_error(id, ctx, args, "expected a vector", other)),
    }
}

pub(crate) fn list_to_vector(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match list_items(args[0]) {
        Some(items) => Ok(ctx.heap.alloc_vector(items.into_boxed_slice())),
        None => Err(type_error(id, ctx, args, "expected a list", args[0])),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_v, Env};
    use super::*;
    use Value::{Bool, Empty, Float, Int, Nil};

    #[test]
    fn list_and_cons() {
        let mut env = Env::new();
        assert_eq!(env.run("list", &[Int(1), Int(2), Int(3)]), "(1 2 3)");
        assert_eq!(env.run("list", &[]), "()");
        let l = env.ints(&[2, 3]);
        assert_eq!(env.run("cons", &[Int(1), l]), "(1 2 3)");
        assert_eq!(env.run("cons", &[Int(1), Empty]), "(1)");
        assert_eq!(
            env.err("cons", &[Int(1), Int(2)]),
            "wrong type in (cons 1 2): cons needs a list as its second argument, got int"
        );
        let v = env.vector(&[Int(2)]);
        assert_eq!(
            env.err("cons", &[Int(1), v]),
            "wrong type in (cons 1 [2]): cons needs a list as its second argument, got vector"
        );
        assert_eq!(
            env.err("cons", &[Int(1), Nil]),
            "wrong type in (cons 1 nil): cons needs a list as its second argument, got nil"
        );
    }

    #[test]
    fn head_tail_car_cdr() {
        let mut env = Env::new();
        let l = env.ints(&[1, 2, 3]);
        assert_v!(env.call("head", &[l]), Ok(Int(1)));
        assert_v!(env.call("car", &[l]), Ok(Int(1)));
        assert_eq!(env.run("tail", &[l]), "(2 3)");
        assert_eq!(env.run("cdr", &[l]), "(2 3)");
        let one = env.ints(&[1]);
        assert_v!(env.call("tail", &[one]), Ok(Empty));
        assert_eq!(env.err("head", &[Empty]), "head of empty list");
        assert_eq!(env.err("tail", &[Empty]), "tail of empty list");
        assert_eq!(env.err("car", &[Empty]), "car of empty list");
        assert_eq!(env.err("cdr", &[Empty]), "cdr of empty list");
        assert_eq!(env.err("head", &[Nil]), "wrong type in (head nil): expected a list, got nil");
        let v = env.vector(&[Int(1)]);
        assert_eq!(env.err("cdr", &[v]), "wrong type in (cdr [1]): expected a list, got vector");
    }

    #[test]
    fn length_of_lists_vectors_and_strings() {
        let mut env = Env::new();
        let l = env.ints(&[1, 2, 3]);
        let v = env.vector(&[Int(1), Int(2)]);
        let s = env.str("héllo");
        assert_v!(env.call("length", &[l]), Ok(Int(3)));
        assert_v!(env.call("length", &[Empty]), Ok(Int(0)));
        assert_v!(env.call("length", &[v]), Ok(Int(2)));
        assert_v!(env.call("length", &[s]), Ok(Int(5)));
        assert_eq!(
            env.err("length", &[Int(5)]),
            "wrong type in (length 5): expected a list, vector or string, got int"
        );
    }

    #[test]
    fn nth_on_lists_and_vectors() {
        let mut env = Env::new();
        let l = env.ints(&[10, 20, 30]);
        let v = env.vector(&[Int(10), Int(20), Int(30)]);
        assert_v!(env.call("nth", &[l, Int(0)]), Ok(Int(10)));
        assert_v!(env.call("nth", &[l, Int(2)]), Ok(Int(30)));
        assert_v!(env.call("nth", &[v, Int(1)]), Ok(Int(20)));
        assert_eq!(env.err("nth", &[l, Int(3)]), "index out of range: index 3 for list of length 3");
        assert_eq!(env.err("nth", &[l, Int(-1)]), "index out of range: index -1 for list of length 3");
        assert_eq!(env.err("nth", &[Empty, Int(0)]), "index out of range: index 0 for list of length 0");
        assert_eq!(env.err("nth", &[v, Int(5)]), "index out of range: index 5 for vector of length 3");
        assert_eq!(
            env.err("nth", &[v, Int(i64::MIN)]),
            "index out of range: index -9223372036854775808 for vector of length 3"
        );
        assert_eq!(
            env.err("nth", &[v, Float(1.0)]),
            "wrong type in (nth [10 20 30] 1.0): expected an int index, got float"
        );
        let s = env.str("abc");
        assert_eq!(
            env.err("nth", &[s, Int(0)]),
            "wrong type in (nth \"abc\" 0): expected a list or vector, got string"
        );
    }

    #[test]
    fn append_copies_all_but_the_last() {
        let mut env = Env::new();
        let a = env.ints(&[1, 2]);
        let b = env.ints(&[3]);
        let c = env.ints(&[4, 5]);
        assert_eq!(env.run("append", &[a, Empty, b, c]), "(1 2 3 4 5)");
        assert_v!(env.call("append", &[]), Ok(Empty));
        let r = env.call("append", &[Empty, c]).unwrap();
        assert!(crate::printer::eq_identity(r, c));
        assert_eq!(env.run("append", &[a]), "(1 2)");
        assert_eq!(env.err("append", &[a, Int(1)]), "wrong type in (append (1 2) 1): expected lists, got int");
        let v = env.vector(&[]);
        assert_eq!(env.err("append", &[v, a]), "wrong type in (append [] (1 2)): expected lists, got vector");
    }

    #[test]
    fn reverse_and_last() {
        let mut env = Env::new();
        let l = env.ints(&[1, 2, 3]);
        assert_eq!(env.run("reverse", &[l]), "(3 2 1)");
        assert_eq!(env.run("reverse", &[Empty]), "()");
        assert_eq!(env.err("reverse", &[Int(1)]), "wrong type in (reverse 1): expected a list, got int");
        assert_v!(env.call("last", &[l]), Ok(Int(3)));
        assert_eq!(env.err("last", &[Empty]), "last of empty list");
        assert_eq!(env.err("last", &[Nil]), "wrong type in (last nil): expected a list, got nil");
    }

    #[test]
    fn range_with_one_or_two_ints() {
        let mut env = Env::new();
        assert_eq!(env.run("range", &[Int(4)]), "(0 1 2 3)");
        assert_eq!(env.run("range", &[Int(2), Int(5)]), "(2 3 4)");
        assert_eq!(env.run("range", &[Int(-2), Int(1)]), "(-2 -1 0)");
        assert_eq!(env.run("range", &[Int(0)]), "()");
        assert_eq!(env.run("range", &[Int(-3)]), "()");
        assert_eq!(env.run("range", &[Int(5), Int(2)]), "()");
        assert_eq!(
            env.run("range", &[Int(i64::MIN), Int(i64::MIN + 2)]),
            "(-9223372036854775808 -9223372036854775807)"
        );
        assert_eq!(env.run("range", &[Int(i64::MAX - 1), Int(i64::MAX)]), "(9223372036854775806)");
        assert_eq!(env.err("range", &[Float(3.0)]), "wrong type in (range 3.0): expected ints, got float");
        assert_eq!(env.err("range", &[Int(0), Float(3.0)]), "wrong type in (range 0 3.0): expected ints, got float");
    }

    #[test]
    fn take_and_drop_stop_at_the_end() {
        let mut env = Env::new();
        let l = env.ints(&[1, 2, 3]);
        assert_eq!(env.run("take", &[l, Int(2)]), "(1 2)");
        assert_eq!(env.run("take", &[l, Int(0)]), "()");
        assert_eq!(env.run("take", &[l, Int(-1)]), "()");
        assert_eq!(env.run("take", &[l, Int(10)]), "(1 2 3)");
        assert_eq!(env.run("take", &[l, Int(i64::MAX)]), "(1 2 3)");
        assert_eq!(env.run("drop", &[l, Int(1)]), "(2 3)");
        assert_eq!(env.run("drop", &[l, Int(-5)]), "(1 2 3)");
        assert_eq!(env.run("drop", &[l, Int(3)]), "()");
        assert_eq!(env.run("drop", &[l, Int(i64::MAX)]), "()");
        assert_eq!(env.run("take", &[Empty, Int(3)]), "()");
        assert_eq!(env.err("take", &[Int(1), Int(1)]), "wrong type in (take 1 1): expected a list, got int");
        assert_eq!(env.err("drop", &[l, Nil]), "wrong type in (drop (1 2 3) nil): expected an int count, got nil");
        assert_eq!(
            env.err("take", &[l, Float(1.0)]),
            "wrong type in (take (1 2 3) 1.0): expected an int count, got float"
        );
        assert_eq!(env.err("drop", &[Nil, Int(1)]), "wrong type in (drop nil 1): expected a list, got nil");
    }

    #[test]
    fn vectors() {
        let mut env = Env::new();
        let v = env.call("vector", &[Int(1), Int(2), Int(3)]).unwrap();
        assert_eq!(env.show(v), "[1 2 3]");
        assert_eq!(env.run("vector", &[]), "[]");
        assert_v!(env.call("vector-ref", &[v, Int(2)]), Ok(Int(3)));
        assert_v!(env.call("vector-set!", &[v, Int(0), Bool(true)]), Ok(Nil));
        assert_eq!(env.show(v), "[true 2 3]");
        assert_v!(env.call("vector-length", &[v]), Ok(Int(3)));
        assert_eq!(env.run("vector->list", &[v]), "(true 2 3)");
        let l = env.ints(&[4, 5]);
        assert_eq!(env.run("list->vector", &[l]), "[4 5]");
        assert_eq!(env.run("list->vector", &[Empty]), "[]");
        assert_eq!(env.err("vector-ref", &[v, Int(3)]), "index out of range: index 3 for vector of length 3");
        assert_eq!(env.err("vector-ref", &[v, Int(-1)]), "index out of range: index -1 for vector of length 3");
        assert_eq!(env.err("vector-set!", &[v, Int(3), Nil]), "index out of range: index 3 for vector of length 3");
        assert_eq!(env.err("vector-set!", &[v, Int(-1), Nil]), "index out of range: index -1 for vector of length 3");
        assert_eq!(
            env.err("vector-ref", &[v, Nil]),
            "wrong type in (vector-ref [true 2 3] nil): expected an int index, got nil"
        );
        assert_eq!(
            env.err("vector-set!", &[v, Float(0.0), Nil]),
            "wrong type in (vector-set! [true 2 3] 0.0 nil): expected an int index, got float"
        );
        assert_eq!(
            env.err("vector-ref", &[l, Int(0)]),
            "wrong type in (vector-ref (4 5) 0): expected a vector, got list"
        );
        assert_eq!(
            env.err("vector-set!", &[l, Int(0), Nil]),
            "wrong type in (vector-set! (4 5) 0 nil): expected a vector, got list"
        );
        assert_eq!(env.err("vector-length", &[l]), "wrong type in (vector-length (4 5)): expected a vector, got list");
        assert_eq!(env.err("vector->list", &[l]), "wrong type in (vector->list (4 5)): expected a vector, got list");
        assert_eq!(
            env.err("list->vector", &[v]),
            "wrong type in (list->vector [true 2 3]): expected a list, got vector"
        );
    }

    #[test]
    fn make_vector() {
        let mut env = Env::new();
        assert_eq!(env.run("make-vector", &[Int(3)]), "[nil nil nil]");
        assert_eq!(env.run("make-vector", &[Int(2), Int(0)]), "[0 0]");
        assert_eq!(env.run("make-vector", &[Int(0)]), "[]");
        assert_eq!(
            env.err("make-vector", &[Int(-1)]),
            "invalid length in (make-vector -1): a length cannot be negative"
        );
        assert_eq!(
            env.err("make-vector", &[Float(2.0)]),
            "wrong type in (make-vector 2.0): expected an int length, got float"
        );
        assert_eq!(
            env.err("make-vector", &[Int(i64::MAX)]),
            "out of memory in (make-vector 9223372036854775807): cannot allocate 9223372036854775807 elements"
        );
    }
}
