"""The databases a benchmark works in: fresh ones beside the one DATABASE_URL names (which
may hold someone's data), and the Redis database it empties.

Every connection the measuring side opens carries APPLICATION_NAME, so that the counts of
the app's connections leave them out.
"""

import contextlib
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.rows import TupleRow

from focusquest.env import database_from_url

APPLICATION_NAME = "focusquest-measure"


def pg_connect(url: str, *, dbname: str | None = None) -> psycopg.Connection:
    settings = database_from_url(url)
    return psycopg.connect(
        application_name=APPLICATION_NAME,
        dbname=dbname or settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
        **settings["OPTIONS"],
    )


def one_row(cursor: psycopg.Cursor[TupleRow]) -> TupleRow:
    """The row of a query that always has one (a function's value, an aggregate, the
    statistics of a database that exists)."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("a query that always returns a row returned none")
    return row


def base_connect(url: str) -> psycopg.Connection:
    """A connection to the database `url` names, or to `postgres` if that one does not
    exist: somewhere to read the server's statistics from."""
    try:
        return pg_connect(url)
    except psycopg.OperationalError:
        return pg_connect(url, dbname="postgres")


def redis_url_with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        query["db"] = str(db)
        # urlunsplit would drop the empty authority ("unix:/path"), which redis-py refuses.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def database_url_named(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def database_fresh(url: str, name: str, *, template: str | None = None) -> str:
    """A new, empty database `name` beside the one `url` names (dropped first)."""
    with base_connect(url) as admin:  # the named one need not exist yet
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{suffix}')
        with contextlib.suppress(psycopg.Error), pg_connect(database_url_named(url, name)) as fresh:
            fresh.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return database_url_named(url, name)


def database_drop(url: str) -> None:
    name = database_from_url(url)["NAME"]
    with pg_connect(url, dbname="postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_beside(url: str, suffix: str, *, template: str | None = None) -> str:
    """A fresh database named after the one `url` names plus `suffix`; returns its URL."""
    name = database_from_url(url)["NAME"] + suffix
    return database_fresh(url, name, template=template)


def analyze() -> None:
    """Planner statistics for the rows a benchmark just made, as a database in service has
    them: otherwise autovacuum analyses the fresh tables at a moment of its own choosing,
    before one round's flush and after another's, and the plans (and their cost) differ."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
