"""The vacations' part of the operator work: `rebuild_redis` restores each player's live
hash (`gameplay.keys.vacations`, id -> "<first>:<last>" day ordinals) from the Vacation
rows, and `check_consistency` compares the two, player by player."""

from collections import defaultdict
from collections.abc import Iterator

from accounts.models import User
from gameplay import keys
from vacations.models import Vacation

CHUNK = 1000  # players a pipeline (pipeline.consistency's, which imports this module)


def chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _span(vacation_id, start, end) -> tuple[str, str]:
    return str(vacation_id), f"{start.toordinal()}:{end.toordinal()}"


def vacation_rows() -> dict[int, dict[str, str]]:
    """player -> {vacation id: "<first>:<last>"}, as PostgreSQL holds them."""
    rows: dict[int, dict[str, str]] = defaultdict(dict)
    for player_id, vacation_id, start, end in Vacation.objects.values_list(
        "player_id", "id", "start", "end"
    ):
        key, span = _span(vacation_id, start, end)
        rows[player_id][key] = span
    return rows


def vacations_restore(r) -> int:
    """Every player's vacations into the live store (after its keys were deleted); returns
    how many."""
    rows = vacation_rows()
    for chunk in chunks(list(rows.items())):
        pipe = r.pipeline(transaction=False)
        for player_id, spans in chunk:
            pipe.hset(keys.vacations(player_id), mapping=spans)
        pipe.execute()
    return sum(len(spans) for spans in rows.values())


def _readable(spans: dict[str, str]) -> list[str]:
    return [f"{vacation_id} {span}" for vacation_id, span in sorted(spans.items())]


def vacation_drift(r) -> list[str]:
    """Each player whose Vacation rows and live hash differ, one line naming the player."""
    rows = vacation_rows()
    drift: list[str] = []
    for chunk in chunks(list(User.objects.order_by("pk").values_list("pk", flat=True))):
        pipe = r.pipeline(transaction=False)
        for player_id in chunk:
            pipe.hgetall(keys.vacations(player_id))
        for player_id, held in zip(chunk, pipe.execute(), strict=True):
            live = {k.decode(): v.decode() for k, v in held.items()}
            stored = rows.get(player_id, {})
            if live != stored:
                drift.append(
                    f"player {player_id}: vacations (postgres, redis) = "
                    f"({_readable(stored)}, {_readable(live)})"
                )
    return drift
