//! When to stop: the total deadline and the termination signals.
//!
//! Every wait in the runner (backoff between retries, the poll interval, an
//! HTTP request's own timeout) goes through [`Stop`], so SIGTERM from
//! Kubernetes or the deadline ends the run within a fraction of a second
//! instead of after the current sleep. The signal handlers only store the
//! signal number in an atomic (signal-hook's `flag` module); nothing else runs
//! in signal context.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::exit::{Error, Status};

/// How often a sleep looks at the signal flag.
const TICK: Duration = Duration::from_millis(100);

/// The deadline and the signal flag, shared by everything that waits.
#[derive(Clone, Debug)]
pub struct Stop {
    deadline: Instant,
    timeout: Duration,
    signal: Arc<AtomicUsize>,
}

impl Stop {
    /// A stop that fires `timeout` from now, or when a signal is stored in `signal`.
    pub fn new(timeout: Duration, signal: Arc<AtomicUsize>) -> Stop {
        let now = Instant::now();
        let deadline = now
            .checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
        Stop {
            deadline,
            timeout,
            signal,
        }
    }

    /// Installs SIGTERM and SIGINT handlers and returns a stop bound to them.
    pub fn with_signals(timeout: Duration) -> Result<Stop, Error> {
        let flag = Arc::new(AtomicUsize::new(0));
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            let as_usize = usize::try_from(signal).unwrap_or(0);
            signal_hook::flag::register_usize(signal, Arc::clone(&flag), as_usize).map_err(
                |e| {
                    Error::invalid(format!(
                        "cannot install the handler for signal {signal}: {e}"
                    ))
                },
            )?;
        }
        Ok(Stop::new(timeout, flag))
    }

    /// The error to end with if a signal arrived or the deadline passed.
    pub fn check(&self) -> Result<(), Error> {
        let signal = self.signal.load(Ordering::Relaxed);
        if signal != 0 {
            let signal = i32::try_from(signal).unwrap_or(15);
            let name = if signal == signal_hook::consts::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            return Err(Error::new(
                Status::Interrupted(signal),
                format!(
                    "{name} received: stopped following; what was launched keeps running in Dagster"
                ),
            ));
        }
        if Instant::now() >= self.deadline {
            return Err(Error::new(
                Status::TimedOut,
                format!(
                    "deadline of {} reached",
                    crate::settings::format_duration(self.timeout)
                ),
            ));
        }
        Ok(())
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Sleeps for `d`, waking early (with an error) on a signal or the deadline.
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
    fn deadline_and_signal_end_a_sleep_early() {
        let flag = Arc::new(AtomicUsize::new(0));
        let stop = Stop::new(Duration::from_millis(200), Arc::clone(&flag));
        let t0 = Instant::now();
        let err = stop.sleep(Duration::from_secs(10)).unwrap_err();
        assert_eq!(err.status, Status::TimedOut);
        assert!(t0.elapsed() < Duration::from_secs(2));

        let stop = Stop::new(Duration::from_secs(60), Arc::clone(&flag));
        flag.store(15, Ordering::Relaxed);
        assert_eq!(
            stop.sleep(Duration::from_secs(10)).unwrap_err().status,
            Status::Interrupted(15)
        );
    }
}
