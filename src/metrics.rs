//! Prometheus text metrics, kept in process: request counts by route and
//! status, and request durations as a histogram.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000];

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    durations: Mutex<BTreeMap<String, Histogram>>,
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_us: u64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: std::time::Duration) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut d) = self.durations.lock() {
            let h = d.entry(route.to_string()).or_default();
            let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
            for (i, b) in BUCKETS_MS.iter().enumerate() {
                if ms <= *b {
                    h.buckets[i] += 1;
                }
            }
            h.count += 1;
            h.sum_us = h.sum_us.saturating_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
        }
    }

    /// The exposition text, with gauges the caller adds (pool sizes).
    pub fn render(&self, gauges: &[(&str, &str, i64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP tameio_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE tameio_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "tameio_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP tameio_http_request_duration_seconds HTTP request durations by route.\n");
        out.push_str("# TYPE tameio_http_request_duration_seconds histogram\n");
        if let Ok(d) = self.durations.lock() {
            for (route, h) in d.iter() {
                for (i, b) in BUCKETS_MS.iter().enumerate() {
                    let le = format!("{}.{:03}", b / 1000, b % 1000);
                    let _ = writeln!(
                        out,
                        "tameio_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {}",
                        h.buckets[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "tameio_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "tameio_http_request_duration_seconds_sum{{route=\"{route}\"}} {}.{:06}",
                    h.sum_us / 1_000_000,
                    h.sum_us % 1_000_000
                );
                let _ = writeln!(out, "tameio_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
            }
        }
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}
