//! Time for the ledger: record timestamps, default dates, fail-file error dates.
//!
//! Sage keeps local wall-clock times without offset, so does this ledger (docs/zynk-reference.md §6.17: the cursor in
//! the workflow file has no offset either). Stamps are strictly increasing even if the clock
//! stalls or goes back (daylight saving): export cursors compare with `>` and must never miss a
//! change made in the same microsecond as the previous one.

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Local, NaiveDateTime, SubsecRound};

/// A source of the current local date and time.
pub trait Clock: Send {
    fn now(&self) -> NaiveDateTime;
}

/// The machine's local time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        Local::now().naive_local()
    }
}

/// A clock that moves only when told to: deterministic tests and replays.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<NaiveDateTime>>,
}

impl ManualClock {
    pub fn new(start: NaiveDateTime) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn set(&self, value: NaiveDateTime) {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = value;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Hands out record timestamps: microsecond precision, strictly increasing.
pub(crate) struct Stamper {
    clock: Box<dyn Clock>,
    last: Cell<NaiveDateTime>,
}

impl Stamper {
    pub(crate) fn new(clock: Box<dyn Clock>, last: NaiveDateTime) -> Self {
        Stamper {
            clock,
            last: Cell::new(last),
        }
    }

    /// A stamp later than every stamp handed out before.
    pub(crate) fn next(&self) -> NaiveDateTime {
        let now = self.clock.now().trunc_subsecs(6);
        let floor = self.last.get() + Duration::microseconds(1);
        let stamp = now.max(floor);
        self.last.set(stamp);
        stamp
    }

    /// The current time, never earlier than the last stamp (does not consume a stamp).
    pub(crate) fn current(&self) -> NaiveDateTime {
        self.clock.now().trunc_subsecs(6).max(self.last.get())
    }

    pub(crate) fn set_clock(&mut self, clock: Box<dyn Clock>) {
        self.clock = clock;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn stamps_increase_even_when_the_clock_goes_back() {
        let start = NaiveDate::from_ymd_opt(2024, 10, 27)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        let clock = ManualClock::new(start);
        let stamper = Stamper::new(Box::new(clock.clone()), start - Duration::days(1));
        let first = stamper.next();
        let second = stamper.next();
        assert!(
            second > first,
            "same clock reading still gives a later stamp"
        );
        clock.advance(Duration::hours(-1));
        let third = stamper.next();
        assert!(third > second);
        assert_eq!(stamper.current(), third);
    }
}
