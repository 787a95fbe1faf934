"""Cached authentication follows every change to a player or their token.

A signal, not a call in each service: users are saved by the services, the admin, the
moderation pages and Django's own login (last_login), and each of those saves must drop
the cached token. The entry is dropped at once and again after COMMIT, so that a request
that read the old row while the change was being committed cannot keep it cached.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from accounts.authentication import token_cache_forget, token_group
from accounts.models import User
from common.cached import cache_write_best_effort


def _forget(keys: list[str]) -> None:
    if keys:
        token_cache_forget(keys=keys)  # refused: the change rolls back, never stale

        def again() -> None:
            with cache_write_best_effort():
                token_cache_forget(keys=keys)

        transaction.on_commit(again)


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
def user_saved(sender, instance: User, created: bool, **kwargs) -> None:
    if not created:  # a new player has no token yet
        _forget(list(Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)))


@receiver(post_delete, sender=Token, dispatch_uid="accounts.token_deleted")
def token_deleted(sender, instance: Token, **kwargs) -> None:
    _forget([instance.key])
    key = instance.key

    def close_sockets() -> None:
        # Sockets authenticated when they connected; without this a deleted token's
        # socket kept receiving the player's news. Fire and forget, after COMMIT.
        with cache_write_best_effort():
            async_to_sync(get_channel_layer().group_send)(
                token_group(key), {"type": "token.revoked"}
            )

    transaction.on_commit(close_sockets)
