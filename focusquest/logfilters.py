"""Logging filters (LOGGING in settings)."""

import logging

FLUSH_TASK = "gameplay.tasks.flush_events"


class RoutineFlushTaskLines(logging.Filter):
    """Celery logs three INFO lines per task run: beat's "Sending due task", the worker's
    "received" and "succeeded". For the flush, every few seconds, they buried everything
    else; the flush's own line says when it wrote something (pipeline/flush.py). They
    become DEBUG lines (shown with LOG_LEVEL=DEBUG or `-l debug`); a failure keeps its
    level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or FLUSH_TASK not in record.getMessage():
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
