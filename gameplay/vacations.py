"""The live store's side of a player's vacations (`keys.vacations`): reading them, and ONE
script call (gameplay/lua/vacation.lua) per change, which appends its events to the
shard's stream as every action does. Nothing here writes PostgreSQL (WRITE_MODE=direct
aside, as in live.py).

The rules are gameplay.rules' ("Vacations"). The two that depend on what the player holds
now, no overlap and at most 60 days in each calendar year, are decided inside the script
against the hash as it is then, with the numbers Python passes (the span's day ordinals,
each year's first and last day, the limit): two adds at once cannot both pass, and a
refusal writes nothing. Ending or removing one is a compare-and-set of the span the caller
read and decided on (`Status.CHANGED` when another request changed it in between).
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import cast

from django.conf import settings
from redis.typing import EncodableT

from gameplay import keys, live, rules, scripts, store
from gameplay.live import Actor


class Status(StrEnum):
    """What the vacation script answers (its JSON's `status`)."""

    OK = "ok"
    REPEAT = "repeat"  # the same vacation (start and end) is held already: nothing written
    OVERLAP = "overlap"  # it overlaps one held: nothing written
    YEAR_LIMIT = "year_limit"  # a calendar year would hold too many days: nothing written
    CHANGED = "changed"  # not the span the caller read (or gone): nothing written


@dataclass(frozen=True)
class Vacation:
    id: str
    start: date  # first local day
    end: date  # last local day, included


@dataclass(frozen=True)
class Added:
    """What adding a vacation answered: the vacation (the one already held for a repeat),
    or, refused, the vacations the script checked it against."""

    status: Status
    vacation: Vacation | None = None
    held: list[Vacation] = field(default_factory=list)
    freezes: int | None = None  # the freezes held after the refunds (added only)


def _span(start: date, end: date) -> str:
    return f"{start.toordinal()}:{end.toordinal()}"


def _vacation(vacation_id: bytes | str, span: bytes | str) -> Vacation:
    text = span.decode() if isinstance(span, bytes) else span
    first, last = text.split(":")
    identity = vacation_id.decode() if isinstance(vacation_id, bytes) else vacation_id
    return Vacation(identity, date.fromordinal(int(first)), date.fromordinal(int(last)))


def _ordered(pairs: dict) -> list[Vacation]:
    found = [_vacation(vacation_id, span) for vacation_id, span in pairs.items()]
    return sorted(found, key=lambda v: (v.start, v.end, v.id))


def vacations_of(player_id: int) -> list[Vacation]:
    """The player's vacations as the live store holds them, ordered by their first day."""
    return _ordered(cast(live.Fields, live.client().hgetall(keys.vacations(player_id))))


def vacation_of(player_id: int, vacation_id: str) -> Vacation | None:
    span = cast(bytes | None, live.client().hget(keys.vacations(player_id), vacation_id))
    return None if span is None else _vacation(vacation_id, span)


def _change(actor: Actor, now: datetime, base: str, args: dict[str, EncodableT]) -> dict:
    """Run the script (acknowledged as live.py's actions are) and, in WRITE_MODE=direct,
    write its events in their stream order: the vacation's, then its refunds'."""
    call = scripts.prepare(
        "vacation",
        {
            **live._award_keys(actor.player_id, now),
            "vacations": keys.vacations(actor.player_id),
            "frozen": keys.frozen(actor.player_id),
        },
        {
            **live._award_args(actor, now, base),
            "new_span": "",
            "years": "[]",
            "year_limit": rules.VACATION_DAYS_PER_YEAR,
            "days": "{}",
            "freezes_max": rules.FREEZES_MAX,
            **args,
        },
    )
    outcome = json.loads(store.run_acknowledged(call, call.keys[0]))
    if outcome.get("stream_id") and settings.WRITE_MODE == "direct":
        written = [
            [outcome["stream_id"], outcome["event"]],
            *live._list(outcome.get("extra_events")),
        ]
        for stream_id, event_json in written:
            live._direct_writer(settings.LIVE_DIRECT_WRITER)(
                stream=keys.stream(keys.shard_of(actor.player_id)),
                stream_id=stream_id,
                event_json=event_json,
            )
    return outcome


def vacation_add(*, actor: Actor, start: date, end: date, now: datetime) -> Added:
    """Add the vacation start..end, which the caller checked with rules.vacation_refusal
    (on its own: what it may overlap is the script's to see). Its id is its event's."""
    base = live._base(actor, now)
    days = {
        str(day.toordinal()): day.isoformat()
        for day in (start + timedelta(days=n) for n in range((end - start).days + 1))
    }
    outcome = _change(
        actor,
        now,
        json.dumps(base),
        {
            "action": "add",
            "vacation_id": base["id"],
            "span": _span(start, end),
            "start_iso": start.isoformat(),
            "end_iso": end.isoformat(),
            "years": json.dumps(
                [
                    [jan1.toordinal(), dec31.toordinal()]
                    for jan1, dec31 in rules.vacation_years(start, end)
                ]
            ),
            "days": json.dumps(days),
        },
    )
    status = Status(outcome["status"])
    if status in (Status.OK, Status.REPEAT):
        return Added(status, Vacation(outcome["id"], start, end), freezes=outcome.get("freezes"))
    flat = live._list(outcome.get("vacations"))
    return Added(status, held=_ordered(dict(zip(flat[0::2], flat[1::2], strict=True))))


def vacation_cut(*, actor: Actor, vacation: Vacation, last: date | None, now: datetime) -> Status:
    """End `vacation` on `last` (vacation_ended), or remove it when `last` is None
    (vacation_removed), provided it still holds the span read; CHANGED otherwise."""
    action = "remove" if last is None else "end"
    return Status(
        _change(
            actor,
            now,
            live._event_base(actor, now),
            {
                "action": action,
                "vacation_id": vacation.id,
                "span": _span(vacation.start, vacation.end),
                "new_span": "" if last is None else _span(vacation.start, last),
                "start_iso": vacation.start.isoformat(),
                "end_iso": (last or vacation.end).isoformat(),
            },
        )["status"]
    )
