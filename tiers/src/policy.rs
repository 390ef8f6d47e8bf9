//! The tiering policy: given a function's state and why it is hot, decide
//! what to do. Small and separate from the mechanism (the V8
//! `TieringManager` / HotSpot `CompilationPolicy` shape): one entry point,
//! one decision value with its reason.

use crate::config::TierConfig;

/// Where a function stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierState {
    Interpreted,
    Queued,
    Compiled,
    /// Compilation failed `failures` times; retry once calls reach `retry_at`.
    Failed { failures: u32, retry_at: u64 },
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierDecision {
    pub action: Action,
    pub reason: &'static str,
}

/// The policy. `count` is the function's current call or back-edge count.
pub fn decide(state: TierState, count: u64, config: &TierConfig) -> TierDecision {
    let d = |action, reason| TierDecision { action, reason };
    if !config.enabled {
        return d(Action::Stop, "native tier disabled");
    }
    match state {
        TierState::Interpreted => d(Action::Compile, "hot"),
        TierState::Queued => d(Action::Stop, "already queued"),
        TierState::Compiled => d(Action::Stop, "already compiled"),
        TierState::Blacklisted => d(Action::Stop, "blacklisted"),
        TierState::Failed { failures, .. } if failures >= config.max_failures => {
            d(Action::Stop, "too many failed compiles")
        }
        TierState::Failed { retry_at, .. } if count < retry_at => d(Action::Wait(retry_at - count), "backing off"),
        TierState::Failed { .. } => d(Action::Compile, "retry after backoff"),
    }
}

/// The state after a failed compile: back off exponentially, then give up.
pub fn after_failure(state: TierState, count: u64, config: &TierConfig) -> TierState {
    let failures = match state {
        TierState::Failed { failures, .. } => failures + 1,
        _ => 1,
    };
    if failures >= config.max_failures {
        TierState::Blacklisted
    } else {
        let backoff = config.retry_backoff.saturating_mul(1 << (failures - 1).min(20));
        TierState::Failed { failures, retry_at: count.saturating_add(backoff) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreted_hot_functions_compile() {
        let c = TierConfig::auto();
        assert_eq!(decide(TierState::Interpreted, 1000, &c).action, Action::Compile);
        assert_eq!(decide(TierState::Queued, 5000, &c).action, Action::Stop);
        assert_eq!(decide(TierState::Compiled, 5000, &c).action, Action::Stop);
    }

    #[test]
    fn off_never_compiles() {
        assert_eq!(decide(TierState::Interpreted, 1 << 40, &TierConfig::off()).action, Action::Stop);
    }

    #[test]
    fn failures_back_off_exponentially_then_blacklist() {
        let c = TierConfig { retry_backoff: 100, max_failures: 3, ..TierConfig::auto() };
        let s1 = after_failure(TierState::Queued, 1000, &c);
        assert_eq!(s1, TierState::Failed { failures: 1, retry_at: 1100 });
        assert_eq!(decide(s1, 1050, &c).action, Action::Wait(50));
        assert_eq!(decide(s1, 1100, &c).action, Action::Compile);
        let s2 = after_failure(s1, 1100, &c);
        assert_eq!(s2, TierState::Failed { failures: 2, retry_at: 1300 });
        let s3 = after_failure(s2, 1300, &c);
        assert_eq!(s3, TierState::Blacklisted);
        assert_eq!(decide(s3, 1 << 30, &c).action, Action::Stop);
    }

    #[test]
    fn presets_by_name() {
        assert!(TierConfig::preset("eager").unwrap().synchronous);
        assert!(!TierConfig::preset("off").unwrap().enabled);
        assert!(TierConfig::preset("stress").unwrap().hot_calls <= 2);
        assert!(TierConfig::preset("fast").is_none());
    }
}
