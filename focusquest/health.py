"""/healthz: is each dependency up, and how far behind is the flush.

503 (with the reasons in `problems`, so any monitor alerts) when PostgreSQL or Redis is
down, when the oldest unflushed event is older than HEALTH_MAX_BACKLOG_AGE_SECONDS (a
flusher gone for hours leaves the app answering while the stream grows by about 300
bytes an event), when events PostgreSQL refused wait as dead letters, or when a node of
the live store is unreachable or a master has no connected replica in a cluster whose
masters should have one (`live_store` lists each node, its role and replica link).
`board_feeder` says whether a board feeder process keeps its heartbeat: without one the
elected pusher feeds the global boards, which is no problem, only a longer board lag under
load (docs/benchmarks.md).
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from gameplay import keys, safety, store
from pipeline import flush


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body: dict = {
        "status": "ok",
        "postgres": "ok",
        "redis": "ok",
        "backlog": None,
        "last_flush_at": None,
        "dead_letters": None,
        "board_feeder": None,
        "live_store": [],
        "problems": [],
    }
    problems = body["problems"]
    body["live_store"] = live_store_nodes(problems)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure to reach PostgreSQL means "down"
        body["postgres"] = f"error: {exc.__class__.__name__}"
        problems.append("postgres is unreachable")
    try:
        state = flush.backlog()
        body["backlog"] = {
            "pending_events": state["pending"],
            "oldest_age_seconds": state["oldest_age_seconds"],
        }
        body["last_flush_at"] = state["last_flush_at"]
        body["dead_letters"] = state["dead_letters"]
    except Exception as exc:  # any failure to reach Redis means "down"
        body["redis"] = f"error: {exc.__class__.__name__}"
        problems.append("redis is unreachable")
    else:
        age, limit = state["oldest_age_seconds"], settings.HEALTH_MAX_BACKLOG_AGE_SECONDS
        if age is not None and age > limit:
            problems.append(
                f"the oldest unflushed event is {age:.0f} s old (more than {limit:.0f} s): "
                "is the flush running?"
            )
        share = safety.memory_share()
        if share is not None and share > settings.HEALTH_MAX_MEMORY_SHARE:
            problems.append(
                f"the live store uses {share:.0%} of its maxmemory (more than "
                f"{settings.HEALTH_MAX_MEMORY_SHARE:.0%}): at 100% actions are refused"
            )
        unsafe = safety.store_safety_problem()
        if unsafe:
            problems.append(unsafe)
        if state["dead_letters"]:
            problems.append(
                f"{state['dead_letters']} events PostgreSQL refused wait as dead letters "
                "(manage.py dead_letters)"
            )
    body["board_feeder"] = board_feeder_running()
    body["status"] = "unavailable" if problems else "ok"
    response = JsonResponse(body, status=503 if problems else 200)
    if problems:
        response["Retry-After"] = str(settings.REDIS_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def board_feeder_running() -> bool | None:
    """Whether the board feeder's heartbeat stands on the plain Redis (leaderboard/feeder.py);
    None when that Redis does not answer (the backlog's read reports the outage)."""
    try:
        return bool(get_redis_connection("default").exists(keys.BOARD_FEEDER))
    except RedisError:
        return None


def live_store_nodes(problems: list[str]) -> list[dict]:
    """Each node of the live store (gameplay.store.node_states); what is wrong with them
    goes to `problems`."""
    try:
        nodes = store.node_states()
    except Exception as exc:  # no node answers: the backlog's read reports it too
        problems.append(f"no node of the live store answers ({exc.__class__.__name__})")
        return []
    for node in nodes:
        if not node["reachable"]:
            problems.append(f"live-store node {node['address']} is unreachable")
    replicas = [node for node in nodes if node["role"] == "replica"]
    if not (store.is_cluster() and replicas):
        return nodes
    listed = {node["master"] for node in replicas}
    linked = {node["master"] for node in replicas if node["master_link_status"] == "up"}
    for node in nodes:
        if node["role"] != "master" or not node["slots"] or node["address"] in linked:
            continue
        if node["address"] in listed:
            problems.append(
                f"live-store master {node['address']} has no connected replica: actions "
                "in its slots answer 503 until its replica is back"
            )
        else:
            problems.append(
                f"live-store master {node['address']} has no replica (a failover?): "
                "actions in its slots are held on it alone"
            )
    return nodes
