"""The Celery app: a worker runs the flush that beat schedules (CELERY_* settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "focusquest.settings")

app = Celery("focusquest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
