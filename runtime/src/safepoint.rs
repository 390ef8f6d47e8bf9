//! Safepoints: the one place where running code, in any tier, stops to
//! let the runtime do something — collect garbage, take a profiler sample,
//! and (later) charge fuel or check a deadline.
//!
//! Every call and every loop back-edge already compares the heap's
//! allocated bytes with a limit (`bytes >= limit`) to see whether a
//! collection is due. Other threads that want the running code's
//! attention *lower that limit to zero*, so the existing check fails and
//! the runtime enters its slow path, where it reads what was requested.
//! This is V8's stack-guard trick (interrupt requests set the JS stack
//! limit so the next stack check fails): polling costs nothing beyond
//! the check that was there anyway, in the interpreter and in native code.
//!
//! The limit and the request bits are shared with other threads through an
//! `Arc`, so handles stay valid when the `Runtime` moves between threads.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// Request bit: take a profiler sample of the guest stack.
pub const REQUEST_SAMPLE: u32 = 1;

/// State shared between a runtime and the threads that interrupt it.
#[derive(Debug)]
pub struct Safepoint {
    /// What the safepoint check compares the heap's bytes with: the GC
    /// threshold normally, zero while a request is pending. Native code
    /// loads it directly (see `tier::SAFEPOINT_LIMIT_PTR_OFFSET`).
    pub(crate) limit: AtomicUsize,
    requests: AtomicU32,
    /// Sampler ticks since the last sample taken: the sample's weight, so
    /// time spent between polls (in a long builtin, say) is not lost.
    ticks: AtomicU32,
}

impl Safepoint {
    pub(crate) fn new(threshold: usize) -> Arc<Safepoint> {
        Arc::new(Safepoint { limit: AtomicUsize::new(threshold), requests: AtomicU32::new(0), ticks: AtomicU32::new(0) })
    }

    /// Sets the limit back to the GC threshold and returns the pending
    /// requests, clearing them.
    ///
    /// Requesters set their bit, then zero the limit; this stores the
    /// limit, then takes the bits (all `SeqCst`). Either the bits are seen
    /// here, or the requester's zero lands after our store and the next
    /// check trips again: no request is lost.
    pub(crate) fn take_requests(&self, threshold: usize) -> u32 {
        self.limit.store(threshold, SeqCst);
        self.requests.swap(0, SeqCst)
    }

    /// Re-arms the limit after a collection moved the threshold, without
    /// losing a request made meanwhile (same ordering as `take_requests`).
    pub(crate) fn rearm(&self, threshold: usize) {
        self.limit.store(threshold, SeqCst);
        if self.requests.load(SeqCst) != 0 {
            self.limit.store(0, SeqCst);
        }
    }

    pub(crate) fn take_ticks(&self) -> u32 {
        self.ticks.swap(0, SeqCst)
    }
}

/// A handle another thread uses to interrupt a runtime (`Send + Sync`).
#[derive(Clone, Debug)]
pub struct InterruptHandle(pub(crate) Arc<Safepoint>);

impl InterruptHandle {
    /// Asks the runtime to take a profiler sample at its next safepoint
    /// (call or loop back-edge); one tick of sampling weight.
    pub fn request_sample(&self) {
        self.0.ticks.fetch_add(1, SeqCst);
        self.request(REQUEST_SAMPLE);
    }

    fn request(&self, bits: u32) {
        self.0.requests.fetch_or(bits, SeqCst);
        self.0.limit.store(0, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_trips_the_check_until_taken() {
        let sp = Safepoint::new(100);
        let h = InterruptHandle(sp.clone());
        assert_eq!(sp.limit.load(SeqCst), 100);
        h.request_sample();
        h.request_sample();
        assert_eq!(sp.limit.load(SeqCst), 0, "a pending request forces the slow path");
        assert_eq!(sp.take_requests(100), REQUEST_SAMPLE);
        assert_eq!(sp.take_ticks(), 2, "both ticks weigh the one sample");
        assert_eq!(sp.limit.load(SeqCst), 100);
        assert_eq!(sp.take_requests(100), 0);
    }

    #[test]
    fn rearm_keeps_a_pending_request() {
        let sp = Safepoint::new(100);
        InterruptHandle(sp.clone()).request_sample();
        sp.rearm(200);
        assert_eq!(sp.limit.load(SeqCst), 0);
        assert_eq!(sp.take_requests(200), REQUEST_SAMPLE);
        sp.rearm(300);
        assert_eq!(sp.limit.load(SeqCst), 300);
    }

    #[test]
    fn requests_from_another_thread_are_never_lost() {
        // The runtime side polls like the interpreter does; every request
        // the other thread makes must be observed by some poll.
        let sp = Safepoint::new(usize::MAX);
        let h = InterruptHandle(sp.clone());
        let n = 20_000;
        let t = std::thread::spawn(move || {
            for _ in 0..n {
                h.request_sample();
                while h.0.ticks.load(SeqCst) != 0 {
                    std::hint::spin_loop();
                }
            }
        });
        let mut seen = 0;
        while seen < n {
            // The poll: `bytes >= limit` with no bytes allocated.
            if sp.limit.load(std::sync::atomic::Ordering::Relaxed) == 0 && sp.take_requests(usize::MAX) != 0 {
                seen += sp.take_ticks();
            }
            std::hint::spin_loop();
        }
        t.join().unwrap();
        assert_eq!(seen, n);
    }
}
