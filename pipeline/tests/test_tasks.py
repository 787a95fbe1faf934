"""A Celery worker finds the flush task by autodiscovery, under the name beat schedules."""

import subprocess
import sys

import pytest
from django.conf import settings

from gameplay.tests.servers import ROOT, project_env

pytestmark = pytest.mark.django_db

FIND_THE_TASKS = """
from focusquest.celery import app
import django
django.setup()
app.loader.import_default_modules()
print(app.tasks["gameplay.tasks.flush_events"].__module__)
"""


@pytest.mark.slow
def test_the_worker_finds_the_scheduled_flush_task_by_its_name():
    assert settings.CELERY_BEAT_SCHEDULE["flush-events"]["task"] == "gameplay.tasks.flush_events"
    found = subprocess.run(
        [sys.executable, "-c", FIND_THE_TASKS],
        cwd=ROOT,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "pipeline.tasks"
