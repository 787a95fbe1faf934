"""The launcher without servers: the system-package check and how `manage` finds the
servers of a running `run`/`services`."""

import os
import stat
import subprocess

import pytest

from devstack import commands, layout, packages
from devstack.__main__ import main
from devstack.signals import Signals
from devstack.stack import Stack


@pytest.fixture
def nothing_on_path(monkeypatch):
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    monkeypatch.setattr(packages.shutil, "which", lambda name: None)


def test_not_root_one_line_with_the_command_and_a_failure(nothing_on_path, monkeypatch, capsys):
    monkeypatch.setattr(packages.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(packages.subprocess, "run", pytest.fail)

    assert main(["system-packages", "chromium", "wrk"]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "devstack: error: not installed: chromium wrk; run: sudo apt-get install chromium wrk"
    ]


def test_root_installs_only_the_missing_ones_quietly(monkeypatch, capsys):
    installed = {"chromium"}
    monkeypatch.setattr(packages.os, "geteuid", lambda: 0)
    monkeypatch.setattr(
        packages.shutil,
        "which",
        lambda name: f"/usr/bin/{name}" if name in installed or name == "apt-get" else None,
    )
    calls = []

    def fake_run(args, **kwargs):
        calls.append((args, kwargs["env"].get("DEBIAN_FRONTEND")))
        if args[1] == "install":
            installed.update(args[5:])
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(packages.subprocess, "run", fake_run)

    assert main(["system-packages", "chromium", "wrk"]) == 0

    assert calls == [
        (["apt-get", "update", "-qq"], "noninteractive"),
        (["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], "noninteractive"),
    ]
    assert capsys.readouterr().err.count("\n") == 1  # the one line saying what it installs


def test_nothing_missing_runs_nothing(monkeypatch):
    monkeypatch.setattr(packages.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(packages.subprocess, "run", pytest.fail)
    assert main(["system-packages"]) == 0


def test_chromium_path_stands_in_for_chromium(nothing_on_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", "/opt/chromium/chrome")
    assert packages.missing_system_packages(["chromium", "wrk"]) == ["wrk"]


def test_manage_uses_what_a_running_stack_published(monkeypatch, tmp_path):
    monkeypatch.setattr(layout, "DATA_ROOT", tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    running = Stack("run", Signals())
    running.acquire_lock()
    running.database_url = "postgres://u@/db?host=/some dir"
    running.redis_url = "unix:///some dir/redis.sock?db=0"
    running.publish()
    env_file = running.layout.services_env
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")  # the environment wins
    joining = Stack("run", Signals())
    commands.join_or_start(joining)
    assert joining.database_url == "postgres://u@/db?host=/some dir"
    assert joining.redis_url == "redis://127.0.0.1:6379/3"
    assert joining.lock is None and not joining.started_anything

    running.stop()
    assert not env_file.exists()
