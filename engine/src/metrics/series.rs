//! Time series in memory: a fine ring (one point per sample, e.g. 1 s for
//! an hour) and a coarse ring of averages (e.g. 1 min for a week), so a
//! chart of any span reads a bounded number of points.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

/// A point: seconds since the epoch and a value (16 bytes with padding).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Unix time in seconds.
    pub at: i64,
    /// The value.
    pub value: f32,
}

/// How many points each ring keeps and how coarse points are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// Fine points kept (one per sample).
    pub fine: usize,
    /// Seconds one coarse point averages.
    pub coarse_step: i64,
    /// Coarse points kept.
    pub coarse: usize,
}

impl Default for Retention {
    /// An hour of 1 s samples and a week of 1 min averages.
    fn default() -> Self {
        Self { fine: 3_600, coarse_step: 60, coarse: 7 * 24 * 60 }
    }
}

/// One series.
#[derive(Clone, Debug)]
pub struct Series {
    retention: Retention,
    fine: VecDeque<Point>,
    coarse: VecDeque<Point>,
    /// The coarse bucket being filled: its start, sum and count.
    bucket: Option<(i64, f64, u32)>,
}

impl Series {
    /// An empty series.
    pub fn new(retention: Retention) -> Self {
        Self { retention, fine: VecDeque::new(), coarse: VecDeque::new(), bucket: None }
    }

    /// Adds a sample; a full bucket becomes a coarse point, returned so it
    /// can be stored.
    pub fn push(&mut self, at: DateTime<Utc>, value: f64) -> Option<Point> {
        let at = at.timestamp();
        self.fine.push_back(Point { at, value: value as f32 });
        while self.fine.len() > self.retention.fine {
            self.fine.pop_front();
        }
        let start = at - at.rem_euclid(self.retention.coarse_step);
        match &mut self.bucket {
            Some((bucket, sum, count)) if *bucket == start => {
                *sum += value;
                *count += 1;
                None
            }
            _ => {
                let closed = self.close_bucket();
                self.bucket = Some((start, value, 1));
                closed
            }
        }
    }

    fn close_bucket(&mut self) -> Option<Point> {
        let (start, sum, count) = self.bucket.take()?;
        let point = Point { at: start, value: (sum / f64::from(count)) as f32 };
        self.push_coarse(point);
        Some(point)
    }

    fn push_coarse(&mut self, point: Point) {
        self.coarse.push_back(point);
        while self.coarse.len() > self.retention.coarse {
            self.coarse.pop_front();
        }
    }

    /// Puts back coarse points stored before a restart, oldest first.
    pub fn restore(&mut self, points: impl IntoIterator<Item = Point>) {
        for point in points {
            if self.coarse.back().is_none_or(|last| last.at < point.at) {
                self.push_coarse(point);
            }
        }
    }

    /// The points since `since`: fine ones when the fine ring reaches back
    /// that far, else coarse ones (with the bucket being filled).
    pub fn since(&self, since: DateTime<Utc>) -> Vec<Point> {
        let since = since.timestamp();
        if self.fine.front().is_some_and(|p| p.at <= since) || self.coarse.is_empty() {
            return self.fine.iter().filter(|p| p.at >= since).copied().collect();
        }
        let open = self.bucket.map(|(at, sum, count)| Point { at, value: (sum / f64::from(count)) as f32 });
        self.coarse.iter().copied().chain(open).filter(|p| p.at >= since).collect()
    }

    /// The latest value.
    pub fn last(&self) -> Option<f32> {
        self.fine.back().map(|p| p.value)
    }

    /// Bytes the points of a full series take.
    pub fn full_size(retention: &Retention) -> usize {
        (retention.fine + retention.coarse) * std::mem::size_of::<Point>()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn the_fine_ring_keeps_the_newest_points() {
        let mut s = Series::new(Retention { fine: 3, coarse_step: 60, coarse: 10 });
        for i in 0..5 {
            s.push(at(i), i as f64);
        }
        let values: Vec<f32> = s.since(at(0)).iter().map(|p| p.value).collect();
        assert_eq!(values, vec![2.0, 3.0, 4.0], "beyond the fine ring: coarse plus the open bucket");
        assert_eq!(s.last(), Some(4.0));
    }

    #[test]
    fn old_spans_read_minute_averages() {
        let mut s = Series::new(Retention { fine: 60, coarse_step: 60, coarse: 100 });
        // 1800000000 is a multiple of 60: three full minutes of 0, 60 and 120.
        for i in 0..180 {
            s.push(at(i), (i / 60 * 60) as f64);
        }
        let points = s.since(at(0));
        assert_eq!(points.iter().map(|p| p.value).collect::<Vec<_>>(), vec![0.0, 60.0, 120.0]);
        assert_eq!(points[1].at, at(60).timestamp());
        // The last minute is still in the fine ring at full resolution.
        assert_eq!(s.since(at(150)).len(), 30);
    }

    #[test]
    fn a_full_series_has_a_known_size() {
        assert_eq!(Series::full_size(&Retention::default()), (3_600 + 10_080) * 16);
    }
}
