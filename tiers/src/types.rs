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
//! nothing known. Loop headers are where it pays, so *every* way into a
//! loop header except its own back-edges — on-stack replacement from the
//! interpreter, and the forward edge from the code before the loop — goes
//! through a guard: the translator checks, once per loop entry, the tags of
//! the registers in `Analysis::guards`, and deoptimizes at the header if one
//! is not an int — V8's and LuaJIT's "type check at the loop entry, none
//! inside". Inside the loop only the back-edges reach the header, so what
//! the loop body keeps int stays known across iterations.
//!
//! Which registers to guard: those that every path through the loop reads
//! with an int-only instruction before writing them (`must_read_int`), such
//! as the bound `n` of `(while (< i n) ...)`. If one of them is not an int
//! when the loop starts, the first iteration would deoptimize at that read
//! anyway, so checking at the header costs no deoptimization that would not
//! happen regardless (except when the loop exits before that read; a guard
//! that fails records `FEEDBACK_GUARD` at the header, and later compiles
//! leave that loop unguarded). Of those, the guard keeps the ones the body
//! also leaves int on every back-edge (iterating the dataflow down to a
//! fixpoint).

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
    /// Removes the registers an instruction may write.
    fn forget(&mut self, w: Writes) {
        match w {
            Writes::None => {}
            Writes::Reg(r) => self.remove(r),
            Writes::From(base) => self.remove_from(base),
            Writes::All => self.clear(),
        }
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
    /// For loop headers: the registers whose tags every entry into the loop
    /// checks, other than its back-edges (empty elsewhere).
    pub guards: Vec<RegSet>,
}

/// `entries`: the pcs where native code can be entered; `loop_headers`:
/// the targets of back-edges (all of them entries); `int_only(pc)`: whether
/// the instruction at pc is compiled int-only (deoptimizing otherwise).
pub fn analyse(proto: &Proto, entries: &[bool], loop_headers: &[bool], int_only: &dyn Fn(usize) -> bool) -> Analysis {
    let n = proto.code.len();
    let regs = proto.nregs as usize;
    let mut guards: Vec<RegSet> = (0..n)
        .map(|pc| if loop_headers[pc] { must_read_int(proto, pc, int_only) } else { RegSet::empty(regs) })
        .collect();
    loop {
        let known = dataflow(proto, entries, loop_headers, &guards, int_only);
        let mut changed = false;
        for pc in 0..n {
            if loop_headers[pc] && known[pc] != guards[pc] {
                guards[pc] = known[pc].clone();
                changed = true;
            }
        }
        if !changed {
            return Analysis { known, guards };
        }
    }
}

/// The fixpoint for fixed guards. Entry points start from their guards
/// (empty except at loop headers); a loop header's other predecessors
/// other than back-edges pass through its guard, so they add nothing.
fn dataflow(
    proto: &Proto,
    entries: &[bool],
    loop_headers: &[bool],
    guards: &[RegSet],
    int_only: &dyn Fn(usize) -> bool,
) -> Vec<RegSet> {
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
        let op = proto.code[pc];
        let mut out = known[pc].clone();
        transfer(op, int_only(pc), &mut out);
        for s in successors(op, pc, n) {
            if loop_headers[s] && !matches!(op, Op::Loop { .. }) {
                continue;
            }
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

/// The registers that every iteration of the loop at `header` (a path
/// from the header back to it through the instructions up to its last
/// back-edge) reads with an int-only instruction before writing them. A
/// backward "must" analysis where the back-edge requires nothing and
/// leaving the loop constrains nothing: a loop that runs zero iterations
/// reads nothing, and guarding it costs at most a deoptimization, which is
/// counted and ends speculation for the function if it repeats.
fn must_read_int(proto: &Proto, header: usize, int_only: &dyn Fn(usize) -> bool) -> RegSet {
    let regs = proto.nregs as usize;
    let last = proto
        .code
        .iter()
        .enumerate()
        .filter(|(pc, op)| matches!(op, Op::Loop { .. }) && op.jump_target(*pc) == Some(header))
        .map(|(pc, _)| pc)
        .max()
        .unwrap_or(header);
    let n = proto.code.len();
    let region = header..=last;
    let mut sets: Vec<RegSet> = region.clone().map(|_| RegSet::full(regs)).collect();
    // Bounds the answer where no path comes back (unreachable back-edges).
    let mut read_at_all = RegSet::empty(regs);
    let mut changed = true;
    while changed {
        changed = false;
        for pc in region.clone().rev() {
            let op = proto.code[pc];
            let mut s = RegSet::full(regs);
            for t in successors(op, pc, n) {
                if matches!(op, Op::Loop { .. }) && t == header {
                    s.clear();
                } else if region.contains(&t) {
                    s.intersect(&sets[t - header]);
                }
            }
            s.forget(writes(op));
            for r in int_reads(op, int_only(pc)).into_iter().flatten() {
                s.insert(r);
                read_at_all.insert(r);
            }
            if s != sets[pc - header] {
                sets[pc - header] = s;
                changed = true;
            }
        }
    }
    let mut at_header = sets.swap_remove(0);
    at_header.intersect(&read_at_all);
    at_header
}

/// The registers an instruction compiled int-only reads (and so, on the
/// path that stays native, proves to be ints).
fn int_reads(op: Op, int_only: bool) -> [Option<u16>; 2] {
    use Op::*;
    if !int_only {
        return [None, None];
    }
    match op {
        Add { a, b, .. }
        | Sub { a, b, .. }
        | Mul { a, b, .. }
        | JmpIfNotLt { a, b, .. }
        | JmpIfNotLe { a, b, .. }
        | JmpIfNotGt { a, b, .. }
        | JmpIfNotGe { a, b, .. }
        | JmpIfNotEq { a, b, .. }
        | JmpIfNotNe { a, b, .. }
        | Lt { a, b, .. }
        | Le { a, b, .. }
        | Gt { a, b, .. }
        | Ge { a, b, .. }
        | Eq { a, b, .. }
        | Ne { a, b, .. } => [Some(a), Some(b)],
        AddI { a, .. }
        | SubI { a, .. }
        | MulI { a, .. }
        | JmpIfNotLtI { a, .. }
        | JmpIfNotLeI { a, .. }
        | JmpIfNotGtI { a, .. }
        | JmpIfNotGeI { a, .. }
        | JmpIfNotEqI { a, .. }
        | JmpIfNotNeI { a, .. } => [Some(a), None],
        _ => [None, None],
    }
}

/// Which registers an instruction may write.
enum Writes {
    None,
    Reg(u16),
    /// Every register from this one up (a call's frame overlaps them).
    From(u16),
    /// Not modelled: possibly any.
    All,
}

/// A comparison fused with its branch (`JmpIfNotLt` and the like).
fn compare_jump(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        JmpIfNotLt { .. }
            | JmpIfNotLe { .. }
            | JmpIfNotGt { .. }
            | JmpIfNotGe { .. }
            | JmpIfNotEq { .. }
            | JmpIfNotNe { .. }
            | JmpIfNotLtI { .. }
            | JmpIfNotLeI { .. }
            | JmpIfNotGtI { .. }
            | JmpIfNotGeI { .. }
            | JmpIfNotEqI { .. }
            | JmpIfNotNeI { .. }
    )
}

fn writes(op: Op) -> Writes {
    use Op::*;
    match op {
        Jmp { .. } | Loop { .. } | JmpIfFalse { .. } | JmpIfTrue { .. } => Writes::None,
        op if compare_jump(op) => Writes::None,
        SetGlobal { .. } | DefGlobal { .. } | SetUpcell { .. } | SetCell { .. } | VecSet { .. } | CheckInit { .. } => Writes::None,
        LoadInt { dst, .. }
        | Move { dst, .. }
        | Add { dst, .. }
        | Sub { dst, .. }
        | Mul { dst, .. }
        | AddI { dst, .. }
        | SubI { dst, .. }
        | MulI { dst, .. }
        | Lt { dst, .. }
        | Le { dst, .. }
        | Gt { dst, .. }
        | Ge { dst, .. }
        | Eq { dst, .. }
        | Ne { dst, .. }
        | LoadNil { dst }
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
        | Tail { dst, .. }
        | MakeList { dst, .. } => Writes::Reg(dst),
        // The callee's frame (or the builtin's arguments and result) lies
        // at and above `base`.
        Call { base, .. } | CallBuiltin { base, .. } | Effect { base, .. } => Writes::From(base),
        _ => Writes::All,
    }
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

/// A loop whose int registers live only in machine registers while it
/// runs (see `register_loops`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterLoop {
    /// The loop's pcs: its header up to its last back-edge.
    pub range: std::ops::RangeInclusive<usize>,
    /// The registers whose slots are written only when native code leaves
    /// the loop.
    pub regs: RegSet,
    /// Where the loop's exits go (pcs outside it), in order.
    pub exits: Vec<usize>,
}

/// Innermost loops that compute with ints and touch vectors at most: every
/// instruction is an int-only `+ - *` or comparison-and-branch, a constant
/// load, a `Move`, a vector read or write, or a jump, and the loop is
/// entered only at its header (so it holds no other loop, whose header
/// would be an OSR entry reading the slots). Such a loop allocates nothing
/// and calls no function. The slots of the registers it writes, and knows to
/// be ints throughout, are written when native code leaves the loop (its
/// exits, deoptimizations, errors) or calls a runtime helper (which reads
/// slots; the collector runs only inside helpers), instead of at every
/// update: in between, nothing reads those slots, and the loop reads the
/// registers from their SSA variables. Other loops keep writing through.
pub fn register_loops(
    proto: &Proto,
    entries: &[bool],
    known: &[RegSet],
    int_only: &dyn Fn(usize) -> bool,
) -> Vec<RegisterLoop> {
    use Op::*;
    let n = proto.code.len();
    let pure = |pc: usize| match proto.code[pc] {
        LoadInt { .. } | LoadBool { .. } | LoadNil { .. } | Move { .. } | Jmp { .. } | Loop { .. } => true,
        VecRef { .. } | VecSet { .. } | JmpIfFalse { .. } | JmpIfTrue { .. } => true,
        Add { .. } | Sub { .. } | Mul { .. } | AddI { .. } | SubI { .. } | MulI { .. } => int_only(pc),
        op if compare_jump(op) => int_only(pc),
        _ => false,
    };
    let mut out = Vec::new();
    for range in loop_ranges(&proto.code) {
        if range.clone().any(|pc| !pure(pc) || (entries[pc] && pc != *range.start())) {
            continue;
        }
        let entered_elsewhere = (0..n)
            .filter(|pc| !range.contains(pc))
            .any(|pc| successors(proto.code[pc], pc, n).iter().any(|t| range.contains(t) && t != range.start()));
        // Only back-edges may reach the header from inside (any other jump
        // there would pass its guard, which reads the slots), and every
        // back-edge inside must go to this header (one to another loop's
        // would leave this one without passing an exit).
        let stray_jump = range.clone().any(|pc| {
            let op = proto.code[pc];
            let to_header = op.jump_target(pc) == Some(*range.start());
            if matches!(op, Loop { .. }) {
                !to_header
            } else {
                to_header
            }
        });
        if entered_elsewhere || stray_jump {
            continue;
        }
        let mut regs = RegSet::full(proto.nregs as usize);
        let mut written = RegSet::empty(proto.nregs as usize);
        for pc in range.clone() {
            regs.intersect(&known[pc]);
            if let Writes::Reg(r) = writes(proto.code[pc]) {
                written.insert(r);
            }
        }
        regs.intersect(&written);
        for pc in range.clone() {
            // `vector-set!` copies its value from the slot.
            if let VecSet { x, .. } = proto.code[pc] {
                regs.remove(x);
            }
        }
        if regs.is_empty() {
            continue;
        }
        let mut exits: Vec<usize> =
            range.clone().flat_map(|pc| successors(proto.code[pc], pc, n)).filter(|t| !range.contains(t)).collect();
        exits.sort_unstable();
        exits.dedup();
        out.push(RegisterLoop { range, regs, exits });
    }
    out
}

/// A register loop's counter: a register that steps by one, up or down,
/// exactly once on every iteration, so that how far it has moved since
/// the loop was entered counts the iterations. Such a loop needs no
/// iteration counter of its own: it polls when the counter crosses a
/// multiple of the poll interval, and its back-edges are counted from the
/// counter when it is left (see `translate.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    pub reg: u16,
    /// The pc of the step, and the step (1 or -1).
    pub step_pc: usize,
    pub step: i64,
}

/// The counter of register loop `l`, if it has one: a register of `l.regs`
/// (an int the loop keeps in a machine register) written only by one
/// `(+ r 1)` or `(- r 1)` (either sign) at `s`, where every iteration
/// passes `s` exactly once: every back-edge comes after `s`, no other jump
/// goes backwards, none from before `s` lands past it, and the loop is
/// left only from before `s` (so an iteration that leaves has not stepped).
pub fn loop_counter(code: &[Op], l: &RegisterLoop) -> Option<Counter> {
    let e = *l.range.end();
    'regs: for r in l.regs.iter() {
        let mut found = None;
        for pc in l.range.clone() {
            match writes(code[pc]) {
                Writes::None => {}
                Writes::Reg(d) if d != r => {}
                Writes::Reg(_) => {
                    let step = match code[pc] {
                        Op::AddI { dst, a, imm } if dst == r && a == r && (imm == 1 || imm == -1) => imm as i64,
                        Op::SubI { dst, a, imm } if dst == r && a == r && (imm == 1 || imm == -1) => -(imm as i64),
                        _ => continue 'regs,
                    };
                    if found.is_some() {
                        continue 'regs;
                    }
                    found = Some((pc, step));
                }
                Writes::From(_) | Writes::All => return None,
            }
        }
        let Some((s, step)) = found else { continue };
        let once_per_iteration = l.range.clone().all(|q| match code[q].jump_target(q) {
            None => true,
            Some(_) if matches!(code[q], Op::Loop { .. }) => q > s,
            Some(t) if t <= q => false,
            Some(t) if t > e => q < s,
            Some(t) => !(q < s && t > s),
        });
        if once_per_iteration {
            return Some(Counter { reg: r, step_pc: s, step });
        }
    }
    None
}

/// What an instruction does to the set, on the path that continues in
/// native code: what its int-only reads prove, less what it writes, plus
/// its result when that is an int.
fn transfer(op: Op, int_only: bool, s: &mut RegSet) {
    use Op::*;
    let result_is_int = match op {
        LoadInt { .. } => true,
        Move { src, .. } => s.contains(src),
        Add { .. } | Sub { .. } | Mul { .. } | AddI { .. } | SubI { .. } | MulI { .. } => int_only,
        _ => false,
    };
    // The reads happen (and prove their operands) before the write.
    for r in int_reads(op, int_only).into_iter().flatten() {
        s.insert(r);
    }
    s.forget(writes(op));
    if let (true, Writes::Reg(dst)) = (result_is_int, writes(op)) {
        s.insert(dst);
    }
}

/// Whether `r + step` at `pc`, with `step` 1 or -1 and `r` an int there,
/// cannot overflow because the innermost loop around `pc` only runs its
/// body while `r < n` (`step` 1) or `r > n` (`step` -1) for an int `n`:
/// then `r` is at most `i64::MAX - 1` (at least `i64::MIN + 1`).
///
/// That takes: the loop's header is the test, leaving the loop when it
/// fails; `n` is an int at `pc` (`known`) or an immediate; neither `r` nor
/// `n` is written between the header and `pc` (in pc order, which covers
/// every path: loops are ranges and nothing outside one jumps into its
/// body), so the values the header compared are the ones here. Whoever ran
/// the header — native code or the interpreter, before entering native
/// code at a resume point — ran the same test on them.
pub fn bounded_step(code: &[Op], loops: &[Option<(usize, usize)>], known: &[RegSet], pc: usize, r: u16, step: i64) -> bool {
    let Some((h, e)) = loops.get(pc).copied().flatten() else { return false };
    let header = code[h];
    let exits = header.jump_target(h).is_some_and(|t| t > e);
    let bound = match (header, step) {
        (Op::JmpIfNotLt { a, b, .. }, 1) | (Op::JmpIfNotGt { a, b, .. }, -1) if a == r => Some(b),
        (Op::JmpIfNotLtI { a, .. }, 1) | (Op::JmpIfNotGtI { a, .. }, -1) if a == r => None,
        _ => return false,
    };
    if !exits || !known[pc].contains(r) || bound.is_some_and(|n| !known[pc].contains(n)) {
        return false;
    }
    let clobbers = |q: usize| match writes(code[q]) {
        Writes::None => false,
        Writes::Reg(d) => d == r || Some(d) == bound,
        Writes::From(base) => base <= r || bound.is_some_and(|n| base <= n),
        Writes::All => true,
    };
    let enters_body = code.iter().enumerate().any(|(q, op)| {
        !(h..=e).contains(&q) && op.jump_target(q).is_some_and(|t| t > h && t <= pc)
    });
    !(h + 1..pc).any(clobbers) && !enters_body
}

/// The loops of `code`: each header up to its last back-edge (`Loop`),
/// in the order their first back-edges appear. Bytecode loops are properly
/// nested ranges.
fn loop_ranges(code: &[Op]) -> Vec<std::ops::RangeInclusive<usize>> {
    let mut loops: Vec<std::ops::RangeInclusive<usize>> = Vec::new();
    for (pc, op) in code.iter().enumerate() {
        if let (Op::Loop { .. }, Some(h)) = (op, op.jump_target(pc)) {
            match loops.iter_mut().find(|r| *r.start() == h) {
                Some(r) => *r = h..=pc.max(*r.end()),
                None => loops.push(h..=pc),
            }
        }
    }
    loops
}

/// For each pc, the innermost loop containing it, as (header, pc of its
/// last back-edge).
pub fn innermost_loops(proto: &Proto) -> Vec<Option<(usize, usize)>> {
    let mut at: Vec<Option<(usize, usize)>> = vec![None; proto.code.len()];
    for range in loop_ranges(&proto.code) {
        let (h, e) = (*range.start(), *range.end());
        for slot in &mut at[range] {
            if slot.is_none_or(|(h0, e0)| e0 - h0 > e - h) {
                *slot = Some((h, e));
            }
        }
    }
    at
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

    #[test]
    fn innermost_loops_are_the_smallest_ranges_around_each_pc() {
        let src = "(define (f n) (let ((i 0) (s 0)) (while (< i n) (let ((j 0)) (while (< j i) (set! s (+ s j)) (set! j (+ j 1)))) (set! i (+ i 1))) s))";
        let p = function(src, "f");
        let at = innermost_loops(&p);
        let backs: Vec<(usize, usize)> = p.code.iter().enumerate().filter_map(|(pc, op)| match op {
            Op::Loop { .. } => Some((op.jump_target(pc).unwrap(), pc)),
            _ => None,
        }).collect();
        assert_eq!(backs.len(), 2, "{:?}", p.code);
        let (inner, outer) = if backs[0].1 - backs[0].0 < backs[1].1 - backs[1].0 { (backs[0], backs[1]) } else { (backs[1], backs[0]) };
        assert!(outer.0 < inner.0 && inner.1 < outer.1, "nested: {inner:?} in {outer:?}");
        for (pc, l) in at.iter().enumerate() {
            let want = if (inner.0..=inner.1).contains(&pc) {
                Some(inner)
            } else if (outer.0..=outer.1).contains(&pc) {
                Some(outer)
            } else {
                None
            };
            assert_eq!(*l, want, "pc {pc}: {:?}", p.code);
        }
    }

    /// The pcs of `AddI`/`SubI` on register `r`, with their steps.
    fn steps(p: &Proto, r: u16) -> Vec<(usize, i64)> {
        p.code
            .iter()
            .enumerate()
            .filter_map(|(pc, op)| match *op {
                Op::AddI { dst, a, imm } if a == r && dst == r => Some((pc, imm as i64)),
                Op::SubI { dst, a, imm } if a == r && dst == r => Some((pc, -(imm as i64))),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_counter_stepping_towards_its_loops_int_bound_is_bounded() {
        let p = function(SUM_TO, "sum-to");
        let (a, _) = run(&p, true);
        let loops = innermost_loops(&p);
        // Registers: n = 0, i = 2 (see the test above).
        let [(pc, 1)] = steps(&p, 2)[..] else { panic!("{:?}", p.code) };
        assert!(bounded_step(&p.code, &loops, &a.known, pc, 2, 1));
        // The opposite direction has no bound.
        assert!(!bounded_step(&p.code, &loops, &a.known, pc, 2, -1));
        // Without int knowledge of the bound, nothing is proved.
        let (b, _) = run(&p, false);
        assert!(!bounded_step(&p.code, &loops, &b.known, pc, 2, 1));

        // `<=` reaches the bound; and a bound written in the body (or a
        // counter written before the step) no longer bounds the step.
        for src in [
            "(define (f n) (let ((i 0)) (while (<= i n) (set! i (+ i 1))) i))",
            "(define (f n) (let ((i 0)) (while (< i n) (set! n (+ n 0)) (set! i (+ i 1))) i))",
            "(define (f n) (let ((i 0)) (while (< i n) (set! i (* i 2)) (set! i (+ i 1))) i))",
        ] {
            let p = function(src, "f");
            let (a, _) = run(&p, true);
            let loops = innermost_loops(&p);
            let i = p.code.iter().find_map(|op| match *op { Op::AddI { dst, imm: 1, .. } => Some(dst), _ => None }).unwrap();
            for (pc, step) in steps(&p, i) {
                assert!(!bounded_step(&p.code, &loops, &a.known, pc, i, step), "{src}: pc {pc}");
            }
        }
        // Counting down with `>` is bounded from below.
        let p = function("(define (f i) (let ((s 0)) (while (> i 0) (set! s (+ s i)) (set! i (- i 1))) s))", "f");
        let (a, _) = run(&p, true);
        let loops = innermost_loops(&p);
        let [(pc, -1)] = steps(&p, 0)[..] else { panic!("{:?}", p.code) };
        assert!(bounded_step(&p.code, &loops, &a.known, pc, 0, -1));
    }

    #[test]
    fn a_loop_counter_steps_once_on_every_iteration() {
        let counter = |src: &str| {
            let p = function(src, "f");
            let (a, _) = run(&p, true);
            let loops = register_loops(&p, &entry_points_of(&p), &a.known, &|_| true);
            assert_eq!(loops.len(), 1, "{src}: one register loop expected: {:?}", p.code);
            loop_counter(&p.code, &loops[0]).map(|c| (c.reg, c.step))
        };
        // The counter is the register `(+ i 1)` / `(- n 1)` writes.
        let stepped = |src: &str| {
            function(src, "f").code.iter().find_map(|op| match *op {
                Op::AddI { dst, imm: 1 | -1, .. } | Op::SubI { dst, imm: 1 | -1, .. } => Some(dst),
                _ => None,
            })
        };
        for (src, step) in [
            ("(define (f n) (let ((i 0) (s 0)) (while (< i n) (set! s (+ s i)) (set! i (+ i 1))) s))", 1),
            ("(define (f n) (let ((s 0)) (while (> n 0) (set! s (+ s n)) (set! n (- n 1))) s))", -1),
        ] {
            assert_eq!(counter(src), Some((stepped(src).unwrap(), step)), "{src}");
        }
        // A step some iterations skip, a second write, steps by two: no
        // counter.
        for src in [
            "(define (f n) (let ((i 0) (s 0)) (while (< s n) (set! s (+ s 2)) (if (< s 5) (set! i (+ i 1)) nil)) i))",
            "(define (f n) (let ((i 0)) (while (< i n) (set! i (+ i 1)) (set! i (+ i 1))) i))",
            "(define (f n) (let ((i 0) (s 0)) (while (< i n) (set! s (+ s i)) (set! i (+ i 2))) s))",
        ] {
            assert_eq!(counter(src), None, "{src}");
        }
    }

    /// Function start and loop headers, as `translate::entry_points` gives
    /// them for loops without calls.
    fn entry_points_of(p: &Proto) -> Vec<bool> {
        let mut e = vec![false; p.code.len()];
        e[0] = true;
        for (pc, op) in p.code.iter().enumerate() {
            if let (Op::Loop { .. }, Some(t)) = (op, op.jump_target(pc)) {
                e[t] = true;
            }
        }
        e
    }

    const SUM_TO: &str = "(define (sum-to n) (let ((i 0) (acc 0)) (while (< i n) (set! acc (+ acc i)) (set! i (+ i 1))) acc))";

    #[test]
    fn an_int_loop_keeps_its_counters_known_and_guards_them_at_the_header() {
        let p = function(SUM_TO, "sum-to");
        let (a, header) = run(&p, true);
        // Registers: n = 0, i = 2, acc = 3 (see `claudelang disasm`). The
        // bound `n` is only read, so only the guard can make it known.
        assert_eq!(a.guards[header].iter().collect::<Vec<_>>(), [0, 2, 3], "{:?}", p.code);
        assert!(a.guards[0].is_empty(), "the function start is not a loop header");
        let add = p.code.iter().position(|op| matches!(op, Op::Add { .. })).unwrap();
        for r in [0, 2, 3] {
            assert!(a.known[header].contains(r), "register {r} is known int at the header");
            assert!(a.known[add].contains(r), "register {r} is known int inside the loop");
        }
        assert!(!a.known[header - 1].contains(0), "n is not known before the loop's guard");
    }

    #[test]
    fn registers_the_loop_does_not_read_as_ints_are_not_guarded() {
        // `s` is untouched by the loop, `x` is written before it is read,
        // and `y` is read as an int on one path only: a guard on any of
        // them could deoptimize a loop that would never have.
        let src = "(define (f s n) (let ((i 0) (x nil) (y nil))                    (while (< i n) (set! x (+ i 1)) (set! i (+ x 0)) (if (< i 5) (set! y (+ y 1)) nil)) s))";
        let p = function(src, "f");
        let (a, header) = run(&p, true);
        // Registers: s = 0, n = 1, i = 3, x = 4, y = 5.
        assert_eq!(a.guards[header].iter().collect::<Vec<_>>(), [1, 3], "{:?}", p.code);
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

    fn reg_loops(p: &Proto, int_only: bool) -> Vec<RegisterLoop> {
        let (a, _) = run(p, int_only);
        let mut entries = vec![false; p.code.len()];
        entries[0] = true;
        for (pc, op) in p.code.iter().enumerate() {
            if let (Op::Loop { .. }, Some(t)) = (op, op.jump_target(pc)) {
                entries[t] = true;
            }
        }
        register_loops(p, &entries, &a.known, &|_| int_only)
    }

    #[test]
    fn an_int_only_loop_keeps_what_it_writes_in_registers() {
        let p = function(SUM_TO, "sum-to");
        let loops = reg_loops(&p, true);
        assert_eq!(loops.len(), 1, "{:?}", p.code);
        // i = 2 and acc = 3 are written; the bound n = 0 is only read.
        assert_eq!(loops[0].regs.iter().collect::<Vec<_>>(), [2, 3]);
        assert!(matches!(p.code[*loops[0].range.end()], Op::Loop { .. }));
        assert_eq!(loops[0].exits, [*loops[0].range.end() + 1], "the loop test's false branch");
        assert!(reg_loops(&p, false).is_empty(), "a generic `+` may call the runtime");
    }

    #[test]
    fn loops_that_call_or_touch_other_values_write_through() {
        for (src, name) in [
            ("(define (f x) (let ((i 0)) (while (< i 10) (set! i (+ i (g i)))) i)) (define (g y) y)", "f"),
            ("(define (f x) (let ((i 0) (y nil)) (while (< i 10) (set! y (cons i y)) (set! i (+ i 1))) y))", "f"),
            ("(define (f x) (let ((i 0)) (while (< i 10) (print i) (set! i (+ i 1))) i))", "f"),
        ] {
            let p = function(src, name);
            assert!(reg_loops(&p, true).is_empty(), "{src}: {:?}", p.code);
        }
    }

    #[test]
    fn a_vector_loop_keeps_its_index_but_not_the_stored_value_in_registers() {
        let p = function("(define (f v n) (let ((i 0) (x 0)) (while (< i n) (set! x (+ i 1)) (vector-set! v i x) (set! i x)) i))", "f");
        let loops = reg_loops(&p, true);
        assert_eq!(loops.len(), 1, "{:?}", p.code);
        // Registers: v = 0, n = 1, i = 3, x = 4.
        assert_eq!(loops[0].regs.iter().collect::<Vec<_>>(), [3], "x is copied from its slot into the vector");
    }

    #[test]
    fn of_nested_int_loops_the_inner_one_is_taken() {
        let src = "(define (f n) (let ((i 0) (s 0)) (while (< i n) (let ((j 0)) (while (< j i) (set! s (+ s j)) (set! j (+ j 1)))) (set! i (+ i 1))) s))";
        let p = function(src, "f");
        let loops = reg_loops(&p, true);
        assert_eq!(loops.len(), 1, "{:?}", p.code);
        let headers: Vec<usize> =
            p.code.iter().enumerate().filter_map(|(pc, op)| matches!(op, Op::Loop { .. }).then(|| op.jump_target(pc)).flatten()).collect();
        assert_eq!(*loops[0].range.start(), *headers.iter().max().unwrap());
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
