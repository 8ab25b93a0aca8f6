//! The closed-loop load generator: `concurrency` workers, each issuing one operation,
//! waiting for the answer and issuing the next, for a warm-up and then a measured
//! period. Every measured latency goes into an HDR histogram.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;

use crate::http::Http;
use crate::scenarios::{Outcome, Scenario};

/// Lowest and highest latency the histograms track, in microseconds.
const LOWEST_US: u64 = 1;
const HIGHEST_US: u64 = 120_000_000;
/// Significant figures kept.
const SIGFIG: u8 = 3;

/// The shape of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunShape {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one run measured.
pub struct RunResult {
    /// Operations started in the measured period (and completed).
    pub requests: u64,
    /// Of those, how many ended with an unexpected status or a transport error.
    pub errors: u64,
    /// The measured period.
    pub elapsed: Duration,
    /// Latency of every measured operation (errors included), microseconds.
    pub latencies: Histogram<u64>,
    /// One example failure, to tell what went wrong.
    pub sample_error: Option<String>,
}

impl RunResult {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// A latency percentile (0–100) in milliseconds.
    pub fn percentile_ms(&self, quantile: f64) -> f64 {
        self.latencies.value_at_quantile(quantile / 100.0) as f64 / 1000.0
    }
}

struct WorkerResult {
    requests: u64,
    errors: u64,
    latencies: Histogram<u64>,
    sample_error: Option<String>,
}

/// Runs `scenario` closed-loop against `base_url`. Each worker has its own client, so
/// it keeps one keep-alive connection for the whole run.
///
/// `probe` is called when the measured period starts and when it ends (e.g. to read
/// CPU counters); both readings are returned with the result.
pub async fn run<S>(
    scenario: Arc<dyn Scenario>,
    base_url: &str,
    shape: RunShape,
    probe: impl Fn() -> S,
) -> anyhow::Result<(RunResult, S, S)> {
    let start = Instant::now();
    let measure_from = start + shape.warmup;
    let end = measure_from + shape.duration;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..shape.concurrency {
        let scenario = Arc::clone(&scenario);
        let http = Http::new(base_url);
        workers.spawn(async move { work(scenario, http, worker, measure_from, end).await });
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let first = probe();
    tokio::time::sleep_until(end.into()).await;
    let last = probe();
    let mut total = WorkerResult {
        requests: 0,
        errors: 0,
        latencies: new_histogram()?,
        sample_error: None,
    };
    while let Some(joined) = workers.join_next().await {
        let result = joined.context("a load worker panicked")??;
        total.requests += result.requests;
        total.errors += result.errors;
        total
            .latencies
            .add(&result.latencies)
            .context("merging histograms")?;
        if total.sample_error.is_none() {
            total.sample_error = result.sample_error;
        }
    }
    let result = RunResult {
        requests: total.requests,
        errors: total.errors,
        elapsed: shape.duration,
        latencies: total.latencies,
        sample_error: total.sample_error,
    };
    Ok((result, first, last))
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGFIG).context("creating a histogram")
}

async fn work(
    scenario: Arc<dyn Scenario>,
    http: Http,
    worker: usize,
    measure_from: Instant,
    end: Instant,
) -> anyhow::Result<WorkerResult> {
    let mut result = WorkerResult {
        requests: 0,
        errors: 0,
        latencies: new_histogram()?,
        sample_error: None,
    };
    let mut seq = 0u64;
    loop {
        let started = Instant::now();
        if started >= end {
            break;
        }
        let outcome = scenario.one_request(&http, worker, seq).await;
        let took = started.elapsed();
        seq += 1;
        if started < measure_from {
            continue;
        }
        result.requests += 1;
        result
            .latencies
            .saturating_record((took.as_micros() as u64).max(LOWEST_US));
        let failure = match outcome {
            Ok(Outcome::Expected) => None,
            Ok(Outcome::Unexpected(status)) => Some(format!("unexpected status {status}")),
            Err(error) => Some(format!("{error:#}")),
        };
        if let Some(failure) = failure {
            result.errors += 1;
            result.sample_error.get_or_insert(failure);
        }
    }
    Ok(result)
}
