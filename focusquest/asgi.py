"""ASGI entry point: uvicorn serves the websockets (HTTP goes through gunicorn)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "focusquest.settings")

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from gameplay.safety import require_safe_store  # noqa: E402
from leaderboard.middleware import BrowserOriginValidator, TokenAuthMiddleware  # noqa: E402
from leaderboard.pusher import ensure_pusher, stop_pusher  # noqa: E402
from leaderboard.routing import websocket_urlpatterns  # noqa: E402

require_safe_store()


async def lifespan(scope, receive, send) -> None:
    """The pusher starts with the server, not with its first socket: it also feeds the
    global boards, which the HTTP API reads whether or not anyone watches a socket."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            ensure_pusher()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await stop_pusher()
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "lifespan": lifespan,
        # The session cookie first, then a token header (which wins when present).
        "websocket": BrowserOriginValidator(
            AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
