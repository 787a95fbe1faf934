"""Fair-play rules: which recent activity looks implausible. Pure functions over facts
the selector reads from the flushed history; thresholds come in as arguments.

Each rule returns at most one flag per player, carrying its evidence and the moment of
the latest evidence, so a dismissal can say "seen up to here" and a flag with newer
evidence comes back.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gameplay import rules

RULE_FOCUS_PER_DAY = "focus_per_day"
RULE_MAX_LENGTH_STREAK = "max_length_streak"
RULE_POINTS_PER_HOUR = "points_per_hour"
RULE_HABIT_CHURN = "habit_churn"
RULE_TITLES = {
    RULE_FOCUS_PER_DAY: "More focus minutes in a day than plausible",
    RULE_MAX_LENGTH_STREAK: "Back-to-back maximum-length sessions",
    RULE_POINTS_PER_HOUR: "Points per hour far above the median",
    RULE_HABIT_CHURN: "Habits created and deleted over and over",
}


@dataclass(frozen=True)
class Thresholds:
    max_focus_minutes_per_day: int
    max_length_streak: int
    back_to_back_gap: timedelta
    points_per_hour_factor: float
    points_per_hour_floor: int
    max_habits_deleted: int


@dataclass(frozen=True)
class FocusDay:
    """A player's focus on one of their local days (completed sessions)."""

    player_id: int
    day: date
    focus_minutes: int
    sessions: int
    latest_at: datetime


@dataclass(frozen=True)
class CompletedSession:
    player_id: int
    started_at: datetime
    ended_at: datetime
    planned_minutes: int
    focused_seconds: int


@dataclass(frozen=True)
class HourlyPoints:
    """Points a player earned by playing (adjustments excluded) over the hours in which
    they earned any."""

    player_id: int
    points: int
    active_hours: int
    latest_at: datetime

    @property
    def per_hour(self) -> float:
        return self.points / self.active_hours if self.active_hours else 0.0


@dataclass(frozen=True)
class DeletedHabit:
    """A habit a player deleted, and the points its check-ins earned."""

    player_id: int
    created_at: datetime
    deleted_at: datetime
    points: int


@dataclass(frozen=True)
class Flag:
    player_id: int
    rule: str
    evidence: list[str]
    latest_at: datetime

    @property
    def title(self) -> str:
        return RULE_TITLES[self.rule]


def focus_per_day_flags(days: Iterable[FocusDay], *, max_minutes: int) -> list[Flag]:
    """Players with a local day of more than `max_minutes` focus minutes."""
    over: dict[int, list[FocusDay]] = defaultdict(list)
    for day in days:
        if day.focus_minutes > max_minutes:
            over[day.player_id].append(day)
    return [
        Flag(
            player_id=player_id,
            rule=RULE_FOCUS_PER_DAY,
            evidence=[
                f"{d.day.isoformat()}: {d.focus_minutes} focus minutes in {d.sessions} "
                f"sessions (more than {max_minutes})"
                for d in sorted(found, key=lambda d: d.day)
            ],
            latest_at=max(d.latest_at for d in found),
        )
        for player_id, found in sorted(over.items())
    ]


def _is_max_length(session: CompletedSession) -> bool:
    return (
        session.planned_minutes == rules.PLANNED_MINUTES_MAX
        and session.focused_seconds >= session.planned_minutes * 60
    )


def max_length_streak_flags(
    sessions: Iterable[CompletedSession], *, max_streak: int, gap: timedelta
) -> list[Flag]:
    """Players with more than `max_streak` full sessions of the longest plannable length
    in a row, each started at most `gap` after the previous one ended."""
    by_player: dict[int, list[CompletedSession]] = defaultdict(list)
    for session in sessions:
        by_player[session.player_id].append(session)
    flags = []
    for player_id, played in sorted(by_player.items()):
        runs: list[list[CompletedSession]] = []
        run: list[CompletedSession] = []
        for session in sorted(played, key=lambda s: s.started_at):
            follows = run and session.started_at - run[-1].ended_at <= gap
            if _is_max_length(session) and follows:
                run.append(session)
                continue
            if len(run) > max_streak:
                runs.append(run)
            run = [session] if _is_max_length(session) else []
        if len(run) > max_streak:
            runs.append(run)
        if runs:
            flags.append(
                Flag(
                    player_id=player_id,
                    rule=RULE_MAX_LENGTH_STREAK,
                    evidence=[
                        f"{len(r)} full {rules.PLANNED_MINUTES_MAX}-minute sessions in a row "
                        f"from {r[0].started_at:%Y-%m-%d %H:%M} to {r[-1].ended_at:%Y-%m-%d %H:%M}"
                        f" UTC (more than {max_streak})"
                        for r in runs
                    ],
                    latest_at=runs[-1][-1].ended_at,
                )
            )
    return flags


def points_per_hour_flags(
    players: Iterable[HourlyPoints], *, factor: float, floor: int
) -> list[Flag]:
    """Players whose points per active hour are above `factor` x the median of all the
    players given, and at least `floor` (a quiet week's median is small)."""
    active = [p for p in players if p.active_hours > 0]
    if not active:
        return []
    median = statistics.median(p.per_hour for p in active)
    limit = max(factor * median, floor)
    return [
        Flag(
            player_id=p.player_id,
            rule=RULE_POINTS_PER_HOUR,
            evidence=[
                f"{p.per_hour:.0f} points per hour ({p.points} points in {p.active_hours} "
                f"active hour{'' if p.active_hours == 1 else 's'}); median {median:.0f} "
                f"across {len(active)} players, "
                f"limit {limit:.0f}"
            ],
            latest_at=p.latest_at,
        )
        for p in sorted(active, key=lambda p: p.player_id)
        if p.per_hour > limit
    ]


def habit_churn_flags(habits: Iterable[DeletedHabit], *, max_deleted: int) -> list[Flag]:
    """Players who deleted more than `max_deleted` habits: the create, check in, delete
    loop that the daily creation limit bounds but does not stop."""
    by_player: dict[int, list[DeletedHabit]] = defaultdict(list)
    for habit in habits:
        by_player[habit.player_id].append(habit)
    return [
        Flag(
            player_id=player_id,
            rule=RULE_HABIT_CHURN,
            evidence=[
                f"{len(deleted)} habits deleted (more than {max_deleted}), "
                f"{sum(1 for h in deleted if h.deleted_at - h.created_at < timedelta(days=1))}"
                f" of them within a day of creation; their check-ins earned "
                f"{sum(h.points for h in deleted)} points"
            ],
            latest_at=max(h.deleted_at for h in deleted),
        )
        for player_id, deleted in sorted(by_player.items())
        if len(deleted) > max_deleted
    ]


def still_open(flag: Flag, dismissed_through: datetime | None) -> bool:
    """A dismissed flag stays dismissed until evidence newer than the dismissal's."""
    return dismissed_through is None or flag.latest_at > dismissed_through
