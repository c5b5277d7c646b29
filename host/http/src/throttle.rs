//! Pacing of throttled operations: once a server answers an operation with 429 and names its
//! rate (`x-amzn-RateLimit-Limit`, requests per second), the connection keeps a token bucket
//! for that operation at that rate, so every task sharing the connection waits its turn instead
//! of hammering the server into more 429s. Operations the server never throttled are not paced.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

// Tokio's clock: the same as the system's, and the one the waits below sleep on.
use tokio::time::Instant;

use reqwest::Method;
use url::Url;

/// Path segments that name the operation; later ones are ids (`/feeds/2021-06-30/feeds/{id}`).
const OPERATION_SEGMENTS: usize = 3;
/// A bucket refills to at most this many requests (Amazon's smallest documented burst).
const BURST: f64 = 1.0;
/// No pacing interval is longer than this (a tiny advertised rate must not stall a task).
const LONGEST_INTERVAL: Duration = Duration::from_secs(60);

struct Bucket {
    /// Requests per second.
    rate: f64,
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let earned = now.duration_since(self.updated).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + earned).min(BURST);
        self.updated = now;
    }
}

/// The buckets of one connection, by operation.
#[derive(Default)]
pub struct Throttle {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Throttle {
    /// The operation a request belongs to: its method and the first path segments, with the
    /// number of further (id) segments.
    pub fn operation(method: &Method, url: &Url) -> String {
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let named = segments.len().min(OPERATION_SEGMENTS);
        let mut key = format!("{method} {}", url.origin().ascii_serialization());
        for segment in &segments[..named] {
            key.push('/');
            key.push_str(segment);
        }
        for _ in named..segments.len() {
            key.push_str("/{}");
        }
        key
    }

    /// The server throttled `operation` and named its rate: pace it from now on at that rate.
    /// A 429 that names no rate (BigCommerce's gateway, Magento's) leaves no lasting pacing:
    /// its retry waits as the answer asks (`Retry-After`, `X-Rate-Limit-Time-Reset-Ms`) or backs
    /// off, and the next requests go at full speed again (a guessed rate of one a second would
    /// hold a whole download at that pace for the rest of the task).
    pub fn throttled(&self, operation: &str, rate: Option<f64>) {
        let Some(rate) = rate else {
            return;
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("throttle lock");
        let bucket = buckets.entry(operation.to_owned()).or_insert(Bucket {
            rate,
            tokens: 0.0,
            updated: now,
        });
        bucket.rate = rate.max(1.0 / LONGEST_INTERVAL.as_secs_f64());
        bucket.tokens = 0.0;
        bucket.updated = now;
    }

    /// Waits until `operation` may be sent (at most `limit`) and takes its token.
    pub async fn wait_turn(&self, operation: &str, limit: Duration) {
        let wait = {
            let now = Instant::now();
            let mut buckets = self.buckets.lock().expect("throttle lock");
            let Some(bucket) = buckets.get_mut(operation) else {
                return;
            };
            bucket.refill(now);
            let missing = (1.0 - bucket.tokens).max(0.0);
            bucket.tokens -= 1.0;
            Duration::from_secs_f64(missing / bucket.rate)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait.min(limit).min(LONGEST_INTERVAL)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_by_their_leading_path() {
        let op = |m: Method, u: &str| Throttle::operation(&m, &Url::parse(u).unwrap());
        assert_eq!(
            op(
                Method::GET,
                "https://sp.example/feeds/2021-06-30/feeds/123?x=1"
            ),
            "GET https://sp.example/feeds/2021-06-30/feeds/{}"
        );
        assert_ne!(
            op(Method::GET, "https://sp.example/feeds/2021-06-30/feeds/1"),
            op(
                Method::GET,
                "https://sp.example/feeds/2021-06-30/documents/1"
            )
        );
        assert_ne!(
            op(Method::GET, "https://sp.example/feeds/2021-06-30/feeds"),
            op(Method::POST, "https://sp.example/feeds/2021-06-30/feeds")
        );
    }

    #[test]
    fn a_throttled_operation_is_paced_at_its_rate_and_others_are_not() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let t = Throttle::default();
            let started = Instant::now();
            t.wait_turn("GET a", Duration::from_secs(100)).await;
            assert!(
                started.elapsed() < Duration::from_millis(20),
                "never throttled"
            );
            t.throttled("GET a", Some(20.0));
            for _ in 0..4 {
                t.wait_turn("GET a", Duration::from_secs(100)).await;
            }
            t.wait_turn("GET b", Duration::from_secs(100)).await;
            let waited = started.elapsed();
            // Four turns at 20 per second, the bucket empty after the 429: about 200 ms.
            assert!(
                waited >= Duration::from_millis(190) && waited <= Duration::from_millis(600),
                "{waited:?}"
            );
        });
    }

    #[test]
    fn a_429_that_names_no_rate_leaves_no_pacing() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let t = Throttle::default();
            t.throttled("GET a", None);
            let started = Instant::now();
            for _ in 0..10 {
                t.wait_turn("GET a", Duration::from_secs(100)).await;
            }
            assert!(started.elapsed() < Duration::from_millis(50), "paced");
        });
    }
}
