"""Vacations through the pipeline: the flush writes their rows exactly once (whatever the
batches hold), rebuild_redis restores the live hash from them, check_consistency names a
player whose hash and rows differ. On one server and on the cluster."""

from datetime import date, timedelta
from typing import cast

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from gameplay import keys, live, vacations
from gameplay.models import LedgerEntry
from gameplay.vacations import Vacation as LiveVacation
from pipeline import flush
from pipeline.consistency import consistency_drift
from pipeline.rebuild import live_state_rebuild
from testkit.personas import T0
from vacations.models import Vacation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

TODAY = date(2026, 11, 23)  # alice's local day at T0 (Berlin)
YESTERDAY = TODAY - timedelta(days=1)


def add(player, start: date, end: date) -> LiveVacation:
    added = vacations.vacation_add(actor=player.actor, start=start, end=end, now=T0)
    assert added.vacation is not None
    return added.vacation


def cut(player, vacation: LiveVacation, last: date | None) -> None:
    status = vacations.vacation_cut(actor=player.actor, vacation=vacation, last=last, now=T0)
    assert status == vacations.Status.OK


def rows() -> list[tuple[str, int, date, date]]:
    return sorted(
        (str(pk), player_id, start, end)
        for pk, player_id, start, end in Vacation.objects.values_list(
            "pk", "player_id", "start", "end"
        )
    )


def stream_events(player) -> list[bytes]:
    entries = cast(
        list[live.StreamEntry], live.client().xrange(keys.stream(keys.shard_of(player.pk)))
    )
    return [flush._decode(fields) for _, fields in entries]


def test_the_flush_writes_added_ended_and_removed_vacations_batch_by_batch(alice, bob, clock):
    under_way = add(alice, YESTERDAY, TODAY + timedelta(days=3))
    coming = add(alice, TODAY + timedelta(days=10), TODAY + timedelta(days=12))
    bobs = add(bob, TODAY, TODAY)
    flush.flush_pending()
    assert rows() == sorted(
        [
            (under_way.id, alice.pk, YESTERDAY, TODAY + timedelta(days=3)),
            (coming.id, alice.pk, TODAY + timedelta(days=10), TODAY + timedelta(days=12)),
            (bobs.id, bob.pk, TODAY, TODAY),
        ]
    )
    created = Vacation.objects.get(pk=under_way.id).created_at

    cut(alice, under_way, YESTERDAY)
    cut(alice, coming, None)
    report = flush.flush_pending()

    assert report.events == 2
    assert rows() == sorted(
        [(under_way.id, alice.pk, YESTERDAY, YESTERDAY), (bobs.id, bob.pk, TODAY, TODAY)]
    )
    assert Vacation.objects.get(pk=under_way.id).created_at == created == T0
    assert consistency_drift(now=T0) == []


def test_a_vacation_added_and_changed_in_one_batch_is_written_as_it_ends(alice, clock):
    ended = add(alice, YESTERDAY, TODAY + timedelta(days=3))
    cut(alice, ended, YESTERDAY)
    gone = add(alice, TODAY + timedelta(days=5), TODAY + timedelta(days=6))
    cut(alice, gone, None)

    report = flush.flush_pending()

    assert (report.events, report.batches) == (4, 1)
    assert rows() == [(ended.id, alice.pk, YESTERDAY, YESTERDAY)]
    assert consistency_drift(now=T0) == []


def test_the_ledger_keeps_each_vacation_event_with_its_record(alice, clock):
    vacation = add(alice, TODAY, TODAY + timedelta(days=2))
    cut(alice, vacation, None)

    flush.flush_pending()

    entries = LedgerEntry.objects.order_by("occurred_at", "kind")
    assert [(e.kind, e.points, e.day, e.payload) for e in entries] == [
        (
            "vacation_added",
            0,
            TODAY,
            {"vacation": {"id": vacation.id, "start": "2026-11-23", "end": "2026-11-25"}},
        ),
        (
            "vacation_removed",
            0,
            TODAY,
            {"vacation": {"id": vacation.id, "start": "2026-11-23", "end": "2026-11-25"}},
        ),
    ]
    assert str(entries[0].event_id) == vacation.id


def test_replaying_flushed_vacation_events_changes_nothing(alice, clock):
    vacation = add(alice, YESTERDAY, TODAY + timedelta(days=3))
    cut(alice, vacation, YESTERDAY)
    replay = stream_events(alice)
    flush.flush_pending()
    other = add(alice, TODAY + timedelta(days=7), TODAY + timedelta(days=8))
    flush.flush_pending()
    before = rows()

    new_events, players = flush.apply_events(replay)

    assert (new_events, players) == (0, [])
    assert rows() == before
    assert [r[0] for r in before] == sorted([vacation.id, other.id])


def test_a_refunded_freeze_reaches_the_ledger_with_its_record(alice, clock):
    r = live.client()
    r.hset(keys.frozen(alice.pk), f"5:{YESTERDAY.toordinal()}", 1)
    vacation = add(alice, YESTERDAY, TODAY)

    flush.flush_pending()

    refund = LedgerEntry.objects.get(kind="freeze_refunded")
    assert (refund.points, refund.day, refund.payload) == (
        0,
        YESTERDAY,
        {"freeze": {"habit": "5", "day": "2026-11-22", "delta": 1}},
    )
    assert str(refund.event_id) != vacation.id
    assert r.hget(keys.player(alice.pk), "freezes") == b"1"


def test_rebuild_restores_every_players_vacations_from_the_rows(alice, bob, clock):
    ended = add(alice, YESTERDAY, TODAY + timedelta(days=3))
    cut(alice, ended, YESTERDAY)
    removed = add(alice, TODAY + timedelta(days=20), TODAY + timedelta(days=21))
    cut(alice, removed, None)
    coming = add(alice, TODAY + timedelta(days=5), TODAY + timedelta(days=9))
    bobs = add(bob, TODAY, TODAY + timedelta(days=1))
    before = {p.pk: vacations.vacations_of(p.pk) for p in (alice, bob)}
    flush.flush_pending()

    live.client().flushdb()  # this database only: others may hold another run
    assert vacations.vacations_of(alice.pk) == []
    report = live_state_rebuild(now=T0)

    assert report.vacations == 3
    assert {p.pk: vacations.vacations_of(p.pk) for p in (alice, bob)} == before
    assert before[alice.pk] == [
        LiveVacation(ended.id, YESTERDAY, YESTERDAY),
        LiveVacation(coming.id, TODAY + timedelta(days=5), TODAY + timedelta(days=9)),
    ]
    assert before[bob.pk] == [bobs]
    assert consistency_drift(now=T0) == []


def test_check_consistency_names_the_player_whose_vacations_drifted(alice, bob, clock, capsys):
    vacation = add(alice, TODAY, TODAY + timedelta(days=2))
    flush.flush_pending()
    call_command("check_consistency")
    assert "Consistent" in capsys.readouterr().out
    span = f"{TODAY.toordinal()}:{(TODAY + timedelta(days=2)).toordinal()}"

    live.client().hset(
        keys.vacations(alice.pk), vacation.id, f"{TODAY.toordinal()}:{TODAY.toordinal()}"
    )
    live.client().hset(keys.vacations(bob.pk), vacation.id, span)

    with pytest.raises(CommandError, match="differences between PostgreSQL and Redis"):
        call_command("check_consistency")
    out = capsys.readouterr().out
    assert (
        f"player {alice.pk}: vacations (postgres, redis) = (['{vacation.id} {span}'], "
        f"['{vacation.id} {TODAY.toordinal()}:{TODAY.toordinal()}'])"
    ) in out
    assert f"player {bob.pk}: vacations (postgres, redis) = ([], ['{vacation.id} {span}'])" in out


@override_settings(WRITE_MODE="direct")
def test_direct_mode_writes_a_vacation_and_its_refunds_in_the_request(as_alice, alice, clock):
    live.client().hset(keys.frozen(alice.pk), f"5:{YESTERDAY.toordinal()}", 1)

    body = as_alice.post(
        "/api/vacations", {"start": "2026-11-22", "end": "2026-11-24"}, format="json"
    ).json()

    assert rows() == [(body["id"], alice.pk, YESTERDAY, TODAY + timedelta(days=1))]
    assert sorted(LedgerEntry.objects.values_list("kind", flat=True)) == [
        "freeze_refunded",
        "vacation_added",
    ]
    assert flush.backlog()["pending"] == 0
    assert flush.flush_pending().events == 0
