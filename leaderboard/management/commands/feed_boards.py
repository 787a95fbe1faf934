import asyncio

from django.core.management.base import BaseCommand

from leaderboard import feeder


class Command(BaseCommand):
    help = (
        "Feed the global boards from the shard streams, at once on every award's news, "
        "until SIGTERM (the Procfile's feeder; leaderboard/feeder.py)."
    )

    def handle(self, *args, **options) -> None:
        asyncio.run(feeder.serve())
