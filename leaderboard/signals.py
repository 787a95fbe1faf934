"""The community days a deleted player counted in keep their count (accounts/deletion.py).

Their activity rows, which name them, go with them (CASCADE); just before, each (day,
shard) row they were active on counts them among its `departed`, so that a day's
`active_players` stays what it was and `active_players - departed` is still its activity
rows, and its live set (from which their id went too). A signal, like the caches': whatever
deletes a user keeps the days whole.
"""

from django.conf import settings
from django.db import connection
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from accounts.models import User


@receiver(pre_delete, sender=User, dispatch_uid="leaderboard.player_departs")
def player_departs(sender, instance: User, **kwargs) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE leaderboard_communityday d SET departed = d.departed + 1
               FROM leaderboard_communityactivity a
               WHERE a.player_id = %s AND d.day = a.day AND d.shard = %s""",
            [instance.pk, instance.pk % settings.LIVE_SHARDS],
        )
