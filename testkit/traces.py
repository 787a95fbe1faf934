"""Every trace of a player left in PostgreSQL or Redis, found without a list of places.

PostgreSQL: every table of every installed model (auto-created ones, such as the
many-to-many tables, included; introspected, so a model added tomorrow is searched too):
each foreign key to the user for the player's id, and each row as text for the player's id
(as a whole number), username, email, display name and token; and the sessions of every
session model, whose data is signed, decoded one by one.

Redis: every key of the live store (each master of a cluster) and of the plain Redis (the
cache, throttles, channel layer, broker): its name and everything it holds, read by type.

A player made with `distinct_player` has an id no other number in the test comes near, so
finding it as a whole number anywhere is finding them.
"""

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import redis
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connection
from django_redis import get_redis_connection

from accounts.authentication import token_digest
from accounts.models import User
from accounts.services import player_register
from gameplay import keys, store
from gameplay.deletion import TOMBSTONE_SECONDS
from testkit.personas import PASSWORD

DISTINCT_ID = 987_654_321


@dataclass(frozen=True)
class Trace:
    """What would show that a player is still there."""

    player_id: int
    words: tuple[str, ...]  # username, email, display name, token

    @property
    def number(self) -> re.Pattern[bytes]:
        return re.compile(rb"(?<![0-9])" + str(self.player_id).encode() + rb"(?![0-9])")

    def found_in(self, blob: bytes) -> bool:
        lowered = blob.lower()
        return bool(self.number.search(blob)) or any(
            word.lower().encode() in lowered for word in self.words
        )


def distinct_player(username: str, *, display_name: str, email: str) -> tuple[User, Trace]:
    """A player (made by the sign-up service) whose id is DISTINCT_ID."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s, false)",
            [DISTINCT_ID],
        )
    player, token = player_register(
        username=username, password=PASSWORD, email=email, display_name=display_name
    )
    assert player.pk == DISTINCT_ID
    # The log-in throttle's bucket names the username by its digest.
    username_digest = hashlib.sha256(username.casefold().encode()).hexdigest()
    words = (
        username,
        email,
        display_name,
        token.key,
        token_digest(token.key)[:32],
        username_digest,
    )
    return player, Trace(player.pk, words)


@dataclass
class Findings:
    """Where a trace was found, and what was searched (tables, key patterns)."""

    found: list[str] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)
    key_patterns: set[str] = field(default_factory=set)


def _user_columns(model) -> list[str]:
    return [
        f.column
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is not None and issubclass(f.related_model, User)
    ]


def postgres_traces(trace: Trace, findings: Findings) -> None:
    number = rf"(^|[^0-9]){trace.player_id}([^0-9]|$)"
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if not meta.managed or meta.proxy:
                continue
            table = meta.db_table
            findings.tables.add(table)
            for column in _user_columns(model):
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}" = %s', [trace.player_id]
                )
                if cursor.fetchone()[0]:
                    findings.found.append(f"postgres {table}.{column} = {trace.player_id}")
            likes = " OR ".join("t::text ILIKE %s" for _ in trace.words)
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE t::text ~ %s OR {likes}',
                [number, *(f"%{word}%" for word in trace.words)],
            )
            if cursor.fetchone()[0]:
                findings.found.append(f"postgres {table}: a row names the player")
    for model in apps.get_models():
        if issubclass(model, AbstractBaseSession):
            for session in model.objects.all():
                if session.get_decoded().get(SESSION_KEY) == str(trace.player_id):
                    findings.found.append(f"postgres {model._meta.db_table}: a session of theirs")


def _contents(client: Any, key: bytes) -> list[bytes]:
    # `client` answers bytes (the clients keep redis-py's defaults): typed as it is used.
    kind = client.type(key).decode()
    if kind == "string":
        return [client.get(key) or b""]
    if kind == "hash":
        return [part for pair in client.hgetall(key).items() for part in pair]
    if kind == "set":
        return list(client.smembers(key))
    if kind == "zset":
        return [member for member, _score in client.zrange(key, 0, -1, withscores=True)]
    if kind == "list":
        return list(client.lrange(key, 0, -1))
    if kind == "stream":
        parts = []
        for entry_id, fields in client.xrange(key):
            parts.append(entry_id)
            parts += [part for pair in fields.items() for part in pair]
        return parts
    return []


def _servers() -> list[tuple[str, redis.Redis]]:
    """The live store's servers (each master of a cluster) and the plain Redis."""
    servers: list[tuple[str, redis.Redis]] = [("plain", get_redis_connection("default"))]
    if store.is_cluster():
        cluster = store.cluster_client()
        for node in cluster.get_primaries():
            servers.append((f"live {node.name}", cluster.get_redis_connection(node)))
    else:
        servers.append(("live", store.client()))
    return servers


def _tombstone(client: redis.Redis, key: bytes, trace: Trace) -> bool:
    """The player's hash as the tombstone their deletion leaves: `deleted` only, expiring."""
    if key.decode() != keys.player(trace.player_id):
        return False
    ttl = client.ttl(key)
    return set(client.hkeys(key)) == {b"deleted"} and 0 < ttl <= TOMBSTONE_SECONDS


def pattern_of(key: bytes) -> str:
    """A key's name with its ids, digests and numbers made generic."""
    name = key.decode(errors="replace")
    name = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", name)
    name = re.sub(r"[0-9a-f]{32,}", "<digest>", name)
    return re.sub(r"[0-9]+", "<n>", name)


def redis_traces(trace: Trace, findings: Findings) -> None:
    seen: set[tuple[str, bytes]] = set()
    for server, client in _servers():
        for key in client.scan_iter(count=1000):
            findings.key_patterns.add(pattern_of(key))
            if (server, key) in seen or _tombstone(client, key, trace):
                continue
            seen.add((server, key))
            if trace.found_in(key) or any(trace.found_in(part) for part in _contents(client, key)):
                findings.found.append(f"redis ({server}) {key.decode(errors='replace')}")


def traces_of(trace: Trace) -> Findings:
    findings = Findings()
    postgres_traces(trace, findings)
    redis_traces(trace, findings)
    return findings
