//! The printed results: one table row per (scenario, mode, concurrency), memory of each
//! process, and how the numbers compare with the targets.

use crate::cluster::Memory;
use crate::load::RunResult;

/// One row of the results table.
pub struct Row {
    pub scenario: &'static str,
    pub mode: &'static str,
    pub concurrency: usize,
    pub outcome: Result<RunSummary, String>,
}

/// The numbers of one run.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub requests: u64,
    pub errors: u64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub sample_error: Option<String>,
}

impl From<&RunResult> for RunSummary {
    fn from(run: &RunResult) -> Self {
        Self {
            requests: run.requests,
            errors: run.errors,
            throughput: run.throughput(),
            p50_ms: run.percentile_ms(50.0),
            p99_ms: run.percentile_ms(99.0),
            p999_ms: run.percentile_ms(99.9),
            sample_error: run.sample_error.clone(),
        }
    }
}

/// A Markdown separator row: `(width, right_aligned)` per column.
fn separator(columns: &[(usize, bool)]) -> String {
    let mut out = String::from("|");
    for &(width, right) in columns {
        if right {
            out.push_str(&"-".repeat(width + 1));
            out.push_str(":|");
        } else {
            out.push_str(&"-".repeat(width + 2));
            out.push('|');
        }
    }
    out
}

/// The table header (Markdown, so it pastes into docs/benchmarks.md as is).
pub fn header() -> String {
    let top = format!(
        "| {:<14} | {:<11} | {:>11} | {:>8} | {:>6} | {:>9} | {:>8} | {:>8} | {:>8} |",
        "scenario",
        "mode",
        "concurrency",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
    );
    let rule = separator(&[
        (14, false),
        (11, false),
        (11, true),
        (8, true),
        (6, true),
        (9, true),
        (8, true),
        (8, true),
        (8, true),
    ]);
    format!("{top}\n{rule}")
}

/// One table line.
pub fn line(row: &Row) -> String {
    match &row.outcome {
        Ok(s) => format!(
            "| {:<14} | {:<11} | {:>11} | {:>8} | {:>6} | {:>9.0} | {:>8.2} | {:>8.2} | {:>8.2} |",
            row.scenario,
            row.mode,
            row.concurrency,
            s.requests,
            s.errors,
            s.throughput,
            s.p50_ms,
            s.p99_ms,
            s.p999_ms
        ),
        Err(error) => format!(
            "| {:<14} | {:<11} | {:>11} | FAILED: {} |",
            row.scenario,
            row.mode,
            row.concurrency,
            error.replace('\n', " ")
        ),
    }
}

/// One process's memory at two moments.
pub struct MemoryRow {
    pub mode: &'static str,
    pub process: String,
    pub pid: u32,
    pub idle: Option<Memory>,
    pub after: Option<Memory>,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn cell(memory: Option<Memory>, f: fn(&Memory) -> u64) -> String {
    memory.map_or_else(|| "?".to_owned(), |m| format!("{:.1}", mib(f(&m))))
}

/// The memory table.
pub fn memory_table(rows: &[MemoryRow]) -> String {
    let mut out = format!(
        "| {:<11} | {:<10} | {:>7} | {:>17} | {:>17} | {:>17} |\n{}\n",
        "mode",
        "process",
        "pid",
        "VmRSS ready MiB",
        "VmRSS after MiB",
        "VmHWM after MiB",
        separator(&[
            (11, false),
            (10, false),
            (7, true),
            (17, true),
            (17, true),
            (17, true)
        ]),
    );
    for row in rows {
        out.push_str(&format!(
            "| {:<11} | {:<10} | {:>7} | {:>17} | {:>17} | {:>17} |\n",
            row.mode,
            row.process,
            row.pid,
            cell(row.idle, |m| m.rss_kib),
            cell(row.after, |m| m.rss_kib),
            cell(row.after, |m| m.hwm_kib),
        ));
    }
    out
}

/// Targets (for a 2-core machine with the load generator on it).
pub const FAST_MIN_RPS: f64 = 15_000.0;
pub const FAST_MAX_P99_MS: f64 = 15.0;
pub const FAST_AT_CONCURRENCY: usize = 64;
pub const HASHING_MIN_RPS: f64 = 40.0;
pub const EMBEDDED_MAX_RSS_MIB: f64 = 60.0;

/// Each target, met or missed, as lines of text.
pub fn targets(rows: &[Row], memory: &[MemoryRow]) -> Vec<String> {
    let mut lines = Vec::new();
    for row in rows {
        let Ok(s) = &row.outcome else {
            lines.push(format!(
                "MISSED  {} {} c={}: the run failed",
                row.scenario, row.mode, row.concurrency
            ));
            continue;
        };
        let verdict = |ok: bool| if ok { "met   " } else { "MISSED" };
        match row.scenario {
            "whois" | "invalid-token" if row.concurrency == FAST_AT_CONCURRENCY => {
                let ok =
                    s.throughput >= FAST_MIN_RPS && s.p99_ms < FAST_MAX_P99_MS && s.errors == 0;
                lines.push(format!(
                    "{}  {} {} c={}: {:.0} req/s (≥ {FAST_MIN_RPS:.0}), p99 {:.2} ms (< {FAST_MAX_P99_MS} ms), {} errors",
                    verdict(ok),
                    row.scenario,
                    row.mode,
                    row.concurrency,
                    s.throughput,
                    s.p99_ms,
                    s.errors
                ));
            }
            "register" | "reset-password" => {
                let ok = s.throughput >= HASHING_MIN_RPS && s.errors == 0;
                lines.push(format!(
                    "{}  {} {} c={}: {:.1} req/s (≥ {HASHING_MIN_RPS:.0}), {} errors",
                    verdict(ok),
                    row.scenario,
                    row.mode,
                    row.concurrency,
                    s.throughput,
                    s.errors
                ));
            }
            _ => {}
        }
    }
    for row in memory.iter().filter(|r| r.mode == "embedded") {
        if let Some(after) = row.after {
            let rss = mib(after.rss_kib);
            lines.push(format!(
                "{}  embedded RSS after the benchmark: {rss:.1} MiB (< {EMBEDDED_MAX_RSS_MIB} MiB)",
                if rss < EMBEDDED_MAX_RSS_MIB {
                    "met   "
                } else {
                    "MISSED"
                }
            ));
        }
    }
    lines
}

/// CPU counters at one moment: the machine's load, this process (the load generator),
/// and every child.
#[derive(Debug, Clone)]
pub struct CpuSnapshot {
    pub at: std::time::Instant,
    pub load_average: Option<f64>,
    /// Busy CPU time of the whole machine.
    pub machine: Option<std::time::Duration>,
    pub own: Option<std::time::Duration>,
    pub children: Vec<(String, Option<std::time::Duration>)>,
}

/// Where the CPU went during one measured period.
pub struct CpuRow {
    pub scenario: &'static str,
    pub mode: &'static str,
    pub concurrency: usize,
    pub load_average: Option<f64>,
    /// Load generator CPU, percent of one core.
    pub client_pct: Option<f64>,
    /// Each child's CPU, percent of one core.
    pub children: Vec<(String, Option<f64>)>,
    /// CPU used by everything else on the machine (other users' work), percent of one
    /// core: a benchmark with much of it is not a clean measurement.
    pub other_pct: Option<f64>,
    /// All children's CPU time per operation, microseconds.
    pub server_us_per_op: Option<f64>,
}

impl CpuRow {
    pub fn new(
        scenario: &'static str,
        mode: &'static str,
        concurrency: usize,
        first: &CpuSnapshot,
        last: &CpuSnapshot,
        operations: u64,
    ) -> Self {
        let wall = last
            .at
            .duration_since(first.at)
            .as_secs_f64()
            .max(f64::EPSILON);
        let used = |a: Option<std::time::Duration>, b: Option<std::time::Duration>| {
            Some(b?.saturating_sub(a?).as_secs_f64())
        };
        let children: Vec<(String, Option<f64>)> = first
            .children
            .iter()
            .zip(&last.children)
            .map(|((name, a), (_, b))| (name.clone(), used(*a, *b)))
            .collect();
        let server_total: Option<f64> = children.iter().map(|(_, s)| *s).sum();
        let client = used(first.own, last.own);
        let other = used(first.machine, last.machine)
            .zip(client)
            .zip(server_total)
            .map(|((machine, client), server)| (machine - client - server).max(0.0));
        Self {
            other_pct: other.map(|s| 100.0 * s / wall),
            scenario,
            mode,
            concurrency,
            load_average: last.load_average,
            client_pct: client.map(|s| 100.0 * s / wall),
            children: children
                .into_iter()
                .map(|(name, s)| (name, s.map(|s| 100.0 * s / wall)))
                .collect(),
            server_us_per_op: server_total
                .filter(|_| operations > 0)
                .map(|s| 1e6 * s / operations as f64),
        }
    }
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| format!("{v:.0}%"))
}

/// The CPU table: percent of one core (the machine has `nproc` of them).
pub fn cpu_table(rows: &[CpuRow]) -> String {
    let mut out = format!(
        "| {:<15} | {:<11} | {:>11} | {:>8} | {:>9} | {:>10} | {:<66} | {:>12} |\n{}\n",
        "scenario",
        "mode",
        "concurrency",
        "load avg",
        "other CPU",
        "bench CPU",
        "server CPU per process",
        "server µs/op",
        separator(&[
            (15, false),
            (11, false),
            (11, true),
            (8, true),
            (9, true),
            (10, true),
            (66, false),
            (12, true)
        ]),
    );
    for row in rows {
        let children: Vec<String> = row
            .children
            .iter()
            .map(|(name, p)| format!("{name} {}", pct(*p)))
            .collect();
        out.push_str(&format!(
            "| {:<15} | {:<11} | {:>11} | {:>8} | {:>9} | {:>10} | {:<66} | {:>12} |\n",
            row.scenario,
            row.mode,
            row.concurrency,
            row.load_average
                .map_or_else(|| "?".to_owned(), |l| format!("{l:.2}")),
            pct(row.other_pct),
            pct(row.client_pct),
            children.join(", "),
            row.server_us_per_op
                .map_or_else(|| "?".to_owned(), |u| format!("{u:.0}")),
        ));
    }
    out
}
