//! The `Runtime`: one isolated ClaudeLang world (heap, globals, loaded
//! functions, effect handlers, output) and the embedding API around it.
//!
//! A runtime is used by one thread at a time (`Send`, not `Sync`): move it
//! into the thread that runs it, or create one per worker. Values returned
//! by `eval` point into its heap and are valid until the runtime runs
//! ClaudeLang code again; convert them (`display`) before that.

use crate::builtins::NativeCtx;
use crate::error::{exn, Exn, RuntimeError};
use crate::frames::FrameStack;
use crate::function::Function;
use crate::heap::{Heap, HeapStats};
use crate::names::Names;
use crate::value::{Gc, Value};
use crate::probe::{Probe, SampleFrame, MAX_SAMPLE_DEPTH};
use crate::safepoint::{InterruptHandle, REQUEST_SAMPLE};
use crate::tier::TierHooks;
use crate::{effects, printer};
use claudelang_frontend::builtins::{BuiltinKind, BUILTINS, VARIADIC};
use claudelang_frontend::bytecode::{Const, Proto};
use claudelang_frontend::diag::Diagnostic;
use claudelang_frontend::parser;
use claudelang_frontend::source::SourceFile;
use claudelang_frontend::{compile, GlobalTable, UnitKind};
use std::collections::HashMap;
use std::io::Write;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;

/// Limits and knobs of a runtime.
#[derive(Clone, Debug)]
pub struct Config {
    /// Non-tail call depth at which `stack overflow` is raised
    /// (LANGUAGE.md: default 100,000 frames).
    pub max_frames: usize,
    /// Upper bound on VM register slots across all frames (16 bytes each).
    pub max_stack_slots: usize,
    /// Seed for `random:int` / `random:float`; `None` seeds from the clock.
    pub random_seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config { max_frames: 100_000, max_stack_slots: 64 << 20, random_seed: None }
    }
}

/// Why a piece of source did not run to completion.
#[derive(Debug)]
pub enum Error {
    /// Parse or compile error: nothing ran (exit status 2 in the CLI).
    Compile { diag: Diagnostic, source: Arc<SourceFile>, incomplete: bool },
    /// Bad input that never got to the parser (e.g. invalid UTF-8).
    Input(String),
    Runtime(RuntimeError),
}

impl Error {
    /// The rendering the CLI prints to stderr.
    pub fn render(&self) -> String {
        match self {
            Error::Compile { diag, source, .. } => diag.render(source),
            Error::Input(msg) => format!("error: {msg}\n"),
            Error::Runtime(e) => e.render(),
        }
    }
    pub fn is_runtime(&self) -> bool {
        matches!(self, Error::Runtime(_))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Compile { diag, source, .. } => write!(f, "{}", diag.short(source)),
            Error::Input(msg) => write!(f, "{msg}"),
            Error::Runtime(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

/// A host function callable from ClaudeLang.
pub type HostFn = Rc<dyn Fn(&mut NativeCtx, &[Value]) -> Result<Value, String>>;
/// An effect handler: receives the effect's arguments.
pub type EffectHandler = Rc<dyn Fn(&mut effects::EffectCtx, &[Value]) -> Result<Value, Exn>>;

pub(crate) struct HostEntry {
    pub f: HostFn,
    pub min: u8,
    pub max: u8,
}

/// One activation record. Registers live in `Runtime::stack[base..]`; the
/// closure being run sits just below, in `stack[base - 1]`. The layout is
/// fixed (`#[repr(C)]`) because native code pushes frames itself (offsets
/// in `tier.rs`).
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Frame {
    pub func: NonNull<Function>,
    pub closure: Gc<crate::value::Closure>,
    /// Index of the next instruction while this frame is not running.
    pub pc: u32,
    pub base: u32,
    /// This activation has run native code (so a later entry at a loop
    /// header is a re-entry, not on-stack replacement).
    pub entered_native: bool,
    /// This activation is running native code right now.
    pub native: bool,
}

/// A compiled unit, ready to run.
#[derive(Clone, Copy, Debug)]
pub struct Unit(pub(crate) NonNull<Function>);

pub struct Runtime {
    pub(crate) config: Config,
    pub(crate) heap: Heap,
    pub(crate) names: Names,
    pub(crate) globals: Vec<Value>,
    /// `globals.as_mut_ptr()`, kept current so native code can index the
    /// globals with two loads (see `tier::GLOBALS_PTR_OFFSET`).
    pub(crate) globals_ptr: *mut Value,
    pub(crate) global_table: GlobalTable,
    /// Boxed so each function keeps its address while the table grows:
    /// closures, frames and native code point at them.
    #[allow(clippy::vec_box)]
    pub(crate) functions: Vec<Box<Function>>,
    pub(crate) stack: Vec<Value>,
    /// One past the last slot of `stack`, kept current by `resize_stack`
    /// so native code can check for room with one load.
    pub(crate) stack_end: *const Value,
    pub(crate) frames: FrameStack,
    /// Closures of the prelude builtins (`map`...), by builtin id.
    pub(crate) prelude: Vec<Value>,
    /// `prelude.as_ptr()` (the table never grows), so native code can load
    /// a prelude builtin with two loads (see `tier::PRELUDE_PTR_OFFSET`).
    pub(crate) prelude_ptr: *const Value,
    pub(crate) host_fns: Vec<HostEntry>,
    pub(crate) effects: HashMap<u32, EffectHandler>,
    pub(crate) state: HashMap<String, Value>,
    pub(crate) rng: u64,
    pub(crate) out: Box<dyn Write>,
    /// The installed tier manager, if any (interpreter only otherwise).
    pub(crate) tier: Option<Box<dyn TierHooks>>,
    /// Call and back-edge counts at which new functions first report hot.
    pub(crate) hot_thresholds: (u64, u64),
    /// An error raised by native code's slow path, for the interpreter
    /// to report at the failing instruction.
    pub(crate) pending_error: Option<Exn>,
    /// Set by `tier::rt_tail`: the native entry of the function a tail
    /// call from native code just switched the top frame to (0: none).
    pub(crate) tail_entry: usize,
    /// An attached profiler (see `probe.rs`).
    pub(crate) probe: Option<Box<dyn Probe>>,
}

// SAFETY: every pointer inside a Runtime (heap objects, functions) points
// into memory the Runtime owns exclusively; none is shared with another
// runtime, so moving the whole Runtime to another thread is sound. It is
// not Sync: one thread at a time. Host functions and effect handlers are
// held in `Rc`s that never leave the runtime, and registering one requires
// the closure itself to be `Send`.
unsafe impl Send for Runtime {}

const PRELUDE: &str = include_str!("prelude.cl");

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

impl Runtime {
    pub fn new() -> Runtime {
        Runtime::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Runtime {
        let seed = config.random_seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9E37_79B9_7F4A_7C15)
        });
        let max_frames = config.max_frames;
        let mut rt = Runtime {
            config,
            heap: Heap::new(),
            names: Names::default(),
            globals: Vec::new(),
            globals_ptr: std::ptr::null_mut(),
            global_table: GlobalTable::default(),
            functions: Vec::new(),
            // Native-to-native calls only use stack that already exists (a
            // resize would move the frames of running native code), so
            // start with room for common depths: 64K slots = 1 MiB.
            stack: vec![Value::Nil; 1 << 16],
            stack_end: std::ptr::null(),
            frames: FrameStack::new(max_frames),
            prelude: vec![Value::Nil; BUILTINS.len()],
            prelude_ptr: std::ptr::null(),
            host_fns: Vec::new(),
            effects: HashMap::new(),
            state: HashMap::new(),
            rng: seed | 1,
            out: Box::new(std::io::BufWriter::new(std::io::stdout())),
            tier: None,
            hot_thresholds: (u64::MAX, u64::MAX),
            pending_error: None,
            tail_entry: 0,
            probe: None,
        };
        rt.stack_end = rt.stack.as_ptr_range().end;
        rt.prelude_ptr = rt.prelude.as_ptr();
        effects::install_defaults(&mut rt);
        rt.load_prelude();
        rt
    }

    /// Resizes the VM stack (moving it), keeping `stack_end` current.
    pub(crate) fn resize_stack(&mut self, len: usize) {
        self.stack.resize(len, Value::Nil);
        self.stack_end = self.stack.as_ptr_range().end;
    }

    fn load_prelude(&mut self) {
        let source = SourceFile::new("<prelude>", PRELUDE);
        let forms = parser::parse_program(&source).expect("prelude parses");
        let proto = compile(&source, &forms, &mut self.global_table, UnitKind::Prelude).expect("prelude compiles");
        let unit = self.load(proto);
        self.run(unit).expect("prelude runs");
        for (id, (name, kind, ..)) in BUILTINS.iter().enumerate() {
            if *kind == BuiltinKind::Prelude {
                let g = self.global_table.get(name).expect("prelude defines every prelude builtin");
                self.prelude[id] = self.globals[g as usize];
            }
        }
    }

    /// Installs a tier manager. Every function, loaded or not, reports to
    /// it once it has made `hot_calls` calls or `hot_loops` back-edges.
    pub fn install_tier(&mut self, hooks: Box<dyn TierHooks>, hot_calls: u64, hot_loops: u64) {
        // Functions must leave the old manager's code before it is freed.
        drop(self.take_tier());
        self.tier = Some(hooks);
        self.hot_thresholds = (hot_calls, hot_loops);
        for f in &self.functions {
            f.hot_calls_at.set(hot_calls);
            f.hot_loops_at.set(hot_loops);
        }
    }

    /// The installed tier manager.
    pub fn tier(&self) -> Option<&dyn TierHooks> {
        self.tier.as_deref()
    }

    pub fn tier_mut(&mut self) -> Option<&mut (dyn TierHooks + 'static)> {
        self.tier.as_deref_mut()
    }

    /// Removes and returns the tier manager. All functions go back to the
    /// interpreter first, so the manager may free its code.
    pub fn take_tier(&mut self) -> Option<Box<dyn TierHooks>> {
        // First stop compiles in flight, so nothing is published after the
        // entries are cleared.
        if let Some(t) = self.tier.as_mut() {
            t.detach();
        }
        for f in &self.functions {
            f.native.store(0, std::sync::atomic::Ordering::Release);
            f.hot_calls_at.set(u64::MAX);
            f.hot_loops_at.set(u64::MAX);
        }
        self.hot_thresholds = (u64::MAX, u64::MAX);
        self.tier.take()
    }

    /// Where `print` and `io:print` write. The default is a buffered
    /// stdout; call `flush` before exiting.
    pub fn set_output(&mut self, out: Box<dyn Write>) {
        self.out = out;
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn heap_stats(&self) -> HeapStats {
        self.heap.stats()
    }

    /// Every function loaded so far (for tier statistics and profilers).
    pub fn functions(&self) -> impl Iterator<Item = &Function> {
        self.functions.iter().map(|f| &**f)
    }

    /// Parses and compiles a whole unit. Nothing runs.
    pub fn compile(&mut self, name: &str, text: &str) -> Result<Unit, Error> {
        let source = SourceFile::new(name, text);
        self.compile_file(source)
    }

    /// Like `compile`, from raw bytes (invalid UTF-8 is an `Error::Input`).
    pub fn compile_bytes(&mut self, name: &str, bytes: Vec<u8>) -> Result<Unit, Error> {
        let source = parser::decode_source(name, bytes).map_err(Error::Input)?;
        self.compile_file(source)
    }

    fn compile_file(&mut self, source: Arc<SourceFile>) -> Result<Unit, Error> {
        let forms = parser::parse_program(&source).map_err(|e| Error::Compile {
            diag: e.diag,
            source: source.clone(),
            incomplete: e.incomplete,
        })?;
        let proto = compile(&source, &forms, &mut self.global_table, UnitKind::Program)
            .map_err(|diag| Error::Compile { diag, source: source.clone(), incomplete: false })?;
        Ok(self.load(proto))
    }

    /// Compiles and runs `text`; returns the value of its last form.
    pub fn eval(&mut self, name: &str, text: &str) -> Result<Value, Error> {
        let unit = self.compile(name, text)?;
        self.run(unit).map_err(Error::Runtime)
    }

    /// The bytecode listing of a compiled unit.
    pub fn disassemble(&self, unit: Unit) -> String {
        // SAFETY: units point at functions this runtime owns.
        unsafe { unit.0.as_ref() }.proto.disassemble()
    }

    /// The printed form of a value (as `print` shows it).
    pub fn display(&self, v: Value) -> String {
        printer::to_display(v, &self.names).unwrap_or_else(|e| format!("<{}>", e.message))
    }

    /// The value of a global, if defined.
    pub fn global(&self, name: &str) -> Option<Value> {
        let g = self.global_table.get(name)?;
        match self.globals.get(g as usize) {
            Some(Value::Undef) | None => None,
            Some(v) => Some(*v),
        }
    }

    /// Registers a host function callable as `name` with `min..=max`
    /// arguments (`max = None` for variadic). Returns an error if the name
    /// is a builtin.
    pub fn register_fn(
        &mut self,
        name: &str,
        min: u8,
        max: Option<u8>,
        f: impl Fn(&mut NativeCtx, &[Value]) -> Result<Value, String> + Send + 'static,
    ) -> Result<(), String> {
        if claudelang_frontend::builtins::lookup(name).is_some() {
            return Err(format!("cannot redefine builtin {name}"));
        }
        let id = BUILTINS.len() + self.host_fns.len();
        let id = u16::try_from(id).map_err(|_| "too many host functions".to_string())?;
        self.host_fns.push(HostEntry { f: Rc::new(f), min, max: max.unwrap_or(VARIADIC) });
        self.names.host_fns.push(name.into());
        let g = self.global_table.slot(name);
        self.ensure_globals();
        self.globals[g as usize] = Value::Builtin(id);
        Ok(())
    }

    /// Installs (or replaces) the handler of effect `name`.
    pub fn set_effect_handler(
        &mut self,
        name: &str,
        h: impl Fn(&mut effects::EffectCtx, &[Value]) -> Result<Value, Exn> + Send + 'static,
    ) {
        let id = self.names.intern(name);
        self.effects.insert(id, Rc::new(h));
    }

    /// Removes an effect: performing it becomes an `unknown effect` error.
    pub fn forbid_effect(&mut self, name: &str) {
        let id = self.names.intern(name);
        self.effects.remove(&id);
    }

    pub(crate) fn ensure_globals(&mut self) {
        if self.globals.len() < self.global_table.len() {
            self.globals.resize(self.global_table.len(), Value::Undef);
        }
        self.globals_ptr = self.globals.as_mut_ptr();
    }

    /// Turns a compiled prototype tree into runtime functions.
    fn load(&mut self, proto: Arc<Proto>) -> Unit {
        self.ensure_globals();
        Unit(self.load_function(proto))
    }

    fn load_function(&mut self, proto: Arc<Proto>) -> NonNull<Function> {
        let children: Box<[NonNull<Function>]> =
            proto.children.iter().map(|c| self.load_function(c.clone())).collect();
        let consts: Box<[Value]> = proto.consts.iter().map(|c| self.load_const(c)).collect();
        let f = Box::new(Function::new(self.functions.len() as u32, proto, consts, children, self.hot_thresholds));
        let ptr = NonNull::from(&*f);
        self.functions.push(f);
        ptr
    }

    fn load_const(&mut self, c: &Const) -> Value {
        match c {
            Const::Int(i) => Value::Int(*i),
            Const::Float(x) => Value::Float(*x),
            Const::Bool(b) => Value::Bool(*b),
            Const::Nil => Value::Nil,
            Const::Str(s) => self.heap.alloc_str(s.clone()),
            Const::Sym(s) => Value::Sym(self.names.intern(s)),
            Const::List(items) => {
                let vals: Vec<Value> = items.iter().map(|i| self.load_const(i)).collect();
                self.heap.list_from(&vals)
            }
        }
    }

    /// Runs a compiled unit to completion.
    pub fn run(&mut self, unit: Unit) -> Result<Value, RuntimeError> {
        let closure = self.heap.alloc_closure(unit.0, Box::new([]));
        self.call_value(Value::Closure(closure), &[])
    }

    /// Calls a ClaudeLang function value with arguments.
    pub fn call_value(&mut self, f: Value, args: &[Value]) -> Result<Value, RuntimeError> {
        let entry_depth = self.frames.len();
        let slot = match self.frames.last() {
            // SAFETY: frames point at live functions.
            Some(fr) => fr.base as usize + unsafe { fr.func.as_ref() }.proto.nregs as usize,
            None => 0,
        };
        let need = slot + 1 + args.len();
        if need > self.config.max_stack_slots {
            return Err(RuntimeError::new("stack overflow"));
        }
        if self.stack.len() < need {
            self.resize_stack(need.next_power_of_two());
        }
        self.stack[slot] = f;
        self.stack[slot + 1..slot + 1 + args.len()].copy_from_slice(args);
        let result = self.call_at(slot, args.len(), entry_depth);
        if result.is_err() {
            self.frames.truncate(entry_depth);
        }
        result
    }

    /// A handle through which other threads interrupt this runtime at its
    /// next safepoint (a call or loop back-edge, in any tier).
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle(self.heap.safepoint.clone())
    }

    /// Attaches a profiler probe (replacing any other).
    pub fn set_probe(&mut self, probe: Box<dyn Probe>) {
        self.probe = Some(probe);
    }

    pub fn take_probe(&mut self) -> Option<Box<dyn Probe>> {
        self.probe.take()
    }

    /// The safepoint slow path, reached when `heap.at_safepoint()`: serve
    /// the requests of other threads, then collect if a collection is due.
    #[cold]
    #[inline(never)]
    pub(crate) fn safepoint(&mut self) {
        let requests = self.heap.safepoint.take_requests(self.heap.threshold);
        if requests & REQUEST_SAMPLE != 0 {
            self.take_sample();
        }
        if self.heap.should_collect() {
            self.collect_garbage();
        }
    }

    fn take_sample(&mut self) {
        let ticks = self.heap.safepoint.take_ticks().max(1);
        let Some(probe) = self.probe.as_mut() else { return };
        let from = self.frames.len().saturating_sub(MAX_SAMPLE_DEPTH);
        let mut stack: Vec<SampleFrame<'_>> = self.frames[from..]
            .iter()
            // SAFETY: frames point at functions the runtime owns.
            .map(|fr| SampleFrame { function: unsafe { fr.func.as_ref() }, native: fr.native })
            .collect();
        // A caller waits in the interpreter for its callee to return, and
        // resumes in native code if its function has some: that is the
        // tier its activation is in.
        let n = stack.len();
        for fr in stack.iter_mut().take(n.saturating_sub(1)) {
            fr.native |= fr.function.native_entry().is_some();
        }
        probe.sample(&stack, ticks, from > 0);
    }

    /// Runs a collection now. All live values are in registers, globals,
    /// constants, effect state or the prelude table.
    pub fn collect_garbage(&mut self) -> usize {
        if let Some(p) = self.probe.as_mut() {
            p.gc_start(&self.heap.stats());
        }
        let freed = self.collect_garbage_now();
        if let Some(p) = self.probe.as_mut() {
            p.gc_end(freed, &self.heap.stats());
        }
        freed
    }

    fn collect_garbage_now(&mut self) -> usize {
        let top = match self.frames.last() {
            // SAFETY: frames point at live functions.
            Some(fr) => fr.base as usize + unsafe { fr.func.as_ref() }.proto.nregs as usize,
            None => 0,
        };
        let top = top.min(self.stack.len());
        self.heap.mark_all(&self.stack[..top]);
        self.heap.mark_all(&self.globals);
        self.heap.mark_all(&self.prelude);
        for f in &self.functions {
            self.heap.mark_all(&f.consts);
        }
        for fr in self.frames.iter() {
            self.heap.mark(Value::Closure(fr.closure));
        }
        for v in self.state.values() {
            self.heap.mark(*v);
        }
        // Stale slots above `top` may point at objects about to be freed;
        // clear them so nothing can read them later.
        let high = self.stack.len();
        for v in &mut self.stack[top..high] {
            *v = Value::Nil;
        }
        self.heap.finish_collection()
    }

    /// Checks arity for a builtin or host function id.
    #[cold]
    pub(crate) fn builtin_arity_error(&self, id: u16, nargs: usize) -> Exn {
        let (min, max) = self.builtin_arity(id);
        let expected = if max == VARIADIC {
            format!("at least {min}")
        } else if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        exn(format!(
            "wrong number of arguments: {} expects {expected}, got {nargs}",
            self.names.builtin(id)
        ))
    }

    pub(crate) fn builtin_arity(&self, id: u16) -> (u8, u8) {
        match (id as usize).checked_sub(BUILTINS.len()) {
            None => (BUILTINS[id as usize].2, BUILTINS[id as usize].3),
            Some(h) => (self.host_fns[h].min, self.host_fns[h].max),
        }
    }
}
