//! Device IDs, nonces and the stored form of access tokens: the random values clients
//! hold. Tokens themselves are minted by [`access_token::TokenKey`].
//!
//! Everything comes from `rand::rng()`, a CSPRNG (ChaCha) seeded and periodically
//! reseeded from the OS. Tokens are stored only as SHA-256 hex: a database leak must not
//! hand out live sessions, and a fast hash suffices because tokens carry 256 bits of
//! entropy (unlike passwords, there is nothing to brute-force).

use bailiff_domain::OwnedDeviceId;
use rand::{Rng, RngExt};
use sha2::{Digest, Sha256};

/// Length of generated device IDs.
pub const DEVICE_ID_LEN: usize = 10;

/// What the database stores for a token: lower-case hex SHA-256 of its bytes. A type of
/// its own, so a raw token can never be bound where its hash belongs (nor the reverse).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// The hex text, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Hashes a token for storage or lookup.
pub fn hash_token(token: &str) -> TokenHash {
    TokenHash(hex::encode(Sha256::digest(token.as_bytes())))
}

/// A new device ID: 10 upper-case ASCII letters, as Synapse issues them.
pub fn new_device_id() -> OwnedDeviceId {
    let mut rng = rand::rng();
    let id: String = (0..DEVICE_ID_LEN)
        .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
        .collect();
    OwnedDeviceId::from(id)
}

/// A registration nonce: 32 random bytes as 64 hex characters.
pub fn new_nonce() -> String {
    random_hex::<32>()
}

fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hashed_as_sha256_hex() {
        let key = access_token::TokenKey::generate();
        let (a, b) = (key.mint(), key.mint());
        // Known vector: SHA-256("abc").
        assert_eq!(
            hash_token("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash_token(&a), hash_token(&b));
    }

    #[test]
    fn device_ids_are_ten_upper_case_letters() {
        for _ in 0..100 {
            let id = new_device_id();
            assert_eq!(id.as_str().len(), DEVICE_ID_LEN);
            assert!(id.as_str().bytes().all(|b| b.is_ascii_uppercase()), "{id}");
        }
    }

    #[test]
    fn nonces_are_64_hex_chars() {
        let nonce = new_nonce();
        assert_eq!(nonce.len(), 64);
        assert!(nonce.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(nonce, new_nonce());
    }
}
