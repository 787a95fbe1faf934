"""seed_demo makes demo players with a real history: through the services and live-store
scripts players use, flushed, consistent, reproducible, and safe to run again."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from gameplay import live
from gameplay.models import LedgerEntry
from habits.models import CheckIn, Habit
from pipeline import flush
from pipeline.consistency import consistency_drift
from sessions_app.models import FocusSession
from testkit.personas import T0

pytestmark = pytest.mark.django_db

SMALL = ("--users", "3", "--days", "3", "--seed", "1")


def seed(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    assert "players" in err.getvalue()  # the progress bar
    return out.getvalue()


def counts() -> tuple[int, int, int, int, int]:
    return (
        User.objects.count(),
        Habit.objects.count(),
        FocusSession.objects.filter(status=FocusSession.Status.COMPLETED).count(),
        CheckIn.objects.count(),
        LedgerEntry.objects.count(),
    )


def test_a_small_run_is_exact_flushed_and_consistent(clock):
    output = seed(*SMALL)

    assert output.strip() == (
        "Seeded 3 players (0 existed): 12 sessions, 13 check-ins, 5 habits; flushed 37 events."
    )
    # Players, habits, completed sessions, check-ins, ledger rows (a session is two
    # events: its start and its completion).
    assert counts() == (3, 5, 12, 13, 2 * 12 + 13)
    assert not FocusSession.objects.exclude(status=FocusSession.Status.COMPLETED).exists()
    assert flush.backlog()["pending"] == 0  # all flushed
    assert consistency_drift(now=T0) == []
    assert sorted(User.objects.values_list("username", flat=True)) == [
        "demo0001",
        "demo0002",
        "demo0003",
    ]


def test_the_history_lies_in_the_past_days_the_rules_allowed_then(clock):
    seed(*SMALL)

    for player in User.objects.all():
        today = player.actor.day(T0)
        days = set(CheckIn.objects.filter(player=player).values_list("day", flat=True))
        assert days <= {today - timedelta(days=n) for n in (1, 2, 3)}
        for session in FocusSession.objects.filter(player=player):
            assert session.ended_at < T0
            assert session.focused_seconds <= session.planned_minutes * 60
            assert session.focused_seconds >= 600  # never a short session
        assert not player.has_usable_password()
        live_points = live.player_snapshot(player_id=player.pk, now=T0).points
        player.refresh_from_db()
        assert player.points == live_points > 0


def test_the_same_seed_gives_the_same_history(clock):
    seed(*SMALL)
    first = sorted(LedgerEntry.objects.values_list("player__username", "kind", "points"))
    # A fresh start (the ledger protects its players from deletion, so it goes first).
    LedgerEntry.objects.all().delete()
    User.objects.all().delete()
    live.client().flushdb()

    seed(*SMALL)

    assert sorted(LedgerEntry.objects.values_list("player__username", "kind", "points")) == first


def test_running_again_creates_only_the_missing_players(clock):
    seed(*SMALL)
    before = counts()

    assert seed(*SMALL).startswith("Seeded 0 players (3 existed): 0 sessions, 0 check-ins")
    assert counts() == before

    more = seed("--users", "4", "--days", "3", "--seed", "1")
    assert more.startswith("Seeded 1 players (3 existed)")
    assert User.objects.filter(username="demo0004").exists()
    assert consistency_drift(now=T0) == []


def test_a_password_makes_the_players_able_to_log_in(clock):
    seed("--users", "2", "--days", "1", "--password", "demo-pass-123")

    for player in User.objects.all():
        assert player.check_password("demo-pass-123")


@pytest.mark.parametrize(
    "args",
    [
        ("--users", "0"),
        ("--users", "-1"),
        ("--users", "100001"),
        ("--users", "3", "--days", "0"),
        ("--users", "many"),
        (),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(clock, args):
    with pytest.raises(CommandError):
        call_command("seed_demo", *args, stdout=io.StringIO(), stderr=io.StringIO())

    assert counts() == (0, 0, 0, 0, 0)
    assert flush.backlog()["pending"] == 0
