//! The tiering policy: given a function's state and what just happened to
//! it (it went hot, a compile failed, its code deoptimized, the queue was
//! full), decide what to do. Small, pure and separate from the mechanism
//! (the V8 `TieringManager` / HotSpot `CompilationPolicy` shape): every
//! decision is one `TierDecision` value with its reason, which the manager
//! carries out.

use crate::config::TierConfig;

/// Where a function stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierState {
    Interpreted,
    Queued,
    Compiled,
    /// The last `failures` compiles in a row failed; retried once the
    /// backoff `after_failure` chose has passed.
    Failed { failures: u32 },
    /// Never again.
    Blacklisted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Queue a compile job.
    Compile,
    /// Ask again after this many more calls / back-edges.
    Wait(u64),
    /// Nothing to do, and do not ask again.
    Stop,
    /// Throw the installed code away; compile again when hot.
    Invalidate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierDecision {
    pub action: Action,
    pub reason: &'static str,
}

fn d(action: Action, reason: &'static str) -> TierDecision {
    TierDecision { action, reason }
}

/// What to do with a function the interpreter reports hot (its call or
/// back-edge count reached the threshold the last decision set).
pub fn decide(state: TierState, config: &TierConfig) -> TierDecision {
    if !config.enabled {
        return d(Action::Stop, "native tier disabled");
    }
    match state {
        TierState::Interpreted => d(Action::Compile, "hot"),
        // Check in now and then while the compile thread works, so that
        // its result (a failure to back off from, say) is taken in even
        // when nothing else reports to the manager.
        TierState::Queued => d(Action::Wait(config.retry_backoff), "compile in progress"),
        TierState::Compiled => d(Action::Stop, "already compiled"),
        TierState::Blacklisted => d(Action::Stop, "blacklisted"),
        // The backoff has passed: the threshold was set to its end.
        TierState::Failed { .. } => d(Action::Compile, "retry after backoff"),
    }
}

/// The state after the `failures`-th failed compile in a row, and what to
/// do: back off exponentially, then give up.
pub fn after_failure(failures: u32, config: &TierConfig) -> (TierState, TierDecision) {
    if failures >= config.max_failures {
        (TierState::Blacklisted, d(Action::Stop, "too many failed compiles"))
    } else {
        let backoff = config.retry_backoff.saturating_mul(1 << (failures.max(1) - 1).min(20));
        (TierState::Failed { failures }, d(Action::Wait(backoff), "backing off"))
    }
}

/// The compile queue was full: the program goes on; ask again later.
pub fn queue_full(config: &TierConfig) -> TierDecision {
    d(Action::Wait(config.retry_backoff), "compile queue full")
}

/// After a deopt of installed code, `deopts` since it was installed:
/// keep it, or throw it away once its speculation keeps failing (the
/// interpreter has recorded the types it saw meanwhile, so the next
/// compile does not speculate on them).
pub fn after_deopt(deopts: u64, config: &TierConfig) -> Option<TierDecision> {
    (deopts >= config.max_deopts).then(|| d(Action::Invalidate, "speculation keeps failing"))
}

/// Whether a compile may speculate on type feedback, after `recompiles`
/// invalidations: not once they have happened `max_recompiles` times.
pub fn speculate(recompiles: u32, config: &TierConfig) -> bool {
    recompiles < config.max_recompiles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreted_hot_functions_compile() {
        let c = TierConfig::auto();
        assert_eq!(decide(TierState::Interpreted, &c).action, Action::Compile);
        assert_eq!(decide(TierState::Queued, &c).action, Action::Wait(c.retry_backoff));
        assert_eq!(decide(TierState::Compiled, &c).action, Action::Stop);
        assert_eq!(decide(TierState::Blacklisted, &c).action, Action::Stop);
    }

    #[test]
    fn off_never_compiles() {
        assert_eq!(decide(TierState::Interpreted, &TierConfig::off()).action, Action::Stop);
    }

    #[test]
    fn failures_back_off_exponentially_then_blacklist() {
        let c = TierConfig { retry_backoff: 100, max_failures: 4, ..TierConfig::auto() };
        let waits: Vec<_> = (1..4).map(|n| after_failure(n, &c)).collect();
        assert_eq!(waits[0], (TierState::Failed { failures: 1 }, d(Action::Wait(100), "backing off")));
        assert_eq!(waits[1].1.action, Action::Wait(200));
        assert_eq!(waits[2].1.action, Action::Wait(400));
        assert_eq!(decide(waits[2].0, &c).action, Action::Compile);
        let (last, then) = after_failure(4, &c);
        assert_eq!(last, TierState::Blacklisted);
        assert_eq!(then.action, Action::Stop);
        assert_eq!(decide(last, &c).action, Action::Stop);
    }

    #[test]
    fn deopts_invalidate_and_recompiles_stop_speculating() {
        let c = TierConfig { max_deopts: 3, max_recompiles: 2, ..TierConfig::auto() };
        assert_eq!(after_deopt(2, &c), None);
        assert_eq!(after_deopt(3, &c).map(|d| d.action), Some(Action::Invalidate));
        assert!(speculate(1, &c) && !speculate(2, &c));
        assert_eq!(queue_full(&c).action, Action::Wait(c.retry_backoff));
    }

    #[test]
    fn presets_by_name() {
        assert!(TierConfig::preset("eager").unwrap().synchronous);
        assert!(!TierConfig::preset("off").unwrap().enabled);
        assert!(TierConfig::preset("stress").unwrap().hot_calls <= 2);
        assert!(TierConfig::preset("fast").is_none());
    }
}
