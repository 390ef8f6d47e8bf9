//! The compile thread: owns a `JITModule` for its whole life, takes jobs
//! from a bounded queue, and publishes entry points with a Release store
//! into each function's native slot. The program never waits for it
//! (except in the `eager` preset, which asks to).
//!
//! A compile that fails — or panics inside Cranelift — is reported and
//! leaves the function interpreted; it can never change a result.

use crate::codemodel::build_isa;
use crate::perfmap::PerfMap;
use crate::unwind::Registrations;
use cranelift_codegen::isa::unwind::UnwindInfo;
use crate::translate::{entry_signature, translate, Speculation, Stubs};
use claudelang_frontend::bytecode::Proto;
use cranelift_codegen::ir::{AbiParam, InstBuilder, Signature, UserFuncName};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_codegen::Context;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use target_lexicon::Triple;

/// One function to compile.
pub struct Job {
    pub func_id: u32,
    pub symbol: String,
    pub proto: Arc<Proto>,
    /// Address of the function's loaded constants (stable for its life).
    pub consts: usize,
    /// Where to publish the entry point.
    pub slot: Arc<AtomicUsize>,
    /// The function's type feedback when it was queued.
    pub feedback: Vec<u16>,
    /// Address of the function's live feedback cells (`Function::feedback`),
    /// which native code updates when a loop guard fails.
    pub feedback_cells: usize,
    /// Whether to speculate on it (off after repeated deopts).
    pub speculate: bool,
    /// Fail without compiling (`TierConfig::fail_compiles`).
    pub inject_failure: bool,
    pub queued_at: Instant,
    /// Signalled when the job is finished (synchronous compiles).
    pub waiter: Option<Sender<()>>,
}

/// What became of a job.
#[derive(Clone, Debug)]
pub struct Done {
    pub func_id: u32,
    pub result: Result<CodeInfo, String>,
    pub queue_wait: Duration,
    pub compile_time: Duration,
    pub finished_at: Instant,
}

#[derive(Clone, Copy, Debug)]
pub struct CodeInfo {
    pub address: usize,
    pub bytes: u32,
}

/// Compiles one prototype in `module`; returns its finalized code and,
/// where the ISA describes it, its unwind information.
#[allow(clippy::too_many_arguments)] // Independent inputs, from a job or a cross-check.
pub fn compile_into(
    module: &mut JITModule,
    ctx: &mut Context,
    proto: &Proto,
    consts: usize,
    spec: &Speculation,
    stubs: &Stubs,
    symbol: &str,
    index: u32,
) -> Result<(CodeInfo, Option<UnwindInfo>), String> {
    let ptr = module.target_config().pointer_type();
    let call_conv = module.isa().default_call_conv();
    module.clear_context(ctx);
    ctx.func.signature = entry_signature(call_conv, ptr);
    ctx.func.name = UserFuncName::user(0, index);
    translate(&mut ctx.func, proto, consts as u64, spec, stubs, module.target_config(), call_conv);
    define(module, ctx, symbol)
}

/// Compiles the function in `ctx` as `symbol`, finalizes it and returns
/// where its code is, with its unwind information where the ISA has some.
fn define(module: &mut JITModule, ctx: &mut Context, symbol: &str) -> Result<(CodeInfo, Option<UnwindInfo>), String> {
    let id = module
        .declare_function(symbol, Linkage::Local, &ctx.func.signature)
        .map_err(|e| e.to_string())?;
    let dump = std::env::var_os("CLAUDELANG_JIT_DUMP").is_some();
    if dump {
        ctx.set_disasm(true);
    }
    module.define_function(id, ctx).map_err(|e| format!("{e:?}"))?;
    let bytes = ctx.compiled_code().map(|c| c.code_info().total_size).unwrap_or(0);
    let unwind = ctx.compiled_code().and_then(|c| c.create_unwind_info(module.isa()).ok().flatten());
    if dump {
        // A debugging aid: CLAUDELANG_JIT_DUMP=1 prints each function's
        // machine code as it is compiled, then its Cranelift IR after
        // optimization (what instruction selection saw).
        if let Some(text) = ctx.compiled_code().and_then(|c| c.vcode.as_ref()) {
            eprintln!("=== {symbol} ({bytes} bytes)\n{text}");
            eprintln!("{}", ctx.func.display());
        }
    }
    module.clear_context(ctx);
    module.finalize_definitions().map_err(|e| e.to_string())?;
    Ok((CodeInfo { address: module.get_finalized_function(id) as usize, bytes }, unwind))
}

/// Compiles the stubs into `module` (see `Stubs`). Function index 0 is
/// theirs.
pub fn compile_stubs(module: &mut JITModule, ctx: &mut Context) -> Result<(Stubs, CodeInfo, Option<UnwindInfo>), String> {
    let ptr = module.target_config().pointer_type();
    module.clear_context(ctx);
    // The safepoint stub: `preserve_all` for its callers (native loops
    // call it from their back-edge slow path and keep every register), a
    // plain C call of `rt_safepoint` inside.
    let mut sig = Signature::new(CallConv::PreserveAll);
    sig.params.push(AbiParam::new(ptr));
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, 0);
    let mut c_sig = Signature::new(module.isa().default_call_conv());
    c_sig.params.push(AbiParam::new(ptr));
    {
        let mut fbc = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let rt = b.block_params(entry)[0];
        let c_sig = b.import_signature(c_sig);
        let f = b.ins().iconst(ptr, claudelang_runtime::tier::rt_safepoint as *const () as usize as i64);
        b.ins().call_indirect(c_sig, f, &[rt]);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(module.target_config());
    }
    let (code, unwind) = define(module, ctx, "claudelang_safepoint_stub")?;
    Ok((Stubs { safepoint: code.address }, code, unwind))
}

/// A JIT module for `triple` with the project's code model.
pub fn new_module(triple: &Triple, verify: bool) -> Result<JITModule, String> {
    let isa = build_isa(triple, verify)?;
    Ok(JITModule::new(JITBuilder::with_isa(isa, default_libcall_names())))
}

/// Called on the compile thread after each job.
pub type OnDone = Box<dyn Fn(&Job, &Done) + Send>;
/// Called on the compile thread when it takes a job, with its queue wait.
pub type OnStart = Box<dyn Fn(&Job, Duration) + Send>;

/// The running compile thread of one runtime.
pub struct CompileThread {
    jobs: Option<Sender<Job>>,
    /// Set to skip queued jobs when shutting down.
    cancel: Arc<std::sync::atomic::AtomicBool>,
    pub done: Receiver<Done>,
    handle: Option<std::thread::JoinHandle<(JITModule, Registrations)>>,
    /// The module and its unwind registrations, once the thread stopped.
    stopped: Option<(JITModule, Registrations)>,
}

impl CompileThread {
    /// Starts the thread. `on_start` and `on_done` run on the compile
    /// thread as each job starts and ends (for tier traces that must appear
    /// as events happen). With `perf_map`, compiled code is listed in
    /// `/tmp/perf-<pid>.map`.
    pub fn start(capacity: usize, perf_map: bool, on_start: OnStart, on_done: OnDone) -> Result<CompileThread, String> {
        // Build the module here so a broken backend is reported up front.
        let mut module = new_module(&Triple::host(), crate::codemodel::verify_ir())?;
        let mut stub_ctx = module.make_context();
        let stubs = compile_stubs(&mut module, &mut stub_ctx)?;
        let (job_tx, job_rx) = crossbeam_channel::bounded::<Job>(capacity.max(1));
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cancelled = cancel.clone();
        let handle = std::thread::Builder::new()
            .name("claudelang-jit".into())
            .spawn(move || {
                let mut ctx = module.make_context();
                let mut index = 0;
                let mut unwind = Registrations::default();
                let mut perf = if perf_map { PerfMap::open().ok() } else { None };
                let (stubs, stub_code, stub_unwind) = stubs;
                unwind.register(module.isa(), stub_unwind.as_ref(), stub_code.address);
                if let Some(p) = perf.as_mut() {
                    p.add(stub_code.address, stub_code.bytes, "claudelang safepoint stub [jit]");
                }
                for job in job_rx {
                    if cancelled.load(Ordering::Relaxed) {
                        continue;
                    }
                    let start = Instant::now();
                    on_start(&job, start - job.queued_at);
                    index += 1;
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        if job.inject_failure {
                            return Err("injected failure (--fail-compiles)".to_string());
                        }
                        let spec = Speculation {
                            feedback: &job.feedback,
                            feedback_cells: job.feedback_cells,
                            enabled: job.speculate,
                        };
                        // Recompiles of one function need distinct symbols.
                        let symbol = format!("{}#{index}", job.symbol);
                        compile_into(&mut module, &mut ctx, &job.proto, job.consts, &spec, &stubs, &symbol, index)
                    }))
                    .map(|r| {
                        r.map(|(code, info)| {
                            // Before the code can run: profilers may sample
                            // it from its first instruction.
                            unwind.register(module.isa(), info.as_ref(), code.address);
                            if let Some(p) = perf.as_mut() {
                                p.add(code.address, code.bytes, &format!("{} [jit]", job.symbol));
                            }
                            code
                        })
                    })
                    .unwrap_or_else(|p| {
                        ctx = module.make_context();
                        Err(format!("code generator panicked: {}", claudelang_runtime::error::panic_message(&*p)))
                    });
                    let done = Done {
                        func_id: job.func_id,
                        result,
                        queue_wait: start - job.queued_at,
                        compile_time: start.elapsed(),
                        finished_at: Instant::now(),
                    };
                    // Trace first, then publish: no `osr-entry` line can
                    // precede the `installed` line it depends on.
                    on_done(&job, &done);
                    if let Ok(code) = &done.result {
                        job.slot.store(code.address, Ordering::Release);
                    }
                    let _ = done_tx.send(done);
                    if let Some(w) = &job.waiter {
                        let _ = w.send(());
                    }
                }
                // Hand the module (and the code in it) back to the owner,
                // which frees it once the runtime can no longer run it.
                (module, unwind)
            })
            .map_err(|e| format!("cannot start the compile thread: {e}"))?;
        Ok(CompileThread { jobs: Some(job_tx), cancel, done: done_rx, handle: Some(handle), stopped: None })
    }

    /// Queues a job without blocking; gives it back if the queue is full
    /// or the thread was stopped.
    pub fn try_submit(&self, job: Job) -> Result<(), Job> {
        let Some(jobs) = self.jobs.as_ref() else { return Err(job) };
        jobs.try_send(job).map_err(|e| e.into_inner())
    }

    /// Queues a job, waiting for room.
    pub fn submit(&self, job: Job) {
        if let Some(jobs) = self.jobs.as_ref() {
            let _ = jobs.send(job);
        }
    }

    /// Stops taking jobs, drops the queued ones, and waits for the one in
    /// progress. Installed code stays valid until the thread is dropped.
    pub fn stop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.jobs = None;
        if let Some(h) = self.handle.take() {
            self.stopped = h.join().ok();
        }
    }
}

impl Drop for CompileThread {
    /// Runs when the runtime that owns the tier manager is dropped (or the
    /// manager was taken out with `Runtime::take_tier`, which first sends
    /// every function back to the interpreter): no code from the module can
    /// run any more, so its memory is freed.
    fn drop(&mut self) {
        self.stop();
        if let Some((module, mut unwind)) = self.stopped.take() {
            unwind.deregister_all();
            // SAFETY: see above.
            unsafe { module.free_memory() };
        }
    }
}

/// Compiles `protos` (and their nested functions) for `triple` into a
/// `JITModule` built with that target's ISA and takes them through
/// `finalize_definitions`, applying relocations — without ever running
/// the code. This is how the aarch64 backend is proven on x86_64 hosts.
/// Returns the total code size in bytes.
pub fn cross_compile(triple: &Triple, protos: &[Arc<Proto>]) -> Result<u64, String> {
    let mut module = new_module(triple, true)?;
    let mut ctx = module.make_context();
    let (stubs, stub_code, _) = compile_stubs(&mut module, &mut ctx)?;
    let mut total = stub_code.bytes as u64;
    // Never called here: relocation only.
    let mut index = 0;
    let mut stack: Vec<Arc<Proto>> = protos.to_vec();
    while let Some(p) = stack.pop() {
        stack.extend(p.children.iter().cloned());
        index += 1;
        // A dummy constants address: the code is relocated, never run.
        let symbol = format!("f{index}");
        // Functions take turns at the three ways code is generated, so that
        // all of them are cross-checked: speculating on ints (no feedback:
        // int-only guards, register loops), speculating with every site
        // having seen floats (the inline float paths), and not speculating
        // (what a function recompiled too often gets).
        use claudelang_runtime::tier::FEEDBACK_FLOAT;
        let (seen, enabled) = [(0, true), (FEEDBACK_FLOAT, true), (0, false)][index as usize % 3];
        let feedback = vec![seen; p.code.len()];
        let spec = Speculation { feedback: &feedback, feedback_cells: 0x2000, enabled };
        let (code, _) = compile_into(&mut module, &mut ctx, &p, 0x1000, &spec, &stubs, &symbol, index)?;
        total += code.bytes as u64;
    }
    // The module's memory is dropped with it (leaked on purpose by
    // cranelift-jit); free it explicitly since no code from it can run.
    // SAFETY: nothing was executed or kept from this module.
    unsafe { module.free_memory() };
    Ok(total)
}
