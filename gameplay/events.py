"""The event contract: every event the live store appends to the stream, one schema a kind.

An event is written in two halves: `live.py` builds the base (who, when, which days) and
the action's Lua script adds the kind's own fields before XADD; the flush decodes each
event once and copies the fields its statements read as typed columns (pipeline/batch.py).
Nothing on that path validates an event, so these schemas are checked by the tests (every
script's events are validated against them), never per request.

Each schema is a TypedDict: readable as the documentation of the stream, checkable by a
type checker where Python builds an event, and read at run time by `validate`. A field
whose JSON type is not enough says more with `Annotated[type, Check]`: the event id is a
UUID, moments are epoch microseconds as digits (Lua's numbers are doubles, so the scripts
keep them as strings), days are ISO dates.
"""

import re
import types
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    TypedDict,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from gameplay import rules


class EventKind(StrEnum):
    """The `type` of an event; the ledger's `kind` column holds the same values."""

    SESSION_STARTED = "session_started"
    SESSION_COMPLETED = "session_completed"
    # Completed with fewer than rules.SHORT_SESSION_SECONDS focused: points only.
    SESSION_SHORT = "session_short"
    SESSION_ABANDONED = "session_abandoned"
    CHECK_IN = "check_in"
    ADJUSTMENT = "adjustment"
    # Streak freezes (no points): earned by a daily streak reaching a multiple of 7, spent
    # on a missed expected day, refunded when that day is checked after all.
    FREEZE_EARNED = "freeze_earned"
    FREEZE_SPENT = "freeze_spent"
    FREEZE_REFUNDED = "freeze_refunded"
    # A player's vacations (no points): days that are skip days of every habit.
    VACATION_ADDED = "vacation_added"
    VACATION_ENDED = "vacation_ended"  # one under way, cut short to end yesterday
    VACATION_REMOVED = "vacation_removed"  # one not yet begun, taken back


def sql_in(*kinds: EventKind) -> str:
    """A SQL list of kinds for `kind IN ...`; enum values only, so nothing to escape."""
    return "(" + ", ".join(f"'{EventKind(kind)}'" for kind in kinds) + ")"


# --- What a field's JSON type alone cannot say -------------------------------------------


@dataclass(frozen=True)
class Check:
    """A test a field's value must pass beyond its JSON type, and what it means."""

    meaning: str
    passes: Callable[[Any], bool]


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _is_iso_date(value: str) -> bool:
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


UUID_TEXT = Check("a UUID in its canonical text form", _is_uuid)
ISO_DATE = Check("an ISO date (YYYY-MM-DD)", _is_iso_date)
DIGITS = Check("a non-negative integer written as digits", lambda v: v.isdigit())
ISO_WEEK = Check("an ISO week id (YYYY-Www)", lambda v: bool(re.fullmatch(r"\d{4}-W\d{2}", v)))
HABIT_OR_EMPTY = Check("a habit id as digits, or '' for none", lambda v: v == "" or v.isdigit())
BADGE_CODES = Check(
    "badge codes of gameplay.rules, each once",
    lambda v: all(code in rules.BADGE_CODES for code in v) and len(set(v)) == len(v),
)


class _EmptyLuaTable(dict):
    """Redis's cjson encodes an empty Lua table as {}: an empty list of badges arrives as an
    empty object (the flush's SQL turns it back into an array)."""


Badges = Annotated[list[str], BADGE_CODES] | _EmptyLuaTable


# --- The schemas -----------------------------------------------------------------------------


class EventBase(TypedDict):
    """The half `live.py` builds: the same for every kind."""

    id: Annotated[str, UUID_TEXT]  # the ledger's unique key: a replay inserts nothing
    player: int
    ts: Annotated[str, DIGITS]  # when the action happened, epoch microseconds
    day: Annotated[str, ISO_DATE]  # the player's local day (for a check-in: the day checked)
    cday: Annotated[str, ISO_DATE]  # the community's (UTC) day
    week: Annotated[str, ISO_WEEK]  # the ISO week of the UTC moment


class AdjustmentBase(EventBase):
    """A moderator's adjustment: who made it and why travel in the base."""

    moderator: int
    reason: str


class _SessionRecord(TypedDict):
    """Every session event carries the whole session: its newest event is its row."""

    id: Annotated[str, UUID_TEXT]
    started: Annotated[str, DIGITS]  # epoch microseconds
    planned: Annotated[str, DIGITS]  # minutes
    habit: Annotated[str, HABIT_OR_EMPTY]


class SessionRunning(_SessionRecord):
    status: Literal["running"]


class SessionAnswer(TypedDict):
    """The first answer of a finished session, kept so that a repeat answers it exactly."""

    points: int
    weekly: int
    new_badges: Badges


class SessionClosed(_SessionRecord):
    """An abandoned session: by the player, or by a new start when it was too old."""

    status: Literal["abandoned"]
    ended: Annotated[str, DIGITS]  # epoch microseconds
    focused: int  # seconds
    # Absent when a new start closed it: nobody asked, so there is no answer to keep.
    answer: NotRequired[SessionAnswer]


class SessionAnswered(_SessionRecord):
    """A completed session (short ones too), with the answer a repeat must give."""

    status: Literal["completed"]
    ended: Annotated[str, DIGITS]
    focused: int
    answer: SessionAnswer


class CheckInRecord(TypedDict):
    habit: Annotated[str, DIGITS]
    day: Annotated[str, ISO_DATE]
    streak: int  # streak_at(day) once day is checked: what the points were for
    longest: int  # the habit's longest streak ever, after this check-in


class FreezeRecord(TypedDict):
    habit: Annotated[str, DIGITS]  # the daily habit whose day it was earned on or spent on
    day: Annotated[str, ISO_DATE]  # that day
    delta: int  # the change of the player's freezes held: +1, -1, or 0 (a refund at the cap)


class VacationRecord(TypedDict):
    id: Annotated[str, UUID_TEXT]  # the vacation's id: its vacation_added event's id
    start: Annotated[str, ISO_DATE]  # first local day
    end: Annotated[str, ISO_DATE]  # last local day (after vacation_ended: the new last day)


class BoardRecord(TypedDict):
    """What the global boards' feeder needs from an award (gameplay/boards.py): the
    player's scores after it and their version. The flush ignores it."""

    total: int  # all-time points after the award
    weekly: int  # points in the event's `week` after the award
    version: int  # bumped by every award and every hide or show of the player
    listed: bool  # on the boards (not hidden): else the feeder takes the player off


class SessionStarted(EventBase):
    type: Literal[EventKind.SESSION_STARTED]
    points: int
    session: SessionRunning


class SessionCompleted(EventBase):
    type: Literal[EventKind.SESSION_COMPLETED]
    points: int
    focus_seconds: int
    badges: Badges
    board: BoardRecord
    session: SessionAnswered


class SessionShort(EventBase):
    type: Literal[EventKind.SESSION_SHORT]
    points: int
    focus_seconds: int
    badges: Badges
    board: BoardRecord
    session: SessionAnswered


class SessionAbandoned(EventBase, total=False):
    type: Required[Literal[EventKind.SESSION_ABANDONED]]
    points: Required[int]
    # Present when the player abandoned it; absent when a new start closed it as expired.
    focus_seconds: int
    badges: Badges
    session: Required[SessionClosed]


class CheckIn(EventBase):
    type: Literal[EventKind.CHECK_IN]
    points: int
    badges: Badges
    board: BoardRecord
    check_in: CheckInRecord


class Adjustment(AdjustmentBase):
    type: Literal[EventKind.ADJUSTMENT]
    points: int
    badges: Badges
    board: BoardRecord


class _Freeze(EventBase):
    points: int  # always 0: a freeze is worth no points
    freeze: FreezeRecord


class FreezeEarned(_Freeze):
    type: Literal[EventKind.FREEZE_EARNED]


class FreezeSpent(_Freeze):
    type: Literal[EventKind.FREEZE_SPENT]


class FreezeRefunded(_Freeze):
    type: Literal[EventKind.FREEZE_REFUNDED]


class _Vacation(EventBase):
    points: int  # always 0
    vacation: VacationRecord


class VacationAdded(_Vacation):
    type: Literal[EventKind.VACATION_ADDED]


class VacationEnded(_Vacation):
    type: Literal[EventKind.VACATION_ENDED]


class VacationRemoved(_Vacation):
    type: Literal[EventKind.VACATION_REMOVED]


Event = (
    SessionStarted
    | SessionCompleted
    | SessionShort
    | SessionAbandoned
    | CheckIn
    | Adjustment
    | FreezeEarned
    | FreezeSpent
    | FreezeRefunded
    | VacationAdded
    | VacationEnded
    | VacationRemoved
)

SCHEMAS: Mapping[EventKind, type] = {
    EventKind.SESSION_STARTED: SessionStarted,
    EventKind.SESSION_COMPLETED: SessionCompleted,
    EventKind.SESSION_SHORT: SessionShort,
    EventKind.SESSION_ABANDONED: SessionAbandoned,
    EventKind.CHECK_IN: CheckIn,
    EventKind.ADJUSTMENT: Adjustment,
    EventKind.FREEZE_EARNED: FreezeEarned,
    EventKind.FREEZE_SPENT: FreezeSpent,
    EventKind.FREEZE_REFUNDED: FreezeRefunded,
    EventKind.VACATION_ADDED: VacationAdded,
    EventKind.VACATION_ENDED: VacationEnded,
    EventKind.VACATION_REMOVED: VacationRemoved,
}


# --- Validation ------------------------------------------------------------------------------


_KIND_NAMES = frozenset(kind.value for kind in EventKind)


class InvalidEvent(ValueError):
    """An event that breaks the contract; the message names the field and the reason."""


def validate(event: Mapping[str, Any]) -> Event:
    """The event itself when it matches its kind's schema exactly; InvalidEvent otherwise
    (a missing, unknown or mistyped field, an unknown kind)."""
    if not isinstance(event, Mapping):
        raise InvalidEvent(f"an event is a JSON object, got {type(event).__name__}")
    kind_name = event.get("type")
    if not isinstance(kind_name, str) or kind_name not in _KIND_NAMES:
        raise InvalidEvent(f"type: unknown event kind {kind_name!r}")
    kind = EventKind(kind_name)
    _check_record(event, SCHEMAS[kind], "")
    return event  # type: ignore[return-value]


def _check_record(value: Any, schema: type, path: str) -> None:
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"{path or 'event'}: expected an object, got {value!r}")
    hints = get_type_hints(schema, include_extras=True)
    required: frozenset[str] = schema.__required_keys__  # type: ignore[attr-defined]
    missing = sorted(required - value.keys())
    unknown = sorted(value.keys() - hints.keys())
    if missing:
        raise InvalidEvent(f"{path or 'event'}: missing {', '.join(missing)}")
    if unknown:
        raise InvalidEvent(f"{path or 'event'}: unknown field {', '.join(unknown)}")
    for name, item in value.items():
        _check_value(item, _strip_required(hints[name]), f"{path}.{name}" if path else name)


def _strip_required(hint: Any) -> Any:
    if get_origin(hint) in (Required, NotRequired):
        return get_args(hint)[0]
    return hint


def _check_value(value: Any, hint: Any, path: str) -> None:
    origin = get_origin(hint)
    if origin is Annotated:
        base, *checks = get_args(hint)
        _check_value(value, base, path)
        for check in checks:
            if not check.passes(value):
                raise InvalidEvent(f"{path}: expected {check.meaning}, got {value!r}")
    elif origin in (Union, types.UnionType):
        _check_any_of(value, get_args(hint), path)
    elif origin is Literal:
        if value not in get_args(hint) or isinstance(value, bool):
            raise InvalidEvent(f"{path}: expected one of {list(get_args(hint))}, got {value!r}")
    elif origin is list:
        if not isinstance(value, list):
            raise InvalidEvent(f"{path}: expected a list, got {value!r}")
        for index, item in enumerate(value):
            _check_value(item, get_args(hint)[0], f"{path}[{index}]")
    elif hint is _EmptyLuaTable:
        if value != {}:
            raise InvalidEvent(f"{path}: expected an empty object, got {value!r}")
    elif isinstance(hint, type) and hasattr(hint, "__required_keys__"):
        _check_record(value, hint, path)
    elif not _is_plain(value, hint):
        raise InvalidEvent(f"{path}: expected {hint.__name__}, got {value!r}")


def _check_any_of(value: Any, options: tuple, path: str) -> None:
    problems = []
    for option in options:
        try:
            _check_value(value, option, path)
            return
        except InvalidEvent as problem:
            problems.append(str(problem))
    raise InvalidEvent(" or ".join(problems))


def _is_plain(value: Any, hint: type) -> bool:
    # JSON has no int/bool distinction in Python's decoder's favour: True is an int there.
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)
