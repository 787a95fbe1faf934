"""Virtual shards: every key of one action in one slot, and the global boards fed from the
shard streams without ever regressing a score or showing a hidden player."""

import json
from typing import cast

import pytest
from redis.exceptions import ResponseError

from gameplay import boards, keys, live, rules
from habits.models import Habit
from pipeline import flush
from pipeline.consistency import consistency_drift
from testkit.actions import check_in, focus_session
from testkit.personas import T0, make_player

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]

WEEK = rules.week_id(T0)


def tag(key: str) -> str:
    """A key's hash tag: the part of it Redis Cluster hashes."""
    return key[key.index("{") + 1 : key.index("}")]


def adjust(player, points: int) -> live.Outcome:
    return live.adjust(
        actor=player.actor, points=points, moderator_id=player.pk, reason="t", now=T0
    )


def global_board(name: str = "all") -> dict[int, int]:
    key = keys.BOARD_ALL if name == "all" else keys.board_week(WEEK)
    scores = cast(list[tuple[bytes, float]], live.client().zrange(key, 0, -1, withscores=True))
    return {int(p): int(s) for p, s in scores}


def stream_events(shard: int) -> list[dict]:
    entries = cast(list[live.StreamEntry], live.client().xrange(keys.stream(shard)))
    return [json.loads(fields[b"e"]) for _, fields in entries]


def test_with_the_default_256_shards_a_players_keys_stream_and_board_share_one_tag(settings):
    assert settings.LIVE_SHARDS == 256
    player_id = 300  # 300 % 256

    shard_keys = [
        keys.player(player_id),
        keys.badges(player_id),
        keys.running_session(player_id),
        keys.session_result(player_id, "s"),
        keys.habit_days(player_id, 7),
        keys.habit(player_id, 7),
        keys.stream(44),
        keys.dead_letters(44),
        keys.shard_board_all(44),
        keys.shard_board_week(44, WEEK),
        keys.hidden(44),
        keys.community(44, "2026-11-23"),
        keys.community_active(44, "2026-11-23"),
        keys.changes(44),
        keys.news_channel(44, 5),
    ]

    assert keys.shard_of(player_id) == 44
    assert {tag(key) for key in shard_keys} == {"s44"}
    assert {tag(k) for k in (keys.BOARD_ALL, keys.board_week(WEEK), keys.NAMES)} == {"lb"}
    assert {tag(k) for k in (keys.VERSIONS, keys.BOARD_CHANGES)} == {"lb"}


def test_players_of_two_shards_and_of_one_shard_each_write_their_own_shard(settings, clock):
    settings.LIVE_SHARDS = 4
    players = [make_player(f"p{i}") for i in range(5)]
    # Five players in four shards: two of them share one, and another is elsewhere.
    alice, same_as_alice = next(
        (a, b) for a in players for b in players if a.pk < b.pk and a.pk % 4 == b.pk % 4
    )
    other = next(p for p in players if p.pk % 4 != alice.pk % 4)

    adjust(alice, 30)
    adjust(same_as_alice, 20)
    adjust(other, 10)

    alice_shard, other_shard = keys.shard_of(alice.pk), keys.shard_of(other.pk)
    assert alice_shard != other_shard
    assert [e["player"] for e in stream_events(alice_shard)] == [alice.pk, same_as_alice.pk]
    assert [e["player"] for e in stream_events(other_shard)] == [other.pk]
    r = live.client()
    shard_board = r.zrange(keys.shard_board_all(alice_shard), 0, -1, withscores=True)
    assert {int(p): int(s) for p, s in shard_board} == {alice.pk: 30, same_as_alice.pk: 20}
    # The global boards know none of it until the feeder moved it there.
    assert global_board() == {}

    assert boards.feed() == 3

    assert global_board() == {alice.pk: 30, same_as_alice.pk: 20, other.pk: 10}
    assert global_board("week") == global_board()
    assert [e.user_id for e in live.leaderboard_top(board="all", limit=10, now=T0)[0]] == [
        alice.pk,
        same_as_alice.pk,
        other.pk,
    ]


def test_the_community_counts_are_the_sum_of_the_shards_counters(settings, clock):
    settings.LIVE_SHARDS = 4
    players = [make_player(f"p{i}") for i in range(6)]
    for index, player in enumerate(players):
        focus_session(player, start=T0, planned=5 * (index + 1))
    habit = Habit.objects.create(player=players[0], name="Tea")
    check_in(players[0], habit, now=T0)

    r = live.client()
    day = rules.community_day(T0).isoformat()
    per_shard = [
        (
            int(r.hget(keys.community(n, day), "focus_minutes") or 0),
            int(r.hget(keys.community(n, day), "sessions") or 0),
            r.scard(keys.community_active(n, day)),
        )
        for n in keys.shards()
    ]
    today = live.community_today(now=T0)

    assert len([s for s in per_shard if s != (0, 0, 0)]) == len(
        {keys.shard_of(p.pk) for p in players}
    )
    assert (today.focus_minutes, today.sessions, today.active_players) == (
        5 + 10 + 15 + 20 + 25 + 30,
        6,
        6,
    )
    assert today.focus_minutes == sum(s[0] for s in per_shard)
    assert today.sessions == sum(s[1] for s in per_shard)
    assert today.active_players == sum(s[2] for s in per_shard)


def test_a_replayed_or_reordered_update_never_regresses_the_global_board(alice, clock):
    adjust(alice, 10)  # version 1: 10
    adjust(alice, 20)  # version 2: 30
    first, second = stream_events(keys.shard_of(alice.pk))
    assert (first["board"]["version"], second["board"]["version"]) == (1, 2)

    # Out of order: the newer update first, then the older one.
    update_old, update_new = boards.update_of(first), boards.update_of(second)
    assert update_old is not None and update_new is not None
    assert boards.board_updates_apply([update_new]) == 1
    assert boards.board_updates_apply([update_old]) == 0
    assert global_board() == {alice.pk: 30}

    # The feeder then reads both, in stream order: nothing newer than what it holds.
    assert boards.feed() == 0
    # A replay of the whole stream (the feeder's group sent back to its start).
    live.client().xgroup_setid(keys.stream(keys.shard_of(alice.pk)), keys.FEED_GROUP, "0")
    assert boards.feed() == 0
    assert global_board() == {alice.pk: 30}
    assert int(live.client().hget(keys.VERSIONS, str(alice.pk))) == 2


def test_a_hidden_player_never_reaches_the_global_boards(alice, bob, clock):
    adjust(alice, 50)  # fed only after the hide below: an update from before it
    boards.player_visibility_set(player_id=alice.pk, hidden=True, now=T0)
    adjust(alice, 5)  # while hidden
    adjust(bob, 10)

    boards.feed()

    assert global_board() == {bob.pk: 10}
    assert global_board("week") == {bob.pk: 10}
    snapshot = live.player_snapshot(player_id=alice.pk, now=T0)
    assert (snapshot.points, snapshot.rank_all, snapshot.rank_week) == (55, None, None)

    boards.player_visibility_set(player_id=alice.pk, hidden=False, now=T0)

    assert global_board() == {alice.pk: 55, bob.pk: 10}
    # Nothing the feeder still holds (it has it all) can take her off again.
    live.client().xgroup_setid(keys.stream(keys.shard_of(alice.pk)), keys.FEED_GROUP, "0")
    boards.feed()
    assert global_board() == {alice.pk: 55, bob.pk: 10}


def test_the_global_boards_are_rebuilt_from_the_shard_boards_alone(settings, clock):
    settings.LIVE_SHARDS = 4
    players = [make_player(f"p{i}") for i in range(5)]
    for index, player in enumerate(players):
        adjust(player, 10 * (index + 1))
    boards.player_visibility_set(player_id=players[0].pk, hidden=True, now=T0)
    players[0].hidden_from_leaderboards = True
    players[0].save()
    boards.feed()
    before = (global_board(), global_board("week"))
    live.client().delete(keys.BOARD_ALL, keys.board_week(WEEK), keys.VERSIONS)

    assert boards.global_boards_rebuild(now=T0) == 4

    assert (global_board(), global_board("week")) == before
    assert before[0] == {p.pk: 10 * (i + 1) for i, p in enumerate(players) if i > 0}
    flush.flush_pending()
    assert consistency_drift(now=T0) == []
    # The versions came back with the scores: a replay of older updates changes nothing,
    # a newer award moves the score.
    live.client().xgroup_setid(keys.stream(keys.shard_of(players[1].pk)), keys.FEED_GROUP, "0")
    adjust(players[1], -5)
    boards.feed()
    assert global_board()[players[1].pk] == 15


def test_check_consistency_finds_a_global_board_that_drifted_from_the_shards(alice, clock):
    adjust(alice, 40)
    flush.flush_pending()  # feeds, then flushes
    assert consistency_drift(now=T0) == []

    live.client().zadd(keys.BOARD_ALL, {str(alice.pk): 41})

    assert consistency_drift(now=T0) == [
        f"board all, player {alice.pk}: (shard board, global board) = (40, 41)"
    ]


@pytest.mark.live
@pytest.mark.parametrize("live_store", ["cluster"], indirect=True)  # the cluster only
def test_the_cluster_refuses_a_script_a_key_of_another_shard(alice, live_store):
    # Only cluster mode checks a #!lua script's keys (a standalone server runs anything):
    # on the suite's 3+3 cluster, a key of another shard (another slot) the script did not
    # declare is refused by the server itself, so a layout mistake fails here.
    r = live.client()
    shard = keys.shard_of(alice.pk)
    elsewhere = (shard + 1) % len(keys.shards())
    declared = keys.community(shard, "2026-11-23")
    undeclared = keys.community(elsewhere, "2026-11-23")
    script = "#!lua\nreturn redis.call('HGET', KEYS[1], 'x') or redis.call('HGET', ARGV[1], 'x')"

    # Refused either way: "non local key" when the other slot lives on another master, "do
    # not hash to the same slot" when both slots are this master's.
    with pytest.raises(ResponseError, match=r"non local key|do not hash to the same slot"):
        r.eval(script, 1, declared, undeclared)
    # The same script reading a key of its own shard runs: the slot is the boundary.
    assert r.eval(script, 1, declared, keys.community_active(shard, "2026-11-23")) is None
