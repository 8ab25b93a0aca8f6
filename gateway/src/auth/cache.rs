//! A short-lived cache of token → identity answers, keyed by the SHA-256 of the token
//! (raw tokens are never kept). Unknown tokens are cached too, so a flood of bad tokens
//! does not reach accounts-svc.
//!
//! Revocations and admin changes arrive over the replica bus and drop a user's entries.
//! A generation counter, bumped on every invalidation, stops an answer fetched before a
//! revocation from being cached after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    pub device_id: String,
    pub is_admin: bool,
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
    entries: moka::sync::Cache<TokenHash, Entry>,
    generation: Arc<AtomicU64>,
}

impl TokenCache {
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build(),
            generation: Arc::default(),
        }
    }

    pub fn get(&self, hash: &TokenHash) -> Option<Entry> {
        self.entries.get(hash)
    }

    /// Read before asking accounts-svc; pass to [`TokenCache::insert_if_current`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches an answer unless an invalidation happened since `generation` was read.
    pub fn insert_if_current(&self, hash: TokenHash, entry: Entry, generation: u64) {
        if self.generation() != generation {
            return;
        }
        self.entries.insert(hash, entry);
        if self.generation() != generation {
            // An invalidation raced with the insert: it may have missed this entry.
            self.entries.invalidate(&hash);
        }
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Drops every entry of `user_id` (its tokens or admin flag changed).
    pub fn invalidate_user(&self, user_id: &str) {
        self.bump();
        let user_id = user_id.to_owned();
        let registered = self.entries.invalidate_entries_if(
            move |_, entry| matches!(entry, Entry::Valid(identity) if identity.user_id == user_id),
        );
        if registered.is_err() {
            self.entries.invalidate_all();
        }
    }

    /// Drops one token.
    pub fn invalidate_token(&self, hash: &TokenHash) {
        self.bump();
        self.entries.invalidate(hash);
    }

    /// Drops everything (the bus may have lost messages).
    pub fn invalidate_all(&self) {
        self.bump();
        self.entries.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(user: &str) -> Entry {
        Entry::Valid(Arc::new(Identity {
            user_id: user.into(),
            device_id: "D".into(),
            is_admin: false,
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
}
