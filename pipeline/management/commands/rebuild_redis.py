from django.core.management.base import BaseCommand
from tqdm import tqdm

from pipeline.rebuild import live_state_rebuild


class Command(BaseCommand):
    help = "Restore every live value in Redis from PostgreSQL (after Redis lost its data)."

    def handle(self, *args, **options) -> None:
        report = live_state_rebuild(
            progress=lambda chunks: tqdm(chunks, desc="players", unit="chunk", file=self.stderr)
        )
        self.stdout.write(
            f"Rebuilt {report.players} players, {report.habits} habits, "
            f"{report.running_sessions} running sessions, {report.community_days} community days."
        )
