//! Amazon's usage plans, kept from a task's first request (docs/amazon.md "Rate limits"): a
//! token bucket per operation at the rate and burst Amazon documents for it, full when the task
//! starts; a request whose bucket is empty waits until a token has come instead of drawing a
//! 429. The host still paces an operation at the rate a 429 names and retries it, for the
//! requests other tasks and programs of the same seller make.

use std::collections::HashMap;
use std::time::Duration;

/// Operation, requests per second, burst: the Orders API 2026-01-01 and the Feeds API
/// 2021-06-30 usage plans as Amazon documents them.
pub const DOCUMENTED: [(&str, f64, f64); 7] = [
    ("searchOrders", 0.0056, 20.0),
    ("getOrder", 0.5, 30.0),
    ("createFeedDocument", 0.5, 15.0),
    ("createFeed", 0.0083, 15.0),
    ("getFeed", 2.0, 15.0),
    ("getFeeds", 0.0222, 10.0),
    ("getFeedDocument", 0.0222, 10.0),
];

/// What the pacer reads and waits on: the component's monotonic clock, or a test's.
pub trait Clock {
    /// Time since some fixed moment.
    fn now(&self) -> Duration;
    fn sleep(&mut self, duration: Duration);
}

/// The component's own clock (WASI's monotonic clock).
pub struct SystemClock {
    start: std::time::Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: std::time::Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

struct Bucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    updated: Duration,
}

/// The buckets of one task, by operation.
pub struct Pacer {
    clock: Box<dyn Clock>,
    buckets: HashMap<&'static str, Bucket>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::with_clock(Box::new(SystemClock::default()))
    }
}

impl Pacer {
    /// Every documented operation's bucket full, on `clock`.
    pub fn with_clock(clock: Box<dyn Clock>) -> Self {
        let now = clock.now();
        let buckets = DOCUMENTED
            .iter()
            .map(|&(operation, per_second, burst)| {
                (
                    operation,
                    Bucket {
                        per_second,
                        burst,
                        tokens: burst,
                        updated: now,
                    },
                )
            })
            .collect();
        Pacer { clock, buckets }
    }

    /// Takes a token of `operation`'s bucket, first waiting for one if it is empty; answers how
    /// long it waited. An operation without a documented plan is not paced.
    pub fn take(&mut self, operation: &str) -> Duration {
        let now = self.clock.now();
        let Some(bucket) = self.buckets.get_mut(operation) else {
            return Duration::ZERO;
        };
        let earned = now.saturating_sub(bucket.updated).as_secs_f64() * bucket.per_second;
        bucket.tokens = (bucket.tokens + earned).min(bucket.burst);
        bucket.updated = now;
        let missing = 1.0 - bucket.tokens;
        if missing <= 0.0 {
            bucket.tokens -= 1.0;
            return Duration::ZERO;
        }
        let wait = Duration::from_secs_f64(missing / bucket.per_second);
        // The token that comes during the wait is spent on this request.
        bucket.tokens = 0.0;
        bucket.updated = now + wait;
        self.clock.sleep(wait);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A clock that only moves when slept on.
    struct TestClock(Arc<Mutex<Duration>>);

    impl Clock for TestClock {
        fn now(&self) -> Duration {
            *self.0.lock().unwrap()
        }
        fn sleep(&mut self, duration: Duration) {
            *self.0.lock().unwrap() += duration;
        }
    }

    #[test]
    fn the_documented_burst_goes_at_once_then_requests_wait_for_the_documented_rate() {
        let time = Arc::new(Mutex::new(Duration::ZERO));
        let mut pacer = Pacer::with_clock(Box::new(TestClock(time.clone())));
        for _ in 0..20 {
            assert_eq!(pacer.take("searchOrders"), Duration::ZERO);
        }
        // The 21st waits one interval of 0.0056 requests a second (about three minutes), the
        // 22nd another.
        let interval = 1.0 / 0.0056;
        let first = pacer.take("searchOrders").as_secs_f64();
        assert!((first - interval).abs() < 0.01, "{first}");
        let second = pacer.take("searchOrders").as_secs_f64();
        assert!((second - interval).abs() < 0.01, "{second}");
        // Other operations keep their own buckets; undocumented ones are not paced.
        assert_eq!(pacer.take("getFeed"), Duration::ZERO);
        assert_eq!(pacer.take("the processing report download"), Duration::ZERO);
        // Time passing refills a bucket, never past its burst.
        *time.lock().unwrap() += Duration::from_secs(100_000);
        for _ in 0..20 {
            assert_eq!(pacer.take("searchOrders"), Duration::ZERO);
        }
        assert!(pacer.take("searchOrders") > Duration::ZERO);
    }
}
