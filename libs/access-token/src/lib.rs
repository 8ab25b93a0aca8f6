//! Access tokens that carry their own proof of origin.
//!
//! A token is `bft_<64 hex: 32 random bytes>_<32 hex: HMAC-SHA256 tag, first 16 bytes>`,
//! the tag keyed with a [`TokenKey`] that accounts-svc keeps in its database and hands
//! to gateways. A gateway that holds the key refuses a token whose tag does not verify
//! without asking accounts-svc or touching the database: a flood of made-up tokens costs
//! one HMAC each, not a query each. The tag proves only that the token was minted here;
//! whether it is still live (not logged out, user not deactivated) is still the token
//! table's answer.
//!
//! The random part alone carries the secret's 256 bits of entropy; the tag adds none and
//! needs none (it is not a signature of claims, only an origin check).

use hmac::{KeyInit, Mac};
use rand::Rng;
use subtle::ConstantTimeEq;

/// Prefix of every access token, so secret scanners and humans can recognise one.
pub const PREFIX: &str = "bft_";

const RANDOM_BYTES: usize = 32;
const TAG_BYTES: usize = 16;
/// Length of a minted token: prefix, random hex, `_`, tag hex.
pub const TOKEN_LEN: usize = PREFIX.len() + 2 * RANDOM_BYTES + 1 + 2 * TAG_BYTES;

/// Length in bytes of a [`TokenKey`].
pub const KEY_LEN: usize = 32;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The secret that tags tokens. Its `Debug` output never shows the bytes.
#[derive(Clone)]
pub struct TokenKey([u8; KEY_LEN]);

/// A stored key of the wrong length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadKeyLength(pub usize);

impl std::fmt::Display for BadKeyLength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "token key has {} bytes, expected {KEY_LEN}", self.0)
    }
}

impl std::error::Error for BadKeyLength {}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// A fresh key from the operating system's CSPRNG (through `rand::rng()`).
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A key read back from storage or received from accounts-svc.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadKeyLength> {
        <[u8; KEY_LEN]>::try_from(bytes)
            .map(Self)
            .map_err(|_| BadKeyLength(bytes.len()))
    }

    /// The raw key, for storing it or sending it to a gateway.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A new access token tagged with this key.
    pub fn mint(&self) -> String {
        let mut random = [0u8; RANDOM_BYTES];
        rand::rng().fill_bytes(&mut random);
        let body = format!("{PREFIX}{}", hex::encode(random));
        let tag = hex::encode(self.tag(&body));
        format!("{body}_{tag}")
    }

    /// Whether `token` was minted with this key. Constant-time in the tag comparison.
    pub fn verify(&self, token: &str) -> bool {
        if token.len() != TOKEN_LEN || !token.starts_with(PREFIX) {
            return false;
        }
        let Some((body, tag)) = token.rsplit_once('_') else {
            return false;
        };
        let mut given = [0u8; TAG_BYTES];
        if hex::decode_to_slice(tag, &mut given).is_err() {
            return false;
        }
        self.tag(body).ct_eq(&given).into()
    }

    fn tag(&self, body: &str) -> [u8; TAG_BYTES] {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.0) else {
            // HMAC accepts keys of any length; this branch cannot be taken.
            return [0; TAG_BYTES];
        };
        mac.update(body.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&full[..TAG_BYTES]);
        tag
    }
}

#[cfg(test)]
mod tests;
