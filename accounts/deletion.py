"""Deleting a player: their credentials stop at once, then everything of them goes.

`accounts.services.player_delete` checks the password and runs these steps in this order.
Each is safe to run again, and the order means a failure half-way never leaves a player
who can log in with half their data:

1. **Close** (`player_close`, one transaction): `deletion_requested_at` is set, the account
   made inactive with an unusable password, its token and browser sessions deleted (the
   credentials a new password ends, accounts/passwords.py: their cached copies go and their
   sockets close); after COMMIT any other socket of theirs closes. From here no credential
   of the player works.
2. **Live store** (`player_erase`): their shard's keys, boards and community ids, in one
   script on its slot, leaving a tombstone that refuses their requests still in flight;
   then the global boards, the names and the versions, with a tombstone the board feeder
   checks (gameplay/deletion.py).
3. **PostgreSQL** (one transaction, holding their shard's flush lock so that no batch
   writes their rows meanwhile): the admin log about them, their discarded events, and
   the user row with every row that names it (each foreign key to the user cascades; the
   community days they counted in keep the count, leaderboard.signals). The username is
   free again.
4. **The global boards again** (a rename in flight during 2 and 3 could have put their name
   back), and the cache's bucket that names them (their log-in attempts).

A failure after step 1 (Redis or PostgreSQL unavailable) leaves a closed account that
`deletions_resume`, run by the flush's beat task, finishes: it runs steps 2 to 4 for every
player whose `deletion_requested_at` is set.
"""

import logging
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction

from accounts.authentication import player_group
from accounts.models import User
from accounts.passwords import player_credentials_end
from accounts.throttles import throttle_keys_of
from common import clock
from common.cached import cache_write_best_effort
from gameplay import deletion, keys, shardlock
from gameplay.models import DiscardedEvent

logger = logging.getLogger(__name__)


def _sockets_close(player_id: int) -> None:
    # Sockets opened with a token close with it (accounts.signals); these are the rest.
    with cache_write_best_effort():
        async_to_sync(get_channel_layer().group_send)(
            player_group(player_id), {"type": "account.closed"}
        )


@transaction.atomic
def player_close(*, player_id: int, now: datetime) -> bool:
    """Step 1: no credential of the player works any more. False if there is no player."""
    player = User.objects.select_for_update().filter(pk=player_id).first()
    if player is None:
        return False
    player.deletion_requested_at = player.deletion_requested_at or now
    player.is_active = False
    player.set_unusable_password()
    player.save(update_fields=["deletion_requested_at", "is_active", "password"])
    player_credentials_end(player=player)
    transaction.on_commit(lambda: _sockets_close(player_id))
    return True


def _rows_delete(player_id: int) -> str | None:
    """Step 3; the username, or None when the row had already gone."""
    with transaction.atomic():
        shardlock.shard_lock_until_commit(keys.shard_of(player_id))
        player = User.objects.select_for_update().filter(pk=player_id).first()
        if player is None:
            return None
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(player_id)
        ).delete()
        DiscardedEvent.objects.filter(payload__player=player_id).delete()
        player.delete()
        return player.username


def player_erase(*, player_id: int, now: datetime) -> None:
    """Steps 2 to 4 for a closed account (see the module's docstring)."""
    stream_id = deletion.shard_purge(player_id=player_id, now=now)
    deletion.boards_forget(player_id=player_id, stream_id=stream_id)
    username = _rows_delete(player_id)
    deletion.boards_forget(player_id=player_id, stream_id=stream_id)
    if username is not None:
        with cache_write_best_effort():
            cache.delete_many(throttle_keys_of(username=username))
    logger.info("player %s deleted", player_id)


def deletions_resume(*, now: datetime | None = None) -> int:
    """Finish every deletion that stopped after its account was closed (the flush's beat
    task runs this); returns how many finished."""
    now = now or clock.now()
    pending = User.objects.filter(deletion_requested_at__isnull=False)
    finished = 0
    for player_id in pending.values_list("pk", flat=True):
        try:
            player_erase(player_id=player_id, now=now)
        except Exception:
            logger.exception("the deletion of player %s stopped again; retried next run", player_id)
            continue
        finished += 1
    return finished
