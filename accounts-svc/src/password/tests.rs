use super::*;

#[tokio::test]
async fn new_hashes_are_argon2id_at_owasp_minimum_or_stronger() {
    let passwords = Passwords::new(2);
    let stored = passwords.hash("correct horse").await.expect("hash");
    let parsed = PasswordHash::new(&stored).expect("PHC string");
    assert_eq!(parsed.algorithm.as_str(), "argon2id");
    assert_eq!(parsed.version, Some(19));
    let params = Params::try_from(&parsed).expect("argon2 params");
    // The OWASP Password Storage Cheat Sheet lists these (memory KiB, passes) pairs as
    // equally strong minimums for Argon2id with one lane.
    let owasp_minimums = [
        (47_104, 1),
        (19_456, 2),
        (12_288, 3),
        (9_216, 4),
        (7_168, 5),
    ];
    assert!(
        owasp_minimums
            .iter()
            .any(|&(m, t)| params.m_cost() >= m && params.t_cost() >= t),
        "m={} t={} is below every OWASP minimum",
        params.m_cost(),
        params.t_cost()
    );
    assert!(params.p_cost() >= 1, "p={}", params.p_cost());
    assert!(parsed.salt.expect("salt").len() >= 16);

    assert!(
        passwords
            .verify("correct horse", &stored)
            .await
            .expect("verify")
    );
    assert!(
        !passwords
            .verify("wrong horse", &stored)
            .await
            .expect("verify")
    );
    // Same password, new salt.
    assert_ne!(stored, passwords.hash("correct horse").await.expect("hash"));
}

#[tokio::test]
async fn bcrypt_hashes_from_other_servers_verify() {
    let passwords = Passwords::new(1);
    // Published vectors (bcrypt crate's interop tests: an online tool and Python).
    let two_a = "$2a$04$UuTkLRZZ6QofpDOlMz32MuuxEHA43WOemOYHPz6.SjsVsyO1tDU96";
    let two_b = "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie";
    // `$2y$` (PHP) is the same algorithm under another name.
    let two_y = two_b.replacen("$2b$", "$2y$", 1);
    assert!(passwords.verify("password", two_a).await.expect("2a"));
    assert!(!passwords.verify("Password", two_a).await.expect("2a"));
    assert!(
        passwords
            .verify("correctbatteryhorsestapler", two_b)
            .await
            .expect("2b")
    );
    assert!(
        passwords
            .verify("correctbatteryhorsestapler", &two_y)
            .await
            .expect("2y")
    );
}

#[tokio::test]
async fn garbage_hashes_never_match_and_never_fail() {
    let passwords = Passwords::new(1);
    for stored in [
        "",
        "plain",
        "$argon2id$nonsense",
        "$2b$99$short",
        "$1$md5$x",
    ] {
        assert!(
            !passwords.verify("x", stored).await.expect("verify"),
            "{stored}"
        );
    }
    assert!(!passwords.verify_decoy("anything").await.expect("decoy"));
}
