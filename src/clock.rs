//! The one source of business time. Tests set and advance it; signature
//! tolerances use the wall clock instead.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// Seconds since 1970 on the wall clock: webhook signatures are checked
/// against real time whatever the business clock says.
pub fn wall_unix() -> i64 {
    Utc::now().timestamp()
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        crate::store::truncate_micros(Utc::now())
    }
}

/// A clock that stands still until told to move.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn at(t: DateTime<Utc>) -> TestClock {
        TestClock(Arc::new(Mutex::new(crate::store::truncate_micros(t))))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = crate::store::truncate_micros(t);
        }
    }

    pub fn advance(&self, d: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += d;
        }
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|g| *g).unwrap_or_else(|p| *p.into_inner())
    }
}

pub type SharedClock = Arc<dyn Clock>;
