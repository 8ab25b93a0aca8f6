//! Telemetry shared by every role: structured logs, OpenTelemetry traces with W3C
//! trace-context propagation (HTTP → gRPC → queue → worker), and Prometheus metrics.
//!
//! With no OTLP endpoint configured, spans still get trace IDs (so logs carry them and
//! context still propagates) but nothing is exported.

use bailiff_config::{LogFormat, OtlpProtocol, TelemetryConfig};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub mod grpc;
pub mod metrics;
pub mod propagation;

/// Keeps telemetry alive; dropping it flushes and shuts down the exporter.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            eprintln!("telemetry: flushing spans failed: {error}");
        }
    }
}

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log filter {0:?}: {1}")]
    Filter(String, String),
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// Installs the global subscriber, tracer provider and propagator for a process running
/// `role`. Must be called inside a Tokio runtime (the exporter runs on it).
pub fn init(config: &TelemetryConfig, role: &str) -> Result<TelemetryGuard, TelemetryError> {
    let filter = EnvFilter::try_new(&config.log_level)
        .map_err(|e| TelemetryError::Filter(config.log_level.clone(), e.to_string()))?;
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let resource = Resource::builder()
        .with_service_name(format!("{}-{role}", config.service_name))
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &config.otlp_endpoint {
        let exporter = match config.otlp_protocol {
            OtlpProtocol::Grpc => opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .build(),
            OtlpProtocol::Http => opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(endpoint.clone())
                .build(),
        }
        .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        let processor =
            opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
                exporter,
                opentelemetry_sdk::runtime::Tokio,
            )
            .build();
        builder = builder.with_span_processor(processor);
    }
    let provider = builder.build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    // The log filter applies to log output only: spans at info level are always
    // traced, so a quiet log level does not silence traces.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("bailiff"))
        .with_filter(LevelFilter::INFO);
    let fmt = match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    };
    let result = tracing_subscriber::registry()
        .with(otel)
        .with(fmt)
        .try_init();
    result.map_err(|_| TelemetryError::AlreadyInstalled)?;
    tracing::debug!(role, "telemetry initialised");
    Ok(TelemetryGuard { provider })
}
