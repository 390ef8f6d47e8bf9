//! Which VM registers are known to hold ints, per instruction: a forward
//! dataflow over the bytecode that lets the native tier drop tag checks.
//!
//! Knowledge comes from speculation: an instruction compiled int-only
//! (its feedback saw nothing but ints) deoptimizes unless its operands are
//! ints and its result fits, so *after* it, on the path that continues in
//! native code, those registers are ints. `LoadInt` and `Move` of a known
//! int add to it; every other write removes the register written (calls
//! remove every register at or above the call's base, which the callee's
//! frame overlaps), and anything not modelled here forgets everything.
//!
//! Native code is entered from the interpreter at entry points (function
//! start, after calls, loop headers), where registers hold whatever the
//! interpreter left. Function start and after-call entries start from
//! nothing known. Loop headers are where it pays (on-stack replacement
//! lands there, and the loop body runs from there), so their entry is
//! *guarded*: the translator checks, once per entry, the tags of the
//! registers the loop itself keeps int (`Analysis::guards`), and
//! deoptimizes if one is not — V8's and LuaJIT's "type check at the loop
//! entry, none inside". The guard set is found by iterating the dataflow
//! from "every register" downwards until it is stable.

use claudelang_frontend::bytecode::{Op, Proto};

/// A set of registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegSet(Vec<u64>);

impl RegSet {
    fn empty(n: usize) -> RegSet {
        RegSet(vec![0; n.div_ceil(64)])
    }
    fn full(n: usize) -> RegSet {
        let mut s = RegSet(vec![u64::MAX; n.div_ceil(64)]);
        if !n.is_multiple_of(64) {
            if let Some(last) = s.0.last_mut() {
                *last = (1u64 << (n % 64)) - 1;
            }
        }
        s
    }
    pub fn contains(&self, r: u16) -> bool {
        self.0.get(r as usize / 64).is_some_and(|w| w >> (r % 64) & 1 == 1)
    }
    fn insert(&mut self, r: u16) {
        if let Some(w) = self.0.get_mut(r as usize / 64) {
            *w |= 1 << (r % 64);
        }
    }
    fn remove(&mut self, r: u16) {
        if let Some(w) = self.0.get_mut(r as usize / 64) {
            *w &= !(1 << (r % 64));
        }
    }
    fn remove_from(&mut self, first: u16) {
        for (i, w) in self.0.iter_mut().enumerate() {
            let lo = i * 64;
            if lo >= first as usize {
                *w = 0;
            } else if first as usize - lo < 64 {
                *w &= (1u64 << (first as usize - lo)) - 1;
            }
        }
    }
    fn intersect(&mut self, other: &RegSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }
    fn clear(&mut self) {
        self.0.iter_mut().for_each(|w| *w = 0);
    }
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..self.0.len() * 64).filter(|&r| self.contains(r as u16)).map(|r| r as u16)
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
}

pub struct Analysis {
    /// Registers known to be ints when each instruction starts.
    pub known: Vec<RegSet>,
    /// For loop-header entry points: the registers whose tags the entry
    /// checks (empty elsewhere).
    pub guards: Vec<RegSet>,
}

/// `entries`: the pcs where native code can be entered; `loop_headers`:
/// which of them are loop headers; `int_only(pc)`: whether the instruction
/// at pc is compiled int-only (deoptimizing otherwise).
pub fn analyse(proto: &Proto, entries: &[bool], loop_headers: &[bool], int_only: &dyn Fn(usize) -> bool) -> Analysis {
    let n = proto.code.len();
    let regs = proto.nregs as usize;
    let mut guards: Vec<RegSet> =
        (0..n).map(|pc| if entries[pc] && loop_headers[pc] { RegSet::full(regs) } else { RegSet::empty(regs) }).collect();
    loop {
        let known = dataflow(proto, entries, &guards, int_only);
        let mut changed = false;
        for pc in 0..n {
            if entries[pc] && loop_headers[pc] && known[pc] != guards[pc] {
                guards[pc] = known[pc].clone();
                changed = true;
            }
        }
        if !changed {
            return Analysis { known, guards };
        }
    }
}

/// The fixpoint for fixed entry states (`guards` at entries, which are
/// empty except at guarded loop headers).
fn dataflow(proto: &Proto, entries: &[bool], guards: &[RegSet], int_only: &dyn Fn(usize) -> bool) -> Vec<RegSet> {
    let n = proto.code.len();
    let regs = proto.nregs as usize;
    // Top (everything) for instructions not reached yet; meet is
    // intersection.
    let mut known: Vec<RegSet> = (0..n).map(|pc| if entries[pc] { guards[pc].clone() } else { RegSet::full(regs) }).collect();
    let mut reached: Vec<bool> = entries.to_vec();
    let mut work: Vec<usize> = (0..n).filter(|&pc| entries[pc]).collect();
    let mut queued: Vec<bool> = entries.to_vec();
    while let Some(pc) = work.pop() {
        queued[pc] = false;
        let mut out = known[pc].clone();
        transfer(proto.code[pc], int_only(pc), &mut out);
        for s in successors(proto.code[pc], pc, n) {
            let changed = if reached[s] {
                let before = known[s].clone();
                known[s].intersect(&out);
                known[s] != before
            } else {
                known[s] = out.clone();
                reached[s] = true;
                true
            };
            if changed && !queued[s] {
                queued[s] = true;
                work.push(s);
            }
        }
    }
    known
}

fn successors(op: Op, pc: usize, n: usize) -> Vec<usize> {
    let falls_through = !matches!(
        op,
        Op::Jmp { .. } | Op::Loop { .. } | Op::Return { .. } | Op::TailCall { .. } | Op::TailSelf { .. } | Op::NoMatch { .. }
    );
    let mut s = Vec::with_capacity(2);
    if falls_through && pc + 1 < n {
        s.push(pc + 1);
    }
    if let Some(t) = op.jump_target(pc) {
        if t < n && !matches!(op, Op::TailSelf { .. }) {
            s.push(t);
        }
    }
    s
}

/// What an instruction does to the set, on the path that continues in
/// native code.
fn transfer(op: Op, int_only: bool, s: &mut RegSet) {
    use Op::*;
    match op {
        LoadInt { dst, .. } => s.insert(dst),
        Move { dst, src } => {
            if s.contains(src) {
                s.insert(dst)
            } else {
                s.remove(dst)
            }
        }
        Add { dst, a, b } | Sub { dst, a, b } | Mul { dst, a, b } => {
            if int_only {
                s.insert(a);
                s.insert(b);
                s.insert(dst);
            } else {
                s.remove(dst);
            }
        }
        AddI { dst, a, .. } | SubI { dst, a, .. } | MulI { dst, a, .. } => {
            if int_only {
                s.insert(a);
                s.insert(dst);
            } else {
                s.remove(dst);
            }
        }
        JmpIfNotLt { a, b, .. }
        | JmpIfNotLe { a, b, .. }
        | JmpIfNotGt { a, b, .. }
        | JmpIfNotGe { a, b, .. }
        | JmpIfNotEq { a, b, .. }
        | JmpIfNotNe { a, b, .. } => {
            if int_only {
                s.insert(a);
                s.insert(b);
            }
        }
        JmpIfNotLtI { a, .. }
        | JmpIfNotLeI { a, .. }
        | JmpIfNotGtI { a, .. }
        | JmpIfNotGeI { a, .. }
        | JmpIfNotEqI { a, .. }
        | JmpIfNotNeI { a, .. } => {
            if int_only {
                s.insert(a);
            }
        }
        Lt { dst, a, b } | Le { dst, a, b } | Gt { dst, a, b } | Ge { dst, a, b } | Eq { dst, a, b } | Ne { dst, a, b } => {
            if int_only {
                s.insert(a);
                s.insert(b);
            }
            s.remove(dst);
        }
        Jmp { .. } | Loop { .. } | JmpIfFalse { .. } | JmpIfTrue { .. } => {}
        SetGlobal { .. } | DefGlobal { .. } | SetUpcell { .. } | SetCell { .. } | VecSet { .. } | CheckInit { .. } => {}
        LoadNil { dst }
        | LoadBool { dst, .. }
        | LoadK { dst, .. }
        | LoadEmpty { dst }
        | LoadBuiltin { dst, .. }
        | LoadUndef { dst }
        | GetGlobal { dst, .. }
        | GetUpval { dst, .. }
        | GetUpcell { dst, .. }
        | NewCell { dst }
        | GetCell { dst, .. }
        | Closure { dst, .. }
        | Div { dst, .. }
        | Mod { dst, .. }
        | Rem { dst, .. }
        | Neg { dst, .. }
        | Not { dst, .. }
        | VecRef { dst, .. }
        | Car { dst, .. }
        | Cdr { dst, .. }
        | Cons { dst, .. }
        | IsEmpty { dst, .. }
        | Head { dst, .. }
        | Tail { dst, .. } => s.remove(dst),
        // The callee's frame (or the builtin's arguments and result) lies
        // at and above `base`.
        Call { base, .. } | CallBuiltin { base, .. } | Effect { base, .. } => s.remove_from(base),
        // Anything else: forget everything.
        _ => s.clear(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regsets() {
        let mut s = RegSet::empty(130);
        for r in [0, 63, 64, 129] {
            s.insert(r);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 63, 64, 129]);
        s.remove_from(64);
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 63]);
        let f = RegSet::full(70);
        assert_eq!(f.iter().count(), 70);
        s.intersect(&RegSet::empty(130));
        assert!(s.is_empty());
    }
}

#[cfg(test)]
mod loop_tests {
    use super::*;
    use claudelang_frontend::source::SourceFile;
    use claudelang_frontend::{compile, parser, GlobalTable, UnitKind};
    use std::sync::Arc;

    fn function(src: &str, name: &str) -> Arc<Proto> {
        let source = SourceFile::new("t.cl", src);
        let forms = parser::parse_program(&source).unwrap();
        let top = compile(&source, &forms, &mut GlobalTable::default(), UnitKind::Program).unwrap();
        top.children.iter().find(|p| p.name.as_deref() == Some(name)).expect("function").clone()
    }

    fn run(p: &Proto, int_only: bool) -> (Analysis, usize) {
        let mut entries = vec![false; p.code.len()];
        let mut headers = vec![false; p.code.len()];
        entries[0] = true;
        let mut header = 0;
        for (pc, op) in p.code.iter().enumerate() {
            if let (Op::Loop { .. }, Some(t)) = (op, op.jump_target(pc)) {
                entries[t] = true;
                headers[t] = true;
                header = t;
            }
        }
        (analyse(p, &entries, &headers, &|_| int_only), header)
    }

    const SUM_TO: &str = "(define (sum-to n) (let ((i 0) (acc 0)) (while (< i n) (set! acc (+ acc i)) (set! i (+ i 1))) acc))";

    #[test]
    fn an_int_loop_keeps_its_counters_known_and_guards_them_at_the_header() {
        let p = function(SUM_TO, "sum-to");
        let (a, header) = run(&p, true);
        // Registers: n = 0, i = 2, acc = 3 (see `claudelang disasm`).
        assert_eq!(a.guards[header].iter().collect::<Vec<_>>(), [2, 3], "{:?}", p.code);
        assert!(!a.guards[0].contains(0), "the function start is never guarded");
        let add = p.code.iter().position(|op| matches!(op, Op::Add { .. })).unwrap();
        for r in [0, 2, 3] {
            assert!(a.known[add].contains(r), "register {r} is known int inside the loop");
        }
        assert!(!a.known[header].contains(0), "n is not known at the header: the entry path never checked it");
    }

    #[test]
    fn without_speculation_nothing_is_known_in_the_loop() {
        let p = function(SUM_TO, "sum-to");
        let (a, header) = run(&p, false);
        // `i` and `acc` start as ints, but a generic `+` may make floats.
        assert!(a.guards[header].is_empty());
        let add = p.code.iter().position(|op| matches!(op, Op::Add { .. })).unwrap();
        assert!(a.known[add].is_empty());
    }

    #[test]
    fn calls_forget_the_registers_they_overlap() {
        let p = function("(define (f x) (let ((i 0)) (while (< i 10) (set! i (+ i (g i)))) i)) (define (g y) y)", "f");
        let (a, header) = run(&p, true);
        // `i` is rewritten from the result of a call: still int, since the
        // `+` after the call is int-only; but right after the call nothing
        // at or above the call's base is known.
        let call = p.code.iter().position(|op| matches!(op, Op::Call { .. })).unwrap();
        let Op::Call { base, .. } = p.code[call] else { unreachable!() };
        assert!(a.known[call + 1].iter().all(|r| r < base), "{:?}", a.known[call + 1]);
        assert!(!a.guards[header].is_empty());
    }
}
