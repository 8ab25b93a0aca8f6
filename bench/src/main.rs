//! `bailiff-bench`: starts the real `bailiff` binary (the embedded single process, and
//! the four-process distributed deployment on PostgreSQL and Redis), seeds users, drives
//! closed-loop HTTP load per scenario and concurrency, and prints throughput, latency
//! percentiles and the memory of every process. See `docs/benchmarks.md`.

// Measurement arithmetic (percentiles, rates, µs from Durations) casts between
// integer and float types on values far below any limit; the cast lints guard
// production code, not the benchmark.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};

mod cluster;
mod evacuation;
mod http;
mod load;
mod report;
mod scenarios;
mod seed;

use cluster::{Cluster, Mode};
use report::{MemoryRow, Row, RunSummary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Embedded,
    Distributed,
    Both,
}

#[derive(Debug, Parser)]
#[command(
    name = "bailiff-bench",
    about = "Throughput and latency of the bailiff HTTP API, against real bailiff processes"
)]
struct Cli {
    /// Deployment(s) to measure.
    #[arg(long, value_enum, default_value = "both")]
    mode: ModeArg,
    /// Scenarios to run (comma-separated or repeated); default: all. `--list` shows them.
    #[arg(long, value_delimiter = ',')]
    scenario: Vec<String>,
    /// Closed-loop concurrency levels (workers, one keep-alive connection each).
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    concurrency: Vec<usize>,
    /// Measured seconds per (scenario, concurrency).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured warm-up seconds before each measured period.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Smoke check: 2 s runs after a 0.5 s warm-up.
    #[arg(long)]
    quick: bool,
    /// The `bailiff` binary. Default: the workspace's release build, built (or brought
    /// up to date) with `cargo build --release -p bailiff` first.
    #[arg(long = "bin")]
    bin: Option<PathBuf>,
    /// Do not run `cargo build` for the default binary.
    #[arg(long)]
    no_build: bool,
    /// PostgreSQL for the distributed mode; a database `bailiff_bench_<ms>` is created
    /// on it and dropped afterwards.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Redis for the distributed mode; keys use a unique prefix, deleted afterwards.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Load generator threads (default: one per CPU).
    #[arg(long)]
    client_threads: Option<usize>,
    /// Seconds to wait for the processes to become ready.
    #[arg(long, default_value_t = 60)]
    startup_timeout: u64,
    /// `telemetry.log_level` of the bailiff processes.
    #[arg(long, default_value = "warn")]
    log_level: String,
    /// Lists the scenarios and exits.
    #[arg(long)]
    list: bool,
    /// `evacuate`: the evacuation benchmark instead of the load scenarios.
    #[command(subcommand)]
    command: Option<evacuation::Command>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(threads) = cli.client_threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = match builder.build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bailiff-bench: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = run(cli) => result,
            // Dropping `run` drops every Cluster: children are killed, the database
            // dropped, temporary files removed.
            signal = stop_signal() => Err(anyhow::anyhow!("interrupted by {signal}")),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bailiff-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP (e.g. `timeout`, a closed terminal), naming it.
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return "SIGINT";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(command) = &cli.command {
        return evacuation::run(command, &cli).await;
    }
    let specs = scenarios::all();
    if cli.list {
        for spec in &specs {
            println!("{:<16} {}", spec.name, spec.about);
        }
        return Ok(());
    }
    let selected: Vec<&scenarios::Spec> = if cli.scenario.is_empty() {
        specs.iter().collect()
    } else {
        cli.scenario
            .iter()
            .map(|name| {
                specs.iter().find(|s| s.name == name).with_context(|| {
                    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
                    format!("unknown scenario {name:?}; known: {}", names.join(", "))
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    if cli.concurrency.is_empty() || cli.concurrency.contains(&0) {
        bail!("--concurrency needs positive numbers");
    }
    let (duration, warmup) = if cli.quick {
        (Duration::from_secs(2), Duration::from_millis(500))
    } else {
        (
            secs(cli.duration, "--duration")?,
            secs(cli.warmup, "--warmup")?,
        )
    };
    if duration.is_zero() {
        bail!("--duration must be positive");
    }
    let modes = cli.mode.modes();
    let options = cluster_options(&cli).await?;
    let max_concurrency = cli.concurrency.iter().copied().max().unwrap_or(1);

    println!(
        "bailiff-bench: binary {}; {} s measured after {} s warm-up per run; concurrency {:?}; load generator threads: {}",
        options.bin.display(),
        duration.as_secs_f64(),
        warmup.as_secs_f64(),
        cli.concurrency,
        cli.client_threads
            .map_or_else(|| "one per CPU".to_owned(), |t| t.to_string()),
    );
    let mut rows: Vec<Row> = Vec::new();
    let mut memory: Vec<MemoryRow> = Vec::new();
    let mut cpu: Vec<report::CpuRow> = Vec::new();
    for mode in modes {
        println!("\n== {}: starting", mode.name());
        let mut cluster = Cluster::start(mode, &options)
            .await
            .with_context(|| format!("starting the {} deployment", mode.name()))?;
        let idle = cluster.memory();
        let plan = Plan {
            selected: &selected,
            concurrency: &cli.concurrency,
            max_concurrency,
            warmup,
            duration,
        };
        let measured = bench_mode(&mut cluster, &plan, &mut rows, &mut cpu).await;
        let after = cluster.memory();
        for ((name, pid, idle), (_, _, after)) in idle.into_iter().zip(after) {
            memory.push(MemoryRow {
                mode: mode.name(),
                process: name,
                pid,
                idle: idle.ok(),
                after: after.ok(),
            });
        }
        let stopped = cluster.stop().await;
        measured?;
        stopped.with_context(|| format!("cleaning up the {} deployment", mode.name()))?;
    }

    println!("\n== results ({})\n", describe_run(duration, warmup));
    println!("{}", report::header());
    for row in &rows {
        println!("{}", report::line(row));
    }
    println!(
        "\n== memory (from /proc/<pid>/status; \"ready\" = before seeding, \"after\" = after the last run)\n"
    );
    print!("{}", report::memory_table(&memory));
    println!(
        "\n== CPU during the measured periods (percent of one core; this machine has {} cores)\n",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    print!("{}", report::cpu_table(&cpu));
    println!("\n== targets (2-core machine, load generator included)\n");
    for line in report::targets(&rows, &memory) {
        println!("{line}");
    }
    let failed: Vec<String> = rows
        .iter()
        .filter_map(|r| match &r.outcome {
            Ok(s) => s.sample_error.as_ref().map(|e| {
                format!(
                    "{} {} c={}: {} errors, e.g. {e}",
                    r.scenario, r.mode, r.concurrency, s.errors
                )
            }),
            Err(e) => Some(format!(
                "{} {} c={}: {e}",
                r.scenario, r.mode, r.concurrency
            )),
        })
        .collect();
    if !failed.is_empty() {
        println!("\n== errors\n");
        for line in failed {
            println!("{line}");
        }
    }
    Ok(())
}

/// What to run against each deployment.
struct Plan<'a> {
    selected: &'a [&'a scenarios::Spec],
    concurrency: &'a [usize],
    max_concurrency: usize,
    warmup: Duration,
    duration: Duration,
}

/// Seeds the admin, then prepares and runs every scenario at every concurrency. A
/// scenario that cannot be prepared is reported and skipped; a dead process ends it all.
async fn bench_mode(
    cluster: &mut Cluster,
    plan: &Plan<'_>,
    rows: &mut Vec<Row>,
    cpu: &mut Vec<report::CpuRow>,
) -> anyhow::Result<()> {
    let mode = cluster.mode;
    let http = http::Http::new(&cluster.base_url);
    let seeder = seed::Seeder::connect(
        &http,
        &cluster.shared_secret,
        cluster.accounts_grpc.as_deref(),
    )
    .await?;
    let admin = seed::register_user(&http, &cluster.shared_secret, "bench_admin", true, false)
        .await
        .context("registering the admin")?;
    println!(
        "   ready at {}; seeding with {}; admin {}",
        http.base(),
        seeder.describe(),
        admin.user_id
    );
    let database_url = cluster.database_url()?;
    println!("{}", report::header());
    for (index, spec) in plan.selected.iter().enumerate() {
        let tag = format!("s{index}{}", unique_suffix());
        let ctx = scenarios::Context {
            http: &http,
            seeder: &seeder,
            admin: &admin,
            shared_secret: &cluster.shared_secret,
            max_concurrency: plan.max_concurrency,
            mode,
            tag: &tag,
            database_url: &database_url,
        };
        let scenario = match spec.prepare(&ctx).await {
            Ok(scenario) => scenario,
            Err(error) => {
                for &c in plan.concurrency {
                    let row = Row {
                        scenario: spec.name,
                        mode: mode.name(),
                        concurrency: c,
                        outcome: Err(format!("prepare: {error:#}")),
                    };
                    println!("{}", report::line(&row));
                    rows.push(row);
                }
                cluster.check_alive()?;
                continue;
            }
        };
        for &c in plan.concurrency {
            let shape = load::RunShape {
                concurrency: c,
                warmup: plan.warmup,
                duration: plan.duration,
            };
            let probe = || report::CpuSnapshot {
                at: std::time::Instant::now(),
                load_average: cluster::load_average(),
                machine: cluster::machine_busy(),
                own: cluster::cpu_time_of(None).ok(),
                children: cluster.cpu_times(),
            };
            let outcome = match load::run(scenario.clone(), http.base(), shape, probe).await {
                Ok((run, first, last)) => {
                    cpu.push(report::CpuRow::new(
                        spec.name,
                        mode.name(),
                        c,
                        &first,
                        &last,
                        run.requests,
                    ));
                    Ok(RunSummary::from(&run))
                }
                Err(e) => Err(format!("{e:#}")),
            };
            let row = Row {
                scenario: spec.name,
                mode: mode.name(),
                concurrency: c,
                outcome,
            };
            println!("{}", report::line(&row));
            rows.push(row);
            cluster.check_alive()?;
        }
    }
    Ok(())
}

fn secs(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("{flag} must be a non-negative number of seconds"))
}

fn describe_run(duration: Duration, warmup: Duration) -> String {
    format!(
        "closed loop, {} s measured after {} s warm-up per row",
        duration.as_secs_f64(),
        warmup.as_secs_f64()
    )
}

/// A short lower-case suffix that makes localparts unique across runs.
fn unique_suffix() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("t{}", millis % 100_000_000)
}

/// The workspace root (this crate lives in `<root>/bench`).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}

impl ModeArg {
    /// The deployments to measure, in the order they run.
    fn modes(self) -> Vec<Mode> {
        match self {
            ModeArg::Embedded => vec![Mode::Embedded],
            ModeArg::Distributed => vec![Mode::Distributed],
            ModeArg::Both => vec![Mode::Embedded, Mode::Distributed],
        }
    }
}

/// How to start deployments, from the top-level options both commands share.
async fn cluster_options(cli: &Cli) -> anyhow::Result<cluster::Options> {
    Ok(cluster::Options {
        bin: resolve_binary(cli.bin.as_deref(), cli.no_build).await?,
        postgres_url: cli.postgres_url.clone(),
        redis_url: cli.redis_url.clone(),
        startup_timeout: Duration::from_secs(cli.startup_timeout),
        log_level: cli.log_level.clone(),
    })
}

/// The binary to run: `--bin`, or the workspace's release build, built first.
async fn resolve_binary(bin: Option<&Path>, no_build: bool) -> anyhow::Result<PathBuf> {
    if let Some(bin) = bin {
        if !bin.is_file() {
            bail!("--bin {} is not a file", bin.display());
        }
        return Ok(bin.to_owned());
    }
    let root = workspace_root();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || root.join("target"),
        |dir| {
            let dir = PathBuf::from(dir);
            if dir.is_relative() {
                root.join(dir)
            } else {
                dir
            }
        },
    );
    let bin = target_dir.join("release").join("bailiff");
    if !no_build {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        println!("bailiff-bench: cargo build --release -p bailiff (skip with --no-build or --bin)");
        let status = tokio::process::Command::new(cargo)
            .args(["build", "--release", "-p", "bailiff"])
            .current_dir(&root)
            .kill_on_drop(true)
            .status()
            .await
            .context("running cargo build")?;
        if !status.success() {
            bail!(
                "cargo build --release -p bailiff failed ({status}); pass --bin PATH to use another binary"
            );
        }
    }
    if !bin.is_file() {
        bail!(
            "{} does not exist; build it with `cargo build --release -p bailiff` or pass --bin PATH",
            bin.display()
        );
    }
    Ok(bin)
}
