from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import moderator_make


class Command(BaseCommand):
    help = "Make a player a moderator: staff in the moderators group, never a superuser."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        try:
            player = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No player named {username!r}.") from exc
        moderator_make(player=player)
        self.stdout.write(f"{username} is now a moderator.")
