"""matrix-nio against the gateway: log in, whoami, log out.

Usage: nio_login.py BASE_URL USER_ID PASSWORD
Prints one JSON line {"user_id", "device_id", "access_token", "whoami"}; exits 1 on any
error response.
"""

import asyncio
import json
import sys

from nio import AsyncClient, LoginResponse, LogoutResponse, WhoamiResponse


async def main(base_url: str, user_id: str, password: str) -> int:
    client = AsyncClient(base_url, user_id)
    try:
        login = await client.login(password, device_name="nio-e2e")
        if not isinstance(login, LoginResponse):
            print(f"login failed: {login}", file=sys.stderr)
            return 1
        whoami = await client.whoami()
        if not isinstance(whoami, WhoamiResponse):
            print(f"whoami failed: {whoami}", file=sys.stderr)
            return 1
        logout = await client.logout()
        if not isinstance(logout, LogoutResponse):
            print(f"logout failed: {logout}", file=sys.stderr)
            return 1
        print(
            json.dumps(
                {
                    "user_id": login.user_id,
                    "device_id": login.device_id,
                    "access_token": login.access_token,
                    "whoami": whoami.user_id,
                }
            )
        )
        return 0
    finally:
        await client.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
