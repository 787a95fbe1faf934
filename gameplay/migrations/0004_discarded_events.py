from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("gameplay", "0003_ledger_kind_session_short"),
    ]

    operations = [
        migrations.CreateModel(
            name="DiscardedEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event_id", models.UUIDField(null=True)),
                ("payload", models.JSONField()),
                ("error", models.TextField()),
                ("reason", models.TextField()),
                ("discarded_by", models.CharField(max_length=150)),
                ("discarded_at", models.DateTimeField()),
            ],
            options={"ordering": ["-discarded_at"]},
        ),
    ]
