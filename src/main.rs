//! The `claudelang` command: run, eval, repl and disasm.
//!
//! Exit status: 0 success, 1 runtime error, 2 syntax or compile error,
//! 64 usage error (sysexits' EX_USAGE). Program output goes to stdout
//! (buffered, flushed before any error report and at exit); diagnostics go
//! to stderr.

use clap::{Parser, Subcommand};
use claudelang_runtime::{Error, Runtime, Value};
use profiling::{ProfileArgs, TierArgs};
use std::io::Write;

mod profiling;
mod warmup;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "claudelang", version, about = "ClaudeLang: a tiered JIT runtime for a small Lisp")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a program file; prints only what the program prints.
    Run {
        /// The `.cl` file to run.
        file: String,
        #[command(flatten)]
        tiers: TierArgs,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Evaluate an expression and print its value.
    Eval {
        /// Source text, e.g. '(+ 1 2)'.
        expr: String,
    },
    /// Study JIT warm-up: run the program's `main` N times in each of P
    /// fresh processes, classify each run (flat, warmup, slowdown, no
    /// steady state) and plot it.
    Warmup(warmup::WarmupArgs),
    /// Interactive read-eval-print loop.
    Repl,
    /// Print the bytecode of a file, with source lines.
    Disasm {
        file: String,
    },
}

const EXIT_RUNTIME: u8 = 1;
const EXIT_COMPILE: u8 = 2;
const EXIT_USAGE: u8 = 64;

/// Deep but legal inputs (nested forms up to the parser's limit, deeply
/// nested data being printed) recurse in the compiler and printer; give
/// them room rather than rely on the platform's main-thread stack.
const WORKER_STACK: usize = 256 << 20;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let worker = std::thread::Builder::new().name("main".into()).stack_size(WORKER_STACK).spawn(move || run_command(cli.command));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!("error: internal error (the runtime panicked); please report this with the program that caused it");
            ExitCode::from(70)
        }
    }
}

fn run_command(cmd: Command) -> u8 {
    match cmd {
        Command::Run { file, tiers, profile } => run_file(&file, &tiers, &profile),
        Command::Eval { expr } => eval_expr(&expr),
        Command::Warmup(args) => match warmup::run(&args) {
            Ok(()) => 0,
            Err((code, msg)) => {
                // Rendered diagnostics come with their own `error:` line.
                let msg = if msg.starts_with("error") { msg } else { format!("error: {msg}") };
                eprint!("{}", if msg.ends_with('\n') { msg } else { format!("{msg}\n") });
                code
            }
        },
        Command::Repl => repl(),
        Command::Disasm { file } => disasm(&file),
    }
}

fn read_file(path: &str) -> Result<Vec<u8>, u8> {
    std::fs::read(path).map_err(|e| {
        eprintln!("error: cannot read {path}: {e}");
        EXIT_USAGE
    })
}

fn exit_code(e: &Error) -> u8 {
    if e.is_runtime() {
        EXIT_RUNTIME
    } else {
        EXIT_COMPILE
    }
}

fn report(rt: &mut Runtime, e: &Error) -> u8 {
    let _ = rt.flush();
    let _ = std::io::stdout().flush();
    eprint!("{}", e.render());
    exit_code(e)
}

fn run_file(path: &str, tiers: &TierArgs, profile: &ProfileArgs) -> u8 {
    let bytes = match read_file(path) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let mut rt = Runtime::new();
    let session = match profiling::attach(&mut rt, tiers, profile) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let unit = match rt.compile_bytes(path, bytes) {
        Ok(u) => u,
        Err(e) => return report(&mut rt, &e),
    };
    let mut code = match rt.run(unit) {
        Ok(_) => flush_or_fail(&mut rt),
        Err(e) => report(&mut rt, &Error::Runtime(e)),
    };
    match session.finish(&mut rt) {
        Ok(Some(stats)) => eprint!("{stats}"),
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: {e}");
            if code == 0 {
                code = EXIT_RUNTIME;
            }
        }
    }
    code
}

fn flush_or_fail(rt: &mut Runtime) -> u8 {
    match rt.flush() {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            EXIT_RUNTIME
        }
    }
}

fn eval_expr(src: &str) -> u8 {
    let mut rt = Runtime::new();
    match rt.eval("<eval>", src) {
        Ok(v) => {
            let shown = rt.display(v);
            let _ = rt.flush();
            println!("{shown}");
            0
        }
        Err(e) => report(&mut rt, &e),
    }
}

fn disasm(path: &str) -> u8 {
    let bytes = match read_file(path) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let mut rt = Runtime::new();
    match rt.compile_bytes(path, bytes) {
        Ok(unit) => {
            print!("{}", rt.disassemble(unit));
            0
        }
        Err(e) => report(&mut rt, &e),
    }
}

fn repl() -> u8 {
    use rustyline::error::ReadlineError;
    let mut rt = Runtime::new();
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return EXIT_RUNTIME;
        }
    };
    let history = std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".claudelang_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("ClaudeLang {} — Ctrl-D to exit", env!("CARGO_PKG_VERSION"));
    let mut buffer = String::new();
    let mut n = 0;
    loop {
        let prompt = if buffer.is_empty() { "> " } else { ". " };
        match editor.readline(prompt) {
            Ok(line) => {
                buffer.push_str(&line);
                buffer.push('\n');
                n += 1;
                match rt.eval(&format!("<repl:{n}>"), &buffer) {
                    Err(Error::Compile { incomplete: true, .. }) => continue,
                    Ok(v) => {
                        let _ = rt.flush();
                        if !matches!(v, Value::Nil) {
                            println!("{}", rt.display(v));
                        }
                    }
                    Err(e) => {
                        report(&mut rt, &e);
                    }
                }
                let _ = editor.add_history_entry(buffer.trim_end());
                buffer.clear();
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    0
}
