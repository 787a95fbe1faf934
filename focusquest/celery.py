"""The Celery app: a worker runs the flush that beat schedules (CELERY_* settings)."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "focusquest.settings")

app = Celery("focusquest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_an_unsafe_live_store(**kwargs) -> None:
    # The flush acknowledges events on the live store: it must not run on one that loses them.
    from gameplay.safety import require_safe_store

    require_safe_store()
