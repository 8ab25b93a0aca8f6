//! A short-lived cache of whois answers, so an admin dashboard polling one user (or many
//! admins looking at the same one) costs one lookup per interval, not one per request.
//!
//! Staleness stays within whois's one-second promise: entries live
//! `auth.whois_cache` (250 ms by default), this replica drops a user's entry as soon as
//! it has flushed that user's sightings, and every change gateways are told about
//! (logout, logout/all, password reset, admin changes) drops it through the same paths
//! that drop the user's cached tokens. A [`Generation`] stops an answer fetched before
//! an invalidation from being cached after it.

use std::time::Duration;

use bytes::Bytes;

use crate::generation::Generation;

/// The two answer shapes (`gateway/src/routes/whois.rs`): one entry per device on the
/// client-server paths, everything under `""` on the Synapse admin path. They are cached
/// apart so one path never serves the other's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    PerDevice,
    Synapse,
}

/// Rendered `200` bodies by shape and target user ID; cheap to clone.
#[derive(Clone)]
pub struct WhoisCache {
    answers: Option<moka::sync::Cache<(Shape, String), Bytes>>,
    generation: Generation,
}

/// Users whose answers a cache of this size may hold; beyond it the least used go.
const CAPACITY: u64 = 10_000;

impl WhoisCache {
    /// Answers live `ttl`; a zero `ttl` turns the cache off.
    pub fn new(ttl: Duration) -> Self {
        let answers = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .build()
        });
        Self {
            answers,
            generation: Generation::default(),
        }
    }

    pub fn get(&self, shape: Shape, user_id: &str) -> Option<Bytes> {
        self.answers.as_ref()?.get(&(shape, user_id.to_owned()))
    }

    /// Read before looking the user up; pass to [`WhoisCache::insert_if_current`].
    pub fn generation(&self) -> u64 {
        self.generation.current()
    }

    /// Caches an answer unless an invalidation happened since `generation` was read.
    pub fn insert_if_current(&self, shape: Shape, user_id: &str, body: Bytes, generation: u64) {
        let Some(answers) = &self.answers else {
            return;
        };
        let key = (shape, user_id.to_owned());
        self.generation.insert_if_current(
            generation,
            || answers.insert(key.clone(), body),
            || answers.invalidate(&key),
        );
    }

    /// Drops one user's answer (new sightings, or their devices changed).
    pub fn invalidate_user(&self, user_id: &str) {
        self.generation.bump();
        if let Some(answers) = &self.answers {
            for shape in [Shape::PerDevice, Shape::Synapse] {
                answers.invalidate(&(shape, user_id.to_owned()));
            }
        }
    }

    /// Drops everything (the bus may have lost messages).
    pub fn invalidate_all(&self) {
        self.generation.bump();
        if let Some(answers) = &self.answers {
            answers.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_reused_until_the_user_changes() {
        let cache = WhoisCache::new(Duration::from_secs(60));
        let generation = cache.generation();
        let d = Shape::PerDevice;
        cache.insert_if_current(d, "@a:hs", Bytes::from_static(b"a"), generation);
        cache.insert_if_current(d, "@b:hs", Bytes::from_static(b"b"), generation);
        cache.insert_if_current(
            Shape::Synapse,
            "@a:hs",
            Bytes::from_static(b"s"),
            generation,
        );
        assert_eq!(cache.get(d, "@a:hs").as_deref(), Some(&b"a"[..]));
        // The shapes are kept apart.
        assert_eq!(
            cache.get(Shape::Synapse, "@a:hs").as_deref(),
            Some(&b"s"[..])
        );
        cache.invalidate_user("@a:hs");
        assert_eq!(cache.get(d, "@a:hs"), None);
        assert_eq!(cache.get(Shape::Synapse, "@a:hs"), None);
        assert_eq!(cache.get(d, "@b:hs").as_deref(), Some(&b"b"[..]));
        // An answer fetched before the invalidation is not cached.
        cache.insert_if_current(d, "@a:hs", Bytes::from_static(b"old"), generation);
        assert_eq!(cache.get(d, "@a:hs"), None);
        cache.invalidate_all();
        assert_eq!(cache.get(d, "@b:hs"), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = WhoisCache::new(Duration::ZERO);
        let shape = Shape::PerDevice;
        cache.insert_if_current(shape, "@a:hs", Bytes::from_static(b"a"), cache.generation());
        assert_eq!(cache.get(shape, "@a:hs"), None);
    }
}
