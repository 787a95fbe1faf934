"""The Procfile's lines as the tests and benchmarks run them: the shell's expansion, with
the Procfile's defaults for what the caller leaves out."""

from pathlib import Path

import pytest

from devstack import procfile


def test_every_process_of_make_run_has_a_command_line():
    assert list(procfile.entries()) == ["web", "ws", "worker", "feeder", "beat"]
    for name in procfile.entries():
        argv = procfile.command(name)
        assert Path(argv[0]).name in {"gunicorn", "uvicorn", "celery", "python"}, argv


def test_the_variables_given_fill_the_line_and_the_rest_take_its_defaults():
    web = procfile.command("web", HOST="127.0.0.1", PORT=8123, WEB_CONCURRENCY=2)
    assert web[1:] == ["focusquest.wsgi:application", "--bind", "127.0.0.1:8123", "--workers", "2"]

    ws = procfile.command("ws", PORT=8123)
    assert ws[ws.index("--host") + 1] == "127.0.0.1"
    assert ws[ws.index("--port") + 1] == "8124"  # WS_PORT defaults to PORT + 1
    assert ws[ws.index("--workers") + 1] == "1"


def test_the_callers_environment_does_not_leak_into_the_line(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "9")
    web = procfile.command("web", PORT=8000)
    assert web[web.index("--workers") + 1] == "4"


def test_a_line_that_does_not_exec_its_program_is_refused(tmp_path):
    path = tmp_path / "Procfile"
    path.write_text("web: gunicorn app\n")
    with pytest.raises(ValueError, match="exec"):
        procfile.command("web", path)


def test_the_launchers_environment_names_what_the_procfile_reads(tmp_path):
    text = procfile.PROCFILE.read_text()
    found = procfile.variables(host="::", port=9000, ws_port=9001, beat_schedule=tmp_path / "s")
    for name in found:
        assert f"${name}" in text or f"${{{name}" in text, name
