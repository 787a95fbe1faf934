from django.core.management.base import BaseCommand, CommandError

from pipeline.flush import flush_pending


class Command(BaseCommand):
    help = "Flush every pending event to PostgreSQL now (the code Celery beat runs)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, batch_size: int | None, **options) -> None:
        try:
            # Reclaim everything pending at once: an operator asked for it now, and a
            # batch another flusher still holds is safe to write twice (the ledger keeps one).
            report = flush_pending(batch_size=batch_size, reclaim_idle_seconds=0, max_seconds=3600)
        except Exception as exc:
            raise CommandError(f"Flush failed, nothing acknowledged: {exc}") from exc
        self.stdout.write(f"Flushed {report.events} events for {report.players} players.")
        if report.dropped:
            self.stdout.write(f"Dropped {report.dropped} events of deleted players.")
