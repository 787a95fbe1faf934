"""Production is the default: DEBUG off, a secret key required, HTTPS settings that
`check --deploy` accepts without a warning."""

import subprocess
import sys

from gameplay.tests.servers import ROOT, project_env

# The production environment docs/architecture.md documents (behind the nginx proxy).
PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "focusquest.example",
    "CSRF_TRUSTED_ORIGINS": "https://focusquest.example",
    "SECURE_PROXY_SSL_HEADER": "true",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = project_env(**env)
    environment.pop("DJANGO_DEBUG", None)
    for name, value in env.items():
        environment[name] = value
    return subprocess.run(
        [sys.executable, *code.split()]
        if code.startswith("manage.py")
        else [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_is_off_unless_asked_for():
    shown = run(
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        **PRODUCTION,
    )

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "False"


def test_without_a_secret_key_production_refuses_to_start():
    refused = run("import django; django.setup()", DJANGO_SECRET_KEY="")

    assert refused.returncode == 1
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off." in refused.stderr


def test_check_deploy_prints_no_warning_with_the_documented_environment():
    checked = run("manage.py check --deploy --fail-level WARNING", **PRODUCTION)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_several_live_store_urls_are_only_a_clusters_seeds():
    refused = run(
        "import django; django.setup()",
        **PRODUCTION,
        LIVE_REDIS_URL="redis://10.0.0.1:6379/0,redis://10.0.0.2:6379/0",
        LIVE_REDIS_CLUSTER="false",
    )

    assert refused.returncode == 1
    assert "LIVE_REDIS_URL names several servers" in refused.stderr
