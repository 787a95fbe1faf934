"""/healthz: is each dependency up, and how far behind is the flush."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from gameplay import flush


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body: dict = {
        "status": "ok",
        "postgres": "ok",
        "redis": "ok",
        "backlog": None,
        "last_flush_at": None,
    }
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure to reach PostgreSQL means "down"
        body["postgres"] = f"error: {exc.__class__.__name__}"
    try:
        state = flush.backlog()
        body["backlog"] = {
            "pending_events": state["pending"],
            "oldest_age_seconds": state["oldest_age_seconds"],
        }
        body["last_flush_at"] = state["last_flush_at"]
    except Exception as exc:  # any failure to reach Redis means "down"
        body["redis"] = f"error: {exc.__class__.__name__}"
    healthy = body["postgres"] == "ok" and body["redis"] == "ok"
    body["status"] = "ok" if healthy else "unavailable"
    response = JsonResponse(body, status=200 if healthy else 503)
    if not healthy:
        response["Retry-After"] = "5"
    response["Cache-Control"] = "no-store"
    return response
