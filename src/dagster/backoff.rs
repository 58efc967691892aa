//! Capped exponential backoff with full jitter, for retrying transient errors.
//!
//! Jitter keeps many runner pods that lost Dagster at the same moment from
//! coming back in lockstep. The randomness only spreads retries, so a small
//! xorshift seeded from the clock and the process id is enough; no `rand`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Delays of `base * 2^n`, capped, each drawn uniformly from its upper half.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    state: u64,
}

impl Backoff {
    /// Starts at `base` and never waits longer than `cap`.
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let seed = (nanos as u64) ^ (u64::from(std::process::id()) << 32) | 1;
        Backoff {
            base,
            cap,
            attempt: 0,
            state: seed,
        }
    }

    /// The next delay to wait before retrying.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX));
        self.attempt = self.attempt.saturating_add(1);
        let ceiling = exp.min(self.cap);
        // Between half the ceiling and the ceiling: never zero, still spread.
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        half + Duration::from_millis(self.random() % spread)
    }

    fn random(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_stays_under_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(50) && delays[0] <= Duration::from_millis(100));
        assert!(delays[3] >= Duration::from_millis(400));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        assert!(delays[11] >= Duration::from_secs(1));
    }
}
