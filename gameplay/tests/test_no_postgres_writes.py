"""A burst of 1,000 gamified actions over real HTTP (gunicorn) writes no PostgreSQL row;
one flush afterwards writes them all. PostgreSQL's own statistics are the witness."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.db import connection

from gameplay import keys
from gameplay.models import LedgerEntry
from gameplay.tests.servers import gunicorn, manage
from habits.models import Habit
from testkit.personas import make_player

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

TABLES = (
    "accounts_user",
    "gameplay_ledgerentry",
    "gameplay_badge",
    "habits_habit",
    "habits_checkin",
    "sessions_app_focussession",
    "leaderboard_communityday",
    "leaderboard_communityactivity",
    "habits_frozenday",
    "vacations_vacation",
)
# Far enough ahead to be a valid start in every time zone.
VACATION = {
    "start": (datetime.now(UTC).date() + timedelta(days=10)).isoformat(),
    "end": (datetime.now(UTC).date() + timedelta(days=12)).isoformat(),
}


def rows_written() -> dict[str, int]:
    """Rows inserted, updated and deleted per table, as PostgreSQL counted them."""
    with connection.cursor() as cursor:
        # This test's own inserts count too: report them now rather than in a second.
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        # A partitioned table (the ledger) counts its rows in its partitions: each row is
        # counted under the table it belongs to, its partition's parent where it has one.
        cursor.execute(
            """SELECT coalesce(parent.relname, s.relname) AS name,
                      sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del)::bigint
               FROM pg_stat_user_tables s
               LEFT JOIN pg_inherits i ON i.inhrelid = s.relid
               LEFT JOIN pg_class parent ON parent.oid = i.inhparent
               WHERE coalesce(parent.relname, s.relname) = ANY(%s)
               GROUP BY 1""",
            [list(TABLES)],
        )
        found = dict(cursor.fetchall())
        return {table: int(found.get(table, 0)) for table in TABLES}


def settled_rows_written(previous: dict[str, int] | None = None) -> dict[str, int]:
    # Backends report their counts when they go idle or exit: wait until they stop moving.
    current = rows_written()
    for _ in range(40):
        time.sleep(0.25)
        again = rows_written()
        if again == current and (previous is None or again != previous):
            break
        current = again
    return current


def play_burst(url: str, players, habits, sessions_each: int) -> list[int]:
    """Each player: `sessions_each` sessions started and completed, one check-in, one
    vacation added, and the habits read (which settles missed days first)."""

    def play(index: int) -> list[int]:
        headers = {"Authorization": f"Token {players[index].auth_token.key}"}
        codes = []
        with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
            for _ in range(sessions_each):
                started = http.post("/api/sessions", json={"planned_minutes": 5})
                codes.append(started.status_code)
                session_id = started.json()["id"]
                done = http.post(
                    f"/api/sessions/{session_id}/complete", json={"focused_seconds": 0}
                )
                codes.append(done.status_code)
            codes.append(http.post(f"/api/habits/{habits[index].pk}/check-ins").status_code)
            codes.append(http.post("/api/vacations", json=VACATION).status_code)
            codes.append(http.get("/api/habits").status_code)
        return codes

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [code for result in pool.map(play, range(len(players))) for code in result]


def test_a_burst_of_1000_actions_writes_no_row_until_the_flush(transactional_db):
    players = [make_player(f"runner{i}") for i in range(50)]
    # Half the habits weekly: their check-ins are counted in the same script.
    habits = [
        Habit.objects.create(player=p, name="Run", kind="weekly", weekly_target=3)
        if i % 2
        else Habit.objects.create(player=p, name="Run")
        for i, p in enumerate(players)
    ]
    before = settled_rows_written()

    with gunicorn(workers=2) as url:
        codes = play_burst(url, players, habits, sessions_each=10)
    during = settled_rows_written()

    assert len(codes) == 1150
    assert sorted(set(codes)) == [200, 201]
    assert {table: during[table] - before[table] for table in TABLES} == dict.fromkeys(TABLES, 0)
    assert LedgerEntry.objects.count() == 0

    flushed = manage("flush_counters")
    after = settled_rows_written(previous=during)

    assert flushed.stdout.strip() == "Flushed 1100 events for 50 players."
    written = {table: after[table] - during[table] for table in TABLES}
    assert written["gameplay_ledgerentry"] == 1100
    assert written["vacations_vacation"] == 50
    assert written["sessions_app_focussession"] == 500  # one row per session, never updated twice
    assert written["habits_checkin"] == 50
    assert written["accounts_user"] == 50
    # One row for the day per live-store shard the players live in.
    assert written["leaderboard_communityday"] == len({keys.shard_of(p.pk) for p in players})


def test_the_same_witness_sees_every_row_the_direct_mode_writes_in_its_requests(transactional_db):
    # The naive design, measured the same way: proof that the witness above can see writes.
    players = [make_player(f"walker{i}") for i in range(10)]
    habits = [Habit.objects.create(player=p, name="Walk") for p in players]
    before = settled_rows_written()

    with gunicorn(workers=2, WRITE_MODE="direct") as url:
        codes = play_burst(url, players, habits, sessions_each=2)
    during = settled_rows_written(previous=before)

    assert sorted(set(codes)) == [200, 201]
    written = {table: during[table] - before[table] for table in TABLES}
    assert written["gameplay_ledgerentry"] == 10 * (2 * 2 + 1 + 1)
    assert written["vacations_vacation"] == 10
    assert written["habits_checkin"] == 10
    assert written["leaderboard_communityday"] == 2 * 10 + 10  # the hot row, once per action
