"""The ledger's monthly partitions, made ahead of the events that need them.

`gameplay_ledgerentry` is partitioned by UTC month of `occurred_at` (migration 0005). An
event of a month without its partition goes to the DEFAULT partition, so nothing is ever
refused for want of one; but the default is one table for every such month, scanned
whenever a month's partition is made, so the months are made ahead: this one and the
next, by the flush, once a day per process (`ensure_ledger_partitions_daily`). Making a
partition that exists is one catalog look-up and takes no lock; making a new one takes a
short exclusive lock on the ledger, once a month.
"""

from datetime import UTC, date, datetime

from django.db import connection

_made_on: date | None = None


def months_ahead(now: datetime) -> tuple[date, date]:
    """The first days of `now`'s UTC month and of the next."""
    this = now.astimezone(UTC).date().replace(day=1)
    following = date(this.year + this.month // 12, this.month % 12 + 1, 1)
    return this, following


def ensure_ledger_partitions(now: datetime) -> list[str]:
    """This month's and next month's partitions exist afterwards; returns their names."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT gameplay_ledger_ensure_partition(%s), gameplay_ledger_ensure_partition(%s)",
            list(months_ahead(now)),
        )
        return list(cursor.fetchone())


def ensure_ledger_partitions_daily(now: datetime) -> None:
    """`ensure_ledger_partitions` on this process's first call of each UTC day.

    Called inside the flush's transaction, before the ledger is touched in it (so the
    lock a new partition takes is never waited for while holding the ledger). The day is
    noted at once, not at COMMIT: were the batch rolled back, this month's partition is
    made again tomorrow, and next month's on any of the days before it begins; meanwhile
    the DEFAULT partition takes the events."""
    global _made_on
    today = now.astimezone(UTC).date()
    if _made_on == today:
        return
    ensure_ledger_partitions(now)
    _made_on = today
