//! Password hashing and verification.
//!
//! New hashes are Argon2id at an OWASP minimum: 7 MiB, 5 passes, 1 lane. OWASP lists it
//! as equal in strength to 19 MiB with 2 passes (and 12/3, 9/4, 46/1); of those it is the
//! fastest here (about 23 ms against 35 ms on this project's 2-core reference machine:
//! the smaller block array stays closer to the CPU caches and needs fewer fresh pages)
//! and the lightest on memory, which matters in the embedded default. Hashes stored with
//! other parameters keep verifying with their own. Imported accounts may carry bcrypt
//! hashes (`$2a$`, `$2b$`, `$2y$`), which verify too. Both are deliberately slow, so they
//! run on the blocking pool, never on the async workers, and a semaphore bounds how many
//! run at once: a login storm must not turn into unbounded memory or starve the pool.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use tokio::sync::{OnceCell, Semaphore};

/// Argon2 memory cost in KiB (OWASP's 7 MiB option for Argon2id; see the module docs).
pub const ARGON2_M_COST_KIB: u32 = 7_168;
/// Argon2 passes (5 go with 7 MiB).
pub const ARGON2_T_COST: u32 = 5;
/// Argon2 lanes.
pub const ARGON2_P_COST: u32 = 1;

/// Why hashing could not be done at all (as opposed to "wrong password").
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The hashing task panicked or was cancelled; a fault, not bad input.
    #[error("password hashing task failed")]
    Task,
    /// Argon2 rejected the input (cannot happen with our parameters and salt size).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Hashes and verifies passwords off the async runtime with bounded concurrency.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A real hash nobody's password matches, verified when the user is unknown so that
    /// "no such user" costs as much as "wrong password" and does not reveal who exists.
    decoy: Arc<OnceCell<String>>,
}

impl Passwords {
    /// At most `max_concurrent` hashes run at once (at least one).
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            decoy: Arc::new(OnceCell::new()),
        }
    }

    /// One hash per CPU: hashing is CPU-bound, so more would only queue in the OS and
    /// hold more memory.
    pub fn per_cpu() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
    }

    /// A fresh Argon2id PHC string (`$argon2id$v=19$m=7168,t=5,p=1$…`) with a random salt.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.run_blocking(move || {
            argon2id()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| PasswordError::Hash(e.to_string()))
        })
        .await?
    }

    /// True when `password` matches `stored`. An unparseable or unknown hash format is a
    /// mismatch (logged), not an error: the user simply cannot log in with it.
    pub async fn verify(&self, password: &str, stored: &str) -> Result<bool, PasswordError> {
        let password = password.to_owned();
        let stored = stored.to_owned();
        self.run_blocking(move || verify_sync(&password, &stored))
            .await
    }

    /// Spends the same effort as a real verification and always fails; see `decoy`.
    pub async fn verify_decoy(&self, password: &str) -> Result<bool, PasswordError> {
        let decoy = self
            .decoy
            .get_or_try_init(|| self.hash("decoy password nobody has"))
            .await?
            .clone();
        self.verify(password, &decoy).await?;
        Ok(false)
    }

    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        // Waiting here (not inside the blocking pool) keeps queued requests cheap. The
        // permit moves into the blocking task: if the caller gives up (client gone), the
        // hash still runs to the end and must keep counting against the bound.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| PasswordError::Task)?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|_| PasswordError::Task)
    }
}

fn argon2id() -> Argon2<'static> {
    // The constants are valid Argon2 parameters; `Params::DEFAULT` (19 MiB, 2 passes, an
    // equally strong OWASP minimum) is a fallback that can never fail.
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn verify_sync(password: &str, stored: &str) -> bool {
    if stored.starts_with("$argon2") {
        match PasswordHash::new(stored) {
            // The parameters come from the stored hash, not from `argon2id()`, so hashes
            // made with other costs (or Argon2i/d) still verify.
            Ok(parsed) => argon2id()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(error) => {
                tracing::warn!(%error, "stored Argon2 hash does not parse");
                false
            }
        }
    } else if ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| stored.starts_with(prefix))
    {
        match bcrypt::verify(password, stored) {
            Ok(matches) => matches,
            Err(error) => {
                tracing::warn!(%error, "stored bcrypt hash does not parse");
                false
            }
        }
    } else {
        tracing::warn!("stored password hash has an unknown format");
        false
    }
}

#[cfg(test)]
mod tests;
