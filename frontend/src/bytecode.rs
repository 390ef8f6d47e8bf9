//! The register bytecode: the opcode table, function prototypes and the
//! disassembler.
//!
//! Like Lua 5, every function owns a window of registers in one VM stack;
//! an instruction names its operands by register index, so `(+ i 1)` is one
//! instruction instead of three stack pushes and the Cranelift translator can
//! map each register to one SSA variable. The table in `opcodes!` is the
//! specification: each line gives an opcode, its operands and what it does,
//! and generates the `Op` enum, the mnemonics and the disassembler.
//!
//! Conventions used in the meanings below: `R[x]` is a register of the
//! current frame, `K[k]` a constant of the prototype, `G[g]` a global slot,
//! `U[u]` an upvalue of the running closure, `pc` the index of the *next*
//! instruction (jump offsets are relative to it).
//!
//! Back-edges: every backward jump is a `Loop` or a `TailSelf`, never a plain
//! `Jmp`; the tier manager counts exactly those two.

use crate::source::{SourceFile, Span};
use std::fmt::Write;
use std::sync::Arc;

/// A register index within the current frame.
pub type Reg = u16;
/// An index into the prototype's constant table.
pub type KIdx = u16;

macro_rules! opcodes {
    ($( $(#[$doc:meta])* $name:ident { $($field:ident : $ty:ty),* } => $meaning:literal, )*) => {
        /// One bytecode instruction. Eight bytes (asserted by a test).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Op {
            $( $(#[$doc])* #[doc = $meaning] $name { $($field: $ty),* }, )*
        }

        impl Op {
            /// The mnemonic, as printed by the disassembler.
            pub fn name(&self) -> &'static str {
                match self { $( Op::$name { .. } => stringify!($name), )* }
            }

            /// The one-line meaning from the opcode table.
            pub fn meaning(&self) -> &'static str {
                match self { $( Op::$name { .. } => $meaning, )* }
            }

            /// Operands as `field=value` pairs, in table order.
            pub fn operands(&self) -> Vec<(&'static str, i64)> {
                match *self {
                    $( Op::$name { $($field),* } => vec![$((stringify!($field), $field as i64)),*], )*
                }
            }
        }

        /// Every mnemonic with its meaning, in table order (for docs and tests).
        pub const OPCODE_TABLE: &[(&str, &str)] = &[ $( (stringify!($name), $meaning), )* ];
    };
}

opcodes! {
    Move { dst: Reg, src: Reg } => "R[dst] := R[src]",
    LoadNil { dst: Reg } => "R[dst] := nil",
    LoadBool { dst: Reg, val: bool } => "R[dst] := val",
    LoadInt { dst: Reg, val: i32 } => "R[dst] := val (an int that fits in 32 bits)",
    LoadK { dst: Reg, k: KIdx } => "R[dst] := K[k]",
    LoadEmpty { dst: Reg } => "R[dst] := [] (the empty list)",
    LoadBuiltin { dst: Reg, id: u16 } => "R[dst] := builtin function `id` as a value",
    LoadUndef { dst: Reg } => "R[dst] := <uninitialized> (a binding whose init has not run)",
    CheckInit { src: Reg, name: KIdx } => "error 'K[name] used before its initialization' if R[src] is uninitialized",

    GetGlobal { dst: Reg, g: u32 } => "R[dst] := G[g]; error 'undefined variable' if unset",
    SetGlobal { g: u32, src: Reg } => "G[g] := R[src]; error if G[g] was never defined (set!)",
    DefGlobal { g: u32, src: Reg } => "G[g] := R[src] (define)",

    GetUpval { dst: Reg, u: u16 } => "R[dst] := U[u] (captured by value)",
    GetUpcell { dst: Reg, u: u16 } => "R[dst] := U[u].cell; error if uninitialized",
    SetUpcell { u: u16, src: Reg } => "U[u].cell := R[src]",
    NewCell { dst: Reg } => "R[dst] := a fresh cell holding <uninitialized>",
    GetCell { dst: Reg, cell: Reg } => "R[dst] := R[cell].cell; error if uninitialized",
    SetCell { cell: Reg, src: Reg } => "R[cell].cell := R[src]",
    Closure { dst: Reg, proto: u16 } => "R[dst] := closure of child prototype `proto`, capturing per its capture list",

    Add { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] + R[b]",
    Sub { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] - R[b]",
    Mul { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] * R[b]",
    Div { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] / R[b] (truncating for two ints)",
    Mod { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] mod R[b] (sign of the divisor)",
    Rem { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] rem R[b] (sign of the dividend)",
    AddI { dst: Reg, a: Reg, imm: i16 } => "R[dst] := R[a] + imm",
    SubI { dst: Reg, a: Reg, imm: i16 } => "R[dst] := R[a] - imm",
    MulI { dst: Reg, a: Reg, imm: i16 } => "R[dst] := R[a] * imm",
    Neg { dst: Reg, src: Reg } => "R[dst] := -R[src]",
    Not { dst: Reg, src: Reg } => "R[dst] := not R[src]",

    Lt { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] < R[b]",
    Le { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] <= R[b]",
    Gt { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] > R[b]",
    Ge { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] >= R[b]",
    Eq { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] = R[b] (numeric across int/float, else structural)",
    Ne { dst: Reg, a: Reg, b: Reg } => "R[dst] := R[a] != R[b]",

    Jmp { off: i32 } => "pc += off (forward only)",
    Loop { off: i32 } => "pc += off (a loop back-edge; off < 0)",
    JmpIfFalse { src: Reg, off: i32 } => "if R[src] is false or nil: pc += off",
    JmpIfTrue { src: Reg, off: i32 } => "if R[src] is neither false nor nil: pc += off",
    JmpIfNotLt { a: Reg, b: Reg, off: i16 } => "if not R[a] < R[b]: pc += off",
    JmpIfNotLe { a: Reg, b: Reg, off: i16 } => "if not R[a] <= R[b]: pc += off",
    JmpIfNotGt { a: Reg, b: Reg, off: i16 } => "if not R[a] > R[b]: pc += off",
    JmpIfNotGe { a: Reg, b: Reg, off: i16 } => "if not R[a] >= R[b]: pc += off",
    JmpIfNotEq { a: Reg, b: Reg, off: i16 } => "if not R[a] = R[b]: pc += off",
    JmpIfNotNe { a: Reg, b: Reg, off: i16 } => "if not R[a] != R[b]: pc += off",
    JmpIfNotLtI { a: Reg, imm: i16, off: i16 } => "if not R[a] < imm: pc += off",
    JmpIfNotLeI { a: Reg, imm: i16, off: i16 } => "if not R[a] <= imm: pc += off",
    JmpIfNotGtI { a: Reg, imm: i16, off: i16 } => "if not R[a] > imm: pc += off",
    JmpIfNotGeI { a: Reg, imm: i16, off: i16 } => "if not R[a] >= imm: pc += off",
    JmpIfNotEqI { a: Reg, imm: i16, off: i16 } => "if not R[a] = imm: pc += off",
    JmpIfNotNeI { a: Reg, imm: i16, off: i16 } => "if not R[a] != imm: pc += off",

    Call { base: Reg, nargs: u16 } => "R[base] := R[base](R[base+1] .. R[base+nargs])",
    TailCall { base: Reg, nargs: u16 } => "return R[base](R[base+1] .. R[base+nargs]) reusing this frame",
    TailSelf { base: Reg, nargs: u16 } => "if R[base] is the running closure: params := args, pc := 0 (a back-edge); else TailCall",
    CallBuiltin { base: Reg, nargs: u8, id: u16 } => "R[base] := builtin[id](R[base] .. R[base+nargs-1])",
    Effect { base: Reg, nargs: u8, name: KIdx } => "R[base] := perform effect K[name](R[base] .. R[base+nargs-1])",
    Return { src: Reg } => "return R[src]",

    VecRef { dst: Reg, v: Reg, i: Reg } => "R[dst] := (vector-ref R[v] R[i])",
    VecSet { v: Reg, i: Reg, x: Reg } => "(vector-set! R[v] R[i] R[x]); its value, nil, is not stored",
    Car { dst: Reg, src: Reg } => "R[dst] := (head R[src])",
    Cdr { dst: Reg, src: Reg } => "R[dst] := (tail R[src])",
    Cons { dst: Reg, h: Reg, t: Reg } => "R[dst] := (cons R[h] R[t])",
    IsEmpty { dst: Reg, src: Reg } => "R[dst] := (empty? R[src])",

    MakeList { dst: Reg, base: Reg, n: u16 } => "R[dst] := list of R[base] .. R[base+n-1]",
    DotimesInit { count: Reg } => "error unless R[count] is an int (the dotimes count)",

    TestCons { src: Reg, off: i32 } => "if R[src] is not a non-empty list: pc += off",
    TestEmpty { src: Reg, off: i32 } => "if R[src] is not []: pc += off",
    Head { dst: Reg, src: Reg } => "R[dst] := head of the cons R[src] (already tested)",
    Tail { dst: Reg, src: Reg } => "R[dst] := tail of the cons R[src] (already tested)",
    NoMatch { src: Reg } => "error 'no match for R[src]'",
}

impl Op {
    /// The target pc of a jump-like instruction at `pc`, if it is one.
    pub fn jump_target(&self, pc: usize) -> Option<usize> {
        let off = match *self {
            Op::Jmp { off } | Op::Loop { off } => off as i64,
            Op::JmpIfFalse { off, .. } | Op::JmpIfTrue { off, .. } => off as i64,
            Op::TestCons { off, .. } | Op::TestEmpty { off, .. } => off as i64,
            Op::JmpIfNotLt { off, .. }
            | Op::JmpIfNotLe { off, .. }
            | Op::JmpIfNotGt { off, .. }
            | Op::JmpIfNotGe { off, .. }
            | Op::JmpIfNotEq { off, .. }
            | Op::JmpIfNotNe { off, .. }
            | Op::JmpIfNotLtI { off, .. }
            | Op::JmpIfNotLeI { off, .. }
            | Op::JmpIfNotGtI { off, .. }
            | Op::JmpIfNotGeI { off, .. }
            | Op::JmpIfNotEqI { off, .. }
            | Op::JmpIfNotNeI { off, .. } => off as i64,
            _ => return None,
        };
        Some((pc as i64 + 1 + off) as usize)
    }
}

/// A constant as the compiler knows it. The runtime turns these into heap
/// values when it loads a unit, so the front end needs no heap.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Int(i64),
    Float(f64),
    Str(Box<str>),
    Sym(Box<str>),
    /// A quoted list (possibly nested); `[]` is `List(vec![])`.
    List(Vec<Const>),
    Bool(bool),
    Nil,
}

/// Where a closure's upvalue comes from when the `Closure` instruction runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// A register of the enclosing frame (a plain value or a cell).
    Reg(Reg),
    /// An upvalue of the enclosing closure.
    Upval(u16),
}

/// A compiled function: the unit of interpretation, tiering and profiling.
#[derive(Debug)]
pub struct Proto {
    /// `None` for anonymous lambdas and the top level.
    pub name: Option<Box<str>>,
    pub nparams: u16,
    /// `(lambda (a . rest) ...)`: extra arguments are collected into a list
    /// in register `nparams`.
    pub has_rest: bool,
    /// Registers the frame needs, parameters included.
    pub nregs: u16,
    pub code: Vec<Op>,
    /// One span per instruction: the form whose evaluation it belongs to.
    pub spans: Vec<Span>,
    pub consts: Vec<Const>,
    pub children: Vec<Arc<Proto>>,
    /// `(pc, variable name)` of each cell read, for the message when it
    /// finds the variable uninitialized.
    pub cell_reads: Vec<(u32, Box<str>)>,
    pub captures: Vec<Capture>,
    /// Span of the whole function form (used for `file:line` in listings).
    pub span: Span,
    pub source: Arc<SourceFile>,
    /// True for the functions of the built-in prelude (`map`, `fold`...),
    /// which print as `<builtin name>` and are skipped when locating errors.
    pub is_builtin: bool,
}

impl Proto {
    /// The variable a `GetCell`/`GetUpcell` at `pc` reads.
    pub fn cell_name(&self, pc: usize) -> &str {
        self.cell_reads.iter().find(|(p, _)| *p as usize == pc).map(|(_, n)| &**n).unwrap_or("variable")
    }

    /// A human name for listings and stack traces.
    pub fn display_name(&self) -> &str {
        match &self.name {
            Some(n) => n,
            None => "<lambda>",
        }
    }

    /// Writes a listing of this prototype and its children: one line per
    /// instruction with its pc, mnemonic, operands and source line.
    pub fn disassemble(&self) -> String {
        let mut out = String::new();
        self.disassemble_into(&mut out);
        out
    }

    fn disassemble_into(&self, out: &mut String) {
        let (line, _) = self.source.line_col(self.span.start);
        let _ = writeln!(
            out,
            "function {} ({}:{}) params={}{} regs={} consts={} ops={}",
            self.display_name(),
            self.source.name,
            line,
            self.nparams,
            if self.has_rest { "+rest" } else { "" },
            self.nregs,
            self.consts.len(),
            self.code.len()
        );
        for (i, c) in self.consts.iter().enumerate() {
            let _ = writeln!(out, "  K{i} = {c:?}");
        }
        let mut last_line = 0;
        for (pc, op) in self.code.iter().enumerate() {
            let (line, _) = self.source.line_col(self.spans[pc].start);
            let mut ops = String::new();
            for (name, val) in op.operands() {
                let _ = write!(ops, " {name}={val}");
            }
            if let Some(t) = op.jump_target(pc) {
                let _ = write!(ops, " ->{t}");
            }
            let src = if line != last_line {
                last_line = line;
                format!("; {:>3}| {}", line, self.source.line_text(line).trim())
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {pc:>4}  {:<40}{src}", format!("{}{}", op.name(), ops));
        }
        for child in &self.children {
            out.push('\n');
            child.disassemble_into(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_are_eight_bytes() {
        assert_eq!(std::mem::size_of::<Op>(), 8);
    }

    #[test]
    fn table_names_are_unique() {
        let mut names: Vec<_> = OPCODE_TABLE.iter().map(|(n, _)| *n).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn jump_target_is_relative_to_next_pc() {
        assert_eq!(Op::Jmp { off: 3 }.jump_target(10), Some(14));
        assert_eq!(Op::Loop { off: -5 }.jump_target(10), Some(6));
        assert_eq!(Op::Move { dst: 0, src: 1 }.jump_target(0), None);
    }
}
