"""After a deletion nothing of the player remains anywhere but the anonymous community
counters: every table of every model (introspected) and every key of the live store and
of the plain Redis (SCAN) is searched for them (testkit/traces.py)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from gameplay import boards, deletion, keys, live
from gameplay.models import DiscardedEvent
from leaderboard.models import CommunityActivity, CommunityDay
from moderation.models import FairPlayDismissal
from moderation.services import player_points_adjust
from pipeline import flush
from pipeline.consistency import consistency_drift
from testkit.personas import PASSWORD, T0, client_for, make_mo
from testkit.traces import distinct_player, traces_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_store")]


def session(client, clock, minutes: int, *, complete: bool = True) -> str:
    started = client.post("/api/sessions", {"planned_minutes": minutes}, format="json").json()
    if complete:
        clock.shift(timedelta(minutes=minutes))
        done = client.post(
            f"/api/sessions/{started['id']}/complete",
            {"focused_seconds": minutes * 60},
            format="json",
        )
        assert done.status_code == 200, done.json()
    return started["id"]


def a_full_life(player: User, clock) -> None:
    """Everything a player can leave behind: habits and check-ins, sessions finished and
    running, a badge, a vacation, a moderator's adjustment and dismissal, throttle buckets
    (a log-in, a wrong password, vacation changes), a browser session, a dead letter, a
    discarded event, and events still waiting for the flush."""
    api = client_for(player)
    habit = api.post("/api/habits", {"name": "Stretch"}, format="json").json()
    weekly = api.post(
        "/api/habits", {"name": "Swim", "schedule": {"kind": "weekly", "target": 2}}, format="json"
    ).json()
    yesterday = (T0 - timedelta(days=1)).date().isoformat()
    for body in ({"date": yesterday}, {}):
        assert api.post(f"/api/habits/{habit['id']}/check-ins", body, format="json").status_code
    api.post(f"/api/habits/{weekly['id']}/check-ins", {}, format="json")
    session(api, clock, 25)
    tomorrow = (T0 + timedelta(days=1)).date()
    vacation = api.post(
        "/api/vacations",
        {"start": tomorrow.isoformat(), "end": (tomorrow + timedelta(days=2)).isoformat()},
        format="json",
    )
    assert vacation.status_code == 201
    mo = make_mo()
    player_points_adjust(moderator=mo, player=player, points=7, reason="kind", now=T0)
    FairPlayDismissal.objects.create(
        player=player,
        rule="fast_sessions",
        evidence_through=T0,
        evidence="Dora Q7 was fast",
        dismissed_by=mo,
        dismissed_at=T0,
    )
    api.get("/api/me")
    Client().post(
        "/api/auth/token",
        {"username": player.username, "password": "nope"},
        content_type="application/json",
    )
    api.delete("/api/me", {"password": "nope"}, format="json")
    browser = Client()
    browser.force_login(player)
    assert browser.get("/dashboard/").status_code == 200
    shard = keys.shard_of(player.pk)
    poison = {"id": "0190e6a0-0000-7000-8000-000000000001", "type": "check_in", "player": player.pk}
    live.client().xadd(
        keys.dead_letters(shard), {"e": json.dumps(poison), "id": "1-0", "error": "refused"}
    )
    DiscardedEvent.objects.create(
        event_id=None,
        payload={**poison, "id": "0190e6a0-0000-7000-8000-000000000002"},
        error="refused",
        reason="a test",
        discarded_by="operator",
        discarded_at=timezone.now(),
    )
    flush.flush_pending()
    # Waiting at the deletion: a whole session, and the start of one left running.
    session(api, clock, 30)
    session(api, clock, 50, complete=False)


def test_a_player_leaves_nothing_but_the_anonymous_counters(clock):
    player, trace = distinct_player("dora-deletes-7q", display_name="Dora Q7", email="dq7@x.test")
    bob = User.objects.create_user(username="bob", password=PASSWORD, display_name="Bob")
    a_full_life(player, clock)
    before = traces_of(trace)
    # The search finds her everywhere she is: rows, live keys, caches and buckets.
    for place in (
        "postgres gameplay_ledgerentry.player_id",
        "postgres accounts_browsersession: a session of theirs",
        "postgres gameplay_discardedevent",
        "postgres django_admin_log",
        ":p:987654321:session:",
        ":dead-letters",
        ":active:",
        "fq:{lb}:names",
        "throttle_auth-username_",
        "throttle_vacations_",
        "auth:token:",
        "habit:v2:",
    ):
        assert any(place in found for found in before.found), place
    day, shard = T0.date(), keys.shard_of(player.pk)
    assert CommunityActivity.objects.filter(player=player, day=day).exists()

    answer = client_for(player).delete("/api/me", {"password": PASSWORD}, format="json")
    assert answer.status_code == 204
    report = flush.flush_pending()
    boards.feed()
    flush.flush_pending()  # the feeder's acks let the stream be trimmed, and swept

    assert report.dropped == 3  # what waited: a whole session (2 events), a start
    after = traces_of(trace)
    assert after.found == []
    # Searched: every table (many-to-many ones too) and every kind of key there was.
    assert {
        "gameplay_ledgerentry",
        "habits_checkin",
        "sessions_app_focussession",
        "vacations_vacation",
        "leaderboard_communityactivity",
        "moderation_fairplaydismissal",
        "django_admin_log",
        "accounts_browsersession",
        "authtoken_token",
        "accounts_user_groups",
    } <= after.tables
    assert {
        "fq:{s<n>}:p:<n>:player",
        "fq:{s<n>}:events",
        "fq:{s<n>}:day:<n>-<n>-<n>",
        "fq:{lb}:all",
    } <= after.key_patterns | before.key_patterns
    # What stays is anonymous: the day's sums, her flushed session among them, and the
    # count of players active that day, of whom one has left since.
    row = CommunityDay.objects.get(day=day, shard=shard)
    assert (row.focus_minutes, row.sessions, row.active_players, row.departed) == (25, 1, 1, 1)
    assert live.community_today(now=T0).focus_minutes == 25
    assert live.community_today(now=T0).active_players == 0
    assert not live.client().hexists(keys.DELETED, player.pk)
    assert consistency_drift(now=T0) == []
    assert User.objects.filter(pk=bob.pk).exists()
    assert deletion.TOMBSTONE_SECONDS >= live.client().ttl(keys.player(player.pk)) > 0
