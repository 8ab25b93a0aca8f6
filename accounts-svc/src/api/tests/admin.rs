//! User administration and whois.

use super::*;

bailiff_database::test_on_both_backends!(user_admin_rpcs, |db: Database| async move {
    let mut h = Harness::new(db).await;
    let missing = error(
        h.client
            .get_user(GetUserRequest {
                user_id: "@nobody:hs.test".into(),
            })
            .await,
    );
    assert_eq!(
        (missing.status, missing.errcode, missing.message.as_str()),
        (404, "M_NOT_FOUND", "User not found")
    );

    let bob = h.register("bob", "old password").await;
    h.client
        .set_admin(SetAdminRequest {
            user_id: "@bob:hs.test".into(),
            admin: true,
        })
        .await
        .expect("promote");
    assert_eq!(h.published(), ["@bob:hs.test"]);
    assert!(
        h.authenticate(&bob.access_token)
            .await
            .expect("auth")
            .is_admin
    );
    assert!(
        h.client
            .get_user(GetUserRequest {
                user_id: "@bob:hs.test".into()
            })
            .await
            .expect("get")
            .into_inner()
            .is_admin
    );
    h.client
        .set_admin(SetAdminRequest {
            user_id: "@bob:hs.test".into(),
            admin: false,
        })
        .await
        .expect("demote");
    assert_eq!(h.published(), ["@bob:hs.test"]);
    assert!(
        !h.authenticate(&bob.access_token)
            .await
            .expect("auth")
            .is_admin
    );
    let e = error(
        h.client
            .set_admin(SetAdminRequest {
                user_id: "@nobody:hs.test".into(),
                admin: true,
            })
            .await,
    );
    assert_eq!((e.status, e.errcode), (404, "M_NOT_FOUND"));

    let other = h
        .login("bob", "old password", Some("OTHER"))
        .await
        .expect("login");
    let e = error(
        h.client
            .reset_password(ResetPasswordRequest {
                user_id: "@nobody:hs.test".into(),
                new_password: "x".into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!((e.status, e.errcode), (404, "M_NOT_FOUND"));

    // Without logout: only the password changes.
    h.client
        .reset_password(ResetPasswordRequest {
            user_id: "@bob:hs.test".into(),
            new_password: "new password".into(),
            ..Default::default()
        })
        .await
        .expect("reset");
    assert!(h.published().is_empty());
    assert!(h.authenticate(&other.access_token).await.is_ok());
    assert_login_refused(h.login("bob", "old password", None).await);
    let third = h
        .login("bob", "new password", None)
        .await
        .expect("new password works");

    // With logout: everything but the kept device goes, and gateways are told.
    h.client
        .reset_password(ResetPasswordRequest {
            user_id: "@bob:hs.test".into(),
            new_password: "newer password".into(),
            logout_devices: true,
            keep_device_id: Some(bob.device_id.clone()),
        })
        .await
        .expect("reset with logout");
    assert_eq!(h.published(), ["@bob:hs.test"]);
    assert!(
        h.authenticate(&bob.access_token).await.is_ok(),
        "the caller's device is kept"
    );
    assert_unknown_token(h.authenticate(&other.access_token).await);
    assert_unknown_token(h.authenticate(&third.access_token).await);
    assert_eq!(
        h.store
            .device_ids(&id("@bob:hs.test"))
            .await
            .expect("devices"),
        [bob.device_id.as_str()]
    );

    h.client
        .reset_password(ResetPasswordRequest {
            user_id: "@bob:hs.test".into(),
            new_password: "newest password".into(),
            logout_devices: true,
            keep_device_id: None,
        })
        .await
        .expect("reset, logout all");
    assert_unknown_token(h.authenticate(&bob.access_token).await);
    assert!(h.login("bob", "newest password", None).await.is_ok());
});

bailiff_database::test_on_both_backends!(whois_groups_caps_and_orders, |db: Database| async move {
    let mut h = Harness::new(db).await;
    let mut batch: Vec<Connection> = (0..60)
        .map(|i| connection("LAPTOP", &format!("192.0.2.{i}"), "Element", 1_000 + i))
        .collect();
    batch.push(connection("PHONE", "198.51.100.1", "FluffyChat", 500));
    batch.push(connection("PHONE", "198.51.100.1", "FluffyChat", 900));
    batch.push(connection("PHONE", "198.51.100.1", "Element Android", 800));
    batch.push(connection("", "198.51.100.1", "no device", 800));
    h.client
        .record_connections(RecordConnectionsRequest { connections: batch })
        .await
        .expect("record");
    // A late, older report does not move last_seen back.
    h.client
        .record_connections(RecordConnectionsRequest {
            connections: vec![connection("PHONE", "198.51.100.1", "FluffyChat", 600)],
        })
        .await
        .expect("record");
    h.client
        .record_connections(RecordConnectionsRequest {
            connections: vec![],
        })
        .await
        .expect("empty batch");

    let whois = h
        .client
        .whois(WhoisRequest {
            user_id: "@bob:hs.test".into(),
        })
        .await
        .expect("whois")
        .into_inner();
    assert_eq!(whois.user_id, "@bob:hs.test");
    let devices: Vec<&str> = whois.devices.iter().map(|d| d.device_id.as_str()).collect();
    assert_eq!(devices, ["LAPTOP", "PHONE"]);
    let laptop = &whois.devices[0].connections;
    assert_eq!(laptop.len(), 50);
    assert_eq!(
        (laptop[0].ip.as_str(), laptop[0].last_seen_ms),
        ("192.0.2.59", 1_059)
    );
    assert_eq!(laptop[49].last_seen_ms, 1_010);
    let phone: Vec<(&str, i64)> = whois.devices[1]
        .connections
        .iter()
        .map(|c| (c.user_agent.as_str(), c.last_seen_ms))
        .collect();
    assert_eq!(phone, [("FluffyChat", 900), ("Element Android", 800)]);

    let nobody = h
        .client
        .whois(WhoisRequest {
            user_id: "@nobody:hs.test".into(),
        })
        .await
        .expect("whois")
        .into_inner();
    assert_eq!(nobody.user_id, "@nobody:hs.test");
    assert!(nobody.devices.is_empty());
});

bailiff_database::test_on_both_backends!(
    suspension_is_published_and_carried_by_authenticate,
    |db: Database| async move {
        let mut h = Harness::new(db).await;
        let sam = h.register("sam", "a password").await;
        h.published();
        for suspended in [true, false] {
            let answer = h
                .client
                .put_user(PutUserRequest {
                    user_id: "@sam:hs.test".into(),
                    requester: "@admin:hs.test".into(),
                    suspended: Some(suspended),
                    ..Default::default()
                })
                .await
                .expect("put")
                .into_inner();
            let record = answer.user.expect("the record");
            assert_eq!((record.suspended, record.locked), (suspended, false));
            assert!(!answer.created);
            // Every gateway hears of it, and the next token lookup carries it.
            assert_eq!(h.published(), ["@sam:hs.test"]);
            let auth = h.authenticate(&sam.access_token).await.expect("auth");
            assert_eq!((auth.suspended, auth.locked), (suspended, false));
            let read = h
                .client
                .get_user_record(GetUserRecordRequest {
                    user_id: "@sam:hs.test".into(),
                })
                .await
                .expect("record")
                .into_inner();
            assert_eq!(read.suspended, suspended);
        }
    }
);
