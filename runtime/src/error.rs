//! Runtime errors: `Exn` is what a builtin or slow path raises (a message
//! only); the VM turns it into a `RuntimeError` by adding the span of the
//! failing form and the ClaudeLang stack trace (LANGUAGE.md section 7).

use claudelang_frontend::diag::render_snippet;
use claudelang_frontend::source::{SourceFile, Span};
use std::fmt;
use std::sync::Arc;

/// The message a caught panic carried (`std::panic::catch_unwind`'s
/// payload), for errors that report it.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// An error raised below the VM, before it knows where it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Exn {
    pub message: String,
}

/// Builds an `Exn`; `#[cold]` keeps error formatting off the hot paths.
#[cold]
#[inline(never)]
pub fn exn(message: impl Into<String>) -> Exn {
    Exn { message: message.into() }
}

/// One line of a ClaudeLang stack trace.
#[derive(Clone, Debug)]
pub struct TraceFrame {
    /// `fib`, `<lambda>`, `<toplevel>`, or a builtin's name.
    pub function: String,
    /// `file:line:col` of the form being evaluated in that frame, if known.
    pub location: Option<String>,
    /// How many more identical frames follow this one.
    pub repeats: usize,
    pub(crate) func_id: u32,
    pub(crate) pc: u32,
}

/// A runtime error as the user sees it.
#[derive(Clone, Debug)]
pub struct RuntimeError {
    pub message: String,
    /// The failing form, if the error happened in ClaudeLang code.
    pub span: Option<(Arc<SourceFile>, Span)>,
    /// Innermost first, at most `MAX_TRACE_FRAMES`.
    pub trace: Vec<TraceFrame>,
    /// Frames below those in `trace`.
    pub trace_omitted: usize,
}

pub const MAX_TRACE_FRAMES: usize = 20;

impl RuntimeError {
    pub fn new(message: impl Into<String>) -> RuntimeError {
        RuntimeError { message: message.into(), span: None, trace: Vec::new(), trace_omitted: 0 }
    }

    /// `file:line:col` of the failing form.
    pub fn location(&self) -> Option<String> {
        self.span.as_ref().map(|(f, s)| f.location(s.start))
    }

    /// The full report: headline, source snippet, stack trace.
    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.message);
        if let Some((file, span)) = &self.span {
            render_snippet(&mut out, file, *span, None);
        }
        if !self.trace.is_empty() {
            out.push_str("stack trace (innermost first):\n");
            for f in &self.trace {
                match &f.location {
                    Some(l) => out.push_str(&format!("  at {} ({})\n", f.function, l)),
                    None => out.push_str(&format!("  at {}\n", f.function)),
                }
                if f.repeats > 0 {
                    out.push_str(&format!("  ... the frame above repeated {} more times\n", f.repeats));
                }
            }
            if self.trace_omitted > 0 {
                out.push_str(&format!("  ... {} more\n", self.trace_omitted));
            }
        }
        out
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location() {
            Some(l) => write!(f, "{l}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for RuntimeError {}
