"""The boards and the community counters as the API, the pages and the pusher show them."""

from common import clock
from gameplay import live


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
