//! Arithmetic, comparison and math builtins, and the binary slow paths the
//! interpreter and the JIT call when their inline int fast path does not
//! apply (a float operand, a non-number, or an int overflow).
//!
//! Rules (LANGUAGE.md sections 2, 4, 8): int arithmetic is exact and an
//! overflow is an error, never a wrap; any float operand makes the
//! operation a float one; int `/` truncates; `mod` takes the sign of the
//! divisor and `rem` that of the dividend; int division by zero is an error
//! while float division follows IEEE-754. Nothing here can panic: every int
//! operation is checked or provably in range.
//!
//! The slow paths take no symbol table, so a symbol operand shows as
//! `<symbol>` in their messages; the builtins report through the same
//! functions so that every tier raises identical messages.

use super::{wrong_type, NativeCtx};
use crate::error::{exn, Exn};
use crate::value::Value;
use claudelang_frontend::builtins::name;

// ---- error constructors ----------------------------------------------------

#[cold]
#[inline(never)]
fn overflow(op: &str, args: &[Value]) -> Exn {
    exn(format!("integer overflow in {}", super::call_form(op, args, None)))
}

#[cold]
#[inline(never)]
fn division_by_zero(op: &str, a: Value, b: Value) -> Exn {
    exn(format!("division by zero in {}", super::call_form(op, &[a, b], None)))
}

/// A binary operation on something that is not a number.
#[cold]
#[inline(never)]
fn not_numbers(op: &str, a: Value, b: Value) -> Exn {
    let got = if a.as_f64().is_none() { a } else { b };
    wrong_type(op, &[a, b], None, "expected numbers", got)
}

/// A one-argument operation on something that is not a number.
#[cold]
#[inline(never)]
fn not_a_number(op: &str, a: Value) -> Exn {
    wrong_type(op, &[a], None, "expected a number", a)
}

// ---- binary slow paths -----------------------------------------------------

/// Float arithmetic after int/int has been ruled out: both operands must be
/// numbers.
#[inline]
fn float_op(op: &str, a: Value, b: Value, f: impl FnOnce(f64, f64) -> f64) -> Result<Value, Exn> {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => Ok(Value::Float(f(x, y))),
        _ => Err(not_numbers(op, a, b)),
    }
}

/// `(+ a b)`.
pub fn add(a: Value, b: Value) -> Result<Value, Exn> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.checked_add(y).map(Value::Int).ok_or_else(|| overflow("+", &[a, b])),
        _ => float_op("+", a, b, |x, y| x + y),
    }
}

/// `(- a b)`.
pub fn sub(a: Value, b: Value) -> Result<Value, Exn> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.checked_sub(y).map(Value::Int).ok_or_else(|| overflow("-", &[a, b])),
        _ => float_op("-", a, b, |x, y| x - y),
    }
}

/// `(* a b)`.
pub fn mul(a: Value, b: Value) -> Result<Value, Exn> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.checked_mul(y).map(Value::Int).ok_or_else(|| overflow("*", &[a, b])),
        _ => float_op("*", a, b, |x, y| x * y),
    }
}

/// `(/ a b)`: truncating on two ints (`i64::MIN / -1` overflows), IEEE on
/// floats.
pub fn div(a: Value, b: Value) -> Result<Value, Exn> {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => Err(division_by_zero("/", a, b)),
        (Value::Int(x), Value::Int(y)) => x.checked_div(y).map(Value::Int).ok_or_else(|| overflow("/", &[a, b])),
        _ => float_op("/", a, b, |x, y| x / y),
    }
}

/// `(mod a b)`: the result has the sign of the divisor, as Python's `%`.
/// Float `mod` by zero is `nan`.
pub fn modulo(a: Value, b: Value) -> Result<Value, Exn> {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => Err(division_by_zero("mod", a, b)),
        (Value::Int(x), Value::Int(y)) => {
            // wrapping_rem only wraps for i64::MIN % -1, whose true
            // remainder is 0. The correction cannot overflow: r and y have
            // opposite signs when it applies.
            let r = x.wrapping_rem(y);
            Ok(Value::Int(if r != 0 && (r < 0) != (y < 0) { r + y } else { r }))
        }
        _ => float_op("mod", a, b, float_mod),
    }
}

/// Float modulo with the sign of the divisor; `nan` when `y` is zero.
pub fn float_mod(x: f64, y: f64) -> f64 {
    let r = x % y;
    if r != 0.0 && (r < 0.0) != (y < 0.0) {
        r + y
    } else {
        r
    }
}

/// `(rem a b)`: the result has the sign of the dividend (Rust's `%`).
pub fn rem(a: Value, b: Value) -> Result<Value, Exn> {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => Err(division_by_zero("rem", a, b)),
        // Only i64::MIN % -1 wraps, and its remainder is 0.
        (Value::Int(x), Value::Int(y)) => Ok(Value::Int(x.wrapping_rem(y))),
        _ => float_op("rem", a, b, |x, y| x % y),
    }
}

/// `(- a)`.
pub fn neg(a: Value) -> Result<Value, Exn> {
    match a {
        Value::Int(x) => x.checked_neg().map(Value::Int).ok_or_else(|| overflow("-", &[a])),
        Value::Float(x) => Ok(Value::Float(-x)),
        _ => Err(not_a_number("-", a)),
    }
}

/// Compares two numbers; an int against a float compares as floats, and
/// any comparison with `nan` is false.
#[inline]
fn compare(
    op: &str,
    a: Value,
    b: Value,
    ints: fn(i64, i64) -> bool,
    floats: fn(f64, f64) -> bool,
) -> Result<bool, Exn> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(ints(x, y)),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Ok(floats(x, y)),
            _ => Err(not_numbers(op, a, b)),
        },
    }
}

/// `(< a b)`.
pub fn lt(a: Value, b: Value) -> Result<bool, Exn> {
    compare("<", a, b, |x, y| x < y, |x, y| x < y)
}

/// `(<= a b)`.
pub fn le(a: Value, b: Value) -> Result<bool, Exn> {
    compare("<=", a, b, |x, y| x <= y, |x, y| x <= y)
}

/// `(> a b)`.
pub fn gt(a: Value, b: Value) -> Result<bool, Exn> {
    compare(">", a, b, |x, y| x > y, |x, y| x > y)
}

/// `(>= a b)`.
pub fn ge(a: Value, b: Value) -> Result<bool, Exn> {
    compare(">=", a, b, |x, y| x >= y, |x, y| x >= y)
}

// ---- variadic arithmetic ---------------------------------------------------

/// A lone operand of `+` or `*` is returned as it is, once known to be a
/// number.
fn lone_number(id: u16, x: Value) -> Result<Value, Exn> {
    match x {
        Value::Int(_) | Value::Float(_) => Ok(x),
        _ => Err(not_a_number(name(id), x)),
    }
}

/// Folds `op` left to right over two or more arguments.
#[inline]
fn fold(args: &[Value], op: fn(Value, Value) -> Result<Value, Exn>) -> Result<Value, Exn> {
    let mut acc = args[0];
    for &x in &args[1..] {
        acc = op(acc, x)?;
    }
    Ok(acc)
}

pub(crate) fn add_n(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args {
        [] => Ok(Value::Int(0)),
        [x] => lone_number(id, *x),
        _ => fold(args, add),
    }
}

pub(crate) fn mul_n(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args {
        [] => Ok(Value::Int(1)),
        [x] => lone_number(id, *x),
        _ => fold(args, mul),
    }
}

pub(crate) fn sub_n(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args {
        [x] => neg(*x),
        _ => fold(args, sub),
    }
}

/// `(/ x)` is `(/ 1 x)`, so `(/ 2)` is the integer 0 and `(/ 0)` an error.
pub(crate) fn div_n(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    match args {
        [x] => div(Value::Int(1), *x),
        _ => fold(args, div),
    }
}

pub(crate) fn mod_2(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    modulo(args[0], args[1])
}

pub(crate) fn rem_2(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    rem(args[0], args[1])
}

// ---- chained comparisons -----------------------------------------------------

/// `(< a b c)` is `(and (< a b) (< b c))`, except that every argument is
/// checked to be a number even once the answer is known, so a type error
/// does not depend on the values that precede it.
#[inline]
fn chain(args: &[Value], op: fn(Value, Value) -> Result<bool, Exn>) -> Result<Value, Exn> {
    let mut all = true;
    for w in args.windows(2) {
        all &= op(w[0], w[1])?;
    }
    Ok(Value::Bool(all))
}

pub(crate) fn lt_n(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    chain(args, lt)
}

pub(crate) fn le_n(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    chain(args, le)
}

pub(crate) fn gt_n(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    chain(args, gt)
}

pub(crate) fn ge_n(_: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    chain(args, ge)
}

// ---- math --------------------------------------------------------------------

pub(crate) fn abs_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let a = args[0];
    match a {
        Value::Int(x) => x.checked_abs().map(Value::Int).ok_or_else(|| overflow(name(id), args)),
        Value::Float(x) => Ok(Value::Float(x.abs())),
        _ => Err(not_a_number(name(id), a)),
    }
}

/// `min`/`max`: the winning argument itself (so `(min 1 2.0)` is the int
/// 1); ties go to the first; a `nan` argument wins, as in Java and
/// Clojure, so the result never hides one. Every argument must be a number.
fn extremum(id: u16, args: &[Value], better: fn(Value, Value) -> bool) -> Result<Value, Exn> {
    let mut best = args[0];
    for &x in args {
        if x.as_f64().is_none() {
            return Err(wrong_type(name(id), args, None, "expected numbers", x));
        }
        if !is_nan(best) && (is_nan(x) || better(x, best)) {
            best = x;
        }
    }
    Ok(best)
}

fn is_nan(v: Value) -> bool {
    matches!(v, Value::Float(x) if x.is_nan())
}

/// `a < b` for two numbers, exact for two ints.
fn less(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        _ => matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x < y),
    }
}

pub(crate) fn min_n(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    extremum(id, args, less)
}

pub(crate) fn max_n(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    extremum(id, args, |x, best| less(best, x))
}

/// A float function of one number (ints are converted).
#[inline]
fn float_fn(id: u16, a: Value, f: fn(f64) -> f64) -> Result<Value, Exn> {
    match a.as_f64() {
        Some(x) => Ok(Value::Float(f(x))),
        None => Err(not_a_number(name(id), a)),
    }
}

pub(crate) fn sqrt_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    float_fn(id, args[0], f64::sqrt)
}

pub(crate) fn exp_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    float_fn(id, args[0], f64::exp)
}

pub(crate) fn log_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    float_fn(id, args[0], f64::ln)
}

pub(crate) fn sin_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    float_fn(id, args[0], f64::sin)
}

pub(crate) fn cos_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    float_fn(id, args[0], f64::cos)
}

/// `floor`/`ceil`/`round`: an int is already whole and is returned as is;
/// a float stays a float (`nan` and infinities included).
#[inline]
fn rounding(id: u16, a: Value, f: fn(f64) -> f64) -> Result<Value, Exn> {
    match a {
        Value::Int(_) => Ok(a),
        Value::Float(x) => Ok(Value::Float(f(x))),
        _ => Err(not_a_number(name(id), a)),
    }
}

pub(crate) fn floor_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    rounding(id, args[0], f64::floor)
}

pub(crate) fn ceil_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    rounding(id, args[0], f64::ceil)
}

/// Halves round away from zero, which is what `f64::round` does.
pub(crate) fn round_1(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    rounding(id, args[0], f64::round)
}

/// `pow`: exact for an int base and a non-negative int exponent, a float
/// `powf` otherwise (so `(pow 2 -1)` is 0.5).
pub(crate) fn pow_2(id: u16, _: &mut NativeCtx, args: &[Value]) -> Result<Value, Exn> {
    let (a, b) = (args[0], args[1]);
    match (a, b) {
        (Value::Int(x), Value::Int(e)) if e >= 0 => {
            int_pow(x, e).map(Value::Int).ok_or_else(|| overflow(name(id), args))
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Ok(Value::Float(x.powf(y))),
            _ => Err(not_numbers(name(id), a, b)),
        },
    }
}

/// `base^exp` by squaring, `None` on overflow. Giving up when a squaring
/// overflows is exact: a squaring only happens while exponent bits remain,
/// and then the result is at least that square in magnitude (|base| >= 2;
/// 0 and ±1 never overflow).
fn int_pow(base: i64, exp: i64) -> Option<i64> {
    let (mut acc, mut b, mut e) = (1i64, base, exp);
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.checked_mul(b)?;
        }
        e >>= 1;
        if e > 0 {
            b = b.checked_mul(b)?;
        }
    }
    Some(acc)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_v, Env};
    use super::*;
    use Value::{Bool, Float, Int};

    const MAX: i64 = i64::MAX;
    const MIN: i64 = i64::MIN;

    fn f(v: Result<Value, Exn>) -> f64 {
        match v {
            Ok(Float(x)) => x,
            other => panic!("expected a float, got {other:?}"),
        }
    }

    #[test]
    fn int_arithmetic_is_exact_and_checked() {
        assert_v!(add(Int(2), Int(3)), Ok(Int(5)));
        assert_v!(sub(Int(2), Int(3)), Ok(Int(-1)));
        assert_v!(mul(Int(-4), Int(3)), Ok(Int(-12)));
        assert_eq!(add(Int(MAX), Int(1)).unwrap_err().message, "integer overflow in (+ 9223372036854775807 1)");
        assert_eq!(sub(Int(MIN), Int(1)).unwrap_err().message, "integer overflow in (- -9223372036854775808 1)");
        assert_eq!(
            mul(Int(3037000500), Int(3037000500)).unwrap_err().message,
            "integer overflow in (* 3037000500 3037000500)"
        );
        assert_eq!(neg(Int(MIN)).unwrap_err().message, "integer overflow in (- -9223372036854775808)");
        assert_v!(neg(Int(MAX)), Ok(Int(-MAX)));
        assert_v!(add(Int(MAX), Int(MIN)), Ok(Int(-1)));
    }

    #[test]
    fn division_truncates_and_checks() {
        assert_v!(div(Int(7), Int(2)), Ok(Int(3)));
        assert_v!(div(Int(-7), Int(2)), Ok(Int(-3)));
        assert_eq!(div(Int(7), Int(0)).unwrap_err().message, "division by zero in (/ 7 0)");
        assert_eq!(div(Int(MIN), Int(-1)).unwrap_err().message, "integer overflow in (/ -9223372036854775808 -1)");
        assert_v!(div(Int(7), Float(2.0)), Ok(Float(3.5)));
        assert_eq!(f(div(Int(1), Float(0.0))), f64::INFINITY);
        assert_eq!(f(div(Float(-1.0), Int(0))), f64::NEG_INFINITY);
        assert!(f(div(Float(0.0), Float(0.0))).is_nan());
    }

    #[test]
    fn mod_takes_the_divisor_sign_and_rem_the_dividend_sign() {
        for (a, b, m, r) in
            [(7, 3, 1, 1), (-7, 3, 2, -1), (7, -3, -2, 1), (-7, -3, -1, -1), (6, 3, 0, 0), (-6, 3, 0, 0)]
        {
            assert_v!(modulo(Int(a), Int(b)), Ok(Int(m)), "(mod {a} {b})");
            assert_v!(rem(Int(a), Int(b)), Ok(Int(r)), "(rem {a} {b})");
            assert_eq!(f(modulo(Float(a as f64), Float(b as f64))), m as f64, "(mod {a}.0 {b}.0)");
            assert_eq!(f(rem(Float(a as f64), Int(b))), r as f64, "(rem {a}.0 {b})");
        }
        assert_eq!(f(modulo(Float(5.5), Int(2))), 1.5);
        assert_eq!(f(modulo(Float(-5.5), Int(2))), 0.5);
        assert_eq!(f(modulo(Float(5.5), Int(-2))), -0.5);
        assert_eq!(f(modulo(Float(-5.5), Int(-2))), -1.5);
        assert_eq!(f(rem(Float(-5.5), Int(2))), -1.5);
        assert_v!(modulo(Int(MIN), Int(-1)), Ok(Int(0)));
        assert_v!(rem(Int(MIN), Int(-1)), Ok(Int(0)));
        assert_v!(modulo(Int(MIN), Int(MAX)), Ok(Int(MAX - 1)));
        assert_eq!(modulo(Int(7), Int(0)).unwrap_err().message, "division by zero in (mod 7 0)");
        assert_eq!(rem(Int(7), Int(0)).unwrap_err().message, "division by zero in (rem 7 0)");
        assert!(f(modulo(Float(7.0), Float(0.0))).is_nan());
        assert!(f(modulo(Int(7), Float(0.0))).is_nan());
        assert!(f(rem(Float(7.0), Int(0))).is_nan());
        assert_eq!(f(modulo(Float(-5.0), Float(f64::INFINITY))), f64::INFINITY);
    }

    #[test]
    fn mixed_operands_are_float_arithmetic() {
        assert_v!(add(Int(1), Float(0.5)), Ok(Float(1.5)));
        assert_v!(mul(Float(2.0), Int(3)), Ok(Float(6.0)));
        assert_v!(sub(Float(0.5), Int(1)), Ok(Float(-0.5)));
        assert_v!(neg(Float(0.0)), Ok(Float(-0.0)));
        assert!(matches!(neg(Float(0.0)), Ok(Float(x)) if x.is_sign_negative()));
    }

    #[test]
    fn non_numbers_are_type_errors() {
        let mut env = Env::new();
        let s = env.str("a");
        assert_eq!(add(Int(1), s).unwrap_err().message, "wrong type in (+ 1 \"a\"): expected numbers, got string");
        assert_eq!(sub(Value::Nil, Int(1)).unwrap_err().message, "wrong type in (- nil 1): expected numbers, got nil");
        assert_eq!(
            div(Int(1), Bool(true)).unwrap_err().message,
            "wrong type in (/ 1 true): expected numbers, got bool"
        );
        assert_eq!(modulo(Int(1), s).unwrap_err().message, "wrong type in (mod 1 \"a\"): expected numbers, got string");
        assert_eq!(rem(s, Int(0)).unwrap_err().message, "wrong type in (rem \"a\" 0): expected numbers, got string");
        assert_eq!(neg(s).unwrap_err().message, "wrong type in (- \"a\"): expected a number, got string");
        let sym = env.sym("x");
        assert_eq!(mul(sym, Int(2)).unwrap_err().message, "wrong type in (* <symbol> 2): expected numbers, got symbol");
        assert_eq!(lt(Int(1), s).unwrap_err().message, "wrong type in (< 1 \"a\"): expected numbers, got string");
        assert_eq!(ge(s, Int(1)).unwrap_err().message, "wrong type in (>= \"a\" 1): expected numbers, got string");
    }

    #[test]
    fn comparisons_convert_ints_to_floats() {
        assert_eq!(lt(Int(1), Int(2)), Ok(true));
        assert_eq!(lt(Int(1), Float(1.5)), Ok(true));
        assert_eq!(le(Float(2.0), Int(2)), Ok(true));
        assert_eq!(gt(Int(2), Float(2.0)), Ok(false));
        assert_eq!(ge(Int(MAX), Int(MIN)), Ok(true));
        assert_eq!(lt(Float(f64::NAN), Int(1)), Ok(false));
        assert_eq!(ge(Float(f64::NAN), Float(f64::NAN)), Ok(false));
    }

    #[test]
    fn variadic_arithmetic_folds_left() {
        let mut env = Env::new();
        assert_v!(env.call("+", &[]), Ok(Int(0)));
        assert_v!(env.call("*", &[]), Ok(Int(1)));
        assert_v!(env.call("+", &[Float(-0.0)]), Ok(Float(-0.0)));
        assert_v!(env.call("*", &[Int(7)]), Ok(Int(7)));
        assert_v!(env.call("+", &[Int(1), Int(2), Float(0.5)]), Ok(Float(3.5)));
        assert_v!(env.call("*", &[Int(2), Int(3), Int(4)]), Ok(Int(24)));
        assert_v!(env.call("-", &[Int(5)]), Ok(Int(-5)));
        assert_v!(env.call("-", &[Int(10), Int(1), Int(2)]), Ok(Int(7)));
        assert_v!(env.call("/", &[Int(100), Int(5), Int(3)]), Ok(Int(6)));
        assert_v!(env.call("/", &[Int(2)]), Ok(Int(0)));
        assert_v!(env.call("/", &[Float(4.0)]), Ok(Float(0.25)));
        assert_eq!(env.err("/", &[Int(0)]), "division by zero in (/ 1 0)");
        assert_eq!(env.err("+", &[Int(MAX), Int(-1), Int(2)]), "integer overflow in (+ 9223372036854775806 2)");
        let s = env.str("a");
        assert_eq!(env.err("+", &[s]), "wrong type in (+ \"a\"): expected a number, got string");
        assert_eq!(env.err("*", &[s]), "wrong type in (* \"a\"): expected a number, got string");
        assert_eq!(env.err("+", &[Int(1), Int(2), s]), "wrong type in (+ 3 \"a\"): expected numbers, got string");
        assert_v!(env.call("mod", &[Int(-7), Int(3)]), Ok(Int(2)));
        assert_v!(env.call("rem", &[Int(-7), Int(3)]), Ok(Int(-1)));
    }

    #[test]
    fn chained_comparisons() {
        let mut env = Env::new();
        assert_v!(env.call("<", &[Int(1), Int(2), Float(3.5)]), Ok(Bool(true)));
        assert_v!(env.call("<", &[Int(1), Int(3), Int(2)]), Ok(Bool(false)));
        assert_v!(env.call("<=", &[Int(1), Int(1), Int(2)]), Ok(Bool(true)));
        assert_v!(env.call(">", &[Int(3), Int(2), Int(1)]), Ok(Bool(true)));
        assert_v!(env.call(">=", &[Int(3), Int(3), Int(4)]), Ok(Bool(false)));
        let s = env.str("a");
        // Every argument is checked even when an earlier pair decided.
        assert_eq!(env.err("<", &[Int(2), Int(1), s]), "wrong type in (< 1 \"a\"): expected numbers, got string");
    }

    #[test]
    fn abs_min_max() {
        let mut env = Env::new();
        assert_v!(env.call("abs", &[Int(-5)]), Ok(Int(5)));
        assert_v!(env.call("abs", &[Float(-2.5)]), Ok(Float(2.5)));
        assert_v!(env.call("abs", &[Int(MAX)]), Ok(Int(MAX)));
        assert_eq!(env.err("abs", &[Int(MIN)]), "integer overflow in (abs -9223372036854775808)");
        let s = env.str("a");
        assert_eq!(env.err("abs", &[s]), "wrong type in (abs \"a\"): expected a number, got string");
        assert_v!(env.call("min", &[Int(3), Float(1.5), Int(2)]), Ok(Float(1.5)));
        assert_v!(env.call("max", &[Int(3), Float(1.5), Int(2)]), Ok(Int(3)));
        assert_v!(env.call("min", &[Int(1), Float(1.0)]), Ok(Int(1)));
        assert_v!(env.call("min", &[Float(1.0), Int(1)]), Ok(Float(1.0)));
        assert_v!(env.call("max", &[Int(1), Float(1.0)]), Ok(Int(1)));
        assert_v!(env.call("max", &[Int(MAX - 1), Int(MAX)]), Ok(Int(MAX)));
        assert_v!(env.call("min", &[Int(4)]), Ok(Int(4)));
        assert!(matches!(env.call("min", &[Int(1), Float(f64::NAN), Int(0)]), Ok(Float(x)) if x.is_nan()));
        assert!(matches!(env.call("max", &[Float(f64::NAN), Int(1)]), Ok(Float(x)) if x.is_nan()));
        assert_eq!(env.err("min", &[s]), "wrong type in (min \"a\"): expected numbers, got string");
        assert_eq!(env.err("max", &[Int(1), s]), "wrong type in (max 1 \"a\"): expected numbers, got string");
    }

    #[test]
    fn float_functions() {
        let mut env = Env::new();
        assert_v!(env.call("sqrt", &[Int(16)]), Ok(Float(4.0)));
        assert!(matches!(env.call("sqrt", &[Int(-1)]), Ok(Float(x)) if x.is_nan()));
        assert_v!(env.call("exp", &[Int(0)]), Ok(Float(1.0)));
        assert_v!(env.call("log", &[Int(1)]), Ok(Float(0.0)));
        assert_v!(env.call("log", &[Int(0)]), Ok(Float(f64::NEG_INFINITY)));
        assert_v!(env.call("sin", &[Int(0)]), Ok(Float(0.0)));
        assert_v!(env.call("cos", &[Float(0.0)]), Ok(Float(1.0)));
        let s = env.str("a");
        for op in ["sqrt", "exp", "log", "sin", "cos", "floor", "ceil", "round"] {
            assert_eq!(env.err(op, &[s]), format!("wrong type in ({op} \"a\"): expected a number, got string"));
        }
    }

    #[test]
    fn rounding_keeps_ints_and_floats_apart() {
        let mut env = Env::new();
        assert_v!(env.call("floor", &[Int(MAX)]), Ok(Int(MAX)));
        assert_v!(env.call("floor", &[Float(-2.5)]), Ok(Float(-3.0)));
        assert_v!(env.call("ceil", &[Float(-2.5)]), Ok(Float(-2.0)));
        assert_v!(env.call("ceil", &[Int(-3)]), Ok(Int(-3)));
        assert_v!(env.call("round", &[Float(2.5)]), Ok(Float(3.0)));
        assert_v!(env.call("round", &[Float(-2.5)]), Ok(Float(-3.0)));
        assert_v!(env.call("round", &[Float(2.4)]), Ok(Float(2.0)));
        assert_v!(env.call("round", &[Int(7)]), Ok(Int(7)));
        assert_v!(env.call("round", &[Float(f64::INFINITY)]), Ok(Float(f64::INFINITY)));
    }

    #[test]
    fn pow_is_exact_for_ints() {
        let mut env = Env::new();
        assert_v!(env.call("pow", &[Int(2), Int(10)]), Ok(Int(1024)));
        assert_v!(env.call("pow", &[Int(-2), Int(63)]), Ok(Int(MIN)));
        assert_v!(env.call("pow", &[Int(3), Int(0)]), Ok(Int(1)));
        assert_v!(env.call("pow", &[Int(0), Int(0)]), Ok(Int(1)));
        assert_v!(env.call("pow", &[Int(1), Int(MAX)]), Ok(Int(1)));
        assert_v!(env.call("pow", &[Int(-1), Int(MAX)]), Ok(Int(-1)));
        assert_v!(env.call("pow", &[Int(0), Int(MAX)]), Ok(Int(0)));
        assert_eq!(env.err("pow", &[Int(2), Int(63)]), "integer overflow in (pow 2 63)");
        assert_eq!(env.err("pow", &[Int(10), Int(MAX)]), "integer overflow in (pow 10 9223372036854775807)");
        assert_v!(env.call("pow", &[Int(2), Int(-1)]), Ok(Float(0.5)));
        assert_v!(env.call("pow", &[Float(2.0), Int(3)]), Ok(Float(8.0)));
        assert_v!(env.call("pow", &[Int(4), Float(0.5)]), Ok(Float(2.0)));
        let s = env.str("a");
        assert_eq!(env.err("pow", &[s, Int(2)]), "wrong type in (pow \"a\" 2): expected numbers, got string");
        for base in -20i64..=20 {
            for e in 0..70i64 {
                let exact = (base as i128).checked_pow(e as u32).filter(|v| i64::try_from(*v).is_ok());
                assert_eq!(int_pow(base, e).map(i128::from), exact, "{base}^{e}");
            }
        }
    }
}
