"""matrix-nio against the gateway's room endpoints.

Usage: nio_rooms.py BASE_URL ALICE_ID ALICE_PASSWORD BOB_ID BOB_PASSWORD

Alice logs in and creates a room inviting Bob; Bob logs in, sees the invite in /sync,
joins; Alice sends a message; Bob reads it back through /sync and /messages. Prints one
JSON line with what was observed; exits 1 on any error response or missing event.
"""

import asyncio
import json
import sys

from nio import (
    AsyncClient,
    JoinResponse,
    JoinedMembersResponse,
    LoginResponse,
    MessageDirection,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

BODY = "hello from nio"


def fail(what, response):
    print(f"{what} failed: {response}", file=sys.stderr)
    return 1


async def main(base_url, alice_id, alice_password, bob_id, bob_password):
    alice = AsyncClient(base_url, alice_id)
    bob = AsyncClient(base_url, bob_id)
    try:
        for client, password in ((alice, alice_password), (bob, bob_password)):
            login = await client.login(password, device_name="nio-rooms")
            if not isinstance(login, LoginResponse):
                return fail("login", login)

        created = await alice.room_create(name="nio room", topic="via nio", invite=[bob_id])
        if not isinstance(created, RoomCreateResponse):
            return fail("room_create", created)
        room_id = created.room_id

        first = await bob.sync(timeout=0)
        if not isinstance(first, SyncResponse):
            return fail("bob initial sync", first)
        if room_id not in first.rooms.invite:
            return fail("invite in sync", first.rooms.invite)
        invite_senders = sorted(
            {event.sender for event in first.rooms.invite[room_id].invite_state}
        )
        invited_room = bob.invited_rooms.get(room_id)
        invited_name = invited_room.name if invited_room else None

        joined = await bob.join(room_id)
        if not isinstance(joined, JoinResponse):
            return fail("join", joined)

        alice_sync = await alice.sync(timeout=0)
        if not isinstance(alice_sync, SyncResponse):
            return fail("alice sync", alice_sync)
        sent = await alice.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": BODY}
        )
        if not isinstance(sent, RoomSendResponse):
            return fail("room_send", sent)

        # Bob's incremental sync (nio passes its next_batch as `since`) delivers it.
        synced = None
        for _ in range(20):
            response = await bob.sync(timeout=5000)
            if not isinstance(response, SyncResponse):
                return fail("bob sync", response)
            room = response.rooms.join.get(room_id)
            if room and any(
                isinstance(e, RoomMessageText) and e.event_id == sent.event_id
                for e in room.timeline.events
            ):
                synced = response
                break
        if synced is None:
            return fail("message in sync", "never arrived")

        members = await bob.joined_members(room_id)
        if not isinstance(members, JoinedMembersResponse):
            return fail("joined_members", members)

        messages = await bob.room_messages(
            room_id, start=synced.next_batch, direction=MessageDirection.back, limit=20
        )
        if not isinstance(messages, RoomMessagesResponse):
            return fail("room_messages", messages)
        read_back = [
            e.body for e in messages.chunk if isinstance(e, RoomMessageText)
        ]

        print(
            json.dumps(
                {
                    "room_id": room_id,
                    "invite_senders": invite_senders,
                    "invited_room_name": invited_name,
                    "event_id": sent.event_id,
                    "room_name": bob.rooms[room_id].display_name if room_id in bob.rooms else None,
                    "members": sorted(m.user_id for m in members.members),
                    "messages": read_back,
                }
            )
        )
        return 0
    finally:
        await alice.close()
        await bob.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:6])))
