from django.db import migrations

# Every flushed batch updates the totals of each of its players (accounts/projections.py).
# A full page cannot take the new version of a row, so PostgreSQL writes it on another page
# and adds it to every index of the table; with room left on each page the update stays on
# its page and touches no index (a HOT update). The setting applies to pages written from
# now on; `VACUUM FULL accounts_user` rewrites the existing ones.
FILLFACTOR = 80


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_deletion_requested_at")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE accounts_user SET (fillfactor = {FILLFACTOR})",
            "ALTER TABLE accounts_user RESET (fillfactor)",
        )
    ]
