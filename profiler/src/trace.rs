//! `--trace-tiers=FILE.jsonl`: every tier and collection event as one
//! JSON object per line, with a monotonic timestamp in nanoseconds since
//! the run started (the tier manager's clock), the thread it happened on,
//! the function, the event kind and its figures.

use crate::guest::GcEvent;
use claudelang_tiers::{EventKind, TierEvent};
use parking_lot::Mutex;
use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A JSON-lines event log shared by the tier manager's listener (called
/// on the program thread and the compile thread) and the GC probe.
#[derive(Clone)]
pub struct JsonTrace {
    start: Instant,
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl JsonTrace {
    pub fn new(start: Instant, out: Box<dyn Write + Send>) -> JsonTrace {
        JsonTrace { start, out: Arc::new(Mutex::new(out)) }
    }

    pub fn tier_event(&self, e: &TierEvent) {
        self.write(&tier_event_json(e, &thread_name()));
    }

    pub fn gc_event(&self, e: GcEvent<'_>) {
        self.write(&gc_event_json(self.start.elapsed(), &thread_name(), e));
    }

    fn write(&self, line: &str) {
        let mut out = self.out.lock();
        let _ = writeln!(out, "{line}");
    }

    pub fn flush(&self) {
        let _ = self.out.lock().flush();
    }
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("unnamed").to_string()
}

/// One tier event as a JSON object (no trailing newline).
pub fn tier_event_json(e: &TierEvent, thread: &str) -> String {
    let mut s = format!(
        "{{\"ts_ns\":{},\"thread\":{},\"func_id\":{},\"function\":{},\"event\":",
        e.at.as_nanos(),
        quote(thread),
        e.func_id,
        quote(&e.function)
    );
    let ns = |d: &Duration| d.as_nanos();
    let _ = match &e.kind {
        EventKind::Queued { reason, calls, backedges } => {
            write!(s, "\"queued\",\"reason\":{},\"calls\":{calls},\"backedges\":{backedges}", quote(reason))
        }
        EventKind::CompileStart { queue_wait } => {
            write!(s, "\"compile-start\",\"queue_wait_ns\":{}", ns(queue_wait))
        }
        EventKind::Compiled { compile_time, queue_wait, bytes } => write!(
            s,
            "\"compile-end\",\"compile_ns\":{},\"queue_wait_ns\":{},\"code_bytes\":{bytes}",
            ns(compile_time),
            ns(queue_wait)
        ),
        EventKind::Installed => write!(s, "\"installed\""),
        EventKind::Failed { error } => write!(s, "\"compile-failed\",\"error\":{}", quote(error)),
        EventKind::Blacklisted => write!(s, "\"blacklisted\""),
        EventKind::OsrEntry { pc } => write!(s, "\"osr-entry\",\"pc\":{pc}"),
        EventKind::Deopt { pc, reason } => write!(s, "\"deopt\",\"pc\":{pc},\"reason\":\"{reason}\""),
        EventKind::Invalidated { deopts } => write!(s, "\"invalidated\",\"deopts\":{deopts}"),
    };
    s.push('}');
    s
}

/// One collection event as a JSON object.
pub fn gc_event_json(at: Duration, thread: &str, e: GcEvent<'_>) -> String {
    let head = format!("{{\"ts_ns\":{},\"thread\":{},\"event\":", at.as_nanos(), quote(thread));
    match e {
        GcEvent::Start { heap } => format!(
            "{head}\"gc-start\",\"heap_bytes\":{},\"collections\":{}}}",
            heap.live_bytes, heap.collections
        ),
        GcEvent::End { freed, heap } => format!(
            "{head}\"gc-end\",\"freed_objects\":{freed},\"heap_bytes\":{},\"live_objects\":{},\"collections\":{}}}",
            heap.live_bytes, heap.live_objects, heap.collections
        ),
    }
}

/// A JSON string literal (RFC 8259 escapes).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_what_json_requires() {
        assert_eq!(quote("a\"b\\c\n\u{1}é"), r#""a\"b\\c\n\u0001é""#);
    }

    #[test]
    fn tier_events_are_flat_objects() {
        let e = TierEvent {
            at: Duration::from_nanos(1500),
            kind: EventKind::Compiled { compile_time: Duration::from_micros(2), queue_wait: Duration::from_nanos(7), bytes: 96 },
            func_id: 4,
            function: "fib (p.cl:1)".into(),
        };
        assert_eq!(
            tier_event_json(&e, "claudelang-jit"),
            r#"{"ts_ns":1500,"thread":"claudelang-jit","func_id":4,"function":"fib (p.cl:1)","event":"compile-end","compile_ns":2000,"queue_wait_ns":7,"code_bytes":96}"#
        );
    }
}
