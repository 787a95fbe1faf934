from django.core.management.base import BaseCommand, CommandError

from pipeline import dead_letters
from pipeline.consistency import consistency_drift
from pipeline.flush import backlog, flush_pending


class Command(BaseCommand):
    help = (
        "Compare PostgreSQL totals, ledger sums and Redis live values for every player, "
        "habit and the community day; exit non-zero on any drift."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-flush",
            action="store_true",
            help="compare as things are, without flushing pending events first",
        )

    def handle(self, *args, no_flush: bool, **options) -> None:
        if not no_flush:
            flush_pending(reclaim_idle_seconds=0, max_seconds=3600)
        pending = backlog()["pending"]
        drift = consistency_drift()
        for line in drift:
            self.stdout.write(line)
        if pending:
            self.stdout.write(f"{pending} events are still pending: compare again after a flush.")
        letters = dead_letters.listed()
        for letter in letters:
            self.stdout.write(f"dead letter {letter['id']}: {letter['error']}")
        if letters:
            self.stdout.write(
                f"{len(letters)} events PostgreSQL refused are not in it: "
                "see manage.py dead_letters."
            )
        if drift or letters:
            raise CommandError(
                f"{len(drift)} differences between PostgreSQL and Redis, "
                f"{len(letters)} dead letters."
            )
        self.stdout.write("Consistent: PostgreSQL totals = ledger sums = Redis live values.")
