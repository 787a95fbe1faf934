"""The ledger's and the badges' foreign keys of their players (and the ledger's of its
moderator) leave the database (issue #10). Checked at COMMIT for every row the flush
inserted, they were a sixth of its PostgreSQL CPU, and refused nothing any more: the flush
drops the events of players who are gone before the ledger sees them, and locks the
players it keeps (and an adjustment's moderator) until COMMIT, once per player of the
batch (pipeline/dropped.py), so none can be deleted under it. The deletion's cascade and
SET_NULL are Django's (`on_delete`), which the constraints never carried. Reversed, the
constraints come back and check every existing row.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gameplay", "0007_ledger_rows_go_with_their_player"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="badge",
            name="player",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="badges",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="moderator",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="player",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
