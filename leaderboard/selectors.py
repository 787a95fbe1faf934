"""The boards and the community counters as the API, the pages and the pusher show them."""

from common import clock
from gameplay import live, rules


def board_payload(*, board: str, limit: int, me_id: int | None) -> dict:
    entries, me = live.leaderboard_top(board=board, limit=limit, me_id=me_id, now=clock.now())
    return {
        "board": board,
        "entries": [entry.__dict__ for entry in entries],
        "me": me if me_id else None,
    }


def community_payload() -> dict:
    today = live.community_today(now=clock.now())
    return {
        "date": today.day,
        "focus_minutes": today.focus_minutes,
        "sessions": today.sessions,
        "active_players": today.active_players,
    }


def me_message(
    *, points: int, weekly_points: int, rank_all: int | None, rank_week: int | None
) -> dict:
    """The websocket's `me` message (and the page's first `me`): the player's totals and
    both ranks, built here only, whether news, a rank refresh or the page sends it."""
    return {
        "type": "me",
        "points": points,
        "level": rules.level_for(points),
        "weekly_points": weekly_points,
        "rank": {"all": rank_all, "week": rank_week},
    }
