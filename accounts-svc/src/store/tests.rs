use bailiff_database::Database;
use bailiff_domain::{OwnedUserId, UserId};

use super::*;
use crate::tokens::{TokenHash, hash_token};

async fn store(db: Database) -> Store {
    crate::migrate(&db).await.expect("migrate");
    // A second run must be a no-op (replicas all migrate on start).
    crate::migrate(&db).await.expect("migrate again");
    Store::new(db)
}

fn id(user_id: &str) -> OwnedUserId {
    OwnedUserId::try_from(user_id).expect("a valid user ID")
}

fn user(user_id: &UserId) -> NewUser<'_> {
    NewUser {
        user_id,
        password_hash: Some("$argon2id$stub"),
        displayname: "Alice",
        user_type: None,
        is_admin: false,
    }
}

fn session<'a>(device_id: &'a str, token_hash: &'a TokenHash) -> NewSession<'a> {
    NewSession {
        device_id: device_id.into(),
        display_name: Some("phone"),
        token_hash,
    }
}

bailiff_database::test_on_both_backends!(
    users_register_once_and_update,
    |db: Database| async move {
        let store = store(db).await;
        assert!(
            store
                .register(user(&id("@a:hs")), None, 1)
                .await
                .expect("register")
        );
        assert!(
            !store
                .register(user(&id("@a:hs")), None, 2)
                .await
                .expect("taken")
        );
        let bot_id = id("@bot:hs");
        let mut bot = user(&bot_id);
        bot.user_type = Some("bot");
        bot.is_admin = true;
        bot.password_hash = None;
        assert!(
            store
                .register(bot, Some(session("DEV", &hash_token("h1"))), 3)
                .await
                .expect("bot")
        );

        let a = store
            .user(&id("@a:hs"))
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(a.displayname, "Alice");
        assert!(!a.is_admin && !a.deactivated);
        let b = store
            .user(&id("@bot:hs"))
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(
            (b.user_type.as_deref(), b.is_admin, b.password_hash),
            (Some("bot"), true, None)
        );
        assert_eq!(store.user(&id("@nobody:hs")).await.expect("get"), None);

        assert!(store.set_admin(&id("@a:hs"), true).await.expect("admin"));
        assert!(
            !store
                .set_admin(&id("@nobody:hs"), true)
                .await
                .expect("admin")
        );
        assert!(
            store
                .user(&id("@a:hs"))
                .await
                .expect("get")
                .expect("a")
                .is_admin
        );
        let auth = store
            .authenticate(&hash_token("h1"))
            .await
            .expect("auth")
            .expect("valid");
        assert_eq!(
            auth,
            Authenticated {
                user_id: id("@bot:hs"),
                device_id: "DEV".into(),
                is_admin: true,
                locked: false,
                suspended: false,
            }
        );
        assert!(
            store
                .set_deactivated(&id("@bot:hs"), true)
                .await
                .expect("deactivate")
        );
        assert_eq!(
            store.authenticate(&hash_token("h1")).await.expect("auth"),
            None
        );
    }
);

bailiff_database::test_on_both_backends!(
    sessions_open_replace_and_revoke,
    |db: Database| async move {
        let store = store(db).await;
        assert!(
            store
                .register(
                    user(&id("@a:hs")),
                    Some(session("ONE", &hash_token("t1"))),
                    1
                )
                .await
                .expect("register")
        );
        // A generated ID that collides is refused, the existing session untouched.
        assert_eq!(
            store
                .open_session(&id("@a:hs"), session("ONE", &hash_token("t-x")), false, 2)
                .await
                .expect("open"),
            SessionOutcome::DeviceIdTaken
        );
        assert!(
            store
                .authenticate(&hash_token("t1"))
                .await
                .expect("auth")
                .is_some()
        );
        assert_eq!(
            store.authenticate(&hash_token("t-x")).await.expect("auth"),
            None
        );
        // A client-chosen existing device replaces its old token.
        assert_eq!(
            store
                .open_session(&id("@a:hs"), session("ONE", &hash_token("t2")), true, 3)
                .await
                .expect("open"),
            SessionOutcome::Created {
                revoked_previous: true
            }
        );
        assert_eq!(
            store.authenticate(&hash_token("t1")).await.expect("auth"),
            None
        );
        assert!(
            store
                .authenticate(&hash_token("t2"))
                .await
                .expect("auth")
                .is_some()
        );
        for (device, token) in [("TWO", "t3"), ("THREE", "t4")] {
            assert_eq!(
                store
                    .open_session(&id("@a:hs"), session(device, &hash_token(token)), true, 4)
                    .await
                    .expect("open"),
                SessionOutcome::Created {
                    revoked_previous: false
                }
            );
        }
        assert_eq!(
            store.device_ids(&id("@a:hs")).await.expect("devices"),
            ["ONE", "THREE", "TWO"]
        );

        assert_eq!(
            store
                .logout(&hash_token("t3"))
                .await
                .expect("logout")
                .as_deref()
                .map(UserId::as_str),
            Some("@a:hs")
        );
        assert_eq!(
            store.logout(&hash_token("t3")).await.expect("logout again"),
            None
        );
        assert_eq!(
            store.device_ids(&id("@a:hs")).await.expect("devices"),
            ["ONE", "THREE"]
        );

        assert!(
            store
                .reset_password(&id("@a:hs"), "$new", true, Some("THREE".into()))
                .await
                .expect("reset")
        );
        assert_eq!(
            store.device_ids(&id("@a:hs")).await.expect("devices"),
            ["THREE"]
        );
        assert_eq!(
            store.authenticate(&hash_token("t2")).await.expect("auth"),
            None
        );
        assert!(
            store
                .authenticate(&hash_token("t4"))
                .await
                .expect("auth")
                .is_some()
        );
        let a = store.user(&id("@a:hs")).await.expect("get").expect("a");
        assert_eq!(a.password_hash.as_deref(), Some("$new"));
        assert!(
            !store
                .reset_password(&id("@nobody:hs"), "$x", true, None)
                .await
                .expect("reset")
        );

        store.logout_all(&id("@a:hs")).await.expect("logout all");
        assert!(
            store
                .device_ids(&id("@a:hs"))
                .await
                .expect("devices")
                .is_empty()
        );
        assert_eq!(
            store.authenticate(&hash_token("t4")).await.expect("auth"),
            None
        );
    }
);

fn sighting(device: &str, ip: &str, ua: &str, at: i64) -> Sighting {
    Sighting {
        user_id: id("@a:hs"),
        device_id: device.into(),
        ip: ip.into(),
        user_agent: ua.into(),
        last_seen_ms: at,
    }
}

bailiff_database::test_on_both_backends!(
    connections_keep_newest_and_cap_per_device,
    |db: Database| async move {
        let store = store(db).await;
        // Duplicates inside one batch, and an older sighting after a newer one.
        store
            .record_connections(&[
                sighting("D1", "10.0.0.1", "ua", 100),
                sighting("D1", "10.0.0.1", "ua", 300),
                sighting("D1", "10.0.0.1", "ua", 200),
                sighting("D2", "10.0.0.2", "ua", 50),
            ])
            .await
            .expect("record");
        store
            .record_connections(&[sighting("D1", "10.0.0.1", "ua", 250)])
            .await
            .expect("older");
        store.record_connections(&[]).await.expect("empty batch");
        let whois = store.whois(&id("@a:hs")).await.expect("whois");
        assert_eq!(whois.len(), 2);
        assert_eq!(whois[0].device_id, "D1");
        assert_eq!(
            whois[0].connections,
            [Seen {
                ip: "10.0.0.1".into(),
                user_agent: "ua".into(),
                last_seen_ms: 300
            }]
        );
        assert_eq!(whois[1].device_id, "D2");

        // 120 distinct addresses (more than one statement's worth): only the newest 50 show.
        let many: Vec<_> = (0..120)
            .map(|i| sighting("D3", &format!("10.1.0.{i}"), "ua", 1_000 + i))
            .collect();
        store.record_connections(&many).await.expect("many");
        let whois = store.whois(&id("@a:hs")).await.expect("whois");
        assert_eq!(whois[0].device_id, "D3");
        let d3 = &whois[0].connections;
        assert_eq!(d3.len(), 50);
        assert_eq!(d3[0].last_seen_ms, 1_119);
        assert_eq!(d3[49].last_seen_ms, 1_070);
        assert!(d3.windows(2).all(|w| w[0].last_seen_ms > w[1].last_seen_ms));
        assert!(
            store
                .whois(&id("@nobody:hs"))
                .await
                .expect("whois")
                .is_empty()
        );
    }
);

bailiff_database::test_on_both_backends!(
    nonces_are_single_use_and_expire,
    |db: Database| async move {
        let store = store(db).await;
        store.insert_nonce("n1", 1_000).await.expect("insert");
        store.insert_nonce("n2", 1_000).await.expect("insert");
        assert!(
            !store
                .consume_nonce("n1", 1_000)
                .await
                .expect("expired at the boundary")
        );
        assert!(store.consume_nonce("n1", 999).await.expect("fresh"));
        assert!(!store.consume_nonce("n1", 999).await.expect("used"));
        assert!(!store.consume_nonce("unknown", 0).await.expect("unknown"));
        assert_eq!(store.prune_nonces(1_000).await.expect("prune"), 1);
        assert!(!store.consume_nonce("n2", 0).await.expect("pruned"));
    }
);

bailiff_database::test_on_both_backends!(
    seeding_thousands_in_one_transaction,
    |db: Database| async move {
        let store = store(db).await;
        let users: Vec<SeedUser> = (0..1_200)
            .map(|i| SeedUser {
                user_id: id(&format!("@u{i}:hs")),
                displayname: format!("u{i}"),
                session: (i % 2 == 0).then(|| ("SEED".into(), hash_token(&format!("hash{i}")))),
            })
            .collect();
        store.seed_users(&users, "$shared", 7).await.expect("seed");
        let u1 = store.user(&id("@u1:hs")).await.expect("get").expect("u1");
        assert_eq!(
            (u1.displayname.as_str(), u1.password_hash.as_deref()),
            ("u1", Some("$shared"))
        );
        assert_eq!(
            store
                .authenticate(&hash_token("hash1198"))
                .await
                .expect("auth")
                .expect("valid")
                .user_id,
            "@u1198:hs"
        );
        assert_eq!(
            store
                .authenticate(&hash_token("hash1"))
                .await
                .expect("auth"),
            None
        );
        // Re-seeding existing users leaves them alone but issues the new sessions.
        let again = [SeedUser {
            user_id: id("@u1:hs"),
            displayname: "other".into(),
            session: Some(("SEED2".into(), hash_token("again"))),
        }];
        store.seed_users(&again, "$other", 8).await.expect("reseed");
        let u1 = store.user(&id("@u1:hs")).await.expect("get").expect("u1");
        assert_eq!(u1.displayname, "u1");
        assert!(
            store
                .authenticate(&hash_token("again"))
                .await
                .expect("auth")
                .is_some()
        );
    }
);

bailiff_database::test_on_both_backends!(
    token_key_is_created_once_and_shared,
    |db: Database| async move {
        let store = store(db).await;
        // Replicas starting together: all of them must end up with the same key.
        let (a, b, c) = tokio::join!(store.token_key(), store.token_key(), store.token_key());
        let a = a.expect("key a");
        let token = a.mint();
        for other in [
            b.expect("key b"),
            c.expect("key c"),
            store.token_key().await.expect("again"),
        ] {
            assert!(other.verify(&token));
        }
    }
);
