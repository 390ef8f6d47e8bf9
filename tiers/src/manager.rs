//! The tier manager: the runtime's `TierHooks`. It keeps each function's
//! tier state, applies the policy when the interpreter reports a hot
//! function, feeds the compile thread, and records every tier event with a
//! timestamp for `--trace-tiers` and `--tier-stats`.

use crate::compiler::{CompileThread, Done, Job};
use crate::config::TierConfig;
use claudelang_frontend::bytecode::Op;
use crate::policy::{after_deopt, after_failure, decide, queue_full, speculate, Action, TierDecision, TierState};
use claudelang_runtime::function::Function;
use claudelang_runtime::tier::{Hot, TierHooks};
use claudelang_runtime::Runtime;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One tier event, as traced and recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct TierEvent {
    /// Since the manager started (program start, for the CLI).
    pub at: Duration,
    pub kind: EventKind,
    pub func_id: u32,
    /// `name (file:line)`.
    pub function: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    Queued { reason: &'static str, calls: u64, backedges: u64 },
    /// The compile thread took the job off the queue.
    CompileStart { queue_wait: Duration },
    Compiled { compile_time: Duration, queue_wait: Duration, bytes: u32 },
    Installed,
    Failed { error: String },
    Blacklisted,
    OsrEntry { pc: u32 },
    /// `reason`: `type-guard` (operand types), or `callee-guard` (a call
    /// site that had only called closures met a builtin).
    Deopt { pc: u32, reason: &'static str },
    /// Code thrown away after too many deopts; recompiles when hot again.
    Invalidated { deopts: u64 },
}

impl TierEvent {
    /// The `--trace-tiers` line: greppable, one per event, stable fields.
    pub fn trace_line(&self) -> String {
        let t = self.at.as_secs_f64() * 1e3;
        let ms = |d: &Duration| d.as_secs_f64() * 1e3;
        let what = match &self.kind {
            EventKind::Queued { reason, calls, backedges } => {
                format!("queued      {} reason={reason} calls={calls} backedges={backedges}", self.function)
            }
            EventKind::CompileStart { queue_wait } => {
                format!("compiling   {} wait={:.3}ms", self.function, ms(queue_wait))
            }
            EventKind::Compiled { compile_time, queue_wait, bytes } => format!(
                "compiled    {} compile={:.3}ms wait={:.3}ms bytes={bytes}",
                self.function,
                ms(compile_time),
                ms(queue_wait)
            ),
            EventKind::Installed => format!("installed   {}", self.function),
            EventKind::Failed { error } => format!("failed      {} error={error:?}", self.function),
            EventKind::Blacklisted => format!("blacklisted {}", self.function),
            EventKind::OsrEntry { pc } => format!("osr-entry   {} @pc={pc}", self.function),
            EventKind::Deopt { pc, reason } => format!("deopt       {} @pc={pc} reason={reason}", self.function),
            EventKind::Invalidated { deopts } => format!("invalidated {} deopts={deopts}", self.function),
        };
        format!("[tier] {t:>10.3}ms {what}")
    }
}

/// Everything the manager knows about one function.
#[derive(Clone, Debug)]
pub struct FuncRecord {
    pub state: TierState,
    pub function: String,
    pub queued_at: Option<Duration>,
    pub installed_at: Option<Duration>,
    /// Of the last finished compile.
    pub queue_wait: Duration,
    /// Of the last finished compile.
    pub compile_time: Duration,
    /// Finished compiles, failed ones included, and their total time.
    pub compiles: u32,
    pub failed_compiles: u32,
    pub total_compile_time: Duration,
    /// Failed compiles in a row (0 once one succeeds).
    pub failures: u32,
    pub code_bytes: u32,
    /// Deopts since the current code was installed.
    pub deopts_since_install: u64,
    /// Times the function was recompiled after deopts.
    pub recompiles: u32,
    func: FuncPtr,
}

/// The function itself. Functions live as long as their runtime, which
/// owns this manager, and the pointer is only used on the thread running
/// that runtime (the manager moves with it, hence `Send`).
#[derive(Clone, Copy, Debug)]
struct FuncPtr(*const Function);
// SAFETY: see above.
unsafe impl Send for FuncPtr {}

/// Called with each event as it happens, on the thread where it happened
/// (the program's, or the compile thread for compile results).
pub type Listener = Box<dyn FnMut(&TierEvent) + Send>;

struct Shared {
    start: Instant,
    trace: Option<Box<dyn Write + Send>>,
    listeners: Vec<Listener>,
    events: Vec<TierEvent>,
}

impl Shared {
    fn record(&mut self, e: TierEvent) {
        if let Some(out) = self.trace.as_mut() {
            let _ = writeln!(out, "{}", e.trace_line());
            let _ = out.flush();
        }
        for l in &mut self.listeners {
            l(&e);
        }
        self.events.push(e);
    }
}

pub struct TierManager {
    config: TierConfig,
    records: HashMap<u32, FuncRecord>,
    shared: Arc<Mutex<Shared>>,
    thread: CompileThread,
}

/// Sets when the interpreter next reports `func` hot, as `decision` says.
fn apply(func: &Function, decision: TierDecision) {
    let after = |n: u64| (func.calls.get().saturating_add(n), func.backedges.get().saturating_add(n));
    let (calls, loops) = match decision.action {
        Action::Stop => (u64::MAX, u64::MAX),
        Action::Wait(n) => after(n),
        // Again at the next call or back-edge.
        Action::Compile | Action::Invalidate => after(1),
    };
    func.hot_calls_at.set(calls);
    func.hot_loops_at.set(loops);
}

fn describe(f: &Function) -> String {
    format!("{} ({})", f.name(), f.location())
}

impl TierManager {
    /// Starts a manager (and its compile thread). `trace` receives one
    /// line per tier event as it happens.
    pub fn new(config: TierConfig, trace: Option<Box<dyn Write + Send>>) -> Result<TierManager, String> {
        TierManager::with_clock(config, trace, Instant::now())
    }

    /// Like `new`, with event times measured from `start` (so that they
    /// share a clock with other traces of the same run).
    pub fn with_clock(config: TierConfig, trace: Option<Box<dyn Write + Send>>, start: Instant) -> Result<TierManager, String> {
        let shared = Arc::new(Mutex::new(Shared { start, trace, listeners: Vec::new(), events: Vec::new() }));
        let for_thread = shared.clone();
        let on_done = Box::new(move |job: &Job, done: &Done| {
            let mut s = for_thread.lock();
            let at = done.finished_at - s.start;
            let function = job.symbol.clone();
            match &done.result {
                Ok(code) => {
                    let kind = EventKind::Compiled { compile_time: done.compile_time, queue_wait: done.queue_wait, bytes: code.bytes };
                    s.record(TierEvent { at, kind, func_id: job.func_id, function: function.clone() });
                    s.record(TierEvent { at, kind: EventKind::Installed, func_id: job.func_id, function });
                }
                Err(error) => {
                    s.record(TierEvent { at, kind: EventKind::Failed { error: error.clone() }, func_id: job.func_id, function })
                }
            }
        });
        let for_start = shared.clone();
        let on_start = Box::new(move |job: &Job, queue_wait: Duration| {
            let mut s = for_start.lock();
            let at = s.start.elapsed();
            s.record(TierEvent { at, kind: EventKind::CompileStart { queue_wait }, func_id: job.func_id, function: job.symbol.clone() });
        });
        let thread = CompileThread::start(config.queue_capacity, config.perf_map, on_start, on_done)?;
        Ok(TierManager { config, records: HashMap::new(), shared, thread })
    }

    /// Installs a new manager into `rt` with `config`'s thresholds.
    pub fn install(rt: &mut Runtime, config: TierConfig, trace: Option<Box<dyn Write + Send>>) -> Result<(), String> {
        if !config.enabled {
            return Ok(());
        }
        let (calls, loops) = (config.hot_calls, config.hot_loops);
        let m = TierManager::new(config, trace)?;
        rt.install_tier(Box::new(m), calls, loops);
        Ok(())
    }

    pub fn config(&self) -> &TierConfig {
        &self.config
    }

    /// What event times are measured from.
    pub fn start(&self) -> Instant {
        self.shared.lock().start
    }

    /// Adds a listener for the events that happen from now on.
    pub fn add_listener(&self, l: Listener) {
        self.shared.lock().listeners.push(l);
    }

    /// Stops compiling: queued jobs are dropped, the one in progress is
    /// finished. Code already installed keeps running. For end-of-run
    /// reports, so that they and the trace agree.
    pub fn shutdown(&mut self) {
        self.thread.stop();
        self.drain_done();
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<TierEvent> {
        self.shared.lock().events.clone()
    }

    /// Per-function records, with finished compiles folded in.
    pub fn records(&mut self) -> &HashMap<u32, FuncRecord> {
        self.drain_done();
        &self.records
    }

    /// Applies the compile thread's results to the records.
    fn drain_done(&mut self) {
        let start = self.shared.lock().start;
        while let Ok(done) = self.thread.done.try_recv() {
            let Some(r) = self.records.get_mut(&done.func_id) else { continue };
            r.queue_wait = done.queue_wait;
            r.compile_time = done.compile_time;
            r.compiles += 1;
            r.total_compile_time += done.compile_time;
            // SAFETY: see `FuncRecord::func`.
            let f = unsafe { &*r.func.0 };
            match &done.result {
                Ok(code) => {
                    r.state = TierState::Compiled;
                    r.failures = 0;
                    r.deopts_since_install = 0;
                    r.code_bytes = code.bytes;
                    r.installed_at = Some(done.finished_at - start);
                    // Native code counts calls without comparing: nothing
                    // to decide while it is installed.
                    apply(f, decide(r.state, &self.config));
                }
                Err(_) => {
                    r.failures += 1;
                    r.failed_compiles += 1;
                    let (state, decision) = after_failure(r.failures, &self.config);
                    r.state = state;
                    apply(f, decision);
                    if state == TierState::Blacklisted {
                        self.event(f, EventKind::Blacklisted);
                    }
                }
            }
        }
    }

    fn now(&self) -> Duration {
        self.shared.lock().start.elapsed()
    }

    fn event(&self, func: &Function, kind: EventKind) {
        let at = self.now();
        self.shared.lock().record(TierEvent { at, kind, func_id: func.id, function: describe(func) });
    }
}

impl TierHooks for TierManager {
    fn on_hot(&mut self, func: &Function, why: Hot) {
        self.drain_done();
        let record = self.records.entry(func.id).or_insert_with(|| FuncRecord {
            state: TierState::Interpreted,
            function: describe(func),
            queued_at: None,
            installed_at: None,
            queue_wait: Duration::ZERO,
            compile_time: Duration::ZERO,
            compiles: 0,
            failed_compiles: 0,
            total_compile_time: Duration::ZERO,
            failures: 0,
            code_bytes: 0,
            deopts_since_install: 0,
            recompiles: 0,
            func: FuncPtr(func as *const Function),
        });
        let was_failed = matches!(record.state, TierState::Failed { .. });
        let decision = decide(record.state, &self.config);
        match decision.action {
            Action::Stop | Action::Wait(_) | Action::Invalidate => apply(func, decision),
            Action::Compile => {
                let symbol = describe(func);
                let (waiter, wait) = if self.config.synchronous {
                    let (tx, rx) = crossbeam_channel::bounded(1);
                    (Some(tx), Some(rx))
                } else {
                    (None, None)
                };
                let job = Job {
                    func_id: func.id,
                    symbol,
                    proto: func.proto.clone(),
                    consts: func.consts.as_ptr() as usize,
                    slot: func.native.clone(),
                    feedback: func.feedback.iter().map(|c| c.get()).collect(),
                    feedback_cells: func.feedback.as_ptr() as usize,
                    speculate: speculate(record.recompiles, &self.config),
                    inject_failure: record.compiles < self.config.fail_compiles,
                    queued_at: Instant::now(),
                    waiter,
                };
                let reason = if was_failed {
                    decision.reason
                } else {
                    match why {
                        Hot::Calls => "hot calls",
                        Hot::Loop { .. } => "hot loop",
                    }
                };
                let queued = EventKind::Queued { reason, calls: func.calls.get(), backedges: func.backedges.get() };
                let submitted = if self.config.synchronous {
                    self.event(func, queued);
                    self.thread.submit(job);
                    true
                } else {
                    // Hold the trace lock across the hand-off so the compile
                    // thread cannot log `compiled` before this `queued`.
                    let at = self.now();
                    let mut shared = self.shared.lock();
                    let ok = self.thread.try_submit(job).is_ok();
                    if ok {
                        shared.record(TierEvent { at, kind: queued, func_id: func.id, function: describe(func) });
                    }
                    ok
                };
                let record = self.records.get_mut(&func.id).unwrap();
                if submitted {
                    record.state = TierState::Queued;
                    if record.queued_at.is_none() {
                        record.queued_at = Some(self.shared.lock().start.elapsed());
                    }
                    apply(func, decide(TierState::Queued, &self.config));
                    if let Some(rx) = wait {
                        let _ = rx.recv();
                        self.drain_done();
                    }
                } else {
                    apply(func, queue_full(&self.config));
                }
            }
        }
    }

    fn on_osr_entry(&mut self, func: &Function, pc: u32) {
        self.event(func, EventKind::OsrEntry { pc });
    }

    fn detach(&mut self) {
        self.shutdown();
    }

    fn on_deopt(&mut self, func: &Function, pc: u32) {
        self.drain_done();
        let reason = match func.proto.code.get(pc as usize) {
            Some(Op::Call { .. } | Op::TailCall { .. }) => "callee-guard",
            _ => "type-guard",
        };
        self.event(func, EventKind::Deopt { pc, reason });
        let Some(r) = self.records.get_mut(&func.id) else { return };
        r.deopts_since_install += 1;
        let decision = match after_deopt(r.deopts_since_install, &self.config) {
            Some(d) if r.state == TierState::Compiled => d,
            _ => return,
        };
        // Drop the code; compile again on the next call or back-edge.
        let deopts = r.deopts_since_install;
        r.deopts_since_install = 0;
        r.recompiles += 1;
        r.state = TierState::Interpreted;
        func.native.store(0, std::sync::atomic::Ordering::Release);
        apply(func, decision);
        self.event(func, EventKind::Invalidated { deopts });
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}
