"""The cached habit (habits.selectors) follows every save or delete of the habit, at once
and again after COMMIT (see accounts.signals for why both)."""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from common.cached import cache_write_best_effort
from habits.models import Habit
from habits.selectors import habit_cache_key


@receiver([post_save, post_delete], sender=Habit, dispatch_uid="habits.habit_changed")
def habit_changed(sender, instance: Habit, **kwargs) -> None:
    key = habit_cache_key(instance.pk)
    cache.delete(key)  # refused: the change rolls back, so the cache is never stale

    def again() -> None:
        with cache_write_best_effort():
            cache.delete(key)

    transaction.on_commit(again)
