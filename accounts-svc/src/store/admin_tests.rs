//! Users administration in the store, on both backends: list filters, order, paging and
//! total; create-or-modify; deactivation; devices with their last connection; the
//! maintained `last_seen_ts`.

use bailiff_database::Database;
use bailiff_domain::{OwnedDeviceId, OwnedUserId, UserId};

use super::*;
use crate::tokens::hash_token;

async fn store(db: Database) -> Store {
    crate::migrate(&db).await.expect("migrate");
    Store::new(db)
}

fn id(user_id: &str) -> OwnedUserId {
    OwnedUserId::try_from(user_id).expect("a valid user ID")
}

fn new_user<'a>(user_id: &'a UserId, name: &'a str) -> NewUser<'a> {
    NewUser {
        user_id,
        password_hash: Some("$argon2id$stub"),
        displayname: name,
        user_type: None,
        is_admin: false,
    }
}

fn ids(page: &UserPage) -> Vec<&str> {
    page.users.iter().map(|u| u.user_id.as_str()).collect()
}

bailiff_database::test_on_both_backends!(users_list_filters_and_pages, |db: Database| async move {
    let store = store(db).await;
    for (n, (user, name)) in [
        ("@carol:hs", "Carol"),
        ("@alice:hs", "Alice"),
        ("@bob:hs", "Roberto"),
        ("@dave:hs", "Dave"),
    ]
    .into_iter()
    .enumerate()
    {
        let user_id = id(user);
        let ts = i64::try_from(n).expect("small") + 1;
        assert!(
            store
                .register(new_user(&user_id, name), None, ts)
                .await
                .expect("register")
        );
    }
    let locked = UserChange {
        locked: Some(true),
        ..UserChange::default()
    };
    assert!(
        store
            .modify_user(&id("@dave:hs"), &locked, 10)
            .await
            .expect("lock")
    );
    let gone = UserChange {
        deactivated: Some(true),
        erase: true,
        ..UserChange::default()
    };
    assert!(
        store
            .modify_user(&id("@carol:hs"), &gone, 10)
            .await
            .expect("deactivate")
    );
    let bot = UserChange {
        user_type: Some(Some("bot".into())),
        admin: Some(true),
        ..UserChange::default()
    };
    assert!(
        store
            .modify_user(&id("@alice:hs"), &bot, 10)
            .await
            .expect("bot")
    );

    let base = UserQuery {
        limit: 100,
        ..UserQuery::default()
    };
    let page = store.list_users(&base).await.expect("list");
    assert_eq!(
        ids(&page),
        ["@alice:hs", "@bob:hs", "@carol:hs", "@dave:hs"]
    );
    assert_eq!(page.total, 4);
    let carol = &page.users[2];
    assert!(carol.deactivated && carol.erased && carol.displayname.is_none());

    let defaults = UserQuery {
        deactivated: FlagFilter::Exclude,
        locked: FlagFilter::Exclude,
        ..base.clone()
    };
    let page = store.list_users(&defaults).await.expect("list");
    assert_eq!(ids(&page), ["@alice:hs", "@bob:hs"]);
    let page = store
        .list_users(&UserQuery {
            name: Some("ROBERT".into()),
            ..base.clone()
        })
        .await
        .expect("by display name");
    assert_eq!(ids(&page), ["@bob:hs"]);
    let page = store
        .list_users(&UserQuery {
            name: Some("ali".into()),
            ..base.clone()
        })
        .await
        .expect("by localpart");
    assert_eq!(ids(&page), ["@alice:hs"]);
    let page = store
        .list_users(&UserQuery {
            not_user_types: vec!["bot".into()],
            ..base.clone()
        })
        .await
        .expect("not bot");
    assert_eq!(page.total, 3);
    let page = store
        .list_users(&UserQuery {
            not_user_types: vec![String::new()],
            ..base.clone()
        })
        .await
        .expect("typed only");
    assert_eq!(ids(&page), ["@alice:hs"]);
    let page = store
        .list_users(&UserQuery {
            admins: FlagFilter::Only,
            ..base.clone()
        })
        .await
        .expect("admins");
    assert_eq!(ids(&page), ["@alice:hs"]);
    // Creation order, backwards, paged; the total counts every page.
    let page = store
        .list_users(&UserQuery {
            order: UserOrder::CreationTs,
            backwards: true,
            from: 1,
            limit: 2,
            ..base.clone()
        })
        .await
        .expect("paged");
    assert_eq!(ids(&page), ["@bob:hs", "@alice:hs"]);
    assert_eq!(page.total, 4);
    // Ties by name ascending.
    let page = store
        .list_users(&UserQuery {
            order: UserOrder::Locked,
            ..base.clone()
        })
        .await
        .expect("by locked");
    assert_eq!(
        ids(&page),
        ["@alice:hs", "@bob:hs", "@carol:hs", "@dave:hs"]
    );
});

bailiff_database::test_on_both_backends!(users_modify_and_devices, |db: Database| async move {
    let store = store(db).await;
    let user_id = id("@erin:hs");
    let change = UserChange {
        threepids: Some(vec![Threepid {
            medium: "email".into(),
            address: "e@example.org".into(),
            added_at: 0,
            validated_at: 0,
        }]),
        external_ids: Some(vec![ExternalId {
            auth_provider: "oidc".into(),
            external_id: "e-1".into(),
        }]),
        ..UserChange::default()
    };
    assert!(
        store
            .create_user(new_user(&user_id, "Erin"), &change, 5)
            .await
            .expect("create")
    );
    assert!(
        !store
            .create_user(new_user(&user_id, "Erin"), &change, 5)
            .await
            .expect("taken")
    );
    let record = store
        .user_record(&user_id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(record.threepids[0].address, "e@example.org");
    assert_eq!(record.threepids[0].added_at, 5);
    assert_eq!(record.external_ids[0].external_id, "e-1");
    assert!(
        store
            .external_ids_taken(&id("@other:hs"), &record.external_ids)
            .await
            .expect("taken")
    );
    assert!(
        !store
            .external_ids_taken(&user_id, &record.external_ids)
            .await
            .expect("own")
    );

    // A device with two connections: the newest is its last seen; the user row follows.
    let session = NewSession {
        device_id: "PHONE".into(),
        display_name: None,
        token_hash: &hash_token("t1"),
    };
    store
        .open_session(&user_id, session, true, 6)
        .await
        .expect("session");
    store
        .create_device(&user_id, "TABLET".into(), 7)
        .await
        .expect("device");
    let seen = |ip: &str, at: i64| Sighting {
        user_id: user_id.clone(),
        device_id: OwnedDeviceId::from("PHONE"),
        ip: ip.into(),
        user_agent: "ua".into(),
        last_seen_ms: at,
    };
    store
        .record_connections(&[seen("10.0.0.1", 100), seen("10.0.0.2", 200)])
        .await
        .expect("seen");
    let devices = store.devices(&user_id).await.expect("devices");
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0].device_id.as_str(), "PHONE");
    assert_eq!(devices[0].last_seen_ip.as_deref(), Some("10.0.0.2"));
    assert_eq!(devices[0].last_seen_ts, Some(200));
    assert_eq!(devices[1].last_seen_ts, None);
    let record = store
        .user_record(&user_id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(record.last_seen_ts_ms, Some(200));
    store
        .record_connections(&[seen("10.0.0.1", 150)])
        .await
        .expect("older");
    let record = store
        .user_record(&user_id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(record.last_seen_ts_ms, Some(200), "never goes back");

    assert!(
        store
            .rename_device(&user_id, "TABLET".into(), Some("Tab"))
            .await
            .expect("rename")
    );
    assert!(
        !store
            .rename_device(&user_id, "NOPE".into(), None)
            .await
            .expect("rename")
    );
    assert_eq!(
        store
            .device(&user_id, "TABLET".into())
            .await
            .expect("one")
            .and_then(|d| d.display_name),
        Some("Tab".to_owned())
    );
    store
        .delete_devices(
            &user_id,
            &[OwnedDeviceId::from("PHONE"), OwnedDeviceId::from("NOPE")],
        )
        .await
        .expect("delete");
    assert_eq!(
        store.authenticate(&hash_token("t1")).await.expect("auth"),
        None
    );
    assert_eq!(store.devices(&user_id).await.expect("devices").len(), 1);

    // Deactivation removes sessions, password and threepids; reactivation clears erased.
    let gone = UserChange {
        deactivated: Some(true),
        erase: true,
        ..UserChange::default()
    };
    assert!(
        store
            .modify_user(&user_id, &gone, 9)
            .await
            .expect("deactivate")
    );
    let record = store
        .user_record(&user_id)
        .await
        .expect("get")
        .expect("exists");
    assert!(record.deactivated && record.erased && record.threepids.is_empty());
    assert!(store.devices(&user_id).await.expect("devices").is_empty());
    assert_eq!(
        store
            .user(&user_id)
            .await
            .expect("get")
            .and_then(|u| u.password_hash),
        None
    );
    let back = UserChange {
        deactivated: Some(false),
        password_hash: Some(("$argon2id$new".into(), true)),
        ..UserChange::default()
    };
    assert!(
        store
            .modify_user(&user_id, &back, 10)
            .await
            .expect("reactivate")
    );
    let record = store
        .user_record(&user_id)
        .await
        .expect("get")
        .expect("exists");
    assert!(!record.deactivated && !record.erased);
    assert!(
        !store
            .modify_user(&id("@ghost:hs"), &back, 10)
            .await
            .expect("ghost")
    );
});

bailiff_database::test_on_both_backends!(
    suspension_is_stored_and_read_with_the_token,
    |db: Database| async move {
        let store = store(db).await;
        let user_id = id("@sus:hs");
        assert!(
            store
                .register(new_user(&user_id, "Sus"), None, 1)
                .await
                .expect("register")
        );
        let token = hash_token("sus-token");
        store
            .open_session(
                &user_id,
                NewSession {
                    device_id: "SUSDEV".into(),
                    display_name: None,
                    token_hash: &token,
                },
                true,
                2,
            )
            .await
            .expect("session");
        let read = |store: Store| async move {
            let record = store
                .user_record(&id("@sus:hs"))
                .await
                .expect("record")
                .expect("exists");
            let auth = store
                .authenticate(&hash_token("sus-token"))
                .await
                .expect("auth")
                .expect("valid");
            assert_eq!(record.suspended, auth.suspended);
            (record.suspended, record.locked)
        };
        assert_eq!(read(store.clone()).await, (false, false));
        for suspended in [true, false] {
            let change = UserChange {
                suspended: Some(suspended),
                ..UserChange::default()
            };
            assert!(
                store
                    .modify_user(&user_id, &change, 3)
                    .await
                    .expect("suspend")
            );
            // Suspension leaves the lock alone, and the other way round.
            assert_eq!(read(store.clone()).await, (suspended, false));
        }
    }
);
