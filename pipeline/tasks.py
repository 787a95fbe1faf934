from celery import shared_task

from accounts.deletion import deletions_resume
from pipeline.flush import flush_pending


# The name is the one the task had when it lived in gameplay: beat's schedule
# (CELERY_BEAT_SCHEDULE), the log filter and tasks already queued under it still find it.
@shared_task(
    name="gameplay.tasks.flush_events", ignore_result=True, soft_time_limit=120, time_limit=150
)
def flush_events() -> int:
    """Beat's periodic flush. A failure leaves the events pending for the next run. Then
    the deletions that stopped half-way (Redis or PostgreSQL down) are finished."""
    events = flush_pending().events
    deletions_resume()
    return events
