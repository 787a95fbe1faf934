"""Every Redis key FocusQuest uses, named in one place.

Keys carry a hash tag (the part in braces) so that they can later be spread over a Redis
Cluster by player: all of one player's keys share `{p:<id>}` and so one slot; the boards,
the community counters and the event stream each have their own tag.
"""

PREFIX = "fq"

# The event stream the flush reads, and the consumer group it reads through.
STREAM = f"{PREFIX}:{{s}}:events"
FLUSH_GROUP = "flushers"

# Boards: sorted sets of visible players by points; hidden players are kept out of them.
BOARD_ALL = f"{PREFIX}:{{lb}}:all"
HIDDEN = f"{PREFIX}:{{lb}}:hidden"
NAMES = f"{PREFIX}:{{lb}}:names"


def board_week(week_id: str) -> str:
    return f"{PREFIX}:{{lb}}:week:{week_id}"


def board(board_name: str, week_id: str) -> str:
    return BOARD_ALL if board_name == "all" else board_week(week_id)


def player(player_id: int) -> str:
    """Hash: points, sessions (completed), wk (ISO week id), wkpts (points in wk)."""
    return f"{PREFIX}:{{p:{player_id}}}:player"


def badges(player_id: int) -> str:
    """Hash: badge code -> awarded_at (epoch microseconds)."""
    return f"{PREFIX}:{{p:{player_id}}}:badges"


def running_session(player_id: int) -> str:
    """Hash of the player's running session: sid, started (epoch µs), planned, habit."""
    return f"{PREFIX}:{{p:{player_id}}}:running"


def session_result(player_id: int, session_id: str) -> str:
    """JSON result of a finished session, so a repeated request answers the same."""
    return f"{PREFIX}:{{p:{player_id}}}:session:{session_id}"


def habit_days(player_id: int, habit_id: int) -> str:
    """Set of checked days as ordinals (date.toordinal())."""
    return f"{PREFIX}:{{p:{player_id}}}:habit:{habit_id}:days"


def habit(player_id: int, habit_id: int) -> str:
    """Hash: longest (longest streak ever)."""
    return f"{PREFIX}:{{p:{player_id}}}:habit:{habit_id}"


def community(day_iso: str) -> str:
    """Hash of the UTC day's totals: focus_minutes, sessions."""
    return f"{PREFIX}:{{c}}:day:{day_iso}"


def community_active(day_iso: str) -> str:
    """Set of the players active on the UTC day."""
    return f"{PREFIX}:{{c}}:active:{day_iso}"


def news_channel(db: int) -> str:
    """Pub/sub channel: every award publishes the player's new totals and ranks here, inside
    its script, so personal websocket news costs the request no extra round trip. Channels
    are server-wide (not per database), hence the database number in the name."""
    return f"{PREFIX}:{{push}}:news:{db}"


# Held (with an expiry, renewed) by the one websocket process that pushes for everyone.
PUSH_LEADER = f"{PREFIX}:{{push}}:leader"

# Hash of change counters (fields "boards", "community") that every award bumps; the
# websocket pusher reads them (when news arrives, and every 0.2 s) instead of being sent
# a message per award.
CHANGES = f"{PREFIX}:{{push}}:changes"

LAST_FLUSH = f"{PREFIX}:{{s}}:last-flush"
# Events PostgreSQL refused, each with its error, until an operator retries or discards
# them (manage.py dead_letters). Same slot as the stream: moving one is one MULTI.
DEAD_LETTERS = f"{PREFIX}:{{s}}:dead-letters"
