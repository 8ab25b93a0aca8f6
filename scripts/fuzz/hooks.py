"""schemathesis hooks for scripts/fuzz.sh.

Random strings almost never name a user, room or job that exists, so without help the
fuzzer would only ever see the "malformed" and "unknown" branches. These hooks swap real
IDs (made by scripts/fuzz/seed.py, read from the JSON file in $FUZZ_IDS_FILE) into half
of the generated path parameters, chosen by the parameter's name, so the branches behind
the lookups are fuzzed too; the admin run's own ID goes to reading operations only. They
also cap `/sync`'s long-poll so one request cannot hold a worker for the server's
two-minute maximum.
"""

import json
import os

import schemathesis
from hypothesis import strategies as st

_PATH = os.environ.get("FUZZ_IDS_FILE")
_IDS = {}
if _PATH:
    with open(_PATH, encoding="utf-8") as ids_file:
        _IDS = json.load(ids_file)

# Longest /sync long-poll the fuzzer may ask for, in milliseconds.
_SYNC_TIMEOUT_MS = 1000


def _real_ids(name, method):
    lowered = name.lower()
    for kind in ("room", "user", "job", "event"):
        if kind in lowered:
            ids = list(_IDS.get(kind, []))
            # The caller's own user ID ("self") only where nothing changes: an operation
            # that locks, deactivates, demotes or logs out the caller would end the run's
            # coverage with 401/403 answers.
            if kind == "user" and method == "GET":
                ids += _IDS.get("self", [])
            return ids
    return []


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    operation = context.operation
    method = str(getattr(operation, "method", "") or "").upper()
    choices = {}
    for name, value in path_parameters.items():
        real = _real_ids(name, method)
        choices[name] = st.one_of(st.just(value), st.sampled_from(real)) if real else st.just(value)
    return st.fixed_dictionaries(choices)


@schemathesis.hook
def map_query(context, query):
    operation = context.operation
    if not isinstance(query, dict) or operation is None or not operation.path.endswith("/sync"):
        return query
    timeout = query.get("timeout")
    if isinstance(timeout, bool):
        return query
    if isinstance(timeout, int) and timeout > _SYNC_TIMEOUT_MS:
        query["timeout"] = timeout % _SYNC_TIMEOUT_MS
    elif isinstance(timeout, str) and timeout.isdigit() and int(timeout) > _SYNC_TIMEOUT_MS:
        query["timeout"] = str(int(timeout) % _SYNC_TIMEOUT_MS)
    return query
