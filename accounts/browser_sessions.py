"""The session engine (SESSION_ENGINE): Django's database sessions, each row labelled with
the player it is logged in as (Django's documented way to extend them), and the end of a
player's sessions."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import transaction

from accounts.authentication import session_group
from accounts.models import BrowserSession
from common.cached import cache_write_best_effort


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        return BrowserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.player_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):  # not logged in
            session.player_id = None
        return session


def player_sessions_end(*, player_id: int, keep: str | None = None) -> int:
    """Delete the player's browser sessions but `keep` (a session key) and, after COMMIT,
    close the sockets opened with them. Returns how many ended."""
    ended = list(
        BrowserSession.objects.filter(player_id=player_id)
        .exclude(session_key=keep or "")
        .values_list("session_key", flat=True)
    )
    BrowserSession.objects.filter(session_key__in=ended).delete()

    def close_sockets() -> None:
        # Sockets authenticated when they connected: without this one kept the player's
        # news. Fire and forget, like a deleted token's (accounts.signals).
        send = async_to_sync(get_channel_layer().group_send)
        with cache_write_best_effort():
            for key in ended:
                send(session_group(key), {"type": "session.ended"})

    if ended:
        transaction.on_commit(close_sockets)
    return len(ended)
