"""Who acts: the request's player as the live store needs them."""

from accounts.models import User
from gameplay.live import Actor


def actor_for(player: User) -> Actor:
    return Actor(
        player_id=player.pk, timezone=player.timezone, day_start_hour=player.day_start_hour
    )
