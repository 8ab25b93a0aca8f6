//! A short-lived cache of token → identity answers, keyed by the SHA-256 of the token
//! (raw tokens are never kept). Unknown tokens are cached too, so a client retrying with
//! a dead token does not reach accounts-svc each time; they live in a separate cache a
//! tenth the size, so a flood of made-up tokens can neither evict the sessions of real
//! users nor grow the gateway's memory beyond that tenth.
//!
//! Revocations and admin changes arrive over the replica bus and drop a user's entries.
//! A generation counter, bumped on every invalidation, stops an answer fetched before a
//! revocation from being cached after it.

use std::sync::Arc;
use std::time::Duration;

use ruma_common::OwnedUserId;
use sha2::{Digest, Sha256};

use crate::generation::Generation;

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: OwnedUserId,
    pub device_id: String,
    pub is_admin: bool,
    /// A locked user's token is valid but refused with `M_USER_LOCKED`; the flag is
    /// cached with the answer and dropped with it when accounts-svc announces a change.
    pub locked: bool,
    /// A suspended user's token works for reading; their writes are refused
    /// ([`crate::auth::Suspendable`]). Cached and dropped exactly like `locked`.
    pub suspended: bool,
}

/// A cached answer.
#[derive(Debug, Clone)]
pub enum Entry {
    Valid(Arc<Identity>),
    /// accounts-svc said the token is unknown, revoked or of a deactivated user.
    Unknown,
}

/// SHA-256 of a token: the cache key.
pub type TokenHash = [u8; 32];

/// Hashes a token for the cache.
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// The cache; cheap to clone.
#[derive(Clone)]
pub struct TokenCache {
    valid: moka::sync::Cache<TokenHash, Arc<Identity>>,
    unknown: moka::sync::Cache<TokenHash, ()>,
    generation: Generation,
}

impl TokenCache {
    /// Up to `capacity` valid tokens and `capacity / 10` unknown ones, each for `ttl`.
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Self {
            valid: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build(),
            unknown: moka::sync::Cache::builder()
                .max_capacity((capacity / 10).max(1))
                .time_to_live(ttl)
                .build(),
            generation: Generation::default(),
        }
    }

    pub fn get(&self, hash: &TokenHash) -> Option<Entry> {
        if let Some(identity) = self.valid.get(hash) {
            return Some(Entry::Valid(identity));
        }
        self.unknown.contains_key(hash).then_some(Entry::Unknown)
    }

    /// Read before asking accounts-svc; pass to [`TokenCache::insert_if_current`].
    pub fn generation(&self) -> u64 {
        self.generation.current()
    }

    /// Caches an answer unless an invalidation happened since `generation` was read.
    pub fn insert_if_current(&self, hash: TokenHash, entry: Entry, generation: u64) {
        self.generation.insert_if_current(
            generation,
            || match entry {
                Entry::Valid(identity) => self.valid.insert(hash, identity),
                Entry::Unknown => self.unknown.insert(hash, ()),
            },
            || {
                self.valid.invalidate(&hash);
                self.unknown.invalidate(&hash);
            },
        );
    }

    /// Drops every entry of `user_id` (its tokens or admin flag changed).
    pub fn invalidate_user(&self, user_id: &str) {
        self.generation.bump();
        let user_id = user_id.to_owned();
        let registered = self
            .valid
            .invalidate_entries_if(move |_, identity| identity.user_id.as_str() == user_id);
        if registered.is_err() {
            self.valid.invalidate_all();
        }
    }

    /// Drops one token.
    pub fn invalidate_token(&self, hash: &TokenHash) {
        self.generation.bump();
        self.valid.invalidate(hash);
        self.unknown.invalidate(hash);
    }

    /// Drops everything (the bus may have lost messages).
    pub fn invalidate_all(&self) {
        self.generation.bump();
        self.valid.invalidate_all();
        self.unknown.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(user: &str) -> Entry {
        let user_id = ruma_common::UserId::parse(user).unwrap_or_else(|e| panic!("{e}"));
        Entry::Valid(Arc::new(Identity {
            user_id,
            device_id: "D".into(),
            is_admin: false,
            locked: false,
            suspended: false,
        }))
    }

    #[test]
    fn drops_a_users_entries() {
        let cache = TokenCache::new(Duration::from_secs(60), 100);
        let (a, b) = (hash_token("a"), hash_token("b"));
        let generation = cache.generation();
        cache.insert_if_current(a, identity("@a:hs"), generation);
        cache.insert_if_current(b, identity("@b:hs"), generation);
        assert!(cache.get(&a).is_some());
        cache.invalidate_user("@a:hs");
        assert!(cache.get(&a).is_none());
        assert!(cache.get(&b).is_some());
        // An answer fetched before the invalidation is not cached.
        cache.insert_if_current(a, identity("@a:hs"), generation);
        assert!(cache.get(&a).is_none());
    }

    #[test]
    fn a_flood_of_unknown_tokens_stays_small_and_evicts_no_session() {
        let cache = TokenCache::new(Duration::from_secs(60), 100);
        let session = hash_token("real");
        cache.insert_if_current(session, identity("@a:hs"), cache.generation());
        for n in 0..1_000 {
            let made_up = hash_token(&format!("made-up {n}"));
            cache.insert_if_current(made_up, Entry::Unknown, cache.generation());
        }
        cache.valid.run_pending_tasks();
        cache.unknown.run_pending_tasks();
        assert!(matches!(cache.get(&session), Some(Entry::Valid(_))));
        assert!(
            cache.unknown.entry_count() <= 10,
            "{}",
            cache.unknown.entry_count()
        );
        let recent = hash_token("made-up 999");
        cache.insert_if_current(recent, Entry::Unknown, cache.generation());
        assert!(matches!(cache.get(&recent), Some(Entry::Unknown)));
    }
}
