use super::*;

#[test]
fn minted_tokens_verify_with_their_key_only() {
    let key = TokenKey::generate();
    let token = key.mint();
    assert!(token.starts_with(PREFIX), "{token}");
    assert_eq!(token.len(), TOKEN_LEN);
    assert!(key.verify(&token));
    assert_ne!(token, key.mint());
    let other = TokenKey::generate();
    assert!(!other.verify(&token));
}

#[test]
fn any_change_to_a_token_breaks_it() {
    let key = TokenKey::generate();
    let token = key.mint();
    for at in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
        let changed = String::from_utf8(bytes).unwrap_or_default();
        assert!(!key.verify(&changed), "changed at {at}: {changed}");
    }
    assert!(!key.verify(&token[..token.len() - 1]));
    assert!(!key.verify(&format!("{token}0")));
    assert!(!key.verify(""));
    assert!(!key.verify("bogus_token"));
    // Same length, not hex where the tag should be.
    let mut odd = token[..token.len() - 2].to_owned();
    odd.push_str("zz");
    assert!(!key.verify(&odd));
    // Multi-byte characters at the length of a token must not panic.
    let wide = format!("{PREFIX}{}_{}", "é".repeat(32), "0".repeat(32));
    assert_eq!(wide.len(), TOKEN_LEN);
    assert!(!key.verify(&wide));
}

#[test]
fn keys_round_trip_and_reject_other_lengths() {
    let key = TokenKey::generate();
    let back = TokenKey::from_bytes(key.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let token = key.mint();
    assert!(back.verify(&token));
    assert_eq!(TokenKey::from_bytes(&[0; 31]).err(), Some(BadKeyLength(31)));
    assert!(!format!("{key:?}").contains(&hex::encode(key.as_bytes())[..8]));
}
