"""The community activity rows' foreign key of their player leaves the database (issue
#10: checked at COMMIT for every row the flush inserted). The flush, their only writer,
locks the batch's players until COMMIT (pipeline/dropped.py). The deletion's cascade is
Django's. Reversed, the constraint comes back.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0003_community_day_departed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="communityactivity",
            name="player",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
