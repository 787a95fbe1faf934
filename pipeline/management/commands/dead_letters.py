import getpass

from django.core.management.base import BaseCommand, CommandError

from common import clock
from pipeline import dead_letters


class Command(BaseCommand):
    help = (
        "Events PostgreSQL refused (the flush set them aside so the rest could commit): "
        "list them, retry them once the cause is fixed, or discard them with a reason."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "action", nargs="?", choices=["list", "retry", "discard"], default="list"
        )
        parser.add_argument("ids", nargs="*", help="dead-letter ids (shard/stream id, as listed)")
        parser.add_argument("--all", action="store_true", help="every dead letter")
        parser.add_argument("--reason", default="", help="why (required to discard)")

    def handle(self, *args, action: str, ids: list[str], all: bool, reason: str, **options):
        letters = dead_letters.listed(count=100_000)
        if action == "list":
            for letter in letters:
                self.stdout.write(f"{letter['id']}  {letter['error']}\n    {letter['event']}")
            self.stdout.write(f"{len(letters)} dead letters.")
            return
        chosen = [letter for letter in letters if all or letter["id"] in ids]
        unknown = set(ids) - {letter["id"] for letter in letters}
        if unknown:
            raise CommandError(f"No such dead letter: {', '.join(sorted(unknown))}")
        if not ids and not all:
            raise CommandError("Name the dead letters (ids as listed) or pass --all.")
        if not chosen:
            self.stdout.write("No dead letters.")
            return
        if action == "retry":
            dead_letters.retry(letters=chosen)
            self.stdout.write(
                f"{len(chosen)} events back on the stream; the next flush writes them."
            )
            return
        if not reason.strip():
            raise CommandError("Say why with --reason: the discard is recorded.")
        dead_letters.discard(letters=chosen, reason=reason, by=getpass.getuser(), now=clock.now())
        self.stdout.write(f"{len(chosen)} events discarded and recorded.")
