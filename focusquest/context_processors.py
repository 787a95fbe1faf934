from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"WS_PUBLIC_URL": settings.WS_PUBLIC_URL}
