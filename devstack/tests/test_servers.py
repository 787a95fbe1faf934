"""The one redis-server start the launcher, the tests and the benchmarks share."""

import pytest

from devstack import DevstackError
from devstack.servers import redis_args, redis_ping, redis_start


def test_a_private_redis_answers_on_its_socket_with_the_live_stores_durability(tmp_path):
    socket_path = tmp_path / "redis.sock"
    proc = redis_start(socket_path, tmp_path, timeout=10)
    try:
        assert redis_ping(socket_path)
        args = redis_args(socket_path, tmp_path)
        assert args[args.index("--appendonly") + 1] == "yes"
        assert args[args.index("--port") + 1] == "0"
    finally:
        proc.kill()
        proc.wait()
    assert not redis_ping(socket_path)


def test_a_redis_that_cannot_start_is_one_line_not_a_hang(tmp_path):
    with pytest.raises(DevstackError, match="redis-server exited"):
        redis_start(tmp_path / "redis.sock", tmp_path / "missing", timeout=10)
