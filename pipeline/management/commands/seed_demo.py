from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pipeline.seed import DAYS_MAX, DEFAULT_DAYS, DEFAULT_SEED, USERS_MAX, demo_seed, validate


class Command(BaseCommand):
    help = (
        "Demo players demo0001..demoN, each with a timezone, 1-3 habits and --days days of "
        "history before today (check-ins, completed focus sessions), made through the "
        "services and live-store scripts players use with the clock set to each past moment, "
        "then flushed to PostgreSQL. Names that exist are left alone: a re-run adds only the "
        "missing players. Passwords are unusable by default: a demo database is often "
        "reachable by others, and thousands of accounts sharing a well-known password would "
        "be theirs to take; --password sets one (hashed once, shared) for every player "
        "created, to log in as demo0001 on a private instance."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--users", type=int, required=True, help=f"how many demo players, 1..{USERS_MAX:,}"
        )
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help=f"days of history before today, 1..{DAYS_MAX} (default {DEFAULT_DAYS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"random seed: the same seed gives the same players (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--password",
            default=None,
            help="password for every player created (default: unusable passwords, no log-in)",
        )

    def handle(
        self, *args, users: int, days: int, seed: int, password: str | None, **options
    ) -> None:
        try:
            # Before anything is written.
            validate(users=users, days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        report = demo_seed(
            users=users,
            days=days,
            seed=seed,
            password=password,
            progress=lambda numbers: tqdm(numbers, desc="players", unit="player", file=self.stderr),
        )
        self.stdout.write(
            f"Seeded {report.created:,} players ({report.existed:,} existed): "
            f"{report.sessions:,} sessions, {report.check_ins:,} check-ins, "
            f"{report.habits:,} habits; flushed {report.events:,} events."
        )
