"""Every Redis key FocusQuest uses, named in one place.

Keys carry a Redis Cluster hash tag (the part in braces): only the tag decides a key's slot.
Players live in virtual shards, `shard_of(player_id) = player_id % LIVE_SHARDS`, and every
key one action touches (the player's keys, their shard's event stream, boards, hidden set,
community counters, change counters and news channel) carries the shard's tag `{s<n>}`, so
an action is one script on one slot, on one server or on a cluster. The global boards the
players see live under `{lb}`, fed from the shard streams (gameplay/boards.py).

LIVE_SHARDS is fixed for a deployment's life: changing it moves every player to another
shard, which only `manage.py rebuild_redis` (from PostgreSQL) puts right.
"""

from django.conf import settings

PREFIX = "fq"

# Consumer groups on every shard's stream: the flush to PostgreSQL, and the feeder of the
# global boards. The stream is trimmed past what both have finished.
FLUSH_GROUP = "flushers"
FEED_GROUP = "board-feeder"


def shards() -> range:
    return range(settings.LIVE_SHARDS)


def shard_of(player_id: int) -> int:
    return int(player_id) % settings.LIVE_SHARDS


def _shard(n: int) -> str:
    return f"{PREFIX}:{{s{n}}}"


def _player(player_id: int) -> str:
    return f"{_shard(shard_of(player_id))}:p:{player_id}"


# --- A player's keys (in their shard's slot) ------------------------------------------------


def player_keys_prefix(player_id: int) -> str:
    """What every key of the player's starts with (their deletion finds them by it)."""
    return f"{_player(player_id)}:"


def player(player_id: int) -> str:
    """Hash: points, sessions (completed), wk (ISO week id), wkpts (points in wk), v (the
    version of the player's board scores: every award and every hide or show bumps it)."""
    return f"{_player(player_id)}:player"


def badges(player_id: int) -> str:
    """Hash: badge code -> awarded_at (epoch microseconds)."""
    return f"{_player(player_id)}:badges"


def running_session(player_id: int) -> str:
    """Hash of the player's running session: sid, started (epoch µs), planned, habit."""
    return f"{_player(player_id)}:running"


def session_result(player_id: int, session_id: str) -> str:
    """JSON result of a finished session, so a repeated request answers the same."""
    return f"{_player(player_id)}:session:{session_id}"


def habit_days(player_id: int, habit_id: int) -> str:
    """Set of checked days as ordinals (date.toordinal())."""
    return f"{_player(player_id)}:habit:{habit_id}:days"


def habit(player_id: int, habit_id: int) -> str:
    """Hash: longest (longest streak ever, in the habit's unit: days or weeks)."""
    return f"{_player(player_id)}:habit:{habit_id}"


def roster(player_id: int) -> str:
    """Hash of the player's habits that hold check-ins, for settling missed days without
    naming each habit's keys: habit id -> JSON {kind, rest (rest weekdays), target, last
    (the last checked day's ordinal), streak (streak_at of it)}. The check-in script writes
    an entry; deleting the habit removes it."""
    return f"{_player(player_id)}:roster"


def frozen(player_id: int) -> str:
    """Hash of the days a freeze was spent on: "<habit id>:<day ordinal>" -> "1". Such a
    day is a skip day of that habit until it is checked (which refunds the freeze). The
    freezes the player holds are the player hash's `freezes`."""
    return f"{_player(player_id)}:frozen"


def vacations(player_id: int) -> str:
    """Hash of the player's vacations: vacation id (UUID) -> "<first>:<last>", the local
    days' ordinals, both included. Every vacation day is a skip day of every habit."""
    return f"{_player(player_id)}:vacations"


# --- A shard's keys ---------------------------------------------------------------------------


def shard_keys_pattern(n: int) -> str:
    """A SCAN pattern of every key of the shard (its players' included)."""
    return f"{_shard(n)}:*"


def stream(n: int) -> str:
    """The shard's events waiting for the flush and the board feeder."""
    return f"{_shard(n)}:events"


def dead_letters(n: int) -> str:
    """Events of the shard PostgreSQL refused, each with its error, until an operator
    retries or discards them (manage.py dead_letters). Same slot as the stream: moving one
    is one MULTI."""
    return f"{_shard(n)}:dead-letters"


def shard_board_all(n: int) -> str:
    """The shard's exact all-time board (visible players only): what `{lb}` is fed from
    and rebuilt from."""
    return f"{_shard(n)}:board:all"


def shard_board_week(n: int, week_id: str) -> str:
    return f"{_shard(n)}:board:week:{week_id}"


def hidden(n: int) -> str:
    """Set of the shard's players a moderator hid from the boards."""
    return f"{_shard(n)}:hidden"


def community(n: int, day_iso: str) -> str:
    """Hash of the shard's totals for the UTC day: focus_minutes, sessions."""
    return f"{_shard(n)}:day:{day_iso}"


def community_active(n: int, day_iso: str) -> str:
    """Set of the shard's players active on the UTC day."""
    return f"{_shard(n)}:active:{day_iso}"


def changes(n: int) -> str:
    """Hash of the shard's change counter "community", which every award bumps; the pusher
    sums it over the shards instead of being sent a message per award (board moves are
    counted in `{lb}` by the feeder: BOARD_CHANGES). Also "confirmed", the moment a repeated
    action last confirmed an earlier one: a write, so that the WAIT after it waits for the
    earlier one's replication too (prelude.lua's confirm_earlier)."""
    return f"{_shard(n)}:changes"


def news_channel(n: int, db: int) -> str:
    """Sharded pub/sub channel (SPUBLISH): every award publishes the player's new totals
    here, inside its script, so personal websocket news costs the request no extra round
    trip. Channels are server-wide (not per database), hence the database number."""
    return f"{_shard(n)}:news:{db}"


# Patterns of the live values a rebuild deletes and restores (not the streams, their
# groups or the dead letters: those are the way to PostgreSQL, not copies of it).
SHARD_VALUE_PATTERNS = tuple(
    f"{PREFIX}:{{s*}}:{part}" for part in ("p:*", "board:*", "hidden", "day:*", "active:*")
)


# --- The global boards ({lb}) -----------------------------------------------------------------

BOARD_ALL = f"{PREFIX}:{{lb}}:all"
NAMES = f"{PREFIX}:{{lb}}:names"
# Hash: player -> the version of their scores on the global boards. The feeder sets a
# score only from a newer version, so a replayed or reordered update never regresses it.
VERSIONS = f"{PREFIX}:{{lb}}:versions"
# Hash: deleted player -> the last entry id of their shard's stream when their shard was
# purged. The feeder applies no update of a player listed here; an entry goes once no event
# of theirs is left on that stream (gameplay.deletion.tombstones_sweep).
DELETED = f"{PREFIX}:{{lb}}:deleted"
# Hash of change counters: "boards" (the feeder moved a score), "ranks" (a moderator hid or
# showed a player, which moves everyone's rank below).
BOARD_CHANGES = f"{PREFIX}:{{lb}}:changes"


def board_week(week_id: str) -> str:
    return f"{PREFIX}:{{lb}}:week:{week_id}"


def board(board_name: str, week_id: str) -> str:
    return BOARD_ALL if board_name == "all" else board_week(week_id)


# --- Operations -------------------------------------------------------------------------------

LAST_FLUSH = f"{PREFIX}:{{flush}}:last-flush"

# --- On the plain Redis (REDIS_URL), not the live store ----------------------------------------

# Held (with an expiry, renewed) by the one websocket process that pushes for everyone:
# beside the channel layer, so that no live-store master's failover stops the pushes.
PUSH_LEADER = f"{PREFIX}:push-leader"
# Set (with an expiry, renewed) while a board feeder process runs (leaderboard/feeder.py):
# the pusher then leaves the feeding to it.
BOARD_FEEDER = f"{PREFIX}:board-feeder"
