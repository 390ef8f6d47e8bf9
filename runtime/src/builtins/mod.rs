//! Native builtins (LANGUAGE.md section 4), dispatched by the ids of
//! `claudelang_frontend::builtins::BUILTINS`.
//!
//! A native never calls back into ClaudeLang code (builtins that do —
//! `map`, `filter`, `fold` — live in the prelude, `apply` in the VM), and
//! never triggers a collection: it may allocate freely and hold temporaries
//! in Rust locals. The VM has checked the argument count before the call.
//!
//! Dispatch is one indexed load from [`NATIVES`], a table built at compile
//! time in builtin-id order. Natives live by subject in `numeric`, `lists`
//! and `strings`; predicates, equality and the odd ones out (`print`,
//! `error`, `identity`) are here. Every native receives its own id, so
//! aliases (`head`/`car`, `concat`/`string-concat`) name themselves
//! correctly in errors. Success paths do not format; every error
//! constructor is `#[cold]`.

pub mod lists;
pub mod numeric;
pub mod strings;

use crate::error::{exn, Exn};
use crate::heap::Heap;
use crate::names::Names;
use crate::printer::{self, write_brief, BRIEF_CHARS};
use crate::value::Value;
use claudelang_frontend::builtins::{name, BuiltinKind, B, BUILTINS, VARIADIC};

pub struct NativeCtx<'a> {
    pub heap: &'a mut Heap,
    pub names: &'a mut Names,
    pub out: &'a mut dyn std::io::Write,
}

/// A native builtin: its own id (for messages), the context, the arguments.
pub type NativeFn = fn(u16, &mut NativeCtx, &[Value]) -> Result<Value, Exn>;

const COUNT: usize = BUILTINS.len();

/// Natives by builtin id; ids of non-native builtins map to [`not_native`].
static NATIVES: [NativeFn; COUNT] = {
    use lists as l;
    use numeric as n;
    use strings as s;
    let mut t: [NativeFn; COUNT] = [not_native as NativeFn; COUNT];
    t[B::Add as usize] = n::add_n;
    t[B::Sub as usize] = n::sub_n;
    t[B::Mul as usize] = n::mul_n;
    t[B::Div as usize] = n::div_n;
    t[B::Mod as usize] = n::mod_2;
    t[B::Rem as usize] = n::rem_2;
    t[B::Abs as usize] = n::abs_1;
    t[B::Min as usize] = n::min_n;
    t[B::Max as usize] = n::max_n;
    t[B::Sqrt as usize] = n::sqrt_1;
    t[B::Floor as usize] = n::floor_1;
    t[B::Ceil as usize] = n::ceil_1;
    t[B::Round as usize] = n::round_1;
    t[B::Exp as usize] = n::exp_1;
    t[B::Log as usize] = n::log_1;
    t[B::Sin as usize] = n::sin_1;
    t[B::Cos as usize] = n::cos_1;
    t[B::Pow as usize] = n::pow_2;
    t[B::NumEq as usize] = equal_n;
    t[B::NumEq2 as usize] = equal_n;
    t[B::NotEq as usize] = not_equal_2;
    t[B::Lt as usize] = n::lt_n;
    t[B::Gt as usize] = n::gt_n;
    t[B::Le as usize] = n::le_n;
    t[B::Ge as usize] = n::ge_n;
    t[B::IsEq as usize] = is_eq;
    t[B::Not as usize] = not;
    t[B::IsNil as usize] = is_nil;
    t[B::IsBool as usize] = is_bool;
    t[B::IsInt as usize] = is_int;
    t[B::IsFloat as usize] = is_float;
    t[B::IsNumber as usize] = is_number;
    t[B::IsString as usize] = is_string;
    t[B::IsSymbol as usize] = is_symbol;
    t[B::IsList as usize] = is_list;
    t[B::IsVector as usize] = is_vector;
    t[B::IsFunction as usize] = is_function;
    t[B::IsEmpty as usize] = is_empty;
    t[B::List as usize] = l::list;
    t[B::Cons as usize] = l::cons;
    t[B::Head as usize] = l::head;
    t[B::Tail as usize] = l::tail;
    t[B::Car as usize] = l::head;
    t[B::Cdr as usize] = l::tail;
    t[B::Length as usize] = l::length;
    t[B::Nth as usize] = l::nth;
    t[B::Append as usize] = l::append;
    t[B::Reverse as usize] = l::reverse;
    t[B::Range as usize] = l::range;
    t[B::Take as usize] = l::take;
    t[B::Drop as usize] = l::drop;
    t[B::Last as usize] = l::last;
    t[B::Vector as usize] = l::vector;
    t[B::MakeVector as usize] = l::make_vector;
    t[B::VectorRef as usize] = l::vector_ref;
    t[B::VectorSet as usize] = l::vector_set;
    t[B::VectorLength as usize] = l::vector_length;
    t[B::VectorToList as usize] = l::vector_to_list;
    t[B::ListToVector as usize] = l::list_to_vector;
    t[B::StringConcat as usize] = s::concat;
    t[B::Concat as usize] = s::concat;
    t[B::StringLength as usize] = s::string_length;
    t[B::Substring as usize] = s::substring;
    t[B::StringToNumber as usize] = s::string_to_number;
    t[B::ToString as usize] = s::to_string;
    t[B::StringToSymbol as usize] = s::string_to_symbol;
    t[B::SymbolToString as usize] = s::symbol_to_string;
    t[B::StringSplit as usize] = s::string_split;
    t[B::StringJoin as usize] = s::string_join;
    t[B::Print as usize] = print;
    t[B::Error as usize] = error;
    t[B::Identity as usize] = identity;
    t
};

/// Runs native builtin `id` on `args`.
#[inline]
pub fn call_native(id: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let (Some(f), Some(&(_, _, min, max))) = (NATIVES.get(id as usize), BUILTINS.get(id as usize)) else {
        return Err(unknown_id(id));
    };
    // The VM checks arity first; checking again is two compares and lets
    // every native index its arguments without a possible panic.
    if args.len() < min as usize || (max != VARIADIC && args.len() > max as usize) {
        return Err(bad_arity(id, args.len()));
    }
    f(id, ctx, args)
}

// ---- error constructors shared by the natives -----------------------------

/// `(name a b ...)`: the call as it was made, each operand in brief quoted
/// form and at most eight of them, for messages.
pub(crate) fn call_form(name: &str, args: &[Value], names: Option<&Names>) -> String {
    const SHOWN: usize = 8;
    let mut s = String::with_capacity(32);
    s.push('(');
    s.push_str(name);
    for &a in args.iter().take(SHOWN) {
        s.push(' ');
        write_brief(&mut s, a, names, BRIEF_CHARS);
    }
    if args.len() > SHOWN {
        s.push_str(" ...");
    }
    s.push(')');
    s
}

/// `wrong type in (name args...): WHAT, got TYPE`. `what` says what was
/// expected, e.g. `expected numbers`.
#[cold]
#[inline(never)]
pub(crate) fn wrong_type(name: &str, args: &[Value], names: Option<&Names>, what: &str, got: Value) -> Exn {
    exn(format!("wrong type in {}: {what}, got {}", call_form(name, args, names), got.type_name()))
}

/// `index out of range: index I for KIND of length N`.
#[cold]
#[inline(never)]
pub(crate) fn index_out_of_range(index: i64, kind: &str, len: usize) -> Exn {
    exn(format!("index out of range: index {index} for {kind} of length {len}"))
}

#[cold]
#[inline(never)]
fn unknown_id(id: u16) -> Exn {
    exn(format!("internal error: no builtin with id {id}"))
}

#[cold]
#[inline(never)]
fn bad_arity(id: u16, got: usize) -> Exn {
    let (_, _, min, max) = BUILTINS[id as usize];
    let expected = if max == VARIADIC {
        format!("at least {min}")
    } else if min == max {
        format!("{min}")
    } else {
        format!("{min} to {max}")
    };
    exn(format!("wrong number of arguments to {}: expected {expected}, got {got}", name(id)))
}

/// The table entry of builtins the VM or the prelude implements.
#[cold]
#[inline(never)]
fn not_native(id: u16, _: &mut NativeCtx, _: &[Value]) -> Result<Value, Exn> {
    let kind = match BUILTINS[id as usize].1 {
        BuiltinKind::Native => "native, but has no implementation",
        BuiltinKind::Prelude => "implemented in the prelude",
        BuiltinKind::Apply => "implemented by the VM",
    };
    Err(exn(format!("internal error: builtin {} is {kind}", name(id))))
}

// ---- equality and logic ----------------------------------------------------

/// `=` / `==`: true when every neighbouring pair is `equal`.
fn equal_n(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    for w in args.windows(2) {
        if !printer::equal(w[0], w[1])? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn not_equal_2(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    Ok(Value::Bool(!printer::equal(args[0], args[1])?))
}

fn is_eq(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    Ok(Value::Bool(printer::eq_identity(args[0], args[1])))
}

fn not(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    Ok(Value::Bool(!args[0].truthy()))
}

// ---- type predicates -------------------------------------------------------

macro_rules! predicate {
    ($($fname:ident => $pat:pat,)*) => {$(
        fn $fname(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
            Ok(Value::Bool(matches!(args[0], $pat)))
        }
    )*};
}

predicate! {
    is_nil => Value::Nil,
    is_bool => Value::Bool(_),
    is_int => Value::Int(_),
    is_float => Value::Float(_),
    is_number => Value::Int(_) | Value::Float(_),
    is_string => Value::Str(_),
    is_symbol => Value::Sym(_),
    is_list => Value::Empty | Value::Cons(_),
    is_vector => Value::Vector(_),
    is_function => Value::Closure(_) | Value::Builtin(_),
}

/// `empty?`: true for `[]`, an empty vector and an empty string; false for
/// every other value, non-collections included (like Scheme's `null?`, so
/// the prelude's loops can test any value without a type error).
fn is_empty(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    Ok(Value::Bool(match args[0] {
        Value::Empty => true,
        Value::Vector(v) => v.is_empty(),
        Value::Str(s) => s.text.is_empty(),
        _ => false,
    }))
}

// ---- output, errors, identity ---------------------------------------------

/// The raw printed forms of `args`, separated by one space.
fn join_display(args: &[Value], names: &Names, out: &mut String) -> Result<(), Exn> {
    for (i, &a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        printer::write_value(out, a, names, false)?;
    }
    Ok(())
}

/// `print`: one line, written with a single `write_all` so that output of
/// concurrent runtimes sharing a stream does not interleave within a line.
fn print(_: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let mut line = String::new();
    join_display(args, ctx.names, &mut line)?;
    line.push('\n');
    ctx.out.write_all(line.as_bytes()).map_err(write_failed)?;
    Ok(Value::Nil)
}

#[cold]
#[inline(never)]
fn write_failed(e: std::io::Error) -> Exn {
    exn(format!("cannot write output: {e}"))
}

/// `error`: raises its arguments' printed forms joined by spaces; with no
/// arguments the message is just `error`.
fn error(_: u16, ctx: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    if args.is_empty() {
        return Err(exn("error"));
    }
    let mut message = String::new();
    join_display(args, ctx.names, &mut message)?;
    Err(exn(message))
}

fn identity(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    Ok(args[0])
}

/// A heap, a symbol table and an output buffer for the builtins' tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use claudelang_frontend::builtins::lookup;

    /// A value compared strictly for tests: same variant, floats by bits
    /// (any two NaNs are alike), objects by identity.
    #[derive(Debug)]
    pub(crate) struct Eqv(pub Value);

    impl PartialEq for Eqv {
        fn eq(&self, other: &Eqv) -> bool {
            match (self.0, other.0) {
                (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                (x, y) => x.tag() == y.tag() && printer::eq_identity(x, y),
            }
        }
    }

    pub(crate) fn ev(r: Result<Value, Exn>) -> Result<Eqv, Exn> {
        r.map(Eqv)
    }

    /// `assert_eq!` for `Result<Value, Exn>`.
    macro_rules! assert_v {
        ($a:expr, $b:expr $(, $($msg:tt)*)?) => {
            assert_eq!($crate::builtins::testing::ev($a), $crate::builtins::testing::ev($b) $(, $($msg)*)?)
        };
    }
    pub(crate) use assert_v;

    #[derive(Default)]
    pub(crate) struct Env {
        pub heap: Heap,
        pub names: Names,
        pub out: Vec<u8>,
    }

    impl Env {
        pub fn new() -> Env {
            Env::default()
        }

        /// Calls the builtin named `name`.
        pub fn call(&mut self, name: &str, args: &[Value]) -> Result<Value, Exn> {
            let id = lookup(name).unwrap_or_else(|| panic!("no builtin {name}"));
            let mut ctx = NativeCtx { heap: &mut self.heap, names: &mut self.names, out: &mut self.out };
            call_native(id, &mut ctx, args)
        }

        /// The printed form (quoted) of a call's result, or `error: MESSAGE`.
        pub fn run(&mut self, name: &str, args: &[Value]) -> String {
            match self.call(name, args) {
                Ok(v) => self.show(v),
                Err(e) => format!("error: {}", e.message),
            }
        }

        /// The message of a call that must fail.
        pub fn err(&mut self, name: &str, args: &[Value]) -> String {
            match self.call(name, args) {
                Ok(v) => panic!("({name} ...) returned {} instead of failing", self.show(v)),
                Err(e) => e.message,
            }
        }

        pub fn show(&self, v: Value) -> String {
            let mut s = String::new();
            printer::write_value(&mut s, v, &self.names, true).unwrap();
            s
        }

        pub fn str(&mut self, s: &str) -> Value {
            self.heap.alloc_str(s)
        }

        pub fn list(&mut self, items: &[Value]) -> Value {
            self.heap.list_from(items)
        }

        pub fn ints(&mut self, items: &[i64]) -> Value {
            let vs: Vec<Value> = items.iter().map(|&i| Value::Int(i)).collect();
            self.heap.list_from(&vs)
        }

        pub fn vector(&mut self, items: &[Value]) -> Value {
            self.heap.alloc_vector(items.into())
        }

        pub fn sym(&mut self, s: &str) -> Value {
            Value::Sym(self.names.intern(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{assert_v, Env};
    use super::*;
    use Value::{Bool, Float, Int, Nil};

    #[test]
    fn every_native_builtin_is_in_the_table() {
        let mut env = Env::new();
        for (id, &(n, kind, min, _)) in BUILTINS.iter().enumerate() {
            let args = vec![Int(1); min as usize];
            let mut ctx = NativeCtx { heap: &mut env.heap, names: &mut env.names, out: &mut env.out };
            let r = call_native(id as u16, &mut ctx, &args);
            let unimplemented = matches!(&r, Err(e) if e.message.starts_with("internal error"));
            assert_eq!(unimplemented, kind != BuiltinKind::Native, "{n}: {r:?}");
        }
    }

    #[test]
    fn non_native_and_unknown_ids_are_internal_errors() {
        let mut env = Env::new();
        assert_eq!(env.err("map", &[Nil, Nil]), "internal error: builtin map is implemented in the prelude");
        assert_eq!(env.err("apply", &[Nil, Nil]), "internal error: builtin apply is implemented by the VM");
        let mut ctx = NativeCtx { heap: &mut env.heap, names: &mut env.names, out: &mut env.out };
        let e = call_native(BUILTINS.len() as u16, &mut ctx, &[]).unwrap_err();
        assert!(e.message.contains("no builtin with id"));
    }

    #[test]
    fn arity_is_checked_defensively() {
        let mut env = Env::new();
        assert_eq!(env.err("cons", &[Int(1)]), "wrong number of arguments to cons: expected 2, got 1");
        assert_eq!(env.err("<", &[Int(1)]), "wrong number of arguments to <: expected at least 2, got 1");
        assert_eq!(env.err("range", &[]), "wrong number of arguments to range: expected 1 to 2, got 0");
    }

    #[test]
    fn equality_builtins() {
        let mut env = Env::new();
        let a = env.ints(&[1, 2, 3]);
        let b = env.ints(&[1, 2, 3]);
        let s1 = env.str("x");
        let s2 = env.str("x");
        assert_v!(env.call("=", &[Int(1), Float(1.0), Int(1)]), Ok(Bool(true)));
        assert_v!(env.call("=", &[Int(1), Int(2), Int(1)]), Ok(Bool(false)));
        assert_v!(env.call("=", &[Nil]), Ok(Bool(true)));
        assert_v!(env.call("==", &[a, b]), Ok(Bool(true)));
        assert_v!(env.call("!=", &[a, b]), Ok(Bool(false)));
        assert_v!(env.call("!=", &[Int(1), Int(2)]), Ok(Bool(true)));
        assert_v!(env.call("eq?", &[a, b]), Ok(Bool(false)));
        assert_v!(env.call("eq?", &[a, a]), Ok(Bool(true)));
        assert_v!(env.call("eq?", &[s1, s2]), Ok(Bool(false)));
        assert_v!(env.call("=", &[s1, s2]), Ok(Bool(true)));
        assert_v!(env.call("eq?", &[Int(2), Float(2.0)]), Ok(Bool(true)));
        let x = env.sym("x");
        let x2 = env.sym("x");
        assert_v!(env.call("eq?", &[x, x2]), Ok(Bool(true)));
    }

    #[test]
    fn not_and_predicates() {
        let mut env = Env::new();
        assert_v!(env.call("not", &[Nil]), Ok(Bool(true)));
        assert_v!(env.call("not", &[Bool(false)]), Ok(Bool(true)));
        assert_v!(env.call("not", &[Int(0)]), Ok(Bool(false)));
        assert_v!(env.call("not", &[Value::Empty]), Ok(Bool(false)));

        let s = env.str("s");
        let empty_s = env.str("");
        let l = env.ints(&[1]);
        let v = env.vector(&[Int(1)]);
        let empty_v = env.vector(&[]);
        let sym = env.sym("a");
        let f = Value::Builtin(B::Add as u16);
        let all = [Nil, Bool(true), Int(1), Float(1.5), s, sym, Value::Empty, l, v, f];
        let expect: &[(&str, &[usize])] = &[
            ("nil?", &[0]),
            ("bool?", &[1]),
            ("int?", &[2]),
            ("float?", &[3]),
            ("number?", &[2, 3]),
            ("string?", &[4]),
            ("symbol?", &[5]),
            ("list?", &[6, 7]),
            ("vector?", &[8]),
            ("function?", &[9]),
            ("empty?", &[6]),
        ];
        for (pred, yes) in expect {
            for (i, &x) in all.iter().enumerate() {
                assert_v!(env.call(pred, &[x]), Ok(Bool(yes.contains(&i))), "({pred} {})", env.show(x));
            }
        }
        assert_v!(env.call("empty?", &[empty_s]), Ok(Bool(true)));
        assert_v!(env.call("empty?", &[empty_v]), Ok(Bool(true)));
    }

    #[test]
    fn print_writes_raw_forms_separated_by_spaces() {
        let mut env = Env::new();
        let s = env.str("hi \"you\"");
        let inner = env.str("a");
        let l = env.list(&[inner, Int(2)]);
        assert_v!(env.call("print", &[s, l, Float(1.0), Nil]), Ok(Nil));
        assert_v!(env.call("print", &[]), Ok(Nil));
        assert_eq!(String::from_utf8(env.out.clone()).unwrap(), "hi \"you\" (\"a\" 2) 1.0 nil\n\n");
    }

    #[test]
    fn print_reports_write_errors() {
        struct Broken;
        impl std::io::Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe closed"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut env = Env::new();
        let mut out = Broken;
        let mut ctx = NativeCtx { heap: &mut env.heap, names: &mut env.names, out: &mut out };
        let e = call_native(B::Print as u16, &mut ctx, &[Int(1)]).unwrap_err();
        assert_eq!(e.message, "cannot write output: pipe closed");
    }

    #[test]
    fn error_joins_raw_printed_forms() {
        let mut env = Env::new();
        let s = env.str("bad value:");
        let t = env.str("x");
        let l = env.list(&[t]);
        assert_eq!(env.err("error", &[s, Int(3), l]), "bad value: 3 (\"x\")");
        assert_eq!(env.err("error", &[]), "error");
    }

    #[test]
    fn identity_returns_its_argument() {
        let mut env = Env::new();
        let l = env.ints(&[1]);
        assert!(printer::eq_identity(env.call("identity", &[l]).unwrap(), l));
    }

    #[test]
    fn type_errors_show_the_call() {
        let mut env = Env::new();
        let s = env.str("a");
        let sym = env.sym("foo");
        assert_eq!(env.err("head", &[s]), "wrong type in (head \"a\"): expected a list, got string");
        assert_eq!(env.err("head", &[sym]), "wrong type in (head foo): expected a list, got symbol");
        let big: Vec<Value> = (0..20).map(Int).collect();
        assert_eq!(env.err("concat", &big), "wrong type in (concat 0 1 2 3 4 5 6 7 ...): expected strings, got int");
        let long = env.str(&"x".repeat(1000));
        let msg = env.err("string-concat", &[long, Int(1)]);
        assert!(msg.starts_with(&format!("wrong type in (string-concat \"{}...", "x".repeat(59))), "{msg}");
        assert!(msg.ends_with(" 1): expected strings, got int"), "{msg}");
    }
}
