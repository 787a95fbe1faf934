"""Browser tests: Debian's Chromium, driven by pytest-playwright, against the whole stack.

The stack runs as real processes on the test databases, started once for this folder:
gunicorn (HTTP), uvicorn (websockets), and a Celery worker with embedded beat flushing
every second. Pages learn the websocket server's address from WS_PUBLIC_URL, as in production.

Playwright cannot download its own browsers here, so it launches the system's Chromium
(`apt-get install chromium`; CHROMIUM_PATH overrides where it is looked for).
"""

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright

from accounts.models import User
from devstack import procfile
from devstack.processes import free_port, http_ok, process
from gameplay import keys, live
from gameplay.tests.servers import celery_worker, gunicorn, project_env
from habits.services import habit_check_in, habit_create
from pipeline.flush import backlog
from sessions_app.services import focus_session_complete, focus_session_start

FLUSH_INTERVAL_SECONDS = "1"
# Without the background-networking switches Chromium keeps calling home, which on a
# closed network means a flood of refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed: `sudo apt-get install chromium` (or `make test`).")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}


# Playwright's sync API keeps an asyncio loop running on the main thread while it is up,
# and Django refuses ORM calls beside a running loop. So Playwright lives only as long as
# this folder's tests (not the whole session, where it would break the tests after these),
# and only for that time may this process call the ORM beside its loop. The servers it
# drives never get that permission (ASYNC_UNSAFE_OFF).
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
ASYNC_UNSAFE_OFF = {ASYNC_UNSAFE: ""}


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    runner = sync_playwright().start()
    try:
        yield runner
    finally:
        runner.stop()
        if previous is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args: dict, browser_type: BrowserType):
    return lambda **kwargs: browser_type.launch(**{**browser_type_launch_args, **kwargs})


@pytest.fixture(scope="package")
def browser(launch_browser) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(stack) -> dict:
    # Pages open relative URLs on the stack's gunicorn.
    return {"base_url": stack.http}


# --- The stack ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    http: str
    ws: str


@contextlib.contextmanager
def websocket_server(*, log: Path | None = None, **env_overrides: str) -> Iterator[str]:
    """The Procfile's websocket server (uvicorn) on a free port; yields its ws:// base URL."""
    port = free_port()
    args = procfile.command("ws", HOST="127.0.0.1", PORT=port, WS_PORT=port)
    # The ASGI app answers HTTP too, so /healthz tells when it is up.
    ready = lambda: http_ok(f"http://127.0.0.1:{port}/healthz")  # noqa: E731
    with process(args, env=project_env(**env_overrides), ready=ready, log=log):
        yield f"ws://127.0.0.1:{port}"


@pytest.fixture(scope="package")
def stack(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Stack]:
    """gunicorn + uvicorn + Celery worker and beat, for every test in this folder.

    Package-scoped so that it stops before the rest of the suite runs: a stray flusher
    would take events from under other tests.
    """
    logs = tmp_path_factory.mktemp("stack")
    env = {"FLUSH_INTERVAL_SECONDS": FLUSH_INTERVAL_SECONDS, **ASYNC_UNSAFE_OFF}
    with (
        websocket_server(log=logs / "uvicorn.log", **env) as ws,
        gunicorn(workers=2, WS_PUBLIC_URL=ws, **env) as http,
        celery_worker(beat_schedule=logs / "beat-schedule", **env),
    ):
        yield Stack(http=http, ws=ws)


@pytest.fixture(autouse=True)
def clean_redis(transactional_db):
    """Empties the app's keys before each test, but not the whole database: the running
    Celery worker keeps its queue bindings there, and the channel layer its groups.

    After the test it waits until the flush has written every event (a flush deletes
    its events from the stream only after its COMMIT), so that emptying the tables
    afterwards cannot race a flush writing to them.
    """
    client = live.client()
    for pattern in ("fq:{*", "fq:cache:*"):
        batch = list(client.scan_iter(match=pattern, count=1000))
        if batch:
            client.delete(*batch)
    yield
    wait_for_flush()


# --- Helpers --------------------------------------------------------------------------------


def log_in(context, player: User, stack: Stack) -> None:
    """Gives a browser context the player's session cookie (as logging in would)."""
    client = Client()
    client.force_login(player)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": stack.http}])


def backdate_running_session(player: User, *, minutes: int) -> None:
    """Moves the running session's start back by `minutes`.

    `started` (epoch microseconds) in the running-session hash is the start that the
    service layer recorded and that a completion is checked against; moving it back
    stands for having waited that long.
    """
    client = live.client()
    key = keys.running_session(player.pk)
    started = client.hget(key, "started")
    assert started is not None, "no running session to back-date"
    client.hset(key, "started", int(started) - minutes * 60 * 1_000_000)


def wait_for_flush(timeout: float = 15) -> None:
    """Until the Celery beat's flush has written every pending event to PostgreSQL."""
    deadline = time.monotonic() + timeout
    while backlog()["pending"]:
        assert time.monotonic() < deadline, f"events still pending: {backlog()}"
        time.sleep(0.2)


def seed_history(player: User, *, days: int, now: datetime, habits: tuple[str, ...]) -> None:
    """`days` of varied history ending yesterday, through the services, oldest first."""
    created = [habit_create(player=player, name=name) for name in habits]
    for back in range(days, 0, -1):
        moment = now - timedelta(days=back)
        minutes = (25, 50, 0, 25, 90, 50, 25)[back % 7]
        if minutes:
            started = focus_session_start(
                player=player, planned_minutes=minutes, habit_id=None, now=moment
            )
            focus_session_complete(
                player=player,
                session_id=started.id,
                focused_seconds=minutes * 60,
                now=moment + timedelta(minutes=minutes),
            )
        for index, habit in enumerate(created):
            if (back + index) % 5 != 3:  # a missed day now and then
                later = moment + timedelta(hours=2)
                habit_check_in(player=player, habit=habit, day=None, now=later)


def complete_session(player: User, *, minutes: int, now: datetime) -> None:
    """A whole focus session of `minutes`, ending at `now`, through the services."""
    started = focus_session_start(
        player=player, planned_minutes=minutes, habit_id=None, now=now - timedelta(minutes=minutes)
    )
    focus_session_complete(
        player=player, session_id=started.id, focused_seconds=minutes * 60, now=now
    )
