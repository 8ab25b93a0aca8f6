//! The store on both databases, and the service as its callers see it: generated client
//! → in-process channel → notices-svc → in-process membership-svc.

use std::sync::Arc;

use bailiff_config::Config;
use bailiff_database::{Database, test_on_both_backends};
use bailiff_domain::{OwnedEventId, OwnedRoomId, OwnedUserId};
use bailiff_proto::channel::{GrpcChannel, in_process};
use bailiff_proto::membership as mpb;
use bailiff_proto::membership::rooms_client::RoomsClient;
use bailiff_proto::notices::notices_client::NoticesClient;
use bailiff_proto::notices::notices_server::NoticesServer;
use bailiff_proto::notices::{
    GetNoticeRoomRequest, GetTransactionRequest, SendNoticeRequest, TransactionKey,
};
use matrix_status::MatrixError;
use replica_bus::ReplicaBus;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::store::*;
use crate::{NoticeStore, NoticesService};

const ALICE: &str = "@alice:hs.test";
const SYSTEM: &str = "@_server:hs.test";

fn user(user_id: &str) -> OwnedUserId {
    OwnedUserId::try_from(user_id).expect("a valid user ID")
}

fn room(room_id: &str) -> OwnedRoomId {
    OwnedRoomId::try_from(room_id).expect("a valid room ID")
}

fn key(txn: &str) -> TxnKey {
    TxnKey {
        user_id: user("@admin:hs.test"),
        device_id: "DEV".into(),
        txn_id: txn.into(),
    }
}

test_on_both_backends!(room_claims_have_one_winner, |db: Database| async move {
    crate::migrate(&db).await.expect("migrate");
    let store = NoticeStore::new(db);
    assert_eq!(store.room_of(&user(ALICE)).await.expect("read"), None);
    assert_eq!(
        store
            .claim_room(&user(ALICE), "t1", 1000, 0)
            .await
            .expect("claim"),
        RoomClaim::Claimed
    );
    // A live claim makes others wait; a stale one is taken over, once.
    assert_eq!(
        store
            .claim_room(&user(ALICE), "t2", 1001, 500)
            .await
            .expect("claim"),
        RoomClaim::Busy
    );
    assert_eq!(
        store
            .claim_room(&user(ALICE), "t2", 5000, 2000)
            .await
            .expect("claim"),
        RoomClaim::Claimed
    );
    assert_eq!(
        store
            .claim_room(&user(ALICE), "t3", 5001, 2000)
            .await
            .expect("claim"),
        RoomClaim::Busy
    );
    // The old holder lost its claim.
    assert!(
        !store
            .set_room(&user(ALICE), "t1", &room("!old:hs"), Some("A"))
            .await
            .expect("set")
    );
    assert!(
        store
            .set_room(&user(ALICE), "t2", &room("!r:hs"), Some("A"))
            .await
            .expect("set")
    );
    let room = NoticeRoom {
        room_id: room("!r:hs"),
        system_displayname: "A".into(),
    };
    assert_eq!(
        store.room_of(&user(ALICE)).await.expect("read"),
        Some(room.clone())
    );
    assert_eq!(
        store
            .claim_room(&user(ALICE), "t4", 9000, 8000)
            .await
            .expect("claim"),
        RoomClaim::Room(room)
    );
    store
        .set_system_displayname(&user(ALICE), "B")
        .await
        .expect("name");
    assert_eq!(
        store
            .room_of(&user(ALICE))
            .await
            .expect("read")
            .map(|r| r.system_displayname),
        Some("B".into())
    );
    // Releasing only drops an unfinished claim.
    store
        .release_room(&user(ALICE), "t2")
        .await
        .expect("release");
    assert!(store.room_of(&user(ALICE)).await.expect("read").is_some());
    assert_eq!(
        store
            .claim_room(&user("@bob:hs"), "b1", 1, 0)
            .await
            .expect("claim"),
        RoomClaim::Claimed
    );
    store
        .release_room(&user("@bob:hs"), "b1")
        .await
        .expect("release");
    assert_eq!(
        store
            .claim_room(&user("@bob:hs"), "b2", 2, 0)
            .await
            .expect("claim"),
        RoomClaim::Claimed
    );
});

test_on_both_backends!(
    transactions_keep_the_first_response,
    |db: Database| async move {
        crate::migrate(&db).await.expect("migrate");
        let store = NoticeStore::new(db);
        let (k, response) = (
            key("t"),
            TxnResponse {
                event_id: OwnedEventId::try_from("$e").expect("a valid event ID"),
                room_id: room("!r:hs"),
            },
        );
        assert_eq!(store.txn_state(&k).await.expect("state"), TxnState::Absent);
        assert_eq!(
            store.claim_txn(&k, "a", 1000, 0).await.expect("claim"),
            TxnClaim::Claimed
        );
        assert_eq!(
            store.txn_state(&k).await.expect("state"),
            TxnState::Pending { claimed_ts: 1000 }
        );
        assert_eq!(
            store.claim_txn(&k, "b", 1001, 500).await.expect("claim"),
            TxnClaim::Busy
        );
        assert!(
            store
                .complete_txn(&k, "a", &response)
                .await
                .expect("complete")
        );
        assert_eq!(
            store.claim_txn(&k, "c", 1002, 500).await.expect("claim"),
            TxnClaim::Done(response.clone())
        );
        assert_eq!(
            store.txn_state(&k).await.expect("state"),
            TxnState::Done(response.clone())
        );
        // Keys differ by admin, device and txn ID.
        let other = TxnKey {
            device_id: "OTHER".into(),
            ..k.clone()
        };
        assert_eq!(
            store.claim_txn(&other, "d", 1003, 0).await.expect("claim"),
            TxnClaim::Claimed
        );
        // A failed attempt is released; a stale one is taken over.
        store.release_txn(&other, "d").await.expect("release");
        assert_eq!(
            store.txn_state(&other).await.expect("state"),
            TxnState::Absent
        );
        assert_eq!(
            store.claim_txn(&other, "e", 2000, 0).await.expect("claim"),
            TxnClaim::Claimed
        );
        assert_eq!(
            store
                .claim_txn(&other, "f", 9000, 5000)
                .await
                .expect("claim"),
            TxnClaim::Claimed
        );
        assert!(
            !store
                .complete_txn(&other, "e", &response)
                .await
                .expect("complete")
        );
        // Completed rows are never released; pruning goes by creation time.
        store.release_txn(&k, "a").await.expect("release");
        assert_eq!(
            store.txn_state(&k).await.expect("state"),
            TxnState::Done(response)
        );
        assert_eq!(store.prune_txns(1500).await.expect("prune"), 1);
        assert_eq!(store.txn_state(&k).await.expect("state"), TxnState::Absent);
        assert_eq!(store.prune_txns(i64::MAX).await.expect("prune"), 1);
    }
);

/// notices-svc replicas and one membership-svc over one database.
struct Harness {
    rooms: RoomsClient<GrpcChannel>,
    membership: GrpcChannel,
    db: Database,
    shutdown: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn config(customize: impl FnOnce(&mut Config)) -> Arc<Config> {
    let mut config = Config {
        server_name: "hs.test".into(),
        ..Config::default()
    };
    customize(&mut config);
    Arc::new(config)
}

async fn harness(db: Database) -> Harness {
    let shutdown = CancellationToken::new();
    let routes = membership_svc::start(membership_svc::Deps {
        config: config(|_| {}),
        db: db.clone(),
        bus: ReplicaBus::in_process(),
        tasks: tokio_util::task::TaskTracker::new(),
        shutdown: shutdown.clone(),
    })
    .await
    .expect("membership");
    crate::migrate(&db).await.expect("migrate");
    let membership = in_process(routes);
    Harness {
        rooms: RoomsClient::new(membership.clone()),
        membership,
        db,
        shutdown,
    }
}

impl Harness {
    /// A notices-svc replica with its own caches.
    fn replica(&self, config: Arc<Config>) -> NoticesClient<GrpcChannel> {
        let service = NoticesService::new(
            config,
            NoticeStore::new(self.db.clone()),
            self.membership.clone(),
            &tokio_util::task::TaskTracker::new(),
        );
        NoticesClient::new(in_process(NoticesServer::new(service)))
    }

    async fn member(&self, room: &str, user: &str) -> (String, Value) {
        let m = self
            .rooms
            .clone()
            .get_membership(mpb::GetMembershipRequest {
                room_id: room.into(),
                user_id: user.into(),
            })
            .await
            .expect("membership")
            .into_inner();
        let membership = bailiff_proto::convert::optional_membership(m.membership)
            .ok()
            .flatten()
            .map_or_else(String::new, |m| m.as_str().to_owned());
        (
            membership,
            serde_json::from_str(&m.content).unwrap_or(Value::Null),
        )
    }

    async fn state(&self, room: &str, event_type: &str) -> Value {
        let event = self
            .rooms
            .clone()
            .get_state(mpb::GetStateRequest {
                room_id: room.into(),
                requester: String::new(),
            })
            .await
            .expect("state")
            .into_inner()
            .events
            .into_iter()
            .find(|e| e.r#type == event_type)
            .unwrap_or_else(|| panic!("no {event_type}"));
        serde_json::from_str(&event.content).expect("json")
    }

    async fn messages(&self, room: &str) -> Vec<mpb::Event> {
        self.rooms
            .clone()
            .get_messages(mpb::GetMessagesRequest {
                room_id: room.into(),
                requester: SYSTEM.into(),
                dir: "f".into(),
                limit: 1000,
                ..Default::default()
            })
            .await
            .expect("messages")
            .into_inner()
            .chunk
            .into_iter()
            .filter(|e| e.r#type == "m.room.message")
            .collect()
    }
}

fn notice(user: &str, body: &str) -> SendNoticeRequest {
    SendNoticeRequest {
        user_id: user.into(),
        r#type: String::new(),
        state_key: None,
        content: json!({"msgtype": "m.text", "body": body, "format": "org.matrix.custom.html", "formatted_body": format!("<b>{body}</b>")}).to_string(),
        txn: None,
    }
}

fn with_txn(mut request: SendNoticeRequest, txn: &str) -> SendNoticeRequest {
    request.txn = Some(TransactionKey {
        user_id: "@admin:hs.test".into(),
        device_id: "DEV".into(),
        txn_id: txn.into(),
    });
    request
}

fn code<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
) -> (u16, &'static str, String) {
    let error = MatrixError::from_status(&result.expect_err("expected an error"));
    (error.status, error.errcode, error.message)
}

test_on_both_backends!(
    first_notice_creates_the_room_then_reuses_it,
    |db: Database| async move {
        let h = harness(db).await;
        let notices = h.replica(config(|_| {}));
        let first = notices
            .clone()
            .send_notice(notice(ALICE, "one"))
            .await
            .expect("send")
            .into_inner();
        assert!(first.event_id.starts_with('$'), "{first:?}");
        let room = first.room_id.clone();

        // The room: private, invite-only, not federated, named, levels, tagged, target invited.
        let create = h.state(&room, "m.room.create").await;
        assert_eq!(create["m.federate"], false);
        assert_eq!(create["creator"], SYSTEM);
        assert_eq!(
            h.state(&room, "m.room.join_rules").await["join_rule"],
            "invite"
        );
        assert_eq!(h.state(&room, "m.room.name").await["name"], "Server Alerts");
        let levels = h.state(&room, "m.room.power_levels").await;
        assert_eq!(levels["users"][SYSTEM], 100);
        assert_eq!(levels["users"][ALICE], -10);
        assert!(
            levels["events_default"].as_i64().unwrap_or(0) > -10,
            "{levels}"
        );
        let (membership, content) = h.member(&room, ALICE).await;
        assert_eq!(membership, "invite");
        assert_eq!(content["membership"], "invite");
        let (membership, content) = h.member(&room, SYSTEM).await;
        assert_eq!(
            (membership.as_str(), &content["displayname"]),
            ("join", &json!("Server Alerts"))
        );
        let tags = h
            .rooms
            .clone()
            .get_room_tags(mpb::GetRoomTagsRequest {
                user_id: ALICE.into(),
                room_id: room.clone(),
            })
            .await
            .expect("tags")
            .into_inner()
            .content;
        assert_eq!(
            serde_json::from_str::<Value>(&tags).expect("json"),
            json!({"tags": {"m.server_notice": {"order": 1.0}}})
        );
        let found = h
            .rooms
            .clone()
            .find_server_notice_room(mpb::FindServerNoticeRoomRequest {
                user_id: ALICE.into(),
            })
            .await
            .expect("find")
            .into_inner();
        assert_eq!(found.room_id.as_deref(), Some(room.as_str()));

        // The second notice (also from another replica, with a cold cache) reuses the room.
        let second = notices
            .clone()
            .send_notice(notice(ALICE, "two"))
            .await
            .expect("send")
            .into_inner();
        let third = h
            .replica(config(|_| {}))
            .send_notice(notice(ALICE, "three"))
            .await
            .expect("send")
            .into_inner();
        assert_eq!(
            (second.room_id.as_str(), third.room_id.as_str()),
            (room.as_str(), room.as_str())
        );
        let messages = h.messages(&room).await;
        assert_eq!(messages.len(), 3);
        let content: Value = serde_json::from_str(&messages[0].content).expect("json");
        assert_eq!(content["formatted_body"], "<b>one</b>");
        assert_eq!(content["format"], "org.matrix.custom.html");
        assert!(messages.iter().all(|e| e.sender == SYSTEM));
        assert_eq!(
            notices
                .clone()
                .get_notice_room(GetNoticeRoomRequest {
                    user_id: ALICE.into()
                })
                .await
                .expect("room")
                .into_inner()
                .room_id,
            Some(room)
        );
        assert_eq!(
            notices
                .clone()
                .get_notice_room(GetNoticeRoomRequest {
                    user_id: "@nobody:hs.test".into()
                })
                .await
                .expect("room")
                .into_inner()
                .room_id,
            None
        );
    }
);

test_on_both_backends!(state_events_and_custom_types, |db: Database| async move {
    let h = harness(db).await;
    let notices = h.replica(config(|_| {}));
    let sent = notices
        .clone()
        .send_notice(SendNoticeRequest {
            user_id: ALICE.into(),
            r#type: "m.room.topic".into(),
            state_key: Some(String::new()),
            content: json!({"topic": "Read me"}).to_string(),
            txn: None,
        })
        .await
        .expect("send")
        .into_inner();
    assert_eq!(
        h.state(&sent.room_id, "m.room.topic").await["topic"],
        "Read me"
    );
});

test_on_both_backends!(
    leaving_is_refused_while_invited_and_leavers_are_reinvited,
    |db: Database| async move {
        let h = harness(db).await;
        let notices = h.replica(config(|_| {}));
        let room = notices
            .clone()
            .send_notice(notice(ALICE, "one"))
            .await
            .expect("send")
            .into_inner()
            .room_id;
        let leave = || {
            let mut rooms = h.rooms.clone();
            let request = mpb::LeaveRoomRequest {
                room_id: room.clone(),
                user_id: ALICE.into(),
                reason: None,
            };
            async move { rooms.leave_room(request).await }
        };
        assert_eq!(
            code(leave().await),
            (
                403,
                "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM",
                "You cannot reject this invite".into()
            )
        );
        h.rooms
            .clone()
            .join_room(mpb::JoinRoomRequest {
                room_id: room.clone(),
                user_id: ALICE.into(),
                ..Default::default()
            })
            .await
            .expect("join");
        // Joined: a notice needs no invite; the target cannot post.
        notices
            .clone()
            .send_notice(notice(ALICE, "two"))
            .await
            .expect("send");
        let post = h
            .rooms
            .clone()
            .send_event(mpb::SendEventRequest {
                room_id: room.clone(),
                sender: ALICE.into(),
                r#type: "m.room.message".into(),
                content: json!({"msgtype": "m.text", "body": "hi"}).to_string(),
                ..Default::default()
            })
            .await;
        assert_eq!(code(post).0, 403);
        leave().await.expect("leave after joining");
        assert_eq!(h.member(&room, ALICE).await.0, "leave");
        // The next notice (even from a replica whose cache knows the room) re-invites.
        let again = notices
            .clone()
            .send_notice(notice(ALICE, "three"))
            .await
            .expect("send")
            .into_inner();
        assert_eq!(again.room_id, room);
        assert_eq!(h.member(&room, ALICE).await.0, "invite");
        assert_eq!(h.messages(&room).await.len(), 3);
    }
);

test_on_both_backends!(
    concurrent_first_notices_make_one_room,
    |db: Database| async move {
        let h = harness(db).await;
        // Two replicas (separate caches and in-process locks) racing through one database.
        let replicas = [h.replica(config(|_| {})), h.replica(config(|_| {}))];
        let sends = (0..50).map(|i| {
            let mut client = replicas[i % 2].clone();
            async move {
                client
                    .send_notice(notice(ALICE, &format!("n{i}")))
                    .await
                    .map(tonic::Response::into_inner)
            }
        });
        let results = futures::future::join_all(sends).await;
        let rooms: std::collections::BTreeSet<String> = results
            .into_iter()
            .map(|r| r.expect("send").room_id)
            .collect();
        assert_eq!(rooms.len(), 1, "{rooms:?}");
        let room = rooms.into_iter().next().unwrap_or_default();
        assert_eq!(h.messages(&room).await.len(), 50);
        let invites = h
            .rooms
            .clone()
            .get_members(mpb::GetMembersRequest {
                room_id: room.clone(),
                membership: mpb::Membership::Invite.into(),
                ..Default::default()
            })
            .await
            .expect("members")
            .into_inner()
            .chunk;
        assert_eq!(invites.len(), 1);
    }
);

test_on_both_backends!(
    transactions_return_the_first_response,
    |db: Database| async move {
        let h = harness(db).await;
        let replicas = [h.replica(config(|_| {})), h.replica(config(|_| {}))];
        // Concurrent duplicates on two replicas: one event, one answer.
        let sends = (0..10).map(|i| {
            let mut client = replicas[i % 2].clone();
            async move {
                client
                    .send_notice(with_txn(notice(ALICE, &format!("d{i}")), "txn1"))
                    .await
                    .map(|r| r.into_inner().event_id)
            }
        });
        let ids: std::collections::BTreeSet<String> = futures::future::join_all(sends)
            .await
            .into_iter()
            .map(|r| r.expect("send"))
            .collect();
        assert_eq!(ids.len(), 1, "{ids:?}");
        let first = ids.into_iter().next().unwrap_or_default();
        // Later: same answer whatever the body, on any replica.
        let again = replicas[1]
            .clone()
            .send_notice(with_txn(notice("@bob:hs.test", "other"), "txn1"))
            .await
            .expect("send");
        assert_eq!(again.into_inner().event_id, first);
        let looked = replicas[0]
            .clone()
            .get_transaction(GetTransactionRequest {
                txn: Some(TransactionKey {
                    user_id: "@admin:hs.test".into(),
                    device_id: "DEV".into(),
                    txn_id: "txn1".into(),
                }),
            })
            .await
            .expect("get")
            .into_inner();
        assert_eq!(looked.event_id, Some(first.clone()));
        let unknown = replicas[0]
            .clone()
            .get_transaction(GetTransactionRequest {
                txn: Some(TransactionKey {
                    user_id: "@admin:hs.test".into(),
                    device_id: "DEV".into(),
                    txn_id: "nope".into(),
                }),
            })
            .await
            .expect("get")
            .into_inner();
        assert_eq!(unknown.event_id, None);
        let room = replicas[0]
            .clone()
            .get_notice_room(GetNoticeRoomRequest {
                user_id: ALICE.into(),
            })
            .await
            .expect("room")
            .into_inner()
            .room_id
            .unwrap_or_default();
        assert_eq!(h.messages(&room).await.len(), 1);
        // Another txn ID is another notice.
        let other = replicas[0]
            .clone()
            .send_notice(with_txn(notice(ALICE, "x"), "txn2"))
            .await
            .expect("send")
            .into_inner();
        assert_ne!(other.event_id, first);
        // A failed attempt stores nothing: a retry executes.
        let bad = SendNoticeRequest {
            content: "[1]".into(),
            ..with_txn(notice(ALICE, "bad"), "txn3")
        };
        assert_eq!(
            code(replicas[0].clone().send_notice(bad).await).1,
            "M_BAD_JSON"
        );
        let retry = replicas[0]
            .clone()
            .send_notice(with_txn(notice(ALICE, "good"), "txn3"))
            .await
            .expect("retry")
            .into_inner();
        assert!(retry.event_id.starts_with('$'));
    }
);

test_on_both_backends!(
    display_name_follows_the_configuration,
    |db: Database| async move {
        let h = harness(db).await;
        let room = h
            .replica(config(|_| {}))
            .send_notice(notice(ALICE, "one"))
            .await
            .expect("send")
            .into_inner()
            .room_id;
        // A restart with another display name: the next notice updates the member event.
        let renamed = h.replica(config(|c| c.server_notices.display_name = "Ops".into()));
        renamed
            .clone()
            .send_notice(notice(ALICE, "two"))
            .await
            .expect("send");
        let (membership, content) = h.member(&room, SYSTEM).await;
        assert_eq!(
            (membership.as_str(), &content["displayname"]),
            ("join", &json!("Ops"))
        );
        let before = h.member(&room, SYSTEM).await;
        renamed
            .clone()
            .send_notice(notice(ALICE, "three"))
            .await
            .expect("send");
        assert_eq!(
            h.member(&room, SYSTEM).await,
            before,
            "no change, no new member event"
        );
    }
);

test_on_both_backends!(disabled_notices_are_refused, |db: Database| async move {
    let h = harness(db).await;
    let notices = h.replica(config(|c| c.server_notices.enabled = false));
    assert_eq!(
        code(notices.clone().send_notice(notice(ALICE, "x")).await),
        (
            400,
            "M_UNKNOWN",
            "Server notices are not enabled on this server".into()
        )
    );
});

test_on_both_backends!(
    ids_that_do_not_parse_are_bad_arguments,
    |db: Database| async move {
        let h = harness(db).await;
        let notices = h.replica(config(|_| {}));
        // The gateway validates every ID it forwards; a peer that does not is told so,
        // as a 400 and never a fault.
        assert_eq!(
            code(notices.clone().send_notice(notice("alice", "x")).await),
            (400, "M_INVALID_PARAM", "invalid user ID".into())
        );
        assert_eq!(
            code(
                notices
                    .clone()
                    .get_notice_room(GetNoticeRoomRequest {
                        user_id: "@alice".into()
                    })
                    .await
            ),
            (400, "M_INVALID_PARAM", "invalid user ID".into())
        );
        assert_eq!(
            code(
                notices
                    .clone()
                    .get_transaction(GetTransactionRequest { txn: None })
                    .await
            ),
            (400, "M_MISSING_PARAM", "txn is required".into())
        );
        // Missing comes before malformed, as before.
        assert_eq!(
            code(notices.clone().send_notice(notice("", "x")).await),
            (400, "M_MISSING_PARAM", "Missing parameter: user_id".into())
        );
    }
);
