"""Browser tests: Debian's Chromium, driven by pytest-playwright, against the whole stack.

The stack runs as real processes on the test databases, started once for this folder:
gunicorn (HTTP), uvicorn (websockets), and a Celery worker with embedded beat flushing
every second. Pages learn the websocket server's address from WS_PUBLIC_URL, as in production.
The worker sends mail to an SMTP server on `stack.smtp_port` (EMAIL_URL), which a test that
reads the mail starts there itself.

Playwright cannot download its own browsers here, so it launches the system's Chromium
(`apt-get install chromium`; CHROMIUM_PATH overrides where it is looked for).
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright

from devstack.processes import free_port
from gameplay import live
from gameplay.tests.servers import celery_worker, gunicorn, websocket_server
from testkit.actions import wait_for_flush

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
    smtp_port: int


@pytest.fixture(scope="package")
def stack(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Stack]:
    """gunicorn + uvicorn + Celery worker and beat, for every test in this folder.

    Package-scoped so that it stops before the rest of the suite runs: a stray flusher
    would take events from under other tests.
    """
    logs = tmp_path_factory.mktemp("stack")
    smtp_port = free_port()
    env = {
        "FLUSH_INTERVAL_SECONDS": FLUSH_INTERVAL_SECONDS,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        **ASYNC_UNSAFE_OFF,
    }
    with (
        websocket_server(log=logs / "uvicorn.log", **env) as ws,
        gunicorn(workers=2, log=logs / "gunicorn.log", WS_PUBLIC_URL=ws.url, **env) as http,
        celery_worker(beat_schedule=logs / "beat-schedule", log=logs / "worker.log", **env),
    ):
        yield Stack(http=http, ws=ws.url, smtp_port=smtp_port)


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
