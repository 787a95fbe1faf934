"""Model instances from the small JSON records the cache keeps (never pickles)."""

import contextlib
import logging
from collections.abc import Iterator
from typing import TypeVar

from django.db.models import Model
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)


def instance_from_fields(model: type[M], fields: dict) -> M:
    """An instance with just `fields` (attnames) loaded, as if read with `.only()`: any
    other field loads from the database when read, and `save()` writes only these."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in fields]
    return model.from_db("default", names, [fields[name] for name in names])


@contextlib.contextmanager
def cache_write_best_effort() -> Iterator[None]:
    """For writes that only save later reads: a Redis that refuses them (full, read-only,
    down) is logged, never raised, so it cannot fail a write PostgreSQL already committed.
    The next read misses and reads PostgreSQL."""
    try:
        yield
    except RedisError as exc:
        logger.warning("cache write skipped: %s", exc)
