//! Fixed-window request limits, per client address and per tenant, kept in
//! memory on each node. The client address is the peer's, or, when the peer
//! is a configured proxy, the last address in `X-Forwarded-For` that is not
//! itself a proxy.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};

/// How many requests a key may make per window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub requests: u32,
    pub window_s: i64,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

/// Keys kept before old windows are swept, so memory stays bounded.
const MAX_KEYS: usize = 100_000;

impl RateLimiter {
    /// Counts one request for `key`; `false` when it is over the limit.
    pub fn allow(&self, key: &str, limit: Limit, now: DateTime<Utc>) -> bool {
        let window = now.timestamp().div_euclid(limit.window_s.max(1));
        let Ok(mut map) = self.windows.lock() else { return false };
        if map.len() >= MAX_KEYS {
            map.retain(|_, (w, _)| *w >= window);
        }
        let entry = map.entry(key.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit.requests {
            return false;
        }
        entry.1 += 1;
        true
    }
}

/// The client's address as far as we can trust it.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded.into_iter().rev().find(|ip| !trusted_proxies.contains(ip)).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn limits_reset_with_the_window() {
        let rl = RateLimiter::default();
        let l = Limit { requests: 2, window_s: 60 };
        let t = DateTime::from_timestamp(600, 0).unwrap();
        assert!(rl.allow("a", l, t) && rl.allow("a", l, t));
        assert!(!rl.allow("a", l, t));
        assert!(rl.allow("b", l, t));
        assert!(rl.allow("a", l, t + chrono::Duration::seconds(60)));
    }

    #[test]
    fn forwarded_for_is_trusted_only_from_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 198.51.100.7, 10.0.0.1"));
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_ip(stranger, &h, &[proxy]), stranger);
        assert_eq!(client_ip(proxy, &h, &[proxy]), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
