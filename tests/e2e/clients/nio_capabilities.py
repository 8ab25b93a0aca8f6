"""A raw client reads the capabilities: matrix-nio 0.26 has no capabilities call, so nio
logs in and the answer of GET /_matrix/client/v3/capabilities is read as a client would,
with the spec's defaults for absent keys (m.change_password: true, moderation: false).

Usage: nio_capabilities.py BASE_URL USER_ID PASSWORD
Prints one JSON line {"lock", "suspend", "change_password", "default_room_version",
"room_versions"}; exits 1 on any error response or malformed answer.
"""

import asyncio
import json
import sys

import aiohttp
from nio import AsyncClient, LoginResponse


def flag(section: object, key: str, default: bool) -> bool:
    if section is None:
        return default
    if not isinstance(section, dict):
        raise ValueError(f"capability is not an object: {section!r}")
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key} is not a boolean: {value!r}")
    return value


def parse(answer: object) -> dict:
    if not isinstance(answer, dict) or not isinstance(answer.get("capabilities"), dict):
        raise ValueError(f"no capabilities object: {answer!r}")
    capabilities = answer["capabilities"]
    moderation = capabilities.get("m.account_moderation")
    versions = capabilities.get("m.room_versions")
    if not isinstance(versions, dict):
        raise ValueError(f"m.room_versions is not an object: {versions!r}")
    default = versions.get("default")
    available = versions.get("available")
    if not isinstance(default, str) or not isinstance(available, dict):
        raise ValueError(f"malformed m.room_versions: {versions!r}")
    if default not in available:
        raise ValueError(f"default room version {default} is not available")
    for stability in available.values():
        if stability not in ("stable", "unstable"):
            raise ValueError(f"unknown stability {stability!r}")
    return {
        "lock": flag(moderation, "lock", False),
        "suspend": flag(moderation, "suspend", False),
        "change_password": flag(capabilities.get("m.change_password"), "enabled", True),
        "default_room_version": default,
        "room_versions": sorted(available),
    }


async def main(base_url: str, user_id: str, password: str) -> int:
    client = AsyncClient(base_url, user_id)
    try:
        login = await client.login(password, device_name="nio-capabilities")
        if not isinstance(login, LoginResponse):
            print(f"login failed: {login}", file=sys.stderr)
            return 1
        async with aiohttp.ClientSession() as session:
            async with session.get(
                f"{base_url}/_matrix/client/v3/capabilities",
                headers={"Authorization": f"Bearer {client.access_token}"},
            ) as response:
                answer = await response.json()
                if response.status != 200:
                    print(f"capabilities failed: {response.status} {answer}", file=sys.stderr)
                    return 1
        print(json.dumps(parse(answer)))
        await client.logout()
        return 0
    except ValueError as error:
        print(f"malformed capabilities: {error}", file=sys.stderr)
        return 1
    finally:
        await client.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))
