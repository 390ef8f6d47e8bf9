//! String and symbol builtins.
//!
//! Lengths and indices count Unicode scalar values, not bytes (LANGUAGE.md
//! section 4); `Str` caches the count, and an all-ASCII string is indexed
//! by byte directly. Every slice is taken at a char boundary.

use super::{wrong_type, NativeCtx};
use crate::error::{exn, Exn};
use crate::printer;
use crate::value::{Str, Value};
use claudelang_frontend::builtins::name;

#[cold]
#[inline(never)]
fn type_error(id: u16, ctx: &NativeCtx, args: &[Value], what: &str, got: Value) -> Exn {
    wrong_type(name(id), args, Some(ctx.names), what, got)
}

/// `string-concat` and its alias `concat`: strings only.
pub(crate) fn concat(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let mut len = 0usize;
    for &a in args {
        match a {
            Value::Str(s) => len = len.saturating_add(s.text.len()),
            other => return Err(type_error(id, ctx, args, "expected strings", other)),
        }
    }
    let mut out = String::with_capacity(len);
    for &a in args {
        if let Value::Str(s) = a {
            out.push_str(&s.text);
        }
    }
    Ok(ctx.heap.alloc_str(out))
}

pub(crate) fn string_length(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Str(s) => Ok(Value::Int(s.chars as i64)),
        other => Err(type_error(id, ctx, args, "expected a string", other)),
    }
}

/// The byte offset of char index `i` (at most `s.chars`).
fn byte_offset(s: &Str, i: usize) -> usize {
    if s.is_ascii() {
        return i;
    }
    s.text.char_indices().nth(i).map_or(s.text.len(), |(b, _)| b)
}

/// `(substring s start [end])`: chars `start .. end-1`; `end` defaults to
/// the length. Requires `0 <= start <= end <= length`.
pub(crate) fn substring(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let Value::Str(s) = args[0] else {
        return Err(type_error(id, ctx, args, "expected a string", args[0]));
    };
    let Value::Int(start) = args[1] else {
        return Err(type_error(id, ctx, args, "expected int indices", args[1]));
    };
    let end = match args.get(2) {
        None => s.chars as i64,
        Some(Value::Int(e)) => *e,
        Some(&other) => return Err(type_error(id, ctx, args, "expected int indices", other)),
    };
    let len = s.chars;
    let (Ok(b), Ok(e)) = (usize::try_from(start), usize::try_from(end)) else {
        return Err(substring_range(start, end, len));
    };
    if b > e || e > len {
        return Err(substring_range(start, end, len));
    }
    let (bb, eb) = (byte_offset(&s, b), byte_offset(&s, e));
    let text = s.text.get(bb..eb).unwrap_or("");
    Ok(ctx.heap.alloc_str(text))
}

#[cold]
#[inline(never)]
fn substring_range(start: i64, end: i64, len: usize) -> Exn {
    exn(format!("index out of range: substring {start} .. {end} of a string of length {len}"))
}

/// `string->number`: the number a literal with exactly this text would
/// denote (LANGUAGE.md section 1), or nil. No surrounding whitespace, no
/// `+` sign; an int literal outside i64 is nil; a float literal too large
/// for f64 is infinity, as in source.
pub(crate) fn string_to_number(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Str(s) => Ok(parse_number(&s.text).unwrap_or(Value::Nil)),
        other => Err(type_error(id, ctx, args, "expected a string", other)),
    }
}

/// Parses the number literal syntax of section 1 exactly.
pub fn parse_number(text: &str) -> Option<Value> {
    if let Some(hex) = text.strip_prefix("0x") {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return i64::from_str_radix(hex, 16).ok().map(Value::Int);
    }
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = usize::from(b.first() == Some(&b'-'));
    let j = digits(i);
    if j == i {
        return None;
    }
    i = j;
    if i == b.len() {
        return text.parse::<i64>().ok().map(Value::Int);
    }
    let mut fraction_or_exponent = false;
    if b.get(i) == Some(&b'.') {
        let j = digits(i + 1);
        if j == i + 1 {
            return None;
        }
        i = j;
        fraction_or_exponent = true;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let j = digits(i);
        if j == i {
            return None;
        }
        i = j;
        fraction_or_exponent = true;
    }
    if i != b.len() || !fraction_or_exponent {
        return None;
    }
    text.parse::<f64>().ok().map(Value::Float)
}

/// `to-string`: the raw printed form; a string is returned as it is.
pub(crate) fn to_string(_: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        s @ Value::Str(_) => Ok(s),
        v => {
            let text = printer::to_display(v, ctx.names)?;
            Ok(ctx.heap.alloc_str(text))
        }
    }
}

pub(crate) fn string_to_symbol(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Str(s) => Ok(Value::Sym(ctx.names.intern(&s.text))),
        other => Err(type_error(id, ctx, args, "expected a string", other)),
    }
}

pub(crate) fn symbol_to_string(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args[0] {
        Value::Sym(sym) => {
            let text: Box<str> = ctx.names.symbol(sym).into();
            Ok(ctx.heap.alloc_str(text))
        }
        other => Err(type_error(id, ctx, args, "expected a symbol", other)),
    }
}

/// `(string-split s [sep])`: with a separator, the pieces between its
/// occurrences (empty pieces kept, so `""` gives `("")`); with an empty
/// separator, one string per char; with none, the runs of non-whitespace.
pub(crate) fn string_split(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let Value::Str(s) = args[0] else {
        return Err(type_error(id, ctx, args, "expected a string", args[0]));
    };
    let pieces: Vec<&str> = match args.get(1) {
        None => s.text.split_whitespace().collect(),
        Some(Value::Str(sep)) if sep.text.is_empty() => {
            s.text.char_indices().map(|(i, c)| s.text.get(i..i + c.len_utf8()).unwrap_or("")).collect()
        }
        Some(Value::Str(sep)) => s.text.split(&*sep.text).collect(),
        Some(&other) => return Err(type_error(id, ctx, args, "expected a string separator", other)),
    };
    let items: Vec<Value> = pieces.into_iter().map(|p| ctx.heap.alloc_str(p)).collect();
    Ok(ctx.heap.list_from(&items))
}

/// `(string-join xs [sep])`: the strings of the list (or vector) `xs`
/// joined by `sep` (default: nothing). Strings only.
pub(crate) fn string_join(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let sep: &str = match args.get(1) {
        None => "",
        Some(Value::Str(sep)) => &sep.text,
        Some(&other) => return Err(type_error(id, ctx, args, "expected a string separator", other)),
    };
    let items = match args[0] {
        Value::Vector(v) => v.to_vec(),
        l @ (Value::Empty | Value::Cons(_)) => {
            let mut items = Vec::new();
            let mut rest = l;
            while let Value::Cons(c) = rest {
                items.push(c.head);
                rest = c.tail;
            }
            items
        }
        other => return Err(type_error(id, ctx, args, "expected a list of strings", other)),
    };
    let mut out = String::new();
    for (i, &x) in items.iter().enumerate() {
        let Value::Str(s) = x else {
            return Err(type_error(id, ctx, args, "expected a list of strings", x));
        };
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&s.text);
    }
    Ok(ctx.heap.alloc_str(out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_v, Env, Eqv};
    use super::*;
    use Value::{Empty, Float, Int, Nil};

    #[test]
    fn concat_accepts_strings_only() {
        let mut env = Env::new();
        let a = env.str("ab");
        let b = env.str("é");
        assert_eq!(env.run("string-concat", &[a, b, a]), "\"abéab\"");
        assert_eq!(env.run("concat", &[a]), "\"ab\"");
        assert_eq!(env.run("concat", &[]), "\"\"");
        assert_eq!(env.err("concat", &[a, Int(1)]), "wrong type in (concat \"ab\" 1): expected strings, got int");
        let sym = env.sym("x");
        assert_eq!(env.err("string-concat", &[sym]), "wrong type in (string-concat x): expected strings, got symbol");
    }

    #[test]
    fn string_length_counts_chars() {
        let mut env = Env::new();
        let s = env.str("naïve ☃");
        let e = env.str("");
        assert_v!(env.call("string-length", &[s]), Ok(Int(7)));
        assert_v!(env.call("string-length", &[e]), Ok(Int(0)));
        assert_eq!(env.err("string-length", &[Empty]), "wrong type in (string-length ()): expected a string, got list");
    }

    #[test]
    fn substring_by_chars() {
        let mut env = Env::new();
        let s = env.str("hello");
        let u = env.str("añb☃c");
        assert_eq!(env.run("substring", &[s, Int(1), Int(3)]), "\"el\"");
        assert_eq!(env.run("substring", &[s, Int(2)]), "\"llo\"");
        assert_eq!(env.run("substring", &[s, Int(5)]), "\"\"");
        assert_eq!(env.run("substring", &[s, Int(0), Int(5)]), "\"hello\"");
        assert_eq!(env.run("substring", &[u, Int(1), Int(4)]), "\"ñb☃\"");
        assert_eq!(env.run("substring", &[u, Int(3)]), "\"☃c\"");
        assert_eq!(
            env.err("substring", &[s, Int(2), Int(10)]),
            "index out of range: substring 2 .. 10 of a string of length 5"
        );
        assert_eq!(env.err("substring", &[s, Int(6)]), "index out of range: substring 6 .. 5 of a string of length 5");
        assert_eq!(
            env.err("substring", &[s, Int(-1), Int(2)]),
            "index out of range: substring -1 .. 2 of a string of length 5"
        );
        assert_eq!(
            env.err("substring", &[s, Int(3), Int(2)]),
            "index out of range: substring 3 .. 2 of a string of length 5"
        );
        assert_eq!(
            env.err("substring", &[s, Float(1.0)]),
            "wrong type in (substring \"hello\" 1.0): expected int indices, got float"
        );
        assert_eq!(
            env.err("substring", &[s, Int(1), Nil]),
            "wrong type in (substring \"hello\" 1 nil): expected int indices, got nil"
        );
        assert_eq!(
            env.err("substring", &[Int(1), Int(1)]),
            "wrong type in (substring 1 1): expected a string, got int"
        );
    }

    #[test]
    fn string_to_number_accepts_literals_only() {
        for (text, want) in [
            ("-17", Some(Int(-17))),
            ("0", Some(Int(0))),
            ("007", Some(Int(7))),
            ("0x1F", Some(Int(31))),
            ("0x7fffffffffffffff", Some(Int(i64::MAX))),
            ("9223372036854775807", Some(Int(i64::MAX))),
            ("-9223372036854775808", Some(Int(i64::MIN))),
            ("0.125", Some(Float(0.125))),
            ("-2.5e-3", Some(Float(-0.0025))),
            ("1e3", Some(Float(1000.0))),
            ("1E+3", Some(Float(1000.0))),
            ("1e400", Some(Float(f64::INFINITY))),
        ] {
            assert_eq!(parse_number(text).map(Eqv), want.map(Eqv), "{text}");
        }
        for text in [
            "",
            "-",
            "abc",
            "1abc",
            "9223372036854775808",
            "-9223372036854775809",
            "0x8000000000000000",
            "-0x1F",
            "0x",
            "0X1F",
            "0xg",
            "1.",
            ".5",
            "1.e3",
            "1e",
            "1e+",
            "+1",
            " 1",
            "1 ",
            "1_000",
            "inf",
            "nan",
            "1.5.2",
            "--1",
            "١٢",
            "0x1F.0",
        ] {
            assert!(parse_number(text).is_none(), "{text:?} parsed");
        }
        let mut env = Env::new();
        let s = env.str("42");
        let bad = env.str("4 2");
        assert_v!(env.call("string->number", &[s]), Ok(Int(42)));
        assert_v!(env.call("string->number", &[bad]), Ok(Nil));
        assert_eq!(
            env.err("string->number", &[Int(4)]),
            "wrong type in (string->number 4): expected a string, got int"
        );
    }

    #[test]
    fn to_string_is_the_raw_printed_form() {
        let mut env = Env::new();
        let s = env.str("a\"b");
        let l = env.list(&[s, Float(1e16)]);
        assert_eq!(env.run("to-string", &[Int(42)]), "\"42\"");
        assert_eq!(env.run("to-string", &[l]), "\"(\\\"a\\\\\\\"b\\\" 1e16)\"");
        let r = env.call("to-string", &[s]).unwrap();
        assert!(crate::printer::eq_identity(r, s));
        assert_eq!(env.run("to-string", &[Nil]), "\"nil\"");
    }

    #[test]
    fn symbols_and_strings() {
        let mut env = Env::new();
        let s = env.str("hello world");
        let sym = env.call("string->symbol", &[s]).unwrap();
        let again = env.sym("hello world");
        assert_v!(Ok(sym), Ok(again));
        assert_eq!(env.run("symbol->string", &[sym]), "\"hello world\"");
        assert_eq!(
            env.err("string->symbol", &[sym]),
            "wrong type in (string->symbol hello world): expected a string, got symbol"
        );
        assert_eq!(
            env.err("symbol->string", &[s]),
            "wrong type in (symbol->string \"hello world\"): expected a symbol, got string"
        );
    }

    #[test]
    fn string_split() {
        let mut env = Env::new();
        let s = env.str("  a b\t\nc  ");
        assert_eq!(env.run("string-split", &[s]), "(\"a\" \"b\" \"c\")");
        let csv = env.str("a,,b,");
        let comma = env.str(",");
        assert_eq!(env.run("string-split", &[csv, comma]), "(\"a\" \"\" \"b\" \"\")");
        let multi = env.str("a::b::c");
        let sep = env.str("::");
        assert_eq!(env.run("string-split", &[multi, sep]), "(\"a\" \"b\" \"c\")");
        let u = env.str("añ☃");
        let nothing = env.str("");
        assert_eq!(env.run("string-split", &[u, nothing]), "(\"a\" \"ñ\" \"☃\")");
        assert_eq!(env.run("string-split", &[nothing, nothing]), "()");
        assert_eq!(env.run("string-split", &[nothing, comma]), "(\"\")");
        assert_eq!(env.run("string-split", &[nothing]), "()");
        assert_eq!(
            env.err("string-split", &[u, Int(1)]),
            "wrong type in (string-split \"añ☃\" 1): expected a string separator, got int"
        );
        assert_eq!(env.err("string-split", &[Int(1)]), "wrong type in (string-split 1): expected a string, got int");
    }

    #[test]
    fn string_join() {
        let mut env = Env::new();
        let a = env.str("a");
        let b = env.str("b");
        let l = env.list(&[a, b, a]);
        let sep = env.str(", ");
        assert_eq!(env.run("string-join", &[l]), "\"aba\"");
        assert_eq!(env.run("string-join", &[l, sep]), "\"a, b, a\"");
        assert_eq!(env.run("string-join", &[Empty, sep]), "\"\"");
        let v = env.vector(&[b, a]);
        assert_eq!(env.run("string-join", &[v, sep]), "\"b, a\"");
        let mixed = env.list(&[a, Int(1)]);
        assert_eq!(
            env.err("string-join", &[mixed]),
            "wrong type in (string-join (\"a\" 1)): expected a list of strings, got int"
        );
        assert_eq!(
            env.err("string-join", &[a]),
            "wrong type in (string-join \"a\"): expected a list of strings, got string"
        );
        assert_eq!(
            env.err("string-join", &[l, Nil]),
            "wrong type in (string-join (\"a\" \"b\" \"a\") nil): expected a string separator, got nil"
        );
    }
}
