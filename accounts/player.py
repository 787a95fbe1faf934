"""The signed-in player of a request, as the services take them: an `accounts.User`.

Django and DRF type `request.user` as a user or AnonymousUser, whatever the view; the views
that call this one sit behind a permission (DRF's default IsAuthenticated, login_required,
the admin's staff check) that has already turned anonymous requests away.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


def player_of(request: HttpRequest | Request) -> User:
    """The request's player. An anonymous request reaching here is a view missing its
    permission: it is refused (403), never served as nobody's."""
    user = request.user
    if isinstance(user, User):
        return user
    raise PermissionDenied("Sign in first.")
