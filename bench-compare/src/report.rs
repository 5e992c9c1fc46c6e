//! Latency results across interleaved rounds: one histogram per crate and round, folded into
//! totals (for percentiles and curves) and per-round percentiles (for paired ratios).

use hdrhistogram::Histogram;

use crate::stats::{Paired, curve, histogram, percentile_columns, percentiles, trimmed_mean};
use crate::table::Table;
use crate::transport::Impl;

/// The per-round figures that are paired into ratios: three percentiles, and the mean of the
/// middle 80 % of samples (`mean10-90`), which resolves differences finer than a clock tick.
const RATIO_METRICS: [(&str, Metric); 4] =
    [("p50", p50), ("p99", p99), ("p99.9", p999), ("mean10-90", mean_10_90)];

/// The per-round figures of [`RATIO_METRICS`] also divided by the one-line floor's
/// ([`crate::floor`]).
const FLOOR_METRICS: [&str; 2] = ["p50", "mean10-90"];

/// A figure computed from one round's histogram.
type Metric = fn(&Histogram<u64>) -> f64;

fn p50(hist: &Histogram<u64>) -> f64 {
    hist.value_at_quantile(0.5) as f64
}

fn p99(hist: &Histogram<u64>) -> f64 {
    hist.value_at_quantile(0.99) as f64
}

fn p999(hist: &Histogram<u64>) -> f64 {
    hist.value_at_quantile(0.999) as f64
}

fn mean_10_90(hist: &Histogram<u64>) -> f64 {
    trimmed_mean(hist, 0.1, 0.9)
}

/// Latency tables shared by the round-trip benches; `name` prefixes the CSV files.
#[derive(Debug)]
pub struct LatencyTables {
    /// Percentiles per configuration and crate.
    pub latency: Table,
    /// Paired ratios ours / theirs per configuration and quantile.
    pub ratios: Table,
    /// Percentile curves, for plots.
    pub curves: Table,
    /// Paired ratios of every contender to the one-line floor, when the floor ran.
    pub floor: Table,
}

impl LatencyTables {
    /// Empty tables, saved as `<name>_latency.csv`, `<name>_ratio.csv` and `<name>_curve.csv`.
    pub fn new(name: &str, what: &str) -> Self {
        let mut latency_columns = vec!["transport", "size", "impl", "samples"];
        latency_columns.extend(percentile_columns());
        Self {
            latency: Table::new(
                &format!("{name}_latency"),
                &format!("{what}: percentiles in ns over all rounds"),
                &latency_columns,
            ),
            ratios: Table::spreads(
                &format!("{name}_ratio"),
                &format!("{what}: paired ratio ours / theirs per round (below 1: ours faster)"),
                &["transport", "size", "metric", "ours_vs"],
            ),
            curves: Table::new(
                &format!("{name}_curve"),
                &format!("{what}: percentile curves (ns)"),
                &["transport", "size", "impl", "quantile", "ns"],
            ),
            floor: Table::spreads(
                &format!("{name}_floor"),
                &format!(
                    "{what}: paired ratio impl / {} per round (how many one-line round trips)",
                    Impl::FloorOneLine.label()
                ),
                &["transport", "size", "metric", "impl"],
            ),
        }
    }

    /// Prints and saves the tables (the curves only to their file: they are long).
    pub fn emit(&self) {
        self.latency.emit();
        self.ratios.emit();
        if !self.floor.is_empty() {
            self.floor.emit();
        }
        self.curves.save();
    }
}

/// The rounds of one configuration (transport and payload size).
#[derive(Debug)]
pub struct LatencyRounds {
    transport: String,
    size: usize,
    totals: Vec<(Impl, Histogram<u64>)>,
    per_round: Vec<Paired>,
}

impl LatencyRounds {
    /// No rounds yet.
    pub fn new(transport: &str, size: usize) -> Self {
        Self {
            transport: transport.to_owned(),
            size,
            totals: Vec::new(),
            per_round: RATIO_METRICS.iter().map(|_| Paired::default()).collect(),
        }
    }

    /// Adds one crate's histogram of one round.
    ///
    /// # Panics
    ///
    /// Never in practice: histograms share their bounds, so adding cannot fail.
    pub fn add(&mut self, imp: Impl, hist: &Histogram<u64>) {
        for ((_, metric), paired) in RATIO_METRICS.iter().zip(&mut self.per_round) {
            paired.push(imp.label(), metric(hist));
        }
        match self.totals.iter_mut().find(|(i, _)| *i == imp) {
            Some((_, total)) => total.add(hist).expect("same bounds"),
            None => {
                let mut total = histogram();
                total.add(hist).expect("same bounds");
                self.totals.push((imp, total));
            }
        }
    }

    /// One crate's total histogram.
    pub fn total(&self, imp: Impl) -> Option<&Histogram<u64>> {
        self.totals.iter().find(|(i, _)| *i == imp).map(|(_, h)| h)
    }

    /// Adds this configuration's rows to `tables`.
    pub fn write(&self, tables: &mut LatencyTables) {
        let key = [self.transport.clone(), self.size.to_string()];
        for (imp, total) in &self.totals {
            let mut row = key.to_vec();
            row.extend([imp.label().to_owned(), total.len().to_string()]);
            row.extend(percentiles(total).iter().map(ToString::to_string));
            tables.latency.row(row);
            for (q, ns) in curve(total) {
                let mut row = key.to_vec();
                row.extend([imp.label().to_owned(), format!("{q:.7}"), ns.to_string()]);
                tables.curves.row(row);
            }
        }
        for ((metric, _), paired) in RATIO_METRICS.iter().zip(&self.per_round) {
            let theirs = self.totals.iter().filter(|(i, _)| *i != Impl::Ours && !i.is_floor());
            for (theirs, _) in theirs {
                if let Some(spread) = paired.ratio(Impl::Ours.label(), theirs.label()) {
                    let mut row = key.to_vec();
                    row.extend([(*metric).to_owned(), theirs.label().to_owned()]);
                    row.extend(spread.cells());
                    tables.ratios.row(row);
                }
            }
        }
        let floor = Impl::FloorOneLine.label();
        let per_metric = RATIO_METRICS.iter().zip(&self.per_round);
        for ((metric, _), paired) in per_metric.filter(|((m, _), _)| FLOOR_METRICS.contains(m)) {
            for (imp, _) in self.totals.iter().filter(|(i, _)| *i != Impl::FloorOneLine) {
                if let Some(spread) = paired.ratio(imp.label(), floor) {
                    let mut row = key.to_vec();
                    row.extend([(*metric).to_owned(), imp.label().to_owned()]);
                    row.extend(spread.cells());
                    tables.floor.row(row);
                }
            }
        }
    }
}
