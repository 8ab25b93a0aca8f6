"""Seeds a fresh bailiff for the fuzzer and prints what it made as JSON.

Users come from shared-secret registration (GET a nonce, POST with the HMAC-SHA1 MAC that
docs/http-api.md describes), so no other endpoint is trusted before the fuzzer runs.

    seed.py BASE_URL SHARED_SECRET  ->  {"admin", "user", "throwaway", "ids": {"admin", "user"}}

"admin" and "user" are the two callers the fuzzer runs as; "throwaway" is for the logout
operations, which revoke the token they are called with. "ids" are real IDs for each run to
mix into generated path parameters. The admin run's pool leaves out the non-admin user, so
that a password reset (which logs devices out) cannot revoke the token of the run after it,
and offers the admin's own ID only to reading operations.
"""

import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.request


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def expect(answer, *statuses):
    status, body = answer
    if status not in statuses:
        sys.exit(f"seed: unexpected answer {status} {body}")
    return body


def register(base, secret, username, admin=False):
    path = "/_synapse/admin/v1/register"
    nonce = expect(call(base, "GET", path), 200)["nonce"]
    message = b"\x00".join(
        [nonce.encode(), username.encode(), b"fuzz-password-1", b"admin" if admin else b"notadmin"]
    )
    mac = hmac.new(secret.encode(), message, hashlib.sha1).hexdigest()
    body = {
        "nonce": nonce,
        "username": username,
        "password": "fuzz-password-1",
        "admin": admin,
        "mac": mac,
    }
    answer = expect(call(base, "POST", path, body=body), 200)
    return {"user_id": answer["user_id"], "access_token": answer["access_token"]}


def seed(base, secret):
    admin = register(base, secret, "fuzzadmin", admin=True)
    user = register(base, secret, "fuzzuser")
    bystander = register(base, secret, "fuzzbystander")
    throwaway = register(base, secret, "fuzzthrowaway")
    v3 = "/_matrix/client/v3"
    rooms = []
    for body in (
        {"name": "fuzz public", "preset": "public_chat"},
        {"name": "fuzz private", "invite": [user["user_id"]]},
    ):
        created = expect(call(base, "POST", v3 + "/createRoom", admin["access_token"], body), 200)
        rooms.append(created["room_id"])
    # The non-admin user is joined to one room and invited to the other.
    expect(call(base, "POST", f"{v3}/join/{rooms[0]}", user["access_token"], {}), 200)
    event = expect(
        call(
            base,
            "PUT",
            f"{v3}/rooms/{rooms[0]}/send/m.room.message/seed1",
            admin["access_token"],
            {"msgtype": "m.text", "body": "hello fuzzer"},
        ),
        200,
    )
    server = admin["user_id"].split(":", 1)[1]
    job = expect(
        call(
            base,
            "POST",
            f"/_dendrite/admin/evacuateUser/@nobody:{server}?async=true",
            admin["access_token"],
            {},
        ),
        202,
    )
    shared = {"room": rooms, "job": [job["job_id"]], "event": [event["event_id"]]}
    return {
        "admin": admin,
        "user": user,
        "throwaway": throwaway,
        "ids": {
            # The admin's own ID is offered to reading operations only (see
            # scripts/fuzz/hooks.py): a lock, deactivation, demotion or device deletion
            # of the caller would leave the rest of the run answering 401/403.
            "admin": {"user": [bystander["user_id"]], "self": [admin["user_id"]], **shared},
            "user": {"user": [user["user_id"], admin["user_id"], bystander["user_id"]], **shared},
        },
    }


def main():
    base, secret = sys.argv[1].rstrip("/"), sys.argv[2]
    json.dump(seed(base, secret), sys.stdout)


if __name__ == "__main__":
    main()
