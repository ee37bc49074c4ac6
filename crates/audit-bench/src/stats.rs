//! Percentiles of per-call latencies.

/// Summary of a latency sample, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest sample.
    pub max: u64,
    /// Arithmetic mean.
    pub mean: f64,
}

impl Percentiles {
    /// Summarises `samples` (nanoseconds), using the nearest-rank percentile. Returns `None`
    /// for an empty sample.
    pub fn from_samples(mut samples: Vec<u64>) -> Option<Percentiles> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let sum: u128 = samples.iter().map(|&s| u128::from(s)).sum();
        Some(Percentiles {
            count: samples.len(),
            p50: nearest_rank(&samples, 500),
            p99: nearest_rank(&samples, 990),
            p999: nearest_rank(&samples, 999),
            max: samples[samples.len() - 1],
            mean: sum as f64 / samples.len() as f64,
        })
    }
}

/// Returns the smallest sample such that at least `per_mille` ‰ of the sorted samples are at or
/// below it. Integer arithmetic keeps ranks exact (0.999 × 1000 is not exactly 999 in floating point).
fn nearest_rank(sorted: &[u64], per_mille: usize) -> u64 {
    let rank = (per_mille * sorted.len()).div_ceil(1000);
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_one_to_thousand() {
        let summary = Percentiles::from_samples((1..=1000).rev().collect()).unwrap();
        assert_eq!(summary.count, 1000);
        assert_eq!(summary.p50, 500);
        assert_eq!(summary.p99, 990);
        assert_eq!(summary.p999, 999);
        assert_eq!(summary.max, 1000);
        assert_eq!(summary.mean, 500.5);
    }

    #[test]
    fn percentiles_of_single_sample() {
        let summary = Percentiles::from_samples(vec![7]).unwrap();
        assert_eq!(summary.p50, 7);
        assert_eq!(summary.p999, 7);
    }

    #[test]
    fn percentiles_of_empty_sample() {
        assert_eq!(Percentiles::from_samples(Vec::new()), None);
    }
}
