"""Reads for moderators: a player's live and flushed values side by side, and the
fair-play queue over recent flushed history."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db.models import Count, F, Max, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncHour

from accounts.models import User
from gameplay import live, rules
from gameplay.models import Badge, LedgerEntry
from habits.models import CheckIn, Habit
from moderation import fairplay
from moderation.models import FairPlayDismissal
from sessions_app.models import FocusSession

FOCUS_KINDS = (LedgerEntry.Kind.SESSION_COMPLETED, LedgerEntry.Kind.SESSION_SHORT)
EARNED_KINDS = (*FOCUS_KINDS, LedgerEntry.Kind.CHECK_IN)


@dataclass(frozen=True)
class ValuePair:
    label: str
    live: object
    flushed: object

    @property
    def differs(self) -> bool:
        return self.live != self.flushed


@dataclass(frozen=True)
class PlayerOverview:
    snapshot: live.PlayerSnapshot
    values: list[ValuePair]
    badges: QuerySet
    sessions: QuerySet
    check_ins: QuerySet
    ledger: QuerySet


def player_overview(*, player: User, now: datetime) -> PlayerOverview:
    """Live values (Redis) beside the flushed ones (PostgreSQL); they differ by what the
    next flush will write."""
    snapshot = live.player_snapshot(player_id=player.pk, now=now)
    ledger = LedgerEntry.objects.filter(player=player).select_related("moderator")
    badges = Badge.objects.filter(player=player)
    values = [
        ValuePair("Points", snapshot.points, player.points),
        ValuePair("Completed sessions", snapshot.completed_sessions, player.completed_sessions),
        ValuePair("Level", snapshot.level, rules.level_for(player.points)),
        ValuePair("Hidden from leaderboards", snapshot.hidden, player.hidden_from_leaderboards),
        ValuePair(
            "Badges",
            ", ".join(code for code, _at in snapshot.badges) or "-",
            ", ".join(badges.values_list("code", flat=True)) or "-",
        ),
    ]
    return PlayerOverview(
        snapshot=snapshot,
        values=values,
        badges=badges,
        sessions=FocusSession.objects.filter(player=player).select_related("habit"),
        check_ins=CheckIn.objects.filter(player=player).select_related("habit").order_by("-day"),
        ledger=ledger,
    )


def thresholds() -> fairplay.Thresholds:
    return fairplay.Thresholds(
        max_focus_minutes_per_day=settings.FAIRPLAY_MAX_FOCUS_MINUTES_PER_DAY,
        max_length_streak=settings.FAIRPLAY_MAX_LENGTH_STREAK,
        back_to_back_gap=timedelta(minutes=settings.FAIRPLAY_BACK_TO_BACK_GAP_MINUTES),
        points_per_hour_factor=settings.FAIRPLAY_POINTS_PER_HOUR_FACTOR,
        points_per_hour_floor=settings.FAIRPLAY_POINTS_PER_HOUR_FLOOR,
        max_habits_deleted=settings.FAIRPLAY_MAX_HABITS_DELETED,
    )


@dataclass(frozen=True)
class QueueItem:
    player: User
    flags: list[fairplay.Flag]


def _focus_day_flags(recent, limits: fairplay.Thresholds) -> list[fairplay.Flag]:
    # The database keeps only the days a rule could flag; the rule still decides.
    focus_days = (
        recent.filter(kind__in=FOCUS_KINDS)
        .values("player_id", "day")
        .annotate(
            # Whole minutes per session, as the points count them.
            minutes=Sum(F("focus_seconds") / 60),
            sessions=Count("pk"),
            latest=Max("occurred_at"),
        )
        .filter(minutes__gt=limits.max_focus_minutes_per_day)
    )
    return fairplay.focus_per_day_flags(
        (
            fairplay.FocusDay(r["player_id"], r["day"], r["minutes"], r["sessions"], r["latest"])
            for r in focus_days
        ),
        max_minutes=limits.max_focus_minutes_per_day,
    )


def _max_length_flags(
    since: datetime, now: datetime, limits: fairplay.Thresholds
) -> list[fairplay.Flag]:
    long_sessions = FocusSession.objects.filter(
        status=FocusSession.Status.COMPLETED,
        ended_at__gte=since,
        ended_at__lte=now,
        planned_minutes=rules.PLANNED_MINUTES_MAX,
    ).values_list("player_id", "started_at", "ended_at", "planned_minutes", "focused_seconds")
    # `ended_at__gte` leaves out the sessions with no end (SQL's >= is never true of NULL),
    # and a completed session always has its focused seconds.
    rows = cast(Iterable[tuple[int, datetime, datetime, int, int]], long_sessions)
    return fairplay.max_length_streak_flags(
        (fairplay.CompletedSession(*row) for row in rows),
        max_streak=limits.max_length_streak,
        gap=limits.back_to_back_gap,
    )


def _hourly_flags(recent, limits: fairplay.Thresholds) -> list[fairplay.Flag]:
    hourly = (
        recent.filter(kind__in=EARNED_KINDS)
        .values("player_id")
        .annotate(
            points=Sum("points"),
            hours=Count(TruncHour("occurred_at"), distinct=True),
            latest=Max("occurred_at"),
        )
    )
    return fairplay.points_per_hour_flags(
        (
            fairplay.HourlyPoints(r["player_id"], r["points"], r["hours"], r["latest"])
            for r in hourly
        ),
        factor=limits.points_per_hour_factor,
        floor=limits.points_per_hour_floor,
    )


def _habit_churn_flags(
    since: datetime, now: datetime, limits: fairplay.Thresholds
) -> list[fairplay.Flag]:
    deleted_habits = (
        Habit.objects.filter(deleted_at__gte=since, deleted_at__lte=now)
        .annotate(points=Coalesce(Sum("check_ins__points_awarded"), 0))
        .values_list("player_id", "created_at", "deleted_at", "points")
    )
    # `deleted_at__gte` leaves out the habits not deleted (SQL's >= is never true of NULL).
    rows = cast(Iterable[tuple[int, datetime, datetime, int]], deleted_habits)
    return fairplay.habit_churn_flags(
        (fairplay.DeletedHabit(*row) for row in rows),
        max_deleted=limits.max_habits_deleted,
    )


def fairplay_flags(
    *, now: datetime, limits: fairplay.Thresholds | None = None
) -> list[fairplay.Flag]:
    """Every flag the rules raise over the last FAIRPLAY_WINDOW_DAYS of flushed history,
    dismissed or not."""
    limits = limits or thresholds()
    since = now - timedelta(days=settings.FAIRPLAY_WINDOW_DAYS)
    recent = LedgerEntry.objects.filter(occurred_at__gte=since, occurred_at__lte=now)
    return [
        *_focus_day_flags(recent, limits),
        *_max_length_flags(since, now, limits),
        *_hourly_flags(recent, limits),
        *_habit_churn_flags(since, now, limits),
    ]


def fairplay_queue(*, now: datetime, limits: fairplay.Thresholds | None = None) -> list[QueueItem]:
    """Players with open flags, the players already hidden or deactivated left out (the
    queue is for what still needs a decision)."""
    flags = fairplay_flags(now=now, limits=limits)
    if not flags:
        return []
    player_ids = {flag.player_id for flag in flags}
    latest_dismissals = (
        FairPlayDismissal.objects.filter(player_id__in=player_ids)
        .values("player_id", "rule")
        .annotate(through=Max("evidence_through"))
        .values_list("player_id", "rule", "through")
        .order_by()
    )
    dismissed = {(player_id, rule): through for player_id, rule, through in latest_dismissals}
    players = User.objects.filter(
        pk__in=player_ids, hidden_from_leaderboards=False, is_active=True
    ).in_bulk()
    items: dict[int, QueueItem] = {}
    for flag in flags:
        player = players.get(flag.player_id)
        if player is None or not fairplay.still_open(
            flag, dismissed.get((flag.player_id, flag.rule))
        ):
            continue
        items.setdefault(player.pk, QueueItem(player, [])).flags.append(flag)
    return sorted(items.values(), key=lambda item: item.player.username)
