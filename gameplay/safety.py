"""The live store's own safety: it must keep everything it is told (AOF, no eviction),
and it has room left. Checked when a serving process starts and by /healthz."""

import redis
from django.conf import settings

from gameplay import store


def store_safety_problem() -> str | None:
    """Why the live store's Redis could lose answered actions, or None when it cannot.

    Live values, the event stream and the de-duplication state exist only here until the
    flush: without AOF a restart loses them, and under any eviction policy Redis may
    drop a player's de-duplication key (a repeat is then awarded again) or a running
    session. Read from INFO, which managed Redis services allow where CONFIG is not.
    """
    if settings.LIVE_STORE_ALLOW_UNSAFE:
        return None
    persistence = store.masters_info("persistence")
    memory = store.masters_info("memory")
    # On a cluster every master holds some players' only copy: each must keep all.
    for address, fields in persistence.items():
        if int(fields.get("aof_enabled", 0)) != 1:
            return (
                f"The live store's Redis{_at(address)} runs without AOF (appendonly no): set "
                "appendonly yes and appendfsync everysec, or it loses answered actions on a "
                "restart."
            )
    for address, fields in memory.items():
        policy = fields.get("maxmemory_policy", "noeviction")
        if policy != "noeviction":
            return (
                f"The live store's Redis{_at(address)} evicts keys (maxmemory-policy "
                f"{policy}): set maxmemory-policy noeviction, or it may drop points and "
                "running sessions."
            )
    return None


def _at(address: str) -> str:
    return f" {address}" if address else ""


def memory_share() -> float | None:
    """used_memory / maxmemory of the live store's Redis, the fullest master's on a
    cluster (at 100% its slots refuse actions); None where no server has a maxmemory."""
    shares = [
        int(memory["used_memory"]) / int(memory["maxmemory"])
        for memory in store.masters_info("memory").values()
        if int(memory.get("maxmemory", 0))
    ]
    return max(shares) if shares else None


def require_safe_store() -> None:
    """At the start of every serving process: refuse to run on a Redis that could lose
    players' points. A Redis not reachable yet is no reason to refuse (requests answer
    503 until it is); /healthz reports the same check later."""
    try:
        problem = store_safety_problem()
    except redis.RedisError:
        return
    if problem:
        # One line on stderr and a non-zero exit, whichever server imported us.
        raise SystemExit(f"FocusQuest refuses to start: {problem}")
