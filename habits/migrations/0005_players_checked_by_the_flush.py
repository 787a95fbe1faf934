"""The check-ins' and frozen days' foreign keys of their players leave the database
(issue #10: checked at COMMIT for every row the flush inserted). The flush locks the
batch's players until COMMIT (pipeline/dropped.py), and every row still references its
habit, whose constraints (to the habit, and the habit's to its player) stay. The
deletion's cascade is Django's. Reversed, the constraints come back.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("habits", "0004_freezes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="checkin",
            name="player",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="check_ins",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="frozenday",
            name="player",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="frozen_days",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
