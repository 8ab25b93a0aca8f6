//! The shared-secret registration MAC (Synapse's algorithm). The one copy: the
//! `/_synapse/admin/v1/register` route checks it, `bailiff register-user` computes it.

use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

/// HMAC-SHA1 keyed with `secret` over `nonce NUL username NUL password NUL
/// ("admin"|"notadmin")`, then `NUL user_type` when `user_type` is a non-empty string;
/// lower-case hex.
pub fn registration_mac(
    secret: &str,
    nonce: &str,
    username: &str,
    password: &str,
    admin: bool,
    user_type: Option<&str>,
) -> String {
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        // HMAC accepts keys of any length; this branch cannot be taken.
        return String::new();
    };
    mac.update(nonce.as_bytes());
    mac.update(b"\0");
    mac.update(username.as_bytes());
    mac.update(b"\0");
    mac.update(password.as_bytes());
    mac.update(b"\0");
    mac.update(if admin {
        b"admin" as &[u8]
    } else {
        b"notadmin"
    });
    if let Some(user_type) = user_type.filter(|t| !t.is_empty()) {
        mac.update(b"\0");
        mac.update(user_type.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Compares a received MAC with the expected one in constant time (for equal lengths).
pub fn mac_matches(expected: &str, received: &str) -> bool {
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_test_vectors() {
        assert_eq!(
            registration_mac("s3cret", "n0nce", "bob", "pw123", false, None),
            "8573fba163486ff7fd1bbb8d8ddbd42f8e2105c8"
        );
        assert_eq!(
            registration_mac("s3cret", "n0nce", "boss", "pw123", true, None),
            "22a5d25f3eaee163eb99257c0e664e32a611435e"
        );
        assert_eq!(
            registration_mac("s3cret", "n0nce", "bot1", "pw123", false, Some("bot")),
            "def4ef287232a0d7c6d490960758d4994a811a62"
        );
        assert!(mac_matches("abc", "abc"));
        assert!(!mac_matches("abc", "abd"));
        assert!(!mac_matches("abc", "ab"));
    }
}
