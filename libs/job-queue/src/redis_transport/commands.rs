//! The Redis commands the transport issues, one function each, typed for our use.
//!
//! Acknowledging and dead-lettering are small Lua scripts so that "acknowledge, copy to
//! the dead letters, delete" happens atomically and only for the worker whose `XACK`
//! actually removed the entry: two workers racing on one entry cannot both report it.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamPendingCountReply,
    StreamPendingReply, StreamReadOptions, StreamReadReply,
};
use redis::{AsyncCommands, RedisError, RedisResult, Script};

use super::keys::Keys;
use crate::ChunkMessage;

/// `XACK` then `XDEL`, so the stream holds only unfinished chunks.
/// Returns 1 if this call acknowledged the entry, 0 if it was already acknowledged,
/// -1 if the group no longer exists.
static ACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local acked = redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
if type(acked) == 'table' then return -1 end
redis.call('XDEL', KEYS[1], ARGV[2])
return acked
",
    )
});

/// Like [`ACK`], and if this call acknowledged the entry, appends it (fields as given in
/// ARGV[4..]) to the dead-letter stream, trimmed to about ARGV[3] entries.
static DEAD_LETTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local acked = redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[2])
if type(acked) == 'table' then return -1 end
if acked == 1 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
end
redis.call('XDEL', KEYS[1], ARGV[2])
return acked
",
    )
});

/// A stream entry with its fields as strings.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) fields: HashMap<String, String>,
}

impl From<StreamId> for Entry {
    fn from(entry: StreamId) -> Self {
        let fields = entry
            .map
            .iter()
            .filter_map(|(name, value)| {
                redis::from_redis_value_ref::<String>(value)
                    .ok()
                    .map(|value| (name.clone(), value))
            })
            .collect();
        Self {
            id: entry.id,
            fields,
        }
    }
}

/// The outcome of acknowledging or dead-lettering an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// This call settled it.
    Done,
    /// Someone else already had (the entry was reclaimed while we worked on it).
    Already,
    /// The consumer group is gone (Redis lost its state); nothing left to settle.
    GroupGone,
}

impl Settled {
    fn from_script(reply: i64) -> Self {
        match reply {
            1 => Self::Done,
            0 => Self::Already,
            _ => Self::GroupGone,
        }
    }
}

/// Whether the error says the stream or its consumer group does not exist.
pub(crate) fn is_no_group(error: &RedisError) -> bool {
    error.code() == Some("NOGROUP")
}

/// Creates the group (and the stream) reading from the start, so entries added while
/// the group was missing are still delivered. `Ok(false)` if it already existed.
pub(crate) async fn create_group(conn: &mut ConnectionManager, keys: &Keys) -> RedisResult<bool> {
    match conn
        .xgroup_create_mkstream::<_, _, _, ()>(&keys.stream, keys.group, "0")
        .await
    {
        Ok(()) => Ok(true),
        Err(error) if error.code() == Some("BUSYGROUP") => Ok(false),
        Err(error) => Err(error),
    }
}

/// Appends the messages in one round trip.
pub(crate) async fn add(
    conn: &mut ConnectionManager,
    keys: &Keys,
    messages: &[ChunkMessage],
) -> RedisResult<()> {
    let mut pipe = redis::pipe();
    for message in messages {
        pipe.xadd(&keys.stream, "*", &message.to_fields()).ignore();
    }
    pipe.exec_async(conn).await
}

/// Waits up to `block` for one entry never delivered to anyone.
pub(crate) async fn read_new(
    conn: &mut ConnectionManager,
    keys: &Keys,
    consumer: &str,
    block: Duration,
) -> RedisResult<Option<Entry>> {
    let options = StreamReadOptions::default()
        .group(keys.group, consumer)
        .block(millis(block))
        .count(1);
    let reply: Option<StreamReadReply> = conn
        .xread_options(&[&keys.stream], &[">"], &options)
        .await?;
    Ok(reply
        .and_then(|reply| reply.keys.into_iter().next())
        .and_then(|key| key.ids.into_iter().next())
        .map(Entry::from))
}

/// Takes over at most one entry idle for `min_idle`, scanning the pending list from
/// `cursor`. Returns the cursor to continue from (`0-0` once the scan is complete).
pub(crate) async fn autoclaim(
    conn: &mut ConnectionManager,
    keys: &Keys,
    consumer: &str,
    min_idle: Duration,
    cursor: &str,
) -> RedisResult<(String, Option<Entry>)> {
    let reply: StreamAutoClaimReply = conn
        .xautoclaim_options(
            &keys.stream,
            keys.group,
            consumer,
            millis(min_idle),
            cursor,
            StreamAutoClaimOptions::default().count(1),
        )
        .await?;
    let entry = reply
        .claimed
        .into_iter()
        .next()
        .filter(|entry| !entry.map.is_empty())
        .map(Entry::from);
    Ok((reply.next_stream_id, entry))
}

/// How many times the pending entry has been delivered, or `None` if it is no longer
/// pending. `XAUTOCLAIM` does not report this, so it is one extra `XPENDING` call, paid
/// only on the rare reclaim path.
pub(crate) async fn times_delivered(
    conn: &mut ConnectionManager,
    keys: &Keys,
    id: &str,
) -> RedisResult<Option<u32>> {
    let reply: StreamPendingCountReply = conn
        .xpending_count(&keys.stream, keys.group, id, id, 1)
        .await?;
    Ok(reply
        .ids
        .first()
        .map(|pending| u32::try_from(pending.times_delivered).unwrap_or(u32::MAX)))
}

/// Acknowledges and deletes the entry.
pub(crate) async fn ack(
    conn: &mut ConnectionManager,
    keys: &Keys,
    id: &str,
) -> RedisResult<Settled> {
    let reply: i64 = ACK
        .key(&keys.stream)
        .arg(keys.group)
        .arg(id)
        .invoke_async(conn)
        .await?;
    Ok(Settled::from_script(reply))
}

/// Moves the entry to the dead-letter stream with its original fields plus `reason`,
/// `deliveries` and `original_id`.
pub(crate) async fn dead_letter(
    conn: &mut ConnectionManager,
    keys: &Keys,
    entry: &Entry,
    reason: &str,
    deliveries: u32,
    max_len: usize,
) -> RedisResult<Settled> {
    let mut fields: Vec<(&str, String)> = entry
        .fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    fields.push(("reason", reason.to_owned()));
    fields.push(("deliveries", deliveries.to_string()));
    fields.push(("original_id", entry.id.clone()));
    let reply: i64 = DEAD_LETTER
        .key(&keys.stream)
        .key(&keys.dead)
        .arg(keys.group)
        .arg(&entry.id)
        .arg(max_len)
        .arg(&fields)
        .invoke_async(conn)
        .await?;
    Ok(Settled::from_script(reply))
}

/// Entries delivered and not yet acknowledged; 0 when the group does not exist.
pub(crate) async fn pending(conn: &mut ConnectionManager, keys: &Keys) -> RedisResult<u64> {
    match conn
        .xpending::<_, _, StreamPendingReply>(&keys.stream, keys.group)
        .await
    {
        Ok(reply) => Ok(reply.count() as u64),
        Err(error) if is_no_group(&error) => Ok(0),
        Err(error) => Err(error),
    }
}

/// Length of the dead-letter stream.
pub(crate) async fn dead_letters(conn: &mut ConnectionManager, keys: &Keys) -> RedisResult<u64> {
    conn.xlen(&keys.dead).await
}

fn millis(duration: Duration) -> usize {
    usize::try_from(duration.as_millis()).unwrap_or(usize::MAX)
}
