"""The live store's Lua scripts (gameplay/lua/) and the KEYS and ARGV each one takes.

Redis numbers a script's keys and arguments; Python names them. Every call passes its
values by name and `run` puts them in the order of the script's `Signature`, so a value
cannot slip into a neighbour's slot. Each script's header declares the same names with
their numbers (`-- KEYS[10] running: ...`), and a test holds the header and the signature
together, and checks that the script reads no slot past them.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import redis
from redis.client import Pipeline
from redis.commands.core import Script
from redis.typing import EncodableT

from gameplay.store import ScriptCall

LUA_DIR = Path(__file__).resolve().parent / "lua"


@dataclass(frozen=True)
class Signature:
    """A script's KEYS and ARGV names, in Redis's order; `prelude`: it runs after
    prelude.lua, whose slots come first."""

    keys: tuple[str, ...]
    args: tuple[str, ...]
    prelude: bool = False
    habits: bool = False  # it runs after habits.lua too (after the prelude), whose slots follow


# Every action script starts with the prelude's KEYS[1..9] and ARGV[1..7].
PRELUDE = Signature(
    keys=(
        "player",
        "badges",
        "board_all",
        "board_week",
        "hidden",
        "community",
        "community_active",
        "stream",
        "changes",
    ),
    args=("event_base", "player_id", "week", "now", "badge_rules", "period_ttl", "news_channel"),
)


# A script that decides streaks adds habits.lua's KEYS[10..12] and ARGV[8..9].
HABITS = Signature(keys=("roster", "frozen", "vacations"), args=("today", "habit_rules"))


def _action(keys: tuple[str, ...], args: tuple[str, ...], *, habits: bool = False) -> Signature:
    """An action script's signature: the prelude's slots (and habits.lua's), then its own."""
    if habits:
        keys, args = HABITS.keys + keys, HABITS.args + args
    return Signature(PRELUDE.keys + keys, PRELUDE.args + args, prelude=True, habits=habits)


SIGNATURES: Mapping[str, Signature] = {
    "session_start": _action(
        keys=("running",),
        args=(
            "session_id",
            "planned_minutes",
            "habit_id",
            "result_prefix",
            "window",
            "closing_base",
            "result_ttl",
        ),
    ),
    "session_finish": _action(
        keys=("running", "result"),
        args=(
            "session_id",
            "action",
            "focused_seconds",
            "grace",
            "window",
            "full_session_bonus",
            "result_ttl",
            "short_session_seconds",
        ),
    ),
    "checkin": _action(
        keys=("habit_days", "habit"),
        args=("day", "points_table", "habit_id", "schedule", "day_iso"),
        habits=True,
    ),
    "settle": _action(keys=(), args=(), habits=True),
    "adjust": _action(keys=(), args=("points",)),
    # Read-only or moderation scripts: no prelude, no event. Each still touches one slot:
    # the player's shard, or the global boards ({lb}).
    "visibility": Signature(
        keys=("player", "board_all", "board_week", "hidden"),
        args=("player_id", "week", "hidden", "period_ttl"),
    ),
    "snapshot": Signature(keys=("player", "badges", "hidden"), args=("player_id", "week")),
    "ranks": Signature(keys=("board_all", "board_week"), args=("player_id", "points", "weekly")),
    "board": Signature(keys=("board", "names"), args=("limit",)),
    # The global boards' feeder; its week boards follow its named KEYS (`extra_keys`).
    "board_feed": Signature(
        keys=("board_all", "versions", "changes", "deleted"), args=("updates", "period_ttl")
    ),
    # Its groups follow its named ARGV (`extra_args`).
    "stream_trim": Signature(keys=("stream",), args=()),
    # A player's deletion (gameplay/deletion.py): their shard, then the global boards; the
    # shard's, its keys and lists after its named KEYS (`extra_keys`).
    "player_purge": Signature(
        keys=("player", "hidden", "board_all", "stream", "dead_letters", "changes"),
        args=("player_id", "now", "tombstone_ttl", "own_keys", "week_boards"),
    ),
    "player_forget": Signature(
        keys=("board_all", "names", "versions", "deleted", "changes"),
        args=("action", "player_id", "stream_id"),
    ),
    # The flush's drop of a deleted player's events; the community days after its KEYS.
    "events_drop": Signature(keys=("stream", "changes"), args=("group", "entries")),
    # Imported history (gameplay/history.py): each habit's two keys follow its named KEYS
    # (`extra_keys`), in the order of its `habits`.
    "history_import": _action(keys=(), args=("habits", "vacations", "frozen"), habits=True),
    # A player's vacations (gameplay/vacations.py): one action script for adding, ending
    # and removing one.
    "vacation": _action(
        keys=("vacations", "frozen"),
        args=(
            "action",
            "vacation_id",
            "span",
            "new_span",
            "start_iso",
            "end_iso",
            "years",
            "year_limit",
            "days",
            "freezes_max",
        ),
    ),
}


def source(name: str) -> str:
    """The Lua Redis runs for `name`: the prelude first for an action script."""
    signature = SIGNATURES[name]
    parts = [
        *(["prelude"] if signature.prelude else []),
        *(["habits"] if signature.habits else []),
        name,
    ]
    return "\n".join((LUA_DIR / f"{part}.lua").read_text() for part in parts)


@cache
def _script(name: str) -> Script:
    # Bound to no connection: every call names the client, so a test that points the app
    # at another Redis gets the same script objects.
    # redis-py runs a Script on the client each call passes (else on the bound one); its
    # annotation wants a bound client all the same.
    return Script(None, source(name).encode())  # type: ignore[arg-type]


def run(
    client: redis.Redis,
    name: str,
    keys: Mapping[str, str],
    args: Mapping[str, EncodableT],
    *,
    extra_keys: Sequence[str] = (),
    extra_args: Sequence[EncodableT] = (),
) -> dict:
    """One round trip: EVALSHA (EVAL once per server) with the slots in signature order,
    then any `extra_` ones (a script that takes a list says so in its header)."""
    raw = _script(name)(**_slots(name, keys, args, extra_keys, extra_args), client=client)
    return json.loads(raw)


def prepare(
    name: str,
    keys: Mapping[str, str],
    args: Mapping[str, EncodableT],
    *,
    extra_keys: Sequence[str] = (),
    extra_args: Sequence[EncodableT] = (),
) -> ScriptCall:
    """The script `name` with its slots in signature order, for the store to send
    (gameplay.store.run_acknowledged: on a cluster, with WAIT on the same connection)."""
    slots = _slots(name, keys, args, extra_keys, extra_args)
    return ScriptCall(_script(name), tuple(slots["keys"]), tuple(slots["args"]))


def queue(
    pipe: Pipeline,
    name: str,
    keys: Mapping[str, str],
    args: Mapping[str, EncodableT],
    *,
    extra_keys: Sequence[str] = (),
    extra_args: Sequence[EncodableT] = (),
) -> None:
    """Queue the script on a pipeline (its reply, JSON, comes back with the others'):
    several slots in one round trip. The pipeline loads it should the server not know it
    yet."""
    _script(name)(**_slots(name, keys, args, extra_keys, extra_args), client=pipe)


def _slots(
    name: str,
    keys: Mapping[str, str],
    args: Mapping[str, EncodableT],
    extra_keys: Sequence[str],
    extra_args: Sequence[EncodableT],
) -> dict[str, list]:
    signature = SIGNATURES[name]
    return {
        "keys": [keys[n] for n in signature.keys] + list(extra_keys),
        "args": [args[n] for n in signature.args] + list(extra_args),
    }
