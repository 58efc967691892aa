//! When to stop: a total deadline, and a flag the caller raises (the runner's
//! SIGTERM and SIGINT handlers store the signal's number in it).
//!
//! Every wait of the client (backoff between retries, an HTTP request's own
//! timeout) and of its caller (the runner's poll interval) goes through
//! [`Stop`], so a signal or the deadline ends the work within a fraction of a
//! second instead of after the current sleep. Only an atomic is shared with
//! whoever raises the flag; nothing else runs in signal context.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::error::{Error, Kind};

/// How often a sleep looks at the flag.
const TICK: Duration = Duration::from_millis(100);

/// The deadline and the stop flag, shared by everything that waits.
#[derive(Clone, Debug)]
pub struct Stop {
    deadline: Instant,
    timeout: Duration,
    flag: Arc<AtomicUsize>,
}

impl Stop {
    /// A stop that fires `timeout` from now, or as soon as a nonzero value is
    /// stored in `flag`.
    pub fn new(timeout: Duration, flag: Arc<AtomicUsize>) -> Stop {
        let now = Instant::now();
        let deadline = now
            .checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
        Stop {
            deadline,
            timeout,
            flag,
        }
    }

    /// The error to end with if the flag was raised or the deadline passed.
    pub fn check(&self) -> Result<(), Error> {
        let cause = self.flag.load(Ordering::Relaxed);
        if cause != 0 {
            return Err(Error::new(
                Kind::Stopped { cause },
                format!("stopped (cause {cause})"),
            ));
        }
        if Instant::now() >= self.deadline {
            return Err(Error::new(
                Kind::TimedOut,
                format!(
                    "deadline of {} reached",
                    crate::duration::format(self.timeout)
                ),
            ));
        }
        Ok(())
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Sleeps for `d`, waking early (with an error) when the flag is raised or
    /// the deadline passes.
    pub fn sleep(&self, d: Duration) -> Result<(), Error> {
        let end = Instant::now() + d;
        loop {
            self.check()?;
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(
                left.min(TICK)
                    .min(self.remaining().max(Duration::from_millis(1))),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_and_flag_end_a_sleep_early() {
        let flag = Arc::new(AtomicUsize::new(0));
        let stop = Stop::new(Duration::from_millis(200), Arc::clone(&flag));
        let t0 = Instant::now();
        let err = stop.sleep(Duration::from_secs(10)).unwrap_err();
        assert_eq!(err.kind(), Kind::TimedOut);
        assert!(t0.elapsed() < Duration::from_secs(2));

        let stop = Stop::new(Duration::from_secs(60), Arc::clone(&flag));
        flag.store(15, Ordering::Relaxed);
        assert_eq!(
            stop.sleep(Duration::from_secs(10)).unwrap_err().kind(),
            Kind::Stopped { cause: 15 }
        );
    }
}
