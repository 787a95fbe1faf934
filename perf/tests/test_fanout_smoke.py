"""The fan-out benchmark runs end to end at a tiny size and reports every figure."""

import pytest

from perf.tests.runner import run_bench

pytestmark = pytest.mark.live


def test_both_servers_push_to_every_socket_and_every_figure_is_measured(tmp_path):
    # It empties REDIS_URL's database, as the tests do.
    completed = run_bench(
        "perf.fanout", "--sockets", "40", "--seconds", "4", "--out", str(tmp_path)
    )
    rows = [line.split("|")[1:-1] for line in completed.stdout.splitlines()[2:]]
    assert [row[0].strip() for row in rows] == ["daphne", "uvicorn"]
    for row in rows:
        sockets, frames, cores = (float(cell.replace(",", "")) for cell in row[1:4])
        assert sockets == 40
        # Three frames per socket on connect, then snapshots as the boards move.
        assert frames >= 40 * 3
        assert cores > 0
        wait_p50, wait_p95 = (float(v) for v in row[6].split("/"))
        assert 0 < wait_p50 <= wait_p95 < 2.0  # the product's bound: within 2 s
