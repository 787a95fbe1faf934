"""Focus sessions: start, complete, abandon. Each is one live-store call; nothing here
writes PostgreSQL (the flush writes the session rows)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.http import Http404

from accounts.models import User
from common.refusals import Conflict, Invalid, Missing
from gameplay import eventids, live, rules
from gameplay.live import from_micros
from habits.selectors import habit_owned_active
from sessions_app.models import FocusSession


class SessionInvalid(Invalid):
    # Without a field the 400 body is {"detail": [message]}, as the API has always answered.
    default_field = "detail"


class SessionNotFound(Missing):
    pass


class SessionConflict(Conflict):
    pass


@dataclass(frozen=True)
class SessionStarted:
    id: str
    started_at: datetime
    planned_minutes: int
    status: str = FocusSession.Status.RUNNING


@dataclass(frozen=True)
class SessionFinished:
    id: str
    status: str
    focused_seconds: int
    points_awarded: int
    totals: dict = field(default_factory=dict)
    new_badges: list[str] = field(default_factory=list)


def focus_session_start(
    *, player: User, planned_minutes: int, habit_id: int | None, now: datetime
) -> SessionStarted:
    if not rules.PLANNED_MINUTES_MIN <= planned_minutes <= rules.PLANNED_MINUTES_MAX:
        raise SessionInvalid(
            f"planned_minutes must be {rules.PLANNED_MINUTES_MIN}..{rules.PLANNED_MINUTES_MAX}.",
        )
    if habit_id is not None:
        try:
            habit_owned_active(player=player, habit_id=habit_id)
        except Http404:
            raise SessionInvalid("No such habit.", field="habit_id") from None
    session_id = eventids.session_id(live.micros(now))
    outcome = live.session_start(
        actor=player.actor,
        session_id=session_id,
        planned_minutes=planned_minutes,
        habit_id=habit_id,
        now=now,
    )
    if outcome.status == live.Status.CONFLICT:
        raise SessionConflict(
            "A focus session is already running.",
            running_session_id=outcome.data["running_session_id"],
        )
    return SessionStarted(session_id, from_micros(outcome.data["started"]), planned_minutes)


def _finish(
    *, player: User, session_id: str, action: str, focused_seconds: int, now: datetime
) -> SessionFinished:
    wanted = (
        FocusSession.Status.COMPLETED if action == "complete" else FocusSession.Status.ABANDONED
    )
    outcome = live.session_finish(
        actor=player.actor,
        session_id=session_id,
        action=action,
        focused_seconds=focused_seconds,
        now=now,
    )
    data = outcome.data
    if outcome.status in (live.Status.OK, live.Status.REPEAT):
        result = data["result"]
        if result["status"] != wanted:
            raise SessionConflict(f"This session was already {result['status']}.")
        return SessionFinished(
            id=session_id,
            status=result["status"],
            focused_seconds=int(result["focused_seconds"]),
            points_awarded=int(result["points_awarded"]),
            totals=outcome.totals,
            new_badges=outcome.new_badges,
        )
    if outcome.status == live.Status.NOT_RUNNING:
        return _finished_from_history(player=player, session_id=session_id, wanted=wanted)
    started_at = from_micros(data["started"])
    if outcome.status == live.Status.EXPIRED:
        raise SessionInvalid(
            "The session started more than 24 hours ago and can no longer be closed."
        )
    # The live store refused with the rules' limits; the rules word the refusal.
    message = rules.focus_completion_refusal(
        planned_minutes=int(data["planned"]),
        focused_seconds=focused_seconds,
        started_at=started_at,
        now=now,
    )
    raise SessionInvalid(message or "focused_seconds is out of range.", field="focused_seconds")


def _finished_from_history(*, player: User, session_id: str, wanted: str) -> SessionFinished:
    """A session no longer in the live store: a repeat answers the first answer, which
    the flushed row keeps."""
    session = FocusSession.objects.filter(pk=session_id, player=player).first()
    if session is None or session.status == FocusSession.Status.RUNNING:
        raise SessionNotFound("No such running session.")
    if session.status != wanted:
        raise SessionConflict(f"This session was already {session.status}.")
    answer = live.Outcome(live.Status.REPEAT, session.first_answer())
    totals = answer.totals
    if session.answer is None:
        # Flushed before rows kept their answer: the live totals are the best there is.
        snapshot = live.player_snapshot(player_id=player.pk)
        totals = {"points": snapshot.points, "weekly": snapshot.weekly_points}
    return SessionFinished(
        id=session_id,
        status=session.status,
        focused_seconds=session.focused_seconds or 0,
        points_awarded=session.points_awarded,
        totals=totals,
        new_badges=answer.new_badges,
    )


def focus_session_complete(
    *, player: User, session_id: str, focused_seconds: int, now: datetime
) -> SessionFinished:
    return _finish(
        player=player,
        session_id=session_id,
        action="complete",
        focused_seconds=focused_seconds,
        now=now,
    )


def focus_session_abandon(*, player: User, session_id: str, now: datetime) -> SessionFinished:
    return _finish(
        player=player, session_id=session_id, action="abandon", focused_seconds=0, now=now
    )
