//! Printed forms of values (LANGUAGE.md section 5) and structural equality
//! (`=`), the two walks over arbitrary value graphs.
//!
//! Both walks are iterative: a list's tail is followed in a loop, and only
//! nesting (a list or vector inside another) pushes a frame on an explicit
//! stack. A ten-million-element list therefore costs no Rust stack, and a
//! structure nested deeper than [`MAX_DEPTH`] levels (which includes a
//! vector that contains itself) is a runtime error instead of a crash.
//!
//! Error messages print operands through [`write_brief`], which needs no
//! symbol table (the arithmetic slow paths have none) and stops after a
//! fixed number of characters, so reporting an error about a huge list is
//! as cheap as reporting one about an int.

use crate::error::{exn, Exn};
use crate::names::Names;
use crate::value::{Gc, Value, Vector};
use std::fmt::Write as _;

/// The deepest nesting of lists and vectors that printing and `=` accept.
pub const MAX_DEPTH: usize = 10_000;

/// Characters of one operand shown in an error message before `...`.
pub const BRIEF_CHARS: usize = 60;

/// Appends the printed form of `v` to `out`. With `quoted`, a top-level
/// string is shown as a literal (`"a\n"`) rather than raw; strings inside
/// lists and vectors are always quoted.
pub fn write_value(out: &mut String, v: Value, names: &Names, quoted: bool) -> Result<(), Exn> {
    write_walk(out, v, Some(names), quoted, usize::MAX)
}

/// The raw printed form of `v`, as `print` and `to-string` show it.
pub fn to_display(v: Value, names: &Names) -> Result<String, Exn> {
    let mut out = String::new();
    write_value(&mut out, v, names, false)?;
    Ok(out)
}

/// The quoted printed form of `v` (strings as literals), for messages that
/// show a value as source would write it.
pub fn to_quoted(v: Value, names: &Names) -> Result<String, Exn> {
    let mut out = String::new();
    write_value(&mut out, v, names, true)?;
    Ok(out)
}

/// The quoted printed form of `v`, cut to about `max_chars` bytes with a
/// trailing `...`, for error messages. Without `names` a symbol shows as
/// `<symbol>` and a host function as `<builtin>`. Never fails: nesting deep
/// enough to hit the depth limit is far past the cut.
pub fn write_brief(out: &mut String, v: Value, names: Option<&Names>, max_chars: usize) {
    let start = out.len();
    if write_walk(out, v, names, true, max_chars).is_err() {
        out.truncate(start);
        out.push_str("...");
    } else if out.len() - start > max_chars {
        cut(out, start + max_chars);
    }
}

/// One open list or vector in a walk: what remains to be visited.
enum Open {
    /// The rest of a list (`Empty` or `Cons`).
    List(Value),
    /// A vector and the index of its next element.
    Vector(Gc<Vector>, usize),
}

/// The walk behind every printed form. Returns early, successfully, once
/// more than `max_len` bytes have been written (brief forms only: full
/// forms pass `usize::MAX`).
fn write_walk(out: &mut String, v: Value, names: Option<&Names>, quoted: bool, max_len: usize) -> Result<(), Exn> {
    let start = out.len();
    let mut stack: Vec<Open> = Vec::new();
    let mut cur = v;
    loop {
        if out.len() - start > max_len {
            // Past the budget of a brief form; `write_brief` marks the cut.
            return Ok(());
        }
        // Print `cur`, or open it and continue with its first element.
        match cur {
            Value::Cons(c) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep("print"));
                }
                out.push('(');
                stack.push(Open::List(c.tail));
                cur = c.head;
                continue;
            }
            Value::Vector(g) => {
                if let Some(first) = g.get(0) {
                    if stack.len() >= MAX_DEPTH {
                        return Err(too_deep("print"));
                    }
                    out.push('[');
                    stack.push(Open::Vector(g, 1));
                    cur = first;
                    continue;
                }
                out.push_str("[]");
            }
            Value::Str(s) => {
                // A brief form never needs more of a string than fits; the
                // slack makes a cut string overshoot the budget, so it is
                // marked as cut.
                let text = prefix(&s.text, max_len.saturating_add(8));
                if quoted || !stack.is_empty() {
                    write_string_literal(out, text);
                } else {
                    out.push_str(text);
                }
            }
            atom => write_atom(out, atom, names),
        }
        // `cur` is done: close finished collections, find the next element.
        loop {
            match stack.last_mut() {
                None => return Ok(()),
                Some(Open::List(rest)) => match *rest {
                    Value::Cons(c) => {
                        out.push(' ');
                        *rest = c.tail;
                        cur = c.head;
                        break;
                    }
                    _ => {
                        out.push(')');
                        stack.pop();
                    }
                },
                Some(Open::Vector(g, i)) => match g.get(*i) {
                    Some(x) => {
                        out.push(' ');
                        *i += 1;
                        cur = x;
                        break;
                    }
                    None => {
                        out.push(']');
                        stack.pop();
                    }
                },
            }
        }
    }
}

/// The longest prefix of `s` of at most `len` bytes that ends on a char
/// boundary.
fn prefix(s: &str, len: usize) -> &str {
    if len >= s.len() {
        return s;
    }
    let mut end = len;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Truncates `out` to at most `len` bytes at a char boundary and marks the cut.
fn cut(out: &mut String, mut len: usize) {
    while !out.is_char_boundary(len) {
        len -= 1;
    }
    out.truncate(len);
    out.push_str("...");
}

#[cold]
fn too_deep(what: &str) -> Exn {
    exn(format!("value too deeply nested to {what} (more than {MAX_DEPTH} levels)"))
}

/// Everything that is not a string, list or vector.
fn write_atom(out: &mut String, v: Value, names: Option<&Names>) {
    match v {
        Value::Nil => out.push_str("nil"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(x) => write_float(out, x),
        Value::Empty => out.push_str("()"),
        Value::Sym(id) => match names {
            Some(n) => out.push_str(n.symbol(id)),
            None => out.push_str("<symbol>"),
        },
        Value::Builtin(id) => {
            out.push_str("<builtin");
            if let Some(name) = builtin_name(id, names) {
                out.push(' ');
                out.push_str(name);
            }
            out.push('>');
        }
        Value::Closure(c) => {
            let proto = &c.function().proto;
            out.push_str(if proto.is_builtin { "<builtin" } else { "<fn" });
            if let Some(name) = &proto.name {
                out.push(' ');
                out.push_str(name);
            }
            out.push('>');
        }
        Value::Undef => out.push_str("<uninitialized>"),
        Value::Cell(_) => out.push_str("<cell>"),
        Value::Host(h) => {
            let _ = write!(out, "<host {}>", h.type_name);
        }
        // Collections are handled by the walk; kept total for safety.
        Value::Str(s) => write_string_literal(out, &s.text),
        Value::Cons(_) | Value::Vector(_) => out.push_str("<collection>"),
    }
}

/// The name of a static builtin or a registered host function; `None` for a
/// host function when no symbol table is at hand, or an unknown id (which
/// must not panic even if an embedder hands in a stale one).
fn builtin_name(id: u16, names: Option<&Names>) -> Option<&str> {
    let statics = claudelang_frontend::builtins::BUILTINS.len();
    if (id as usize) < statics {
        return Some(claudelang_frontend::builtins::name(id));
    }
    let names = names?;
    if (id as usize) - statics < names.host_fns.len() {
        Some(names.builtin(id))
    } else {
        None
    }
}

/// A float per section 5: shortest round-trip digits, always a `.` or an
/// exponent, exponent form below 1e-4 and from 1e16 up (the layout of
/// Rust's `{:?}`), with lower-case `inf`, `-inf`, `nan`.
///
/// The digits are Rust's shortest ones except when the float lies exactly
/// halfway between two shortest candidates (0.115512847900390625 has
/// 0.11551284790039062 and ...063): Rust's `{:?}` then rounds up, while
/// the reference implementation, like Python's `repr` and Ryu, picks the
/// even digit. The conformance corpus follows the reference, so do we.
pub fn write_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
        return;
    }
    // Shortest digits in the form `d.ddde-x` (`0e0` for zero).
    let mut sci = String::with_capacity(32);
    let _ = write!(sci, "{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mut exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if let Some((even, even_exp)) = tie_to_even(x.abs(), &digits, exp) {
        (digits, exp) = (even, even_exp);
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    layout_float(out, &digits, exp);
}

/// Lays out significant `digits` (no leading or trailing zeros, except the
/// single digit of zero) times `10^exp` as `{:?}` does for f64.
fn layout_float(out: &mut String, digits: &str, exp: i32) {
    let (first, rest) = digits.split_at(1.min(digits.len()));
    if !(-4..16).contains(&exp) {
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let _ = write!(out, "e{exp}");
    } else if exp >= 0 {
        // `exp` is 0..=15 here.
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            out.push_str(".0");
        } else {
            let (int, frac) = digits.split_at(int_len);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(digits);
    }
}

/// When `x` (finite, non-negative) is exactly halfway between the shortest
/// candidate `digits`·10^k that Rust chose and its neighbour, and the
/// neighbour's last digit is the even one, returns the neighbour's digits
/// and exponent (in the `d.ddd e exp` sense).
fn tie_to_even(x: f64, digits: &str, exp: i32) -> Option<(String, i32)> {
    let d: u64 = digits.parse().ok()?;
    if d.is_multiple_of(2) {
        return None;
    }
    // x ≈ d · 10^p; the halfway points are (10d ± 5) · 10^(p-1).
    let p = exp - (digits.len() as i32 - 1);
    let j = u32::try_from(-(p - 1)).ok()?;
    // x = m · 2^-f with m odd. (10d ± 5) is odd, so x = (10d ± 5) / 10^j
    // exactly iff f == j and m · 5^j == 10d ± 5. (With p - 1 >= 0 a tie
    // would need a float spacing wider than the value allows: none.)
    let bits = x.to_bits();
    let (frac, biased) = (bits & ((1 << 52) - 1), ((bits >> 52) & 0x7ff) as i32);
    let (mut m, mut e2) = if biased == 0 { (frac, -1074) } else { (frac | (1 << 52), biased - 1075) };
    if m == 0 {
        return None;
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e2 += tz as i32;
    if e2 >= 0 || (-e2) as u32 != j {
        return None;
    }
    let mut scaled = m as u128;
    for _ in 0..j {
        scaled = scaled.checked_mul(5).filter(|&s| s < 1 << 100)?;
    }
    let neighbour = if scaled == 10 * d as u128 - 5 {
        d - 1
    } else if scaled == 10 * d as u128 + 5 {
        d + 1
    } else {
        return None;
    };
    // Renormalise (d + 1 may carry into a new digit, d - 1 may end in 0).
    let mut n = neighbour;
    let mut p = p;
    while n != 0 && n.is_multiple_of(10) {
        n /= 10;
        p += 1;
    }
    let text = n.to_string();
    // A halfway point next to a power of two may not round-trip on its
    // narrower side; keep Rust's digits then.
    if n == 0 || format!("{text}e{p}").parse::<f64>().ok()? != x {
        return None;
    }
    let exp = p + text.len() as i32 - 1;
    Some((text, exp))
}

/// A string as a literal the lexer reads back to the same text.
pub fn write_string_literal(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---- equality -----------------------------------------------------------

/// Structural equality, for `=` and `==`: numbers by value across int and
/// float (the int converted to f64), strings by content, lists and vectors
/// element by element (a list never equals a vector), symbols, booleans,
/// nil and `[]` by value, and functions, host values and cells by
/// identity. The same object is always equal to itself, which is what
/// makes a self-containing vector comparable with itself. Nesting deeper
/// than [`MAX_DEPTH`] is an error.
pub fn equal(a: Value, b: Value) -> Result<bool, Exn> {
    let mut stack: Vec<(Open, Open)> = Vec::new();
    let (mut x, mut y) = (a, b);
    loop {
        match (x, y) {
            (Value::Cons(p), Value::Cons(q)) if !p.ptr_eq(q) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep("compare"));
                }
                stack.push((Open::List(p.tail), Open::List(q.tail)));
                (x, y) = (p.head, q.head);
                continue;
            }
            (Value::Vector(p), Value::Vector(q)) if !p.ptr_eq(q) => {
                if p.len() != q.len() {
                    return Ok(false);
                }
                if let (Some(px), Some(qx)) = (p.get(0), q.get(0)) {
                    if stack.len() >= MAX_DEPTH {
                        return Err(too_deep("compare"));
                    }
                    stack.push((Open::Vector(p, 1), Open::Vector(q, 1)));
                    (x, y) = (px, qx);
                    continue;
                }
            }
            _ => {
                if !equal_atom(x, y) {
                    return Ok(false);
                }
            }
        }
        // `x` and `y` are equal: move on to the next pair of elements.
        loop {
            match stack.last_mut() {
                None => return Ok(true),
                Some((Open::List(r), Open::List(s))) => match (*r, *s) {
                    (Value::Cons(p), Value::Cons(q)) => {
                        if p.ptr_eq(q) {
                            // Shared tails: the rest is equal.
                            stack.pop();
                            continue;
                        }
                        (*r, *s) = (p.tail, q.tail);
                        (x, y) = (p.head, q.head);
                        break;
                    }
                    (Value::Empty, Value::Empty) => {
                        stack.pop();
                    }
                    _ => return Ok(false),
                },
                Some((Open::Vector(p, i), Open::Vector(q, _))) => {
                    // Lengths were equal when opened and vectors cannot
                    // change length, so both have element `i` or neither.
                    match (p.get(*i), q.get(*i)) {
                        (Some(px), Some(qx)) => {
                            *i += 1;
                            (x, y) = (px, qx);
                            break;
                        }
                        (None, None) => {
                            stack.pop();
                        }
                        _ => return Ok(false),
                    }
                }
                Some(_) => return Ok(false),
            }
        }
    }
}

/// Equality of everything except two distinct conses or vectors.
fn equal_atom(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Str(p), Value::Str(q)) => p.ptr_eq(q) || p.text == q.text,
        (Value::Cons(p), Value::Cons(q)) => p.ptr_eq(q),
        (Value::Vector(p), Value::Vector(q)) => p.ptr_eq(q),
        _ => eq_identity(a, b),
    }
}

/// `eq?`: value equality for numbers (int against float by value, like
/// `=`), booleans, nil, `[]` and symbols; identity for strings, lists,
/// vectors, functions (a builtin by its id), host values and cells.
#[inline]
pub fn eq_identity(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => x as f64 == y,
        (Value::Nil, Value::Nil) | (Value::Empty, Value::Empty) | (Value::Undef, Value::Undef) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Sym(x), Value::Sym(y)) => x == y,
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        (Value::Str(p), Value::Str(q)) => p.ptr_eq(q),
        (Value::Cons(p), Value::Cons(q)) => p.ptr_eq(q),
        (Value::Vector(p), Value::Vector(q)) => p.ptr_eq(q),
        (Value::Closure(p), Value::Closure(q)) => p.ptr_eq(q),
        (Value::Cell(p), Value::Cell(q)) => p.ptr_eq(q),
        (Value::Host(p), Value::Host(q)) => p.ptr_eq(q),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Function;
    use crate::heap::Heap;
    use claudelang_frontend::bytecode::Proto;
    use claudelang_frontend::source::{SourceFile, Span};
    use std::ptr::NonNull;
    use std::sync::Arc;
    use Value::{Bool, Empty, Float, Int, Nil};

    fn show(v: Value, names: &Names) -> String {
        let mut s = String::new();
        write_value(&mut s, v, names, true).unwrap();
        s
    }

    fn float(x: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, x);
        s
    }

    #[test]
    // The tie cases are written as their exact binary values on purpose.
    #[allow(clippy::excessive_precision)]
    fn floats_print_per_section_5() {
        for (x, text) in [
            (3.0, "3.0"),
            (0.1, "0.1"),
            (1000.0, "1000.0"),
            (1e16, "1e16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-5"),
            (1e-4, "0.0001"),
            (1e300, "1e300"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "nan"),
            (1.6059126850288704e16, "1.6059126850288704e16"),
            (5.7e-19, "5.7e-19"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (-2.5, "-2.5"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            // Exactly halfway between two shortest candidates: the even one.
            (0.115512847900390625, "0.11551284790039062"),
            (1059438285926254.25, "1059438285926254.2"),
            (-26363981746409.3125, "-26363981746409.312"),
        ] {
            assert_eq!(float(x), text, "{x:?}");
        }
    }

    #[test]
    fn floats_match_rust_debug_except_on_ties() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut ties = 0;
        for i in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Alternate random bit patterns with dyadic rationals, where
            // ties live.
            let x =
                if i % 2 == 0 { f64::from_bits(state) } else { (state >> 11) as f64 / (1u64 << (state % 60)) as f64 };
            if !x.is_finite() {
                continue;
            }
            let (ours, rust) = (float(x), format!("{x:?}"));
            if ours != rust {
                ties += 1;
                assert_eq!(ours.parse::<f64>().unwrap(), x, "{rust}");
                assert_eq!(ours.len(), rust.len(), "{rust}");
            }
        }
        assert!(ties > 0);
    }

    #[test]
    fn atoms() {
        let mut heap = Heap::new();
        let mut names = Names::default();
        let sym = Value::Sym(names.intern("set!"));
        let host = heap.alloc_host(Box::new(5u8), "port");
        let cell = heap.alloc_cell(Int(1));
        for (v, text) in [
            (Int(42), "42"),
            (Int(-7), "-7"),
            (Int(i64::MIN), "-9223372036854775808"),
            (Int(i64::MAX), "9223372036854775807"),
            (Nil, "nil"),
            (Bool(true), "true"),
            (Bool(false), "false"),
            (Empty, "()"),
            (sym, "set!"),
            (Value::Builtin(0), "<builtin +>"),
            (Value::Builtin(claudelang_frontend::builtins::B::VectorSet as u16), "<builtin vector-set!>"),
            (Value::Undef, "<uninitialized>"),
            (cell, "<cell>"),
            (host, "<host port>"),
        ] {
            assert_eq!(show(v, &names), text);
        }
    }

    #[test]
    fn host_function_names() {
        let mut names = Names::default();
        let first_host = claudelang_frontend::builtins::BUILTINS.len() as u16;
        names.host_fns.push("greet".into());
        assert_eq!(show(Value::Builtin(first_host), &names), "<builtin greet>");
        // A stale id must not panic.
        assert_eq!(show(Value::Builtin(first_host + 5), &names), "<builtin>");
        let mut s = String::new();
        write_brief(&mut s, Value::Builtin(first_host), None, 60);
        assert_eq!(s, "<builtin>");
    }

    fn test_function(name: Option<&str>, is_builtin: bool) -> Box<Function> {
        let proto = Proto {
            name: name.map(Into::into),
            nparams: 0,
            has_rest: false,
            nregs: 0,
            code: Vec::new(),
            spans: Vec::new(),
            consts: Vec::new(),
            children: Vec::new(),
            cell_reads: Vec::new(),
            captures: Vec::new(),
            span: Span::new(0, 0),
            source: SourceFile::new("test.cl", ""),
            is_builtin,
        };
        Box::new(Function::new(0, Arc::new(proto), Box::new([]), Box::new([]), (u64::MAX, u64::MAX)))
    }

    #[test]
    fn closures() {
        let mut heap = Heap::new();
        let names = Names::default();
        let named = test_function(Some("fib"), false);
        let anon = test_function(None, false);
        let prelude = test_function(Some("map"), true);
        for (f, text) in [(&named, "<fn fib>"), (&anon, "<fn>"), (&prelude, "<builtin map>")] {
            let c = Value::Closure(heap.alloc_closure(NonNull::from(&**f), Box::new([])));
            assert_eq!(show(c, &names), text);
            assert!(equal(c, c).unwrap());
            let other = Value::Closure(heap.alloc_closure(NonNull::from(&**f), Box::new([])));
            assert!(!equal(c, other).unwrap());
            assert!(!eq_identity(c, other));
        }
    }

    #[test]
    fn strings_raw_at_top_level_and_quoted_inside() {
        let mut heap = Heap::new();
        let names = Names::default();
        let s = heap.alloc_str("say \"hi\"\\\n\tnow\r\0\u{1b}é");
        assert_eq!(to_display(s, &names).unwrap(), "say \"hi\"\\\n\tnow\r\0\u{1b}é");
        let quoted = r#""say \"hi\"\\\n\tnow\r\0\u{1b}é""#;
        assert_eq!(show(s, &names), quoted);
        assert_eq!(to_quoted(s, &names).unwrap(), quoted);
        let l = heap.list_from(&[s]);
        assert_eq!(to_display(l, &names).unwrap(), format!("({quoted})"));
        let a = heap.alloc_str("a");
        let b = heap.alloc_str("b");
        let l = heap.list_from(&[a, b]);
        assert_eq!(to_display(l, &names).unwrap(), r#"("a" "b")"#);
    }

    #[test]
    fn lists_and_vectors() {
        let mut heap = Heap::new();
        let names = Names::default();
        let empty_v = heap.alloc_vector(Box::new([]));
        let inner = heap.list_from(&[Int(2), Empty, empty_v]);
        let v = heap.alloc_vector(Box::new([Int(1), inner, Float(0.5)]));
        let outer = heap.list_from(&[v, Nil, Int(3)]);
        assert_eq!(show(outer, &names), "([1 (2 () []) 0.5] nil 3)");
        assert_eq!(show(empty_v, &names), "[]");
    }

    fn nest(heap: &mut Heap, levels: usize) -> Value {
        let mut v = Int(0);
        for _ in 0..levels {
            v = heap.cons(v, Empty);
        }
        v
    }

    #[test]
    fn nesting_limit() {
        let mut heap = Heap::new();
        let names = Names::default();
        let ok = nest(&mut heap, MAX_DEPTH);
        let text = to_display(ok, &names).unwrap();
        assert_eq!(text.len(), 2 * MAX_DEPTH + 1);
        let deep = nest(&mut heap, MAX_DEPTH + 1);
        assert_eq!(
            to_display(deep, &names).unwrap_err().message,
            "value too deeply nested to print (more than 10000 levels)"
        );
        let very_deep = nest(&mut heap, 1_000_000);
        assert!(to_display(very_deep, &names).is_err());
        // Equality has the same limit, and no recursion either.
        let deep2 = nest(&mut heap, MAX_DEPTH + 1);
        assert_eq!(
            equal(deep, deep2).unwrap_err().message,
            "value too deeply nested to compare (more than 10000 levels)"
        );
        let ok2 = nest(&mut heap, MAX_DEPTH);
        assert!(equal(ok, ok2).unwrap());
        // A brief form never gets that deep.
        let mut s = String::new();
        write_brief(&mut s, very_deep, None, 20);
        assert_eq!(s, format!("{}...", "(".repeat(20)));
    }

    #[test]
    fn self_containing_vectors() {
        let mut heap = Heap::new();
        let names = Names::default();
        let v = heap.alloc_vector(Box::new([Int(1), Nil]));
        let w = heap.alloc_vector(Box::new([Int(1), Nil]));
        if let (Value::Vector(g), Value::Vector(h)) = (v, w) {
            g.set(1, v);
            h.set(1, w);
        }
        assert!(to_display(v, &names).unwrap_err().message.contains("too deeply nested"));
        assert!(equal(v, v).unwrap());
        assert!(equal(v, w).unwrap_err().message.contains("too deeply nested"));
        let mut s = String::new();
        write_brief(&mut s, v, Some(&names), 12);
        assert_eq!(s, "[1 [1 [1 [1 ...");
    }

    #[test]
    fn ten_million_element_list_prints_iteratively() {
        let mut heap = Heap::new();
        let names = Names::default();
        let mut l = Empty;
        for i in (0..10_000_000).rev() {
            l = heap.cons(Int(i % 10), l);
        }
        let text = to_display(l, &names).unwrap();
        assert_eq!(text.len(), 2 * 10_000_000 + 1);
        assert!(text.starts_with("(0 1 2 3"));
        assert!(text.ends_with(" 8 9)"));
        let mut brief = String::new();
        write_brief(&mut brief, l, None, 10);
        assert_eq!(brief, "(0 1 2 3 4...");
        // Equality walks long lists without recursion too: the last million
        // elements against a fresh copy of them.
        let copy = {
            let mut m = Empty;
            for i in (0..1_000_000).rev() {
                m = heap.cons(Int(i % 10), m);
            }
            m
        };
        let mut tail = l;
        for _ in 0..9_000_000 {
            if let Value::Cons(c) = tail {
                tail = c.tail;
            }
        }
        assert!(equal(tail, copy).unwrap());
        assert!(!equal(l, copy).unwrap());
    }

    #[test]
    fn brief_forms_cut_long_strings_at_char_boundaries() {
        let mut heap = Heap::new();
        let s = heap.alloc_str("ééééé");
        let mut out = String::from(">");
        write_brief(&mut out, s, None, 4);
        assert_eq!(out, ">\"é...");
        let short = heap.alloc_str("ab");
        let mut out = String::new();
        write_brief(&mut out, short, None, 4);
        assert_eq!(out, "\"ab\"");
        let exact = heap.alloc_str("abcdef");
        let mut out = String::new();
        write_brief(&mut out, exact, None, 8);
        assert_eq!(out, "\"abcdef\"");
    }

    #[test]
    fn structural_equality() {
        let mut heap = Heap::new();
        let mut names = Names::default();
        let a1 = heap.alloc_str("a");
        let a2 = heap.alloc_str("a");
        let b = heap.alloc_str("b");
        let l1 = heap.list_from(&[Int(1), a1, Float(2.0)]);
        let l2 = heap.list_from(&[Float(1.0), a2, Int(2)]);
        let l3 = heap.list_from(&[Int(1), b, Int(2)]);
        let short = heap.list_from(&[Int(1), a1]);
        let v1 = heap.alloc_vector(Box::new([Int(1), l1]));
        let v2 = heap.alloc_vector(Box::new([Int(1), l2]));
        let v3 = heap.alloc_vector(Box::new([Int(1)]));
        let e1 = heap.alloc_vector(Box::new([]));
        let e2 = heap.alloc_vector(Box::new([]));
        let list_of_one = heap.list_from(&[Int(1)]);
        let nan = Float(f64::NAN);
        let x = Value::Sym(names.intern("x"));
        let y = Value::Sym(names.intern("y"));
        let shared_tail = heap.list_from(&[Int(5), Int(6)]);
        let p = heap.cons(Int(4), shared_tail);
        let q = heap.cons(Int(4), shared_tail);
        let yes = [
            (Int(1), Float(1.0)),
            (Float(-0.0), Int(0)),
            (a1, a2),
            (l1, l2),
            (v1, v2),
            (e1, e2),
            (Empty, Empty),
            (Nil, Nil),
            (Bool(false), Bool(false)),
            (x, x),
            (p, q),
            (Value::Builtin(3), Value::Builtin(3)),
        ];
        let no = [
            (Int(1), Int(2)),
            (nan, nan),
            (a1, b),
            (l1, l3),
            (l1, short),
            (short, l1),
            (v1, v3),
            (v3, list_of_one),
            (Empty, e1),
            (Empty, Nil),
            (Nil, Bool(false)),
            (x, y),
            (Int(0), Nil),
            (a1, x),
            (Value::Builtin(3), Value::Builtin(4)),
        ];
        for (a, b) in yes {
            assert!(equal(a, b).unwrap(), "{} = {}", show(a, &names), show(b, &names));
            assert!(equal(b, a).unwrap());
        }
        for (a, b) in no {
            assert!(!equal(a, b).unwrap(), "{} != {}", show(a, &names), show(b, &names));
            assert!(!equal(b, a).unwrap());
        }
        // Beyond i64 -> f64 precision the int is converted, as specified.
        assert!(equal(Int(9_007_199_254_740_993), Float(9_007_199_254_740_992.0)).unwrap());
    }

    #[test]
    fn identity() {
        let mut heap = Heap::new();
        let mut names = Names::default();
        let s1 = heap.alloc_str("a");
        let s2 = heap.alloc_str("a");
        let l1 = heap.list_from(&[Int(1)]);
        let l2 = heap.list_from(&[Int(1)]);
        let x = Value::Sym(names.intern("x"));
        assert!(eq_identity(Int(3), Int(3)));
        assert!(eq_identity(Int(3), Float(3.0)));
        assert!(eq_identity(Float(0.0), Float(-0.0)));
        assert!(!eq_identity(Float(f64::NAN), Float(f64::NAN)));
        assert!(eq_identity(Nil, Nil));
        assert!(eq_identity(Empty, Empty));
        assert!(eq_identity(Bool(true), Bool(true)));
        assert!(eq_identity(x, x));
        assert!(eq_identity(s1, s1));
        assert!(!eq_identity(s1, s2));
        assert!(eq_identity(l1, l1));
        assert!(!eq_identity(l1, l2));
        assert!(!eq_identity(Nil, Bool(false)));
        assert!(eq_identity(Value::Builtin(1), Value::Builtin(1)));
    }
}
