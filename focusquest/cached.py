"""Model instances from the small JSON records the cache keeps (never pickles)."""

from typing import TypeVar

from django.db.models import Model

M = TypeVar("M", bound=Model)


def instance_from_fields(model: type[M], fields: dict) -> M:
    """An instance with just `fields` (attnames) loaded, as if read with `.only()`: any
    other field loads from the database when read, and `save()` writes only these."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in fields]
    return model.from_db("default", names, [fields[name] for name in names])
