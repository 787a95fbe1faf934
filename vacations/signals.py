"""A deleted player's bucket of vacation changes goes with them (it names them)."""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from accounts.models import User
from common.cached import cache_write_best_effort
from vacations.throttles import VacationChangeThrottle


@receiver(post_delete, sender=User, dispatch_uid="vacations.player_deleted")
def player_deleted(sender, instance: User, **kwargs) -> None:
    key = VacationChangeThrottle.cache_format % {
        "scope": VacationChangeThrottle.scope,
        "ident": instance.pk,
    }

    def forget() -> None:
        with cache_write_best_effort():
            cache.delete(key)

    transaction.on_commit(forget)
