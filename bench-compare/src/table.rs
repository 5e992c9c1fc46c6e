//! Result tables: printed aligned on stdout and saved as CSV under `target/bench-out/`.
//!
//! The CSV files are what `bench-compare/plot.py` and the tables of `BENCHMARKS.md` are made
//! from. Set `BENCH_OUT_DIR` to write them elsewhere.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::stats::{Paired, Spread};

/// A titled table of string cells.
#[derive(Debug, Clone)]
pub struct Table {
    name: String,
    title: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table; `name` is its CSV file name (without extension).
    pub fn new(name: &str, title: &str, columns: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            columns: columns.iter().map(|&c| c.to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// An empty table of one [`Spread`] a row: the `keys` columns that name the row, then the
    /// spread's [`cells`](Spread::cells).
    pub fn spreads(name: &str, title: &str, keys: &[&str]) -> Self {
        let columns: Vec<&str> = keys.iter().copied().chain(Spread::columns()).collect();
        Self::new(name, title, &columns)
    }

    /// A table of the time per item of each of `labels`, from their rates in `rates` (items a
    /// second, one per round): the median in nanoseconds and its interquartile range (the
    /// quartiles of a rate swap ends as times).
    pub fn times_per_item(
        name: &str,
        title: &str,
        unit: &str,
        labels: &[&str],
        rates: &Paired,
    ) -> Self {
        let mut table = Self::new(name, title, &["case", unit, "IQR"]);
        for &label in labels {
            if let Some(rate) = Spread::of(rates.values(label)) {
                table.row(vec![
                    label.to_owned(),
                    format!("{:.1}", 1e9 / rate.median),
                    format!("{:.1}-{:.1}", 1e9 / rate.p75, 1e9 / rate.p25),
                ]);
            }
        }
        table
    }

    /// A table of the per-round ratios `ours / theirs` of `rates`, a row per pair.
    pub fn ratios(name: &str, title: &str, pairs: &[(&str, &str)], rates: &Paired) -> Self {
        let mut table = Self::spreads(name, title, &["ratio"]);
        for &(ours, theirs) in pairs {
            if let Some(spread) = rates.ratio(ours, theirs) {
                let mut cells = vec![format!("{ours} / {theirs}")];
                cells.extend(spread.cells());
                table.row(cells);
            }
        }
        table
    }

    /// Appends a row.
    ///
    /// # Panics
    ///
    /// If the row does not have one cell per column.
    pub fn row(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.columns.len(), "table {}: wrong number of cells", self.name);
        self.rows.push(cells);
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The CSV file name, without extension.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The table aligned for a terminal.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| self.rows.iter().map(|r| r[i].len()).fold(self.columns[i].len(), usize::max))
            .collect();
        let mut out = format!("\n## {}\n", self.title);
        for line in std::iter::once(&self.columns).chain(&self.rows) {
            for (i, cell) in line.iter().enumerate() {
                let sep = if i == 0 { "" } else { "  " };
                if i == 0 {
                    let _ = write!(out, "{sep}{cell:<w$}", w = widths[i]);
                } else {
                    let _ = write!(out, "{sep}{cell:>w$}", w = widths[i]);
                }
            }
            out.push('\n');
        }
        out
    }

    /// The table as CSV (cells never contain commas or quotes here).
    pub fn csv(&self) -> String {
        std::iter::once(&self.columns).chain(&self.rows).map(|line| line.join(",") + "\n").collect()
    }

    /// Prints the table and saves it.
    pub fn emit(&self) {
        print!("{}", self.render());
        self.save();
    }

    /// Writes `<out dir>/<name>.csv`; a write failure is reported, not fatal.
    pub fn save(&self) {
        let dir = out_dir();
        let path = dir.join(format!("{}.csv", self.name));
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, self.csv())) {
            Ok(()) => println!("(saved {})", path.display()),
            Err(error) => eprintln!("warning: cannot write {}: {error}", path.display()),
        }
    }
}

/// Where CSV output goes: `BENCH_OUT_DIR`, else `bench-out/` in the cargo target directory that
/// holds this executable (`target/release/deps/<bench>` → `target/bench-out`). Sanity runs
/// ([`Mode::Quick`](crate::Mode::Quick)) write to a `quick/` subdirectory, so that
/// `cargo test --benches` never overwrites a measurement.
pub fn out_dir() -> PathBuf {
    let dir = match std::env::var_os("BENCH_OUT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let exe = std::env::current_exe().unwrap_or_default();
            let target = exe.ancestors().nth(3).map(PathBuf::from);
            target.unwrap_or_else(|| PathBuf::from("target")).join("bench-out")
        }
    };
    match crate::Mode::from_args() {
        crate::Mode::Quick => dir.join("quick"),
        crate::Mode::Full => dir,
    }
}

/// Formats nanoseconds for a table cell.
pub fn ns(value: f64) -> String {
    if value >= 100.0 { format!("{value:.0}") } else { format!("{value:.1}") }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn renders_and_serialises() {
        let mut table = Table::new("t", "Title", &["name", "value"]);
        table.row(vec!["a".into(), "1".into()]);
        assert_eq!(table.csv(), "name,value\na,1\n");
        assert!(table.render().contains("a         1"));
    }
}
