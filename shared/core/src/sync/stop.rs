//! When a run stops taking new blobs: near the invocation's deadline, after the longest run
//! allowed, or as soon as another run has taken the lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::settings::Settings;

/// Why a run stops taking new blobs. Blobs already started finish; the rest are deferred.
pub(super) struct StopSignal {
    stop_at: Option<Instant>,
    lock_lost: AtomicBool,
}

impl StopSignal {
    /// The signal for a run that started at `started`; `deadline` is when the function will be
    /// stopped, if known.
    pub(super) fn for_run(
        started: Instant,
        deadline: Option<Instant>,
        settings: &Settings,
    ) -> StopSignal {
        let deadline = usable_deadline(started, deadline);
        StopSignal {
            stop_at: stop_at(
                started,
                deadline,
                settings.deadline_margin,
                settings.max_run,
            ),
            lock_lost: AtomicBool::new(false),
        }
    }

    pub(super) fn stop_requested(&self) -> bool {
        self.lock_lost.load(Ordering::Relaxed)
            || self.stop_at.is_some_and(|at| Instant::now() >= at)
    }

    pub(super) fn lock_lost(&self) {
        self.lock_lost.store(true, Ordering::Relaxed);
    }
}

/// Lambda always gives a deadline ahead; local runtime emulators sometimes give one already
/// past, which would stop the run before it starts.
fn usable_deadline(started: Instant, deadline: Option<Instant>) -> Option<Instant> {
    deadline.filter(|d| {
        let ahead = *d > started;
        if !ahead {
            tracing::warn!("the invocation's deadline is already past; running without one");
        }
        ahead
    })
}

/// The earlier of the deadline less its margin and the end of the longest run allowed.
fn stop_at(
    started: Instant,
    deadline: Option<Instant>,
    margin: Duration,
    max_run: Option<Duration>,
) -> Option<Instant> {
    [
        // The margin leaves time to record what is done; a short invocation keeps at least
        // three quarters of its time for work.
        deadline.map(|d| {
            let left = d.saturating_duration_since(started);
            d - margin.min(left / 4)
        }),
        max_run.map(|max| started + max),
    ]
    .into_iter()
    .flatten()
    .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_margin_is_kept_before_the_deadline() {
        let start = Instant::now();
        let deadline = start + 15 * MINUTE;
        assert_eq!(
            stop_at(start, Some(deadline), MINUTE, None),
            Some(deadline - MINUTE)
        );
    }

    #[test]
    fn a_short_invocation_keeps_three_quarters_for_work() {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(100);
        assert_eq!(
            stop_at(start, Some(deadline), MINUTE, None),
            Some(start + Duration::from_secs(75))
        );
    }

    #[test]
    fn the_earlier_limit_wins() {
        let start = Instant::now();
        let deadline = start + 15 * MINUTE;
        assert_eq!(
            stop_at(start, Some(deadline), MINUTE, Some(5 * MINUTE)),
            Some(start + 5 * MINUTE)
        );
        assert_eq!(
            stop_at(start, None, MINUTE, Some(MINUTE)),
            Some(start + MINUTE)
        );
        assert_eq!(stop_at(start, None, MINUTE, None), None);
    }

    #[test]
    fn a_past_deadline_is_ignored() {
        let start = Instant::now() + MINUTE;
        assert_eq!(usable_deadline(start, Some(start)), None);
        assert_eq!(usable_deadline(start, Some(start - MINUTE)), None);
        assert_eq!(
            usable_deadline(start, Some(start + MINUTE)),
            Some(start + MINUTE)
        );
    }

    #[test]
    fn losing_the_lock_stops_at_once() {
        let settings = Settings::from_lookup(|_| None).unwrap();
        let stop = StopSignal::for_run(Instant::now(), None, &settings);
        assert!(!stop.stop_requested());
        stop.lock_lost();
        assert!(stop.stop_requested());
    }
}
