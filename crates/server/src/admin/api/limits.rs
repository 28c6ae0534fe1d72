//! The API's rate limit and CORS. The limit is a token bucket per client
//! address holding an hour's worth of requests (`api.rate_limit`, Sirv's
//! 7000 by default), refilled continuously; every answer carries Sirv's
//! `x-ratelimit-*` headers, and a request past the limit gets 429 with
//! `Retry-After`. CORS headers go on answers to the origins in
//! `api.cors_origins`, and `OPTIONS` preflights are answered for them.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::{header, HeaderMap, HeaderValue};

/// Buckets kept at most; past it, full (idle) ones are dropped first.
const MAX_CLIENTS: usize = 10_000;
const HOUR_SECS: f64 = 3600.0;
const EXPOSED: &str = "x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, \
                       x-ratelimit-type, content-disposition";

/// What one request was told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix time at which the bucket is full again.
    pub reset: u64,
    /// Seconds until one more request is allowed (when refused).
    pub retry_after: u32,
}

impl Verdict {
    pub(crate) fn headers(&self, h: &mut HeaderMap) {
        h.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
        h.insert("x-ratelimit-type", HeaderValue::from_static("rest:global"));
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets per client address.
pub(crate) struct Limiter {
    per_hour: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Limiter {
    pub(crate) fn new(per_hour: u32) -> Limiter {
        Limiter {
            per_hour,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `who`'s bucket; `None` when the limit is off.
    pub(crate) fn take(&self, who: Option<IpAddr>, now: Instant) -> Option<Verdict> {
        self.visit(who, now, 1.0)
    }

    /// Where `who` stands, taking nothing.
    pub(crate) fn peek(&self, who: Option<IpAddr>, now: Instant) -> Option<Verdict> {
        self.visit(who, now, 0.0)
    }

    fn visit(&self, who: Option<IpAddr>, now: Instant, cost: f64) -> Option<Verdict> {
        if self.per_hour == 0 {
            return None;
        }
        let capacity = f64::from(self.per_hour);
        let rate = capacity / HOUR_SECS;
        let who = who.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&who) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate < capacity
            });
            if buckets.len() >= MAX_CLIENTS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(who).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.updated = now;
        let allowed = bucket.tokens >= cost;
        if allowed {
            bucket.tokens -= cost;
        }
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Some(Verdict {
            allowed,
            limit: self.per_hour,
            remaining: bucket.tokens.floor() as u32,
            reset: unix + ((capacity - bucket.tokens) / rate).ceil() as u64,
            retry_after: ((1.0 - bucket.tokens).max(0.0) / rate).ceil().max(1.0) as u32,
        })
    }
}

/// The origins allowed to call the API from a browser.
pub(crate) struct Cors {
    origins: Vec<String>,
}

impl Cors {
    pub(crate) fn new(origins: &[String]) -> Cors {
        Cors {
            origins: origins.to_vec(),
        }
    }

    pub(crate) fn is_on(&self) -> bool {
        !self.origins.is_empty()
    }

    /// The `Access-Control-Allow-Origin` for a request's `Origin`, if any.
    fn allow(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        if self.origins.iter().any(|o| o == "*") {
            return Some(HeaderValue::from_static("*"));
        }
        let origin = origin?;
        let text = origin.to_str().ok()?;
        self.origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(text))
            .then(|| origin.clone())
    }

    /// CORS headers on an answer.
    pub(crate) fn headers(&self, origin: Option<&HeaderValue>, h: &mut HeaderMap) {
        if !self.is_on() {
            return;
        }
        h.append(header::VARY, HeaderValue::from_static("Origin"));
        if let Some(allow) = self.allow(origin) {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED),
            );
        }
    }

    /// The headers of a preflight answer (`OPTIONS`).
    pub(crate) fn preflight(&self, req: &HeaderMap, h: &mut HeaderMap) {
        self.headers(req.get(header::ORIGIN), h);
        if h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, HEAD, POST, DELETE, OPTIONS"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type"),
            );
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(600u32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_empty_and_refill_per_client() {
        let limiter = Limiter::new(3600); // one a second
        let (a, b) = (
            Some("10.0.0.1".parse().unwrap()),
            Some("10.0.0.2".parse().unwrap()),
        );
        let t = Instant::now();
        for _ in 0..3600 {
            assert!(limiter.take(a, t).unwrap().allowed);
        }
        let refused = limiter.take(a, t).unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after, 1);
        assert!(limiter.take(b, t).unwrap().allowed);
        assert!(limiter.take(a, t + Duration::from_secs(2)).unwrap().allowed);
        assert!(Limiter::new(0).take(a, t).is_none());
    }

    #[test]
    fn only_listed_origins_get_cors_headers() {
        let cors = Cors::new(&["https://app.example".to_owned()]);
        let mut h = HeaderMap::new();
        cors.headers(
            Some(&HeaderValue::from_static("https://evil.example")),
            &mut h,
        );
        assert!(!h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
        let mut h = HeaderMap::new();
        cors.headers(
            Some(&HeaderValue::from_static("https://app.example")),
            &mut h,
        );
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.example"
        );
        let mut h = HeaderMap::new();
        Cors::new(&[]).headers(
            Some(&HeaderValue::from_static("https://app.example")),
            &mut h,
        );
        assert!(h.is_empty());
    }
}
