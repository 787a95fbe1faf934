"""Small typed helpers that read FocusQuest's configuration from the environment."""

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Django DATABASES entry for a ``postgres://`` URL.

    The host may be a socket directory, given percent-encoded in the host part or as
    ``?host=/dir`` (libpq's convention), which is how the embedded server is reached.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, got {parts.scheme!r}")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = query.pop("host", None) or unquote(parts.hostname or "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "focusquest",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": query,
    }


def celery_broker_from_redis_url(url: str) -> str:
    """Kombu names a unix-socket Redis ``redis+socket://``; redis-py names it ``unix://``."""
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    return url


@dataclass(frozen=True)
class EmailSettings:
    """Django's EMAIL_* settings, as EMAIL_URL gives them."""

    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False


# The schemes EMAIL_URL takes: plain SMTP, or SMTP upgraded to TLS with STARTTLS.
SMTP_SCHEMES = {"smtp": (False, 25), "smtp+tls": (True, 587)}


def email_from_url(url: str) -> EmailSettings:
    """Django's mail settings for EMAIL_URL: ``smtp://user:pass@host:port`` or
    ``smtp+tls://…`` (STARTTLS; port 587 unless given, 25 for plain SMTP), the user and
    password percent-encoded. Unset: the console backend, which prints each mail where it
    is sent (the Celery worker's output under `make run`)."""
    if not url:
        return EmailSettings(backend="django.core.mail.backends.console.EmailBackend")
    parts = urlsplit(url)
    if parts.scheme not in SMTP_SCHEMES:
        raise ImproperlyConfigured(
            f"EMAIL_URL must be an smtp:// or smtp+tls:// URL, got {parts.scheme!r}"
        )
    use_tls, default_port = SMTP_SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL has a bad port: {exc}") from exc
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL names no host")
    return EmailSettings(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
    )
