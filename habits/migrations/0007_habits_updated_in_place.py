from django.db import migrations

# Every flushed check-in updates its habit's counters (habits/projections.py): room left on
# each page lets that update stay on its page and touch no index (a HOT update), as for
# the players' totals (accounts 0006). Pages written from now on; `VACUUM FULL
# habits_habit` rewrites the existing ones.
FILLFACTOR = 80


class Migration(migrations.Migration):
    dependencies = [("habits", "0006_indexes_folded")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE habits_habit SET (fillfactor = {FILLFACTOR})",
            "ALTER TABLE habits_habit RESET (fillfactor)",
        )
    ]
