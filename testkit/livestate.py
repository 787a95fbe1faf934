"""A player's live keys as values, for tests that compare two states of the live store.

Read by type, not by DUMP: a JSON value (a roster entry) is decoded, because the scripts'
encoder orders an object's keys by the table's hash layout, which two equal histories built
in a different order need not share.
"""

import json
from typing import cast

from gameplay import live


def player_keys(player_id: int, *, skip_suffixes: tuple[bytes, ...] = ()) -> dict:
    r = live.client()
    state: dict[bytes, object] = {}
    for key in sorted(cast(list[bytes], r.keys(f"*p:{player_id}:*"))):
        if key.endswith(skip_suffixes):
            continue
        kind = r.type(key)
        if kind == b"set":
            state[key] = sorted(cast(set[bytes], r.smembers(key)))
        elif kind == b"hash":
            fields = cast(dict[bytes, bytes], r.hgetall(key))
            state[key] = {f: json.loads(v) if v.startswith(b"{") else v for f, v in fields.items()}
        elif kind == b"zset":
            state[key] = r.zrange(key, 0, -1, withscores=True)
        else:
            state[key] = r.dump(key)
    return state
