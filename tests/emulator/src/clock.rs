//! The emulator's own clock: real UTC time plus an adjustable offset, so
//! tests can jump days ahead (expiry, the 7-day rule, late content, token
//! expiry) without waiting.

use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

#[derive(Debug, Default)]
pub struct Clock {
    offset_nanos: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::nanoseconds(self.offset_nanos.load(Ordering::SeqCst))
    }

    pub fn offset(&self) -> Duration {
        Duration::nanoseconds(self.offset_nanos.load(Ordering::SeqCst))
    }

    pub fn advance(&self, by: Duration) {
        let nanos = i64::try_from(by.whole_nanoseconds()).unwrap_or(i64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::SeqCst);
    }

    pub fn set(&self, to: OffsetDateTime) {
        let offset = to - OffsetDateTime::now_utc();
        let nanos = i64::try_from(offset.whole_nanoseconds()).unwrap_or(i64::MAX);
        self.offset_nanos.store(nanos, Ordering::SeqCst);
    }
}
