"""Websocket authentication by `Authorization: Token <key>`, beside the session cookie."""

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token


@database_sync_to_async
def _user_for(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


class TokenAuthMiddleware(BaseMiddleware):
    """A token header, when present, decides who the socket is; a bad one is refused."""

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        header = headers.get(b"authorization", b"").decode("latin-1")
        if header:
            scheme, _, key = header.partition(" ")
            user = await _user_for(key.strip()) if scheme.lower() == "token" else None
            scope = dict(scope)
            if user is None:
                scope["user"] = AnonymousUser()
                scope["token_error"] = True
            else:
                scope["user"] = user
                scope["token_key"] = key.strip()
        return await super().__call__(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """Refuse sockets opened by pages of other sites (they would ride the player's
    cookie); clients that send no Origin at all are not browsers and carry no cookie."""

    def __init__(self, application):
        allowed = list(settings.ALLOWED_HOSTS) or ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed)

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)
