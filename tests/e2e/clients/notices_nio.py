"""matrix-nio as the target of a server notice: sees the invite, cannot reject it,
joins, reads the notice and the m.server_notice tag.

Usage: notices_nio.py BASE_URL USER_ID PASSWORD
Prints one JSON line describing what the client saw; exits 1 on an unexpected error.
"""

import asyncio
import json
import sys

from nio import (
    AsyncClient,
    InviteMemberEvent,
    JoinResponse,
    LoginResponse,
    RoomLeaveError,
    SyncResponse,
    TagEvent,
)


def fail(what, response) -> int:
    print(f"{what} failed: {response}", file=sys.stderr)
    return 1


async def main(base_url: str, user_id: str, password: str) -> int:
    client = AsyncClient(base_url, user_id)
    try:
        login = await client.login(password, device_name="nio-notices")
        if not isinstance(login, LoginResponse):
            return fail("login", login)
        sync = await client.sync(timeout=0, full_state=True)
        if not isinstance(sync, SyncResponse):
            return fail("sync", sync)
        invites = list(sync.rooms.invite.items())
        if len(invites) != 1:
            return fail("invites", invites)
        room_id, invited = invites[0]
        members = [
            e
            for e in invited.invite_state
            if isinstance(e, InviteMemberEvent) and e.state_key == user_id
        ]
        if not members:
            return fail("invite_state", invited.invite_state)
        invite = members[0]

        leave = await client.room_leave(room_id)
        leave_status = leave.transport_response.status if leave.transport_response else None
        leave_result = {
            "rejected": isinstance(leave, RoomLeaveError),
            "status": leave_status,
            "errcode": getattr(leave, "status_code", None),
            "error": getattr(leave, "message", None),
        }

        join = await client.join(room_id)
        if not isinstance(join, JoinResponse):
            return fail("join", join)
        sync = await client.sync(timeout=0, full_state=True)
        if not isinstance(sync, SyncResponse):
            return fail("sync after join", sync)
        joined = sync.rooms.join.get(room_id)
        if joined is None:
            return fail("joined room", sync.rooms.join)
        notices = [
            {"sender": e.sender, "type": e.source.get("type"), "content": e.source.get("content")}
            for e in joined.timeline.events
            if e.source.get("type") == "m.room.message"
        ]
        tags = [e.tags for e in joined.account_data if isinstance(e, TagEvent)]
        room = client.rooms.get(room_id)
        print(
            json.dumps(
                {
                    "room_id": room_id,
                    "invite_sender": invite.sender,
                    "invite_membership": invite.membership,
                    "leave": leave_result,
                    "notices": notices,
                    "tags": tags,
                    "room_name": room.name if room else None,
                }
            )
        )
        return 0
    finally:
        await client.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
