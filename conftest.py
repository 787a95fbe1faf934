"""The shared fixtures live in testkit/fixtures.py and testkit/cluster.py (pytest plugins)
and the helpers in testkit/: tests import them from there, never from a conftest."""

pytest_plugins = ["testkit.fixtures", "testkit.cluster"]
