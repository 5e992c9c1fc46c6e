//! Percentiles of latency histograms and summaries of paired ratios.

use hdrhistogram::Histogram;

/// The quantiles every latency table reports, with their column names.
pub const QUANTILES: [(f64, &str); 5] =
    [(0.50, "p50"), (0.90, "p90"), (0.99, "p99"), (0.999, "p99.9"), (0.9999, "p99.99")];

/// A latency histogram in nanoseconds: 1 ns to 100 s, 3 significant digits.
///
/// # Panics
///
/// Never in practice: the bounds are valid constants.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// Records `nanos` (clamped to the histogram's range).
#[inline]
pub fn record(hist: &mut Histogram<u64>, nanos: u64) {
    hist.saturating_record(nanos.max(1));
}

/// Nanoseconds in `duration`, saturating at `u64::MAX`.
#[inline]
pub fn nanos(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The reported percentiles of `hist`, then its maximum, in nanoseconds.
pub fn percentiles(hist: &Histogram<u64>) -> Vec<u64> {
    let mut values: Vec<u64> = QUANTILES.iter().map(|&(q, _)| hist.value_at_quantile(q)).collect();
    values.push(hist.max());
    values
}

/// Column names matching [`percentiles`].
pub fn percentile_columns() -> Vec<&'static str> {
    QUANTILES.iter().map(|&(_, name)| name).chain(["max"]).collect()
}

/// Mean of the samples between quantiles `low` and `high` (a trimmed mean, e.g. 0.1 and 0.9).
///
/// A complement to the median where the clock ticks coarsely: a median is always one clock
/// value, so two medians can only differ by whole ticks, while a mean over the middle of the
/// distribution resolves fractions of a tick and ignores the outliers at both ends.
pub fn trimmed_mean(hist: &Histogram<u64>, low: f64, high: f64) -> f64 {
    let total = hist.len() as f64;
    let (from, to) = (low * total, high * total);
    let (mut seen, mut sum, mut taken) = (0.0, 0.0, 0.0);
    for step in hist.iter_recorded() {
        let count = step.count_at_value() as f64;
        let take = ((seen + count).min(to) - seen.max(from)).max(0.0);
        sum += take * step.value_iterated_to() as f64;
        taken += take;
        seen += count;
    }
    if taken > 0.0 { sum / taken } else { f64::NAN }
}

/// The percentile curve of `hist`: (quantile, nanoseconds) points dense in the tail, for plots.
pub fn curve(hist: &Histogram<u64>) -> Vec<(f64, u64)> {
    hist.iter_quantiles(4)
        .map(|step| (step.quantile_iterated_to(), step.value_iterated_to()))
        .filter(|&(q, _)| q < 1.0)
        .chain([(1.0, hist.max())])
        .collect()
}

/// Median and spread of a set of per-round values (usually ratios ours / theirs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Number of values.
    pub n: usize,
    /// Smallest value.
    pub min: f64,
    /// First quartile.
    pub p25: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub p75: f64,
    /// Largest value.
    pub max: f64,
}

impl Spread {
    /// Summarises `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| quantile_sorted(&sorted, q);
        Some(Self {
            n: sorted.len(),
            min: sorted[0],
            p25: at(0.25),
            median: at(0.5),
            p75: at(0.75),
            max: sorted[sorted.len() - 1],
        })
    }

    /// The summary's cells: median, IQR (p25–p75), min, max, rounds.
    pub fn cells(&self) -> Vec<String> {
        vec![
            format!("{:.3}", self.median),
            format!("{:.3}-{:.3}", self.p25, self.p75),
            format!("{:.3}", self.min),
            format!("{:.3}", self.max),
            self.n.to_string(),
        ]
    }

    /// Column names matching [`cells`](Self::cells).
    pub fn columns() -> [&'static str; 5] {
        ["median", "IQR", "min", "max", "rounds"]
    }
}

/// The `q` quantile of sorted, non-empty `values`, interpolating linearly between ranks.
fn quantile_sorted(values: &[f64], q: f64) -> f64 {
    let rank = q * (values.len() - 1) as f64;
    let (lower, frac) = (rank.floor(), rank.fract());
    // `rank` lies in 0..=len-1, so both indices are in bounds.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let lower = lower as usize;
    let upper = (lower + 1).min(values.len() - 1);
    values[lower] + (values[upper] - values[lower]) * frac
}

/// Per-round values of one metric for several crates, for paired ratios.
#[derive(Debug, Clone, Default)]
pub struct Paired {
    /// `(crate label, value per round)`.
    series: Vec<(&'static str, Vec<f64>)>,
}

impl Paired {
    /// Adds `value` to `label`'s series (rounds are appended in order).
    pub fn push(&mut self, label: &'static str, value: f64) {
        match self.series.iter_mut().find(|(l, _)| *l == label) {
            Some((_, values)) => values.push(value),
            None => self.series.push((label, vec![value])),
        }
    }

    /// The values of `label`, one per round.
    pub fn values(&self, label: &str) -> &[f64] {
        self.series.iter().find(|(l, _)| *l == label).map_or(&[], |(_, v)| v)
    }

    /// Median of `label`'s values.
    pub fn median(&self, label: &str) -> Option<f64> {
        Spread::of(self.values(label)).map(|s| s.median)
    }

    /// The spread of `ours[r] / theirs[r]` over the rounds both ran.
    pub fn ratio(&self, ours: &str, theirs: &str) -> Option<Spread> {
        let ratios: Vec<f64> =
            self.values(ours).iter().zip(self.values(theirs)).map(|(a, b)| a / b).collect();
        Spread::of(&ratios)
    }
}

#[cfg(test)]
mod tests {
    use super::{Paired, Spread};

    #[test]
    fn trimmed_mean_drops_the_ends() {
        let mut hist = super::histogram();
        for value in [1, 10, 10, 20, 20, 1000] {
            hist.record(value).expect("in range");
        }
        let mean = super::trimmed_mean(&hist, 1.0 / 6.0, 5.0 / 6.0);
        assert!((mean - 15.0).abs() < 1e-9, "{mean}");
    }

    #[test]
    fn spread_and_paired_ratios() {
        let spread = Spread::of(&[4.0, 1.0, 3.0, 2.0, 5.0]).expect("values");
        assert_eq!((spread.min, spread.p25, spread.median, spread.max), (1.0, 2.0, 3.0, 5.0));
        let mut paired = Paired::default();
        for (a, b) in [(1.0, 2.0), (3.0, 3.0), (2.0, 1.0)] {
            paired.push("a", a);
            paired.push("b", b);
        }
        let ratio = paired.ratio("a", "b").expect("three rounds");
        assert_eq!((ratio.n, ratio.median, ratio.max), (3, 1.0, 2.0));
        assert!(Spread::of(&[]).is_none());
    }
}
