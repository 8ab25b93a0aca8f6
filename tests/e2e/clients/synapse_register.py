"""Synapse's register_new_matrix_user flow against the gateway (user_type null, not admin).

Usage: synapse_register.py BASE_URL SHARED_SECRET USER PASSWORD
Exits non-zero when registration fails.
"""

import sys

from synapse._scripts.register_new_matrix_user import request_registration


def main(base_url: str, secret: str, user: str, password: str) -> int:
    failures = []
    request_registration(
        user,
        password,
        base_url,
        secret,
        admin=False,
        user_type=None,
        _print=print,
        exit=failures.append,
    )
    if failures:
        print(f"registration failed with exit code {failures[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
