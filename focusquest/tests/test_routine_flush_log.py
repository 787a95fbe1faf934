"""An idle flush every few seconds logs nothing at INFO: Celery's own lines for the flush
task (beat sending it, the worker receiving it, its success) are DEBUG; other tasks' lines
and failures keep their level."""

import logging

import pytest
from celery.app import trace

TASK = "gameplay.tasks.flush_events"


def celery_lines(task: str) -> None:
    """What beat and the worker log around one run of a task, in Celery's own words."""
    logging.getLogger("celery.beat").info("Scheduler: Sending due task %s (%s)", "flush", task)
    logging.getLogger("celery.worker.strategy").info(trace.LOG_RECEIVED, {"name": task, "id": "1"})
    logging.getLogger("celery.app.trace").info(
        trace.LOG_SUCCESS, {"name": task, "id": "1", "runtime": 0.01, "return_value": 0}
    )


@pytest.fixture
def root_level():
    root = logging.getLogger()
    before = root.level
    yield root.setLevel
    root.setLevel(before)


def test_the_flush_tasks_routine_lines_are_not_logged_at_info(caplog, root_level):
    root_level(logging.INFO)

    celery_lines(TASK)

    assert caplog.records == []


def test_they_are_debug_lines_when_the_log_level_is_debug(caplog, root_level):
    root_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG)

    celery_lines(TASK)

    assert [(r.levelname, r.name) for r in caplog.records] == [
        ("DEBUG", "celery.beat"),
        ("DEBUG", "celery.worker.strategy"),
        ("DEBUG", "celery.app.trace"),
    ]


def test_other_tasks_lines_and_a_failing_flush_keep_their_level(caplog, root_level):
    root_level(logging.INFO)

    celery_lines("some.other.task")
    logging.getLogger("celery.app.trace").error("Task %s[%s] raised unexpected: boom", TASK, "2")

    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "INFO", "ERROR"]
