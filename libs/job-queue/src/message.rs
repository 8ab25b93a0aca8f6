//! The unit of delivery and its encoding as Redis stream fields.
//!
//! Fields are flat strings (`job_id`, `chunk`, `payload`, `trace.<key>`) rather than one
//! JSON blob so that an operator reading the stream or its dead-letter stream with
//! `redis-cli XRANGE` sees the job and chunk at a glance.

use std::collections::HashMap;

const JOB_ID: &str = "job_id";
const CHUNK: &str = "chunk";
const PAYLOAD: &str = "payload";
/// Trace-context entries are stored one field each, under this prefix.
const TRACE_PREFIX: &str = "trace.";

/// One chunk of a job, as handed to a [`crate::ChunkHandler`].
///
/// The job and its chunks are recorded durably by the owner; this message only tells a
/// worker which chunk to apply, so it carries identifiers plus an opaque payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkMessage {
    /// The owner's job identifier.
    pub job_id: String,
    /// The chunk's index within the job.
    pub chunk: u32,
    /// Owner-defined content (JSON by convention); the queue never looks inside.
    pub payload: String,
    /// W3C trace context (`traceparent`, `tracestate`) of the request that planned the
    /// job, so the worker's span joins the same trace across the queue hop.
    pub trace_context: HashMap<String, String>,
}

/// Why a stream entry could not be turned back into a [`ChunkMessage`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedEntry {
    /// A required field is absent.
    #[error("missing field {0:?}")]
    Missing(&'static str),
    /// The chunk index is not a `u32`.
    #[error("chunk {0:?} is not a number")]
    BadChunk(String),
}

impl ChunkMessage {
    /// The stream fields for this message, in a stable order.
    pub(crate) fn to_fields(&self) -> Vec<(String, String)> {
        let mut fields = vec![
            (JOB_ID.to_owned(), self.job_id.clone()),
            (CHUNK.to_owned(), self.chunk.to_string()),
            (PAYLOAD.to_owned(), self.payload.clone()),
        ];
        let mut trace: Vec<_> = self.trace_context.iter().collect();
        trace.sort();
        fields.extend(
            trace
                .into_iter()
                .map(|(key, value)| (format!("{TRACE_PREFIX}{key}"), value.clone())),
        );
        fields
    }

    /// Rebuilds a message from stream fields; unknown fields are ignored so that older
    /// workers can read entries written by newer ones.
    pub(crate) fn from_fields(fields: &HashMap<String, String>) -> Result<Self, MalformedEntry> {
        let field = |name: &'static str| fields.get(name).ok_or(MalformedEntry::Missing(name));
        let chunk = field(CHUNK)?;
        Ok(Self {
            job_id: field(JOB_ID)?.clone(),
            chunk: chunk
                .parse()
                .map_err(|_| MalformedEntry::BadChunk(chunk.clone()))?,
            payload: field(PAYLOAD)?.clone(),
            trace_context: fields
                .iter()
                .filter_map(|(key, value)| {
                    key.strip_prefix(TRACE_PREFIX)
                        .map(|key| (key.to_owned(), value.clone()))
                })
                .collect(),
        })
    }
}
