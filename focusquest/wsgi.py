"""WSGI entry point: gunicorn serves every HTTP request (see docs/architecture.md, Serving)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "focusquest.settings")

application = get_wsgi_application()

from gameplay.safety import require_safe_store  # noqa: E402  (needs the apps loaded)

require_safe_store()
