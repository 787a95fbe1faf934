from celery import shared_task

from pipeline.flush import flush_pending


@shared_task(
    name="gameplay.tasks.flush_events", ignore_result=True, soft_time_limit=120, time_limit=150
)
def flush_events() -> int:
    """Beat's periodic flush. A failure leaves the events pending for the next run."""
    return flush_pending().events
