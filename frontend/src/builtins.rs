//! The table of builtin names, shared by the compiler (which resolves a
//! name to a builtin id, inlines the arithmetic ones and refuses to let a
//! program redefine them) and the runtime (which implements them in the same
//! order; a runtime test checks the two agree).
//!
//! Builtins are constants, not globals: `(define + ...)` is a compile error.
//! That is what lets every tier inline `(+ a b)` without a guard. A local
//! binding may still shadow a builtin name.

use crate::names::{NameKey, NameTable};

/// How a builtin is implemented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinKind {
    /// A Rust function that never calls back into ClaudeLang code.
    Native,
    /// Written in ClaudeLang in the runtime's prelude (it calls closures,
    /// so it runs on the VM stack like any other function: proper tail
    /// calls, the frame limit and GC roots all hold without special cases).
    Prelude,
    /// `apply`: the VM spreads the argument list and re-dispatches the call.
    Apply,
}

/// Marks "any number of arguments" in the `max` column.
pub const VARIADIC: u8 = u8::MAX;

macro_rules! builtins {
    ($( $id:ident $name:literal $kind:ident $min:literal $max:expr ; )*) => {
        /// Builtin ids, in table order.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub enum B { $( $id, )* }

        /// `(name, kind, min args, max args)` per builtin id.
        pub const BUILTINS: &[(&str, BuiltinKind, u8, u8)] = &[
            $( ($name, BuiltinKind::$kind, $min, $max), )*
        ];

        /// The names alone, in id order (for lookup tables).
        pub(crate) const NAMES: &[&str] = &[ $( $name, )* ];
    };
}

builtins! {
    Add "+" Native 0 VARIADIC;
    Sub "-" Native 1 VARIADIC;
    Mul "*" Native 0 VARIADIC;
    Div "/" Native 1 VARIADIC;
    Mod "mod" Native 2 2;
    Rem "rem" Native 2 2;
    Abs "abs" Native 1 1;
    Min "min" Native 1 VARIADIC;
    Max "max" Native 1 VARIADIC;
    Sqrt "sqrt" Native 1 1;
    Floor "floor" Native 1 1;
    Ceil "ceil" Native 1 1;
    Round "round" Native 1 1;
    Exp "exp" Native 1 1;
    Log "log" Native 1 1;
    Sin "sin" Native 1 1;
    Cos "cos" Native 1 1;
    Pow "pow" Native 2 2;
    NumEq "=" Native 1 VARIADIC;
    NumEq2 "==" Native 1 VARIADIC;
    NotEq "!=" Native 2 2;
    Lt "<" Native 2 VARIADIC;
    Gt ">" Native 2 VARIADIC;
    Le "<=" Native 2 VARIADIC;
    Ge ">=" Native 2 VARIADIC;
    IsEq "eq?" Native 2 2;
    Not "not" Native 1 1;
    IsNil "nil?" Native 1 1;
    IsBool "bool?" Native 1 1;
    IsInt "int?" Native 1 1;
    IsFloat "float?" Native 1 1;
    IsNumber "number?" Native 1 1;
    IsString "string?" Native 1 1;
    IsSymbol "symbol?" Native 1 1;
    IsList "list?" Native 1 1;
    IsVector "vector?" Native 1 1;
    IsFunction "function?" Native 1 1;
    IsEmpty "empty?" Native 1 1;
    List "list" Native 0 VARIADIC;
    Cons "cons" Native 2 2;
    Head "head" Native 1 1;
    Tail "tail" Native 1 1;
    Car "car" Native 1 1;
    Cdr "cdr" Native 1 1;
    Length "length" Native 1 1;
    Nth "nth" Native 2 2;
    Append "append" Native 0 VARIADIC;
    Reverse "reverse" Native 1 1;
    Range "range" Native 1 2;
    Take "take" Native 2 2;
    Drop "drop" Native 2 2;
    Last "last" Native 1 1;
    Vector "vector" Native 0 VARIADIC;
    MakeVector "make-vector" Native 1 2;
    VectorRef "vector-ref" Native 2 2;
    VectorSet "vector-set!" Native 3 3;
    VectorLength "vector-length" Native 1 1;
    VectorToList "vector->list" Native 1 1;
    ListToVector "list->vector" Native 1 1;
    StringConcat "string-concat" Native 0 VARIADIC;
    Concat "concat" Native 0 VARIADIC;
    StringLength "string-length" Native 1 1;
    Substring "substring" Native 2 3;
    StringToNumber "string->number" Native 1 1;
    ToString "to-string" Native 1 1;
    StringToSymbol "string->symbol" Native 1 1;
    SymbolToString "symbol->string" Native 1 1;
    StringSplit "string-split" Native 1 2;
    StringJoin "string-join" Native 1 2;
    Print "print" Native 0 VARIADIC;
    Error "error" Native 0 VARIADIC;
    Identity "identity" Native 1 1;
    Apply "apply" Apply 2 VARIADIC;
    Map "map" Prelude 2 VARIADIC;
    Filter "filter" Prelude 2 2;
    Fold "fold" Prelude 3 3;
}

/// The id of a builtin name, if it is one.
pub fn lookup(name: &str) -> Option<u16> {
    BY_NAME.find(NAMES, NameKey::of(name), || name).map(|i| i as u16)
}

/// Builtin ids by name. The compiler asks about every operator and free
/// name, so this is a hash table rather than a scan of `BUILTINS`.
static BY_NAME: NameTable<256> = NameTable::build(NAMES);

pub fn name(id: u16) -> &'static str {
    BUILTINS[id as usize].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_table_order() {
        assert_eq!(BUILTINS[B::Fold as usize].0, "fold");
        assert_eq!(lookup("+"), Some(B::Add as u16));
        assert_eq!(lookup("vector-set!"), Some(B::VectorSet as u16));
        assert_eq!(lookup("nope"), None);
        assert_eq!(lookup(""), None);
    }

    #[test]
    fn lookup_finds_every_builtin_and_nothing_else() {
        for (id, (name, ..)) in BUILTINS.iter().enumerate() {
            assert_eq!(lookup(name), Some(id as u16), "{name}");
            assert_eq!(lookup(&format!("{name}x")), None);
            assert_eq!(lookup(&name[1..]), BUILTINS.iter().position(|b| b.0 == &name[1..]).map(|i| i as u16));
        }
    }
}
