"""Reading what a test made the database do: the writing statements among captured
queries, and what the admin log holds for a user."""

from django.contrib.admin.models import LogEntry

from accounts.models import User


def no_writes(queries) -> list[str]:
    """The writing statements among captured queries (none on the hot path)."""
    verbs = ("INSERT", "UPDATE", "DELETE", "COPY", "CREATE", "TRUNCATE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def log_messages(user: User) -> list[str]:
    """What the admin log holds for a user's actions, oldest first."""
    return [
        entry.get_change_message()
        for entry in LogEntry.objects.filter(user=user).order_by("action_time", "id")
    ]
