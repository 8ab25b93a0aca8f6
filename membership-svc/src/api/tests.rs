//! The service as its callers see it: generated client → in-process channel → server,
//! on both databases.

use std::time::Duration;

use bailiff_database::{Database, test_on_both_backends};
use bailiff_proto::channel::{GrpcChannel, in_process};
use bailiff_proto::membership::rooms_client::RoomsClient;
use bailiff_proto::membership::rooms_server::RoomsServer;
use bailiff_proto::membership::*;
use matrix_status::MatrixError;
use replica_bus::ReplicaBus;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::RoomsService;
use crate::notifier::SyncNotifier;
use crate::store::Store;

const ALICE: &str = "@alice:hs.test";
const BOB: &str = "@bob:hs.test";
const CAROL: &str = "@carol:hs.test";

struct Harness {
    client: RoomsClient<GrpcChannel>,
    shutdown: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn harness(db: Database) -> Harness {
    crate::migrate(&db).await.expect("migrate");
    let shutdown = CancellationToken::new();
    let notifier = SyncNotifier::start(ReplicaBus::in_process(), shutdown.clone());
    let service = RoomsService::new(Store::new(db), notifier, "hs.test");
    let routes = tonic::service::Routes::new(RoomsServer::new(service));
    Harness {
        client: RoomsClient::new(in_process(routes)),
        shutdown,
    }
}

fn err<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
) -> (u16, &'static str, String) {
    let status = result.expect_err("expected an error");
    let error = MatrixError::from_status(&status);
    (error.status, error.errcode, error.message)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

impl Harness {
    fn c(&self) -> RoomsClient<GrpcChannel> {
        self.client.clone()
    }

    async fn create(&self, request: CreateRoomRequest) -> String {
        self.c()
            .create_room(request)
            .await
            .expect("create")
            .into_inner()
            .room_id
    }

    async fn private_room(&self, creator: &str, invite: &[&str]) -> String {
        self.create(CreateRoomRequest {
            creator: creator.into(),
            name: Some("Room".into()),
            topic: Some("Topic".into()),
            invite: invite.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        })
        .await
    }

    async fn join(
        &self,
        room: &str,
        user: &str,
    ) -> Result<tonic::Response<JoinRoomResponse>, tonic::Status> {
        self.c()
            .join_room(JoinRoomRequest {
                room_id: room.into(),
                user_id: user.into(),
                ..Default::default()
            })
            .await
    }

    async fn leave(
        &self,
        room: &str,
        user: &str,
    ) -> Result<tonic::Response<LeaveRoomResponse>, tonic::Status> {
        self.c()
            .leave_room(LeaveRoomRequest {
                room_id: room.into(),
                user_id: user.into(),
                reason: None,
            })
            .await
    }

    async fn invite(
        &self,
        room: &str,
        sender: &str,
        target: &str,
    ) -> Result<tonic::Response<InviteUserResponse>, tonic::Status> {
        self.c()
            .invite_user(InviteUserRequest {
                room_id: room.into(),
                sender: sender.into(),
                target: target.into(),
                ..Default::default()
            })
            .await
    }

    async fn say(
        &self,
        room: &str,
        sender: &str,
        body: &str,
    ) -> Result<tonic::Response<SendEventResponse>, tonic::Status> {
        self.c()
            .send_event(SendEventRequest {
                room_id: room.into(),
                sender: sender.into(),
                r#type: "m.room.message".into(),
                content: json!({"msgtype": "m.text", "body": body}).to_string(),
                ..Default::default()
            })
            .await
    }

    async fn state(&self, room: &str, requester: &str) -> Vec<Event> {
        self.c()
            .get_state(GetStateRequest {
                room_id: room.into(),
                requester: requester.into(),
            })
            .await
            .expect("state")
            .into_inner()
            .events
    }

    async fn messages(
        &self,
        room: &str,
        requester: &str,
        from: &str,
        dir: &str,
        limit: u32,
    ) -> GetMessagesResponse {
        self.c()
            .get_messages(GetMessagesRequest {
                room_id: room.into(),
                requester: requester.into(),
                from: from.into(),
                dir: dir.into(),
                limit,
                to: String::new(),
            })
            .await
            .expect("messages")
            .into_inner()
    }

    async fn sync(&self, user: &str, since: &str, timeout_ms: u64) -> SyncResponse {
        self.c()
            .sync(SyncRequest {
                user_id: user.into(),
                device_id: "DEV".into(),
                since: since.into(),
                timeout_ms,
                ..Default::default()
            })
            .await
            .expect("sync")
            .into_inner()
    }

    async fn membership(&self, room: &str, user: &str) -> String {
        let membership = self
            .c()
            .get_membership(GetMembershipRequest {
                room_id: room.into(),
                user_id: user.into(),
            })
            .await
            .expect("membership")
            .into_inner()
            .membership;
        // The text the HTTP answers spell ("" when never a member).
        bailiff_proto::convert::optional_membership(membership)
            .ok()
            .flatten()
            .map_or_else(String::new, |m| m.as_str().to_owned())
    }
}

fn bodies(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.r#type == "m.room.message")
        .map(|e| {
            json(&e.content)["body"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

test_on_both_backends!(
    create_room_emits_preset_state_in_order,
    |db: Database| async move {
        let h = harness(db).await;
        let room = h
            .create(CreateRoomRequest {
                creator: ALICE.into(),
                name: Some("Name".into()),
                topic: Some("Topic".into()),
                invite: vec![BOB.into(), ALICE.into(), BOB.into()],
                preset: "trusted_private_chat".into(),
                is_direct: true,
                creation_content: r#"{"m.federate": false}"#.into(),
                initial_state: vec![StateEventContent {
                    r#type: "m.room.history_visibility".into(),
                    state_key: String::new(),
                    content: r#"{"history_visibility":"joined"}"#.into(),
                }],
                power_level_content_override: r#"{"users": {"@carol:hs.test": 42}}"#.into(),
                creator_displayname: Some("Alice".into()),
                ..Default::default()
            })
            .await;
        assert!(room.starts_with('!') && room.ends_with(":hs.test"));
        let state = h.state(&room, ALICE).await;
        let kinds: Vec<(&str, &str)> = state
            .iter()
            .map(|e| (e.r#type.as_str(), e.state_key.as_deref().unwrap_or("-")))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("m.room.create", ""),
                ("m.room.member", ALICE),
                ("m.room.power_levels", ""),
                ("m.room.join_rules", ""),
                ("m.room.guest_access", ""),
                ("m.room.history_visibility", ""),
                ("m.room.name", ""),
                ("m.room.topic", ""),
                ("m.room.member", BOB),
            ]
        );
        let by_type = |t: &str| json(&state.iter().find(|e| e.r#type == t).expect(t).content);
        assert_eq!(by_type("m.room.create")["m.federate"], false);
        assert_eq!(by_type("m.room.create")["creator"], ALICE);
        assert_eq!(by_type("m.room.join_rules")["join_rule"], "invite");
        assert_eq!(
            by_type("m.room.history_visibility")["history_visibility"],
            "joined"
        );
        let levels = by_type("m.room.power_levels");
        assert_eq!(levels["users"][ALICE], 100);
        assert_eq!(
            levels["users"][BOB], 100,
            "trusted_private_chat invitees are ops"
        );
        assert_eq!(levels["users"][CAROL], 42);
        assert_eq!(levels["invite"], 0);
        assert_eq!(levels["state_default"], 50);
        assert_eq!(levels["events_default"], 0);
        let invite = state
            .iter()
            .find(|e| e.state_key.as_deref() == Some(BOB))
            .expect("invite");
        assert_eq!(invite.sender, ALICE);
        assert_eq!(
            json(&invite.content),
            json!({"membership": "invite", "is_direct": true})
        );
        let me = state
            .iter()
            .find(|e| e.state_key.as_deref() == Some(ALICE))
            .expect("join");
        assert_eq!(json(&me.content)["displayname"], "Alice");
        // Every event has an ID, a timestamp and a position, positions increasing.
        assert!(state.windows(2).all(|w| w[0].stream_pos < w[1].stream_pos));
        assert!(
            state
                .iter()
                .all(|e| e.event_id.starts_with('$') && e.origin_server_ts > 0)
        );

        // A public room: invite level 50, join rule public.
        let public = h
            .create(CreateRoomRequest {
                creator: ALICE.into(),
                visibility: "public".into(),
                ..Default::default()
            })
            .await;
        let state = h.state(&public, ALICE).await;
        let rules = state
            .iter()
            .find(|e| e.r#type == "m.room.join_rules")
            .expect("rules");
        assert_eq!(json(&rules.content)["join_rule"], "public");
        let levels = state
            .iter()
            .find(|e| e.r#type == "m.room.power_levels")
            .expect("levels");
        assert_eq!(json(&levels.content)["invite"], 50);
    }
);

test_on_both_backends!(create_room_rejects_bad_input, |db: Database| async move {
    let h = harness(db).await;
    let base = || CreateRoomRequest {
        creator: ALICE.into(),
        ..Default::default()
    };
    let cases = [
        CreateRoomRequest {
            preset: "secret".into(),
            ..base()
        },
        CreateRoomRequest {
            visibility: "hidden".into(),
            ..base()
        },
    ];
    for case in cases {
        assert_eq!(err(h.c().create_room(case).await).1, "M_INVALID_PARAM");
    }
    for case in [
        CreateRoomRequest {
            creation_content: "[1]".into(),
            ..base()
        },
        CreateRoomRequest {
            power_level_content_override: "nope".into(),
            ..base()
        },
        CreateRoomRequest {
            initial_state: vec![StateEventContent {
                r#type: "m.room.topic".into(),
                state_key: String::new(),
                content: "\"x\"".into(),
            }],
            ..base()
        },
        CreateRoomRequest {
            initial_state: vec![StateEventContent {
                r#type: "m.room.member".into(),
                state_key: BOB.into(),
                content: "{}".into(),
            }],
            ..base()
        },
    ] {
        let (status, code, _) = err(h.c().create_room(case).await);
        assert_eq!((status, code), (400, "M_BAD_JSON"));
    }
});

test_on_both_backends!(join_leave_and_joined_members, |db: Database| async move {
    let h = harness(db).await;
    let room = h.private_room(ALICE, &[BOB]).await;
    assert_eq!(h.membership(&room, BOB).await, "invite");

    // Not invited, private room: 403. Unknown room: 404.
    let (status, code, _) = err(h.join(&room, CAROL).await);
    assert_eq!((status, code), (403, "M_FORBIDDEN"));
    let (status, code, _) = err(h.join("!missing:hs.test", BOB).await);
    assert_eq!((status, code), (404, "M_NOT_FOUND"));

    let joined = h
        .c()
        .join_room(JoinRoomRequest {
            room_id: room.clone(),
            user_id: BOB.into(),
            displayname: Some("Bob".into()),
            avatar_url: Some("mxc://hs.test/b".into()),
            ..Default::default()
        })
        .await
        .expect("join")
        .into_inner();
    assert_eq!(joined.room_id, room);
    // Joining again is a no-op returning the same event.
    let again = h.join(&room, BOB).await.expect("rejoin").into_inner();
    assert_eq!(again.event_id, joined.event_id);

    let members = h
        .c()
        .get_joined_members(GetJoinedMembersRequest {
            room_id: room.clone(),
            requester: BOB.into(),
        })
        .await
        .expect("joined members")
        .into_inner()
        .joined;
    assert_eq!(members.len(), 2);
    let bob = members.iter().find(|m| m.user_id == BOB).expect("bob");
    assert_eq!(bob.display_name.as_deref(), Some("Bob"));
    assert_eq!(bob.avatar_url.as_deref(), Some("mxc://hs.test/b"));
    let (status, _, _) = err(h
        .c()
        .get_joined_members(GetJoinedMembersRequest {
            room_id: room.clone(),
            requester: CAROL.into(),
        })
        .await);
    assert_eq!(status, 403);

    let rooms = |user: &'static str| {
        let mut client = h.c();
        async move {
            client
                .get_joined_rooms(GetJoinedRoomsRequest {
                    user_id: user.into(),
                })
                .await
                .expect("joined rooms")
                .into_inner()
                .room_ids
        }
    };
    assert_eq!(rooms(BOB).await, vec![room.clone()]);

    let left = h.leave(&room, BOB).await.expect("leave").into_inner();
    assert!(left.event_id.starts_with('$'));
    assert_eq!(h.membership(&room, BOB).await, "leave");
    assert!(rooms(BOB).await.is_empty());
    // Leaving twice: no new event. Never a member: 403. Unknown room: 404.
    assert_eq!(
        h.leave(&room, BOB)
            .await
            .expect("again")
            .into_inner()
            .event_id,
        ""
    );
    assert_eq!(err(h.leave(&room, CAROL).await).0, 403);
    assert_eq!(err(h.leave("!missing:hs.test", BOB).await).0, 404);

    // Members: the leaver sees the list as of their leave; filters apply.
    let members = h
        .c()
        .get_members(GetMembersRequest {
            room_id: room.clone(),
            requester: ALICE.into(),
            membership: Membership::Leave.into(),
            not_membership: Membership::Unspecified.into(),
        })
        .await
        .expect("members")
        .into_inner()
        .chunk;
    assert_eq!(
        members
            .iter()
            .map(|e| e.state_key.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec![BOB]
    );
    let all = h
        .c()
        .get_members(GetMembersRequest {
            room_id: room.clone(),
            requester: BOB.into(),
            ..Default::default()
        })
        .await
        .expect("members as leaver")
        .into_inner()
        .chunk;
    assert_eq!(all.len(), 2);
    assert_eq!(
        err(h
            .c()
            .get_members(GetMembersRequest {
                room_id: room.clone(),
                requester: CAROL.into(),
                ..Default::default()
            })
            .await)
        .0,
        403
    );

    // A public room admits anyone.
    let public = h
        .create(CreateRoomRequest {
            creator: ALICE.into(),
            preset: "public_chat".into(),
            ..Default::default()
        })
        .await;
    h.join(&public, CAROL).await.expect("public join");
    assert_eq!(h.membership(&public, CAROL).await, "join");
    // Rejecting an invite is a leave.
    let other = h.private_room(ALICE, &[CAROL]).await;
    h.leave(&other, CAROL).await.expect("reject");
    assert_eq!(h.membership(&other, CAROL).await, "leave");
});

test_on_both_backends!(invite_rules, |db: Database| async move {
    let h = harness(db).await;
    let public = h
        .create(CreateRoomRequest {
            creator: ALICE.into(),
            preset: "public_chat".into(),
            ..Default::default()
        })
        .await;
    h.join(&public, BOB).await.expect("join");
    // Invite level 50 in a public_chat room: Bob (0) may not invite.
    let (status, code, _) = err(h.invite(&public, BOB, CAROL).await);
    assert_eq!((status, code), (403, "M_FORBIDDEN"));
    // Target already joined.
    assert_eq!(err(h.invite(&public, ALICE, BOB).await).0, 403);
    // Sender not in the room.
    assert_eq!(err(h.invite(&public, CAROL, "@dave:hs.test").await).0, 403);
    assert_eq!(err(h.invite("!missing:hs.test", ALICE, CAROL).await).0, 404);

    let first = h
        .invite(&public, ALICE, CAROL)
        .await
        .expect("invite")
        .into_inner()
        .event_id;
    let second = h
        .invite(&public, ALICE, CAROL)
        .await
        .expect("re-invite")
        .into_inner()
        .event_id;
    assert_eq!(first, second);
    let state = h.state(&public, ALICE).await;
    let invite = state
        .iter()
        .find(|e| e.event_id == first)
        .expect("invite event");
    assert_eq!(invite.sender, ALICE);
    assert_eq!(invite.state_key.as_deref(), Some(CAROL));

    // A private room: anyone joined may invite (invite level 0).
    let private = h.private_room(ALICE, &[BOB]).await;
    h.join(&private, BOB).await.expect("join");
    h.invite(&private, BOB, CAROL).await.expect("bob invites");
    let state = h.state(&private, BOB).await;
    let invite = state
        .iter()
        .find(|e| e.state_key.as_deref() == Some(CAROL))
        .expect("invite");
    assert_eq!(invite.sender, BOB);
});

test_on_both_backends!(
    send_checks_power_and_is_idempotent,
    |db: Database| async move {
        let h = harness(db).await;
        let room = h
            .create(CreateRoomRequest {
                creator: ALICE.into(),
                invite: vec![BOB.into()],
                power_level_content_override: r#"{"events_default": 50}"#.into(),
                ..Default::default()
            })
            .await;
        h.join(&room, BOB).await.expect("join");
        let (status, code, message) = err(h.say(&room, BOB, "hi").await);
        assert_eq!((status, code), (403, "M_FORBIDDEN"));
        assert!(
            message.contains("user_level (0) < send_level (50)"),
            "{message}"
        );
        // Not joined / unknown room.
        assert_eq!(err(h.say(&room, CAROL, "hi").await).0, 403);
        assert_eq!(err(h.say("!missing:hs.test", ALICE, "hi").await).0, 404);

        let send = |txn: &str, device: &str, body: &str| SendEventRequest {
            room_id: room.clone(),
            sender: ALICE.into(),
            r#type: "m.room.message".into(),
            content: json!({"msgtype": "m.text", "body": body}).to_string(),
            device_id: device.into(),
            txn_id: txn.into(),
            state_key: None,
        };
        let first = h
            .c()
            .send_event(send("t1", "D1", "one"))
            .await
            .expect("send")
            .into_inner()
            .event_id;
        let repeat = h
            .c()
            .send_event(send("t1", "D1", "changed"))
            .await
            .expect("repeat")
            .into_inner()
            .event_id;
        assert_eq!(first, repeat);
        let other_device = h
            .c()
            .send_event(send("t1", "D2", "one"))
            .await
            .expect("send")
            .into_inner()
            .event_id;
        assert_ne!(first, other_device);
        let page = h.messages(&room, ALICE, "", "b", 10).await;
        assert_eq!(bodies(&page.chunk), vec!["one", "one"]);

        // Content must be an object.
        let mut bad = send("", "", "x");
        bad.content = "[]".into();
        assert_eq!(err(h.c().send_event(bad).await).1, "M_BAD_JSON");
        bad = send("", "", "x");
        bad.content = "not json".into();
        assert_eq!(err(h.c().send_event(bad).await).1, "M_BAD_JSON");

        // State events: the creator may; Bob (0 < state_default 50) may not; members and
        // create events never go this way.
        let state = |sender: &str, event_type: &str, key: &str| SendEventRequest {
            room_id: room.clone(),
            sender: sender.into(),
            r#type: event_type.into(),
            state_key: Some(key.into()),
            content: r#"{"topic":"new"}"#.into(),
            ..Default::default()
        };
        h.c()
            .send_event(state(ALICE, "m.room.topic", ""))
            .await
            .expect("topic");
        assert_eq!(
            err(h.c().send_event(state(BOB, "m.room.topic", "")).await).0,
            403
        );
        assert_eq!(
            err(h.c().send_event(state(ALICE, "m.room.member", BOB)).await).0,
            403
        );
        assert_eq!(
            err(h.c().send_event(state(ALICE, "m.room.create", "")).await).0,
            403
        );
        let topic = h
            .c()
            .get_state_event(GetStateEventRequest {
                room_id: room.clone(),
                requester: BOB.into(),
                r#type: "m.room.topic".into(),
                state_key: String::new(),
            })
            .await
            .expect("topic")
            .into_inner()
            .event
            .expect("event");
        assert_eq!(json(&topic.content)["topic"], "new");
        assert_eq!(
            err(h
                .c()
                .get_state_event(GetStateEventRequest {
                    room_id: room.clone(),
                    requester: BOB.into(),
                    r#type: "m.room.avatar".into(),
                    state_key: String::new(),
                })
                .await)
            .0,
            404
        );
    }
);

test_on_both_backends!(messages_paginate_both_ways, |db: Database| async move {
    let h = harness(db).await;
    let room = h.private_room(ALICE, &[BOB]).await;
    h.join(&room, BOB).await.expect("join");
    for i in 1..=5 {
        h.say(&room, ALICE, &format!("m{i}")).await.expect("send");
    }
    // Backwards from the end, two at a time.
    let page = h.messages(&room, BOB, "", "b", 2).await;
    assert_eq!(bodies(&page.chunk), vec!["m5", "m4"]);
    let end = page.end.expect("end");
    let page = h.messages(&room, BOB, &end, "b", 2).await;
    assert_eq!(bodies(&page.chunk), vec!["m3", "m2"]);
    assert_eq!(page.start, end);
    // Forwards from the start.
    let page = h.messages(&room, BOB, "", "f", 3).await;
    assert_eq!(page.chunk[0].r#type, "m.room.create");
    assert_eq!(page.start, "s0");
    let page = h
        .messages(&room, BOB, page.end.as_deref().expect("end"), "f", 100)
        .await;
    assert_eq!(bodies(&page.chunk), vec!["m1", "m2", "m3", "m4", "m5"]);
    let page = h
        .messages(&room, BOB, page.end.as_deref().expect("end"), "f", 100)
        .await;
    assert!(page.chunk.is_empty());
    assert!(page.end.is_none());

    // A sync token is a valid `from`.
    let sync = h.sync(BOB, "", 0).await;
    let page = h.messages(&room, BOB, &sync.next_batch, "b", 1).await;
    assert_eq!(bodies(&page.chunk), vec!["m5"]);

    // Bad tokens and direction: 400 M_INVALID_PARAM.
    for (from, dir) in [("garbage", "b"), ("s-1", "f"), ("s1", "x")] {
        let (status, code, _) = err(h
            .c()
            .get_messages(GetMessagesRequest {
                room_id: room.clone(),
                requester: BOB.into(),
                from: from.into(),
                dir: dir.into(),
                ..Default::default()
            })
            .await);
        assert_eq!((status, code), (400, "M_INVALID_PARAM"), "{from} {dir}");
    }

    // After leaving, Bob sees history up to his leave only; strangers see nothing.
    h.leave(&room, BOB).await.expect("leave");
    h.say(&room, ALICE, "after").await.expect("send");
    let page = h.messages(&room, BOB, "", "b", 3).await;
    assert_eq!(page.chunk[0].r#type, "m.room.member");
    assert_eq!(page.chunk[0].state_key.as_deref(), Some(BOB));
    assert_eq!(bodies(&page.chunk), vec!["m5", "m4"]);
    let page = h.messages(&room, BOB, "s0", "f", 1000).await;
    assert!(!bodies(&page.chunk).contains(&"after".to_owned()));
    let state = h.state(&room, BOB).await;
    let me = state
        .iter()
        .find(|e| e.state_key.as_deref() == Some(BOB))
        .expect("me");
    assert_eq!(json(&me.content)["membership"], "leave");
    for requester in [CAROL] {
        let (status, _, _) = err(h
            .c()
            .get_messages(GetMessagesRequest {
                room_id: room.clone(),
                requester: requester.into(),
                ..Default::default()
            })
            .await);
        assert_eq!(status, 403);
    }
    let (status, _, _) = err(h
        .c()
        .get_messages(GetMessagesRequest {
            room_id: "!missing:hs.test".into(),
            requester: BOB.into(),
            ..Default::default()
        })
        .await);
    assert_eq!(status, 404);
});

test_on_both_backends!(tags_and_account_data, |db: Database| async move {
    let h = harness(db).await;
    let room = h.private_room(ALICE, &[]).await;
    let tags = |user: &'static str| {
        let mut client = h.c();
        let room = room.clone();
        async move {
            json(
                &client
                    .get_room_tags(GetRoomTagsRequest {
                        user_id: user.into(),
                        room_id: room,
                    })
                    .await
                    .expect("tags")
                    .into_inner()
                    .content,
            )
        }
    };
    assert_eq!(tags(ALICE).await, json!({"tags": {}}));
    h.c()
        .add_room_tag(AddRoomTagRequest {
            user_id: ALICE.into(),
            room_id: room.clone(),
            tag: "m.server_notice".into(),
            content: r#"{"order": 1.0}"#.into(),
        })
        .await
        .expect("tag");
    h.c()
        .add_room_tag(AddRoomTagRequest {
            user_id: ALICE.into(),
            room_id: room.clone(),
            tag: "u.work".into(),
            content: String::new(),
        })
        .await
        .expect("tag");
    assert_eq!(
        tags(ALICE).await,
        json!({"tags": {"m.server_notice": {"order": 1.0}, "u.work": {}}})
    );
    assert_eq!(tags(BOB).await, json!({"tags": {}}));
    h.c()
        .set_room_account_data(SetRoomAccountDataRequest {
            user_id: ALICE.into(),
            room_id: room.clone(),
            r#type: "m.tag".into(),
            content: r#"{"tags": {"m.favourite": {}}}"#.into(),
        })
        .await
        .expect("set");
    assert_eq!(tags(ALICE).await, json!({"tags": {"m.favourite": {}}}));
    let (status, code, _) = err(h
        .c()
        .set_room_account_data(SetRoomAccountDataRequest {
            user_id: ALICE.into(),
            room_id: room.clone(),
            r#type: "m.tag".into(),
            content: "[]".into(),
        })
        .await);
    assert_eq!((status, code), (400, "M_BAD_JSON"));
});

test_on_both_backends!(
    sync_initial_incremental_invite_and_leave,
    |db: Database| async move {
        let h = harness(db).await;
        let room = h.private_room(ALICE, &[BOB]).await;
        h.c()
            .add_room_tag(AddRoomTagRequest {
                user_id: ALICE.into(),
                room_id: room.clone(),
                tag: "u.x".into(),
                content: "{}".into(),
            })
            .await
            .expect("tag");

        // Alice: initial sync shows the room with state, timeline and the tag.
        let initial = h.sync(ALICE, "", 0).await;
        assert_eq!(initial.join.len(), 1);
        let joined = &initial.join[0];
        assert_eq!(joined.room_id, room);
        let timeline = joined.timeline.as_ref().expect("timeline");
        assert!(!timeline.events.is_empty());
        assert_eq!(joined.account_data[0].r#type, "m.tag");
        assert_eq!(
            json(&joined.account_data[0].content),
            json!({"tags": {"u.x": {}}})
        );
        // State + timeline together cover the whole current state.
        let mut kinds: Vec<String> = joined
            .state
            .iter()
            .chain(timeline.events.iter().filter(|e| e.state_key.is_some()))
            .map(|e| format!("{}|{}", e.r#type, e.state_key.clone().unwrap_or_default()))
            .collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), h.state(&room, ALICE).await.len());

        // Bob: an invite with stripped state, each with a sender.
        let bob_initial = h.sync(BOB, "", 0).await;
        assert!(bob_initial.join.is_empty());
        assert_eq!(bob_initial.invite.len(), 1);
        let invite_state = &bob_initial.invite[0].invite_state;
        let types: Vec<&str> = invite_state.iter().map(|e| e.r#type.as_str()).collect();
        for wanted in [
            "m.room.create",
            "m.room.join_rules",
            "m.room.name",
            "m.room.member",
        ] {
            assert!(types.contains(&wanted), "{wanted} missing from {types:?}");
        }
        assert!(invite_state.iter().all(|e| !e.sender.is_empty()));
        let member = invite_state
            .iter()
            .find(|e| e.r#type == "m.room.member")
            .expect("member");
        assert_eq!(
            (member.sender.as_str(), member.state_key.as_str()),
            (ALICE, BOB)
        );

        // Incremental: nothing new answers at once with the same position.
        let quiet = h.sync(ALICE, &initial.next_batch, 0).await;
        assert!(quiet.join.is_empty() && quiet.invite.is_empty() && quiet.leave.is_empty());
        assert_eq!(quiet.next_batch, initial.next_batch);

        // Bob joins; Alice sends from a device with a transaction ID.
        h.join(&room, BOB).await.expect("join");
        h.c()
            .send_event(SendEventRequest {
                room_id: room.clone(),
                sender: ALICE.into(),
                r#type: "m.room.message".into(),
                content: r#"{"msgtype":"m.text","body":"hello"}"#.into(),
                device_id: "DEV".into(),
                txn_id: "txn1".into(),
                state_key: None,
            })
            .await
            .expect("send");
        let next = h.sync(ALICE, &initial.next_batch, 0).await;
        assert_eq!(next.join.len(), 1);
        let timeline = next.join[0].timeline.as_ref().expect("timeline");
        assert!(!timeline.limited);
        assert_eq!(timeline.events.len(), 2);
        assert_eq!(timeline.events[0].state_key.as_deref(), Some(BOB));
        assert_eq!(bodies(&timeline.events), vec!["hello"]);
        assert_eq!(json(&timeline.events[1].unsigned)["transaction_id"], "txn1");
        assert!(next.join[0].state.is_empty());
        assert!(next.join[0].account_data.is_empty());

        // Bob's incremental sync: the room moves from invite to join, with full state.
        let bob_next = h.sync(BOB, &bob_initial.next_batch, 0).await;
        assert_eq!(bob_next.join.len(), 1);
        assert!(bob_next.invite.is_empty());
        assert!(!bob_next.join[0].state.is_empty());
        // Another device does not get the transaction ID.
        let message = bob_next.join[0]
            .timeline
            .as_ref()
            .expect("timeline")
            .events
            .iter()
            .find(|e| e.r#type == "m.room.message")
            .expect("message")
            .clone();
        assert!(
            message.unsigned.is_empty() || json(&message.unsigned).get("transaction_id").is_none()
        );

        // Bob leaves: rooms.leave carries the leave event.
        h.leave(&room, BOB).await.expect("leave");
        let bob_left = h.sync(BOB, &bob_next.next_batch, 0).await;
        assert!(bob_left.join.is_empty());
        assert_eq!(bob_left.leave.len(), 1);
        let events = &bob_left.leave[0]
            .timeline
            .as_ref()
            .expect("timeline")
            .events;
        let last = events.last().expect("leave event");
        assert_eq!(
            (last.r#type.as_str(), last.state_key.as_deref()),
            ("m.room.member", Some(BOB))
        );
        assert_eq!(json(&last.content)["membership"], "leave");
        // Initial sync leaves left rooms out.
        let fresh = h.sync(BOB, "", 0).await;
        assert!(fresh.join.is_empty() && fresh.leave.is_empty() && fresh.invite.is_empty());
    }
);

test_on_both_backends!(
    sync_limited_timeline_and_tokens,
    |db: Database| async move {
        let h = harness(db).await;
        let room = h.private_room(ALICE, &[]).await;
        let start = h.sync(ALICE, "", 0).await;
        for i in 1..=15 {
            h.say(&room, ALICE, &format!("m{i}")).await.expect("send");
        }
        h.c()
            .send_event(SendEventRequest {
                room_id: room.clone(),
                sender: ALICE.into(),
                r#type: "m.room.topic".into(),
                state_key: Some(String::new()),
                content: r#"{"topic":"gap"}"#.into(),
                ..Default::default()
            })
            .await
            .expect("topic");
        for i in 16..=25 {
            h.say(&room, ALICE, &format!("m{i}")).await.expect("send");
        }
        let next = h.sync(ALICE, &start.next_batch, 0).await;
        let joined = &next.join[0];
        let timeline = joined.timeline.as_ref().expect("timeline");
        assert!(timeline.limited);
        assert_eq!(
            bodies(&timeline.events),
            (16..=25).map(|i| format!("m{i}")).collect::<Vec<_>>()
        );
        // The state changed in the gap is reported.
        assert_eq!(joined.state.len(), 1);
        assert_eq!(json(&joined.state[0].content)["topic"], "gap");
        // prev_batch continues backwards where the timeline starts.
        let page = h.messages(&room, ALICE, &timeline.prev_batch, "b", 2).await;
        assert_eq!(page.chunk[0].r#type, "m.room.topic");
        assert_eq!(bodies(&page.chunk), vec!["m15"]);

        // full_state returns everything at once.
        let full = h
            .c()
            .sync(SyncRequest {
                user_id: ALICE.into(),
                since: next.next_batch.clone(),
                full_state: true,
                timeout_ms: 10_000,
                ..Default::default()
            })
            .await
            .expect("full")
            .into_inner();
        assert_eq!(full.join.len(), 1);
        assert!(full.join[0].state.len() >= 5);

        for bad in ["nope", "s", "s1.5", "t12"] {
            let (status, code, _) = err(h
                .c()
                .sync(SyncRequest {
                    user_id: ALICE.into(),
                    since: bad.into(),
                    ..Default::default()
                })
                .await);
            assert_eq!((status, code), (400, "M_INVALID_PARAM"), "{bad}");
        }
    }
);

test_on_both_backends!(sync_long_poll_wakes_on_send, |db: Database| async move {
    let h = harness(db).await;
    let room = h.private_room(ALICE, &[BOB]).await;
    h.join(&room, BOB).await.expect("join");
    let since = h.sync(BOB, "", 0).await.next_batch;
    // The sync waits (60 s budget) while another task-side future sends after 200 ms.
    // (A spawned client call trips a compiler limitation on `GrpcChannel`'s error type,
    // so both futures run concurrently in this task instead.)
    let mut client = h.c();
    let waiting = client.sync(SyncRequest {
        user_id: BOB.into(),
        since: since.clone(),
        timeout_ms: 60_000,
        ..Default::default()
    });
    let send = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        h.say(&room, ALICE, "wake up").await.expect("send");
    };
    let (woke, ()) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(waiting, send)
    })
    .await
    .expect("woken before the timeout");
    let woke = woke.expect("sync").into_inner();
    assert_eq!(woke.join.len(), 1, "the sync returned before the send");
    assert_eq!(
        bodies(&woke.join[0].timeline.as_ref().expect("timeline").events),
        vec!["wake up"]
    );
    assert_ne!(woke.next_batch, since);

    // An invite wakes the invitee too; a timeout with nothing new returns empty.
    let carol_since = h.sync(CAROL, "", 0).await.next_batch;
    let empty = h.sync(CAROL, &carol_since, 50).await;
    assert!(empty.invite.is_empty() && empty.join.is_empty());
    assert_eq!(empty.next_batch, carol_since);
    let mut client = h.c();
    let waiting = client.sync(SyncRequest {
        user_id: CAROL.into(),
        since: carol_since,
        timeout_ms: 60_000,
        ..Default::default()
    });
    let invite = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        h.invite(&room, ALICE, CAROL).await.expect("invite");
    };
    let (woke, ()) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(waiting, invite)
    })
    .await
    .expect("woken");
    assert_eq!(woke.expect("sync").into_inner().invite.len(), 1);
});

test_on_both_backends!(
    server_notice_room_invite_cannot_be_rejected,
    |db: Database| async move {
        let h = harness(db).await;
        let system = "@_server:hs.test";
        let room = h
            .create(CreateRoomRequest {
                creator: system.into(),
                name: Some("Server Alerts".into()),
                invite: vec![BOB.into()],
                preset: "private_chat".into(),
                creation_content: r#"{"m.federate": false}"#.into(),
                power_level_content_override: json!({"users": {system: 100, BOB: -10}}).to_string(),
                server_notice_target: BOB.into(),
                creator_displayname: Some("Server Alerts".into()),
                ..Default::default()
            })
            .await;
        let found = h
            .c()
            .find_server_notice_room(FindServerNoticeRoomRequest {
                user_id: BOB.into(),
            })
            .await
            .expect("find")
            .into_inner()
            .room_id;
        assert_eq!(found.as_deref(), Some(room.as_str()));
        let info = h
            .c()
            .get_room(GetRoomRequest {
                room_id: room.clone(),
            })
            .await
            .expect("room")
            .into_inner();
        assert_eq!(info.server_notice_target, BOB);
        assert_eq!((info.joined_members, info.invited_members), (1, 1));
        assert_eq!(
            err(h
                .c()
                .get_room(GetRoomRequest {
                    room_id: "!x:hs.test".into()
                })
                .await)
            .0,
            404
        );

        let (status, code, message) = err(h.leave(&room, BOB).await);
        assert_eq!(
            (status, code, message.as_str()),
            (
                403,
                "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM",
                "You cannot reject this invite"
            )
        );
        assert_eq!(h.membership(&room, BOB).await, "invite");
        // The system user can post; the target (-10) cannot.
        h.say(&room, system, "notice").await.expect("notice");
        h.join(&room, BOB).await.expect("join");
        assert_eq!(err(h.say(&room, BOB, "reply").await).0, 403);
        // Once joined, the target may leave, and be invited again.
        h.leave(&room, BOB).await.expect("leave after joining");
        h.invite(&room, system, BOB).await.expect("re-invite");
        assert_eq!(h.membership(&room, BOB).await, "invite");
        // Other users' invites to other rooms can be rejected as usual.
        let other = h.private_room(ALICE, &[BOB]).await;
        h.leave(&other, BOB).await.expect("reject");
    }
);

test_on_both_backends!(
    send_notices_mixes_rooms_and_outcomes_in_one_batch,
    |db: Database| async move {
        let h = harness(db).await;
        let (a, b) = (
            h.private_room(ALICE, &[]).await,
            h.private_room(ALICE, &[]).await,
        );
        let item = |room: &str, sender: &str, target: &str, body: &str| NoticeItem {
            room_id: room.into(),
            sender: sender.into(),
            target: target.into(),
            r#type: "m.room.message".into(),
            state_key: None,
            content: json!({"msgtype": "m.text", "body": body}).to_string(),
        };
        let items = vec![
            item(&a, ALICE, BOB, "one"),
            item(&b, ALICE, CAROL, "two"),
            item("!missing:hs.test", ALICE, BOB, "lost"),
            item(&a, BOB, "", "not joined"),
            item(&a, ALICE, BOB, "three"),
            item(&b, ALICE, "", "four"),
        ];
        let results = h
            .c()
            .send_notices(SendNoticesRequest { items })
            .await
            .expect("send notices")
            .into_inner()
            .results;
        let outcome: Vec<(u32, &str)> = results
            .iter()
            .map(|r| (r.http_status, r.errcode.as_str()))
            .collect();
        assert_eq!(
            outcome,
            [
                (0, ""),
                (0, ""),
                (404, "M_NOT_FOUND"),
                (403, "M_FORBIDDEN"),
                (0, ""),
                (0, "")
            ]
        );
        for (i, result) in results.iter().enumerate() {
            assert_eq!(
                result.event_id.is_empty(),
                matches!(i, 2 | 3),
                "{i}: {result:?}"
            );
        }
        assert_eq!(results[3].error, format!("User {BOB} not in room {a}"));
        // Each target invited once, however many notices it got in the batch.
        assert_eq!(h.membership(&a, BOB).await, "invite");
        assert_eq!(h.membership(&b, CAROL).await, "invite");
        let invites = h
            .state(&a, ALICE)
            .await
            .into_iter()
            .filter(|e| e.r#type == "m.room.member" && e.state_key.as_deref() == Some(BOB))
            .count();
        assert_eq!(invites, 1);
        let mut in_a = bodies(&h.messages(&a, ALICE, "", "b", 10).await.chunk);
        let mut in_b = bodies(&h.messages(&b, ALICE, "", "b", 10).await.chunk);
        in_a.reverse();
        in_b.reverse();
        assert_eq!(in_a, ["one", "three"]);
        assert_eq!(in_b, ["two", "four"]);
    }
);
