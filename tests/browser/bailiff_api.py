"""Just enough of bailiff's HTTP API to set up what a browser flow needs: users by
shared-secret registration, logins (devices), rooms and memberships. Standard library
only, so it runs in the same interpreter as playwright (`target/pyenv`)."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from urllib.parse import quote


class Api:
    def __init__(self, base_url, shared_secret):
        self.base_url = base_url.rstrip("/")
        self.secret = shared_secret

    def call(self, method, path, token=None, body=None):
        """Returns (status, decoded JSON body or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        # The gateway is on loopback: never through a proxy.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, None

    def ok(self, method, path, token=None, body=None):
        status, answer = self.call(method, path, token, body)
        if status != 200:
            raise AssertionError(f"{method} {path}: {status} {answer}")
        return answer

    def register(self, localpart, password, admin=False):
        """Shared-secret registration (docs/http-api.md §4); returns the login answer."""
        nonce = self.ok("GET", "/_synapse/admin/v1/register")["nonce"]
        message = b"\x00".join(
            [nonce.encode(), localpart.encode(), password.encode(),
             b"admin" if admin else b"notadmin"])
        mac = hmac.new(self.secret.encode(), message, hashlib.sha1).hexdigest()
        return self.ok("POST", "/_synapse/admin/v1/register", body={
            "nonce": nonce, "username": localpart, "password": password,
            "admin": admin, "mac": mac})

    def login(self, user, password, device_name="browser-test"):
        return self.ok("POST", "/_matrix/client/v3/login", body={
            "type": "m.login.password", "password": password,
            "identifier": {"type": "m.id.user", "user": user},
            "initial_device_display_name": device_name})

    def create_room(self, token, name, visibility="private", invite=()):
        return self.ok("POST", "/_matrix/client/v3/createRoom", token, {
            "name": name, "visibility": visibility, "preset": "public_chat",
            "invite": list(invite)})["room_id"]

    def join(self, token, room_id):
        self.ok("POST", f"/_matrix/client/v3/join/{quote(room_id, safe='')}", token, {})
