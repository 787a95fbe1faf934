"""The shared fixtures live in testkit/fixtures.py (a pytest plugin) and the helpers in
testkit/: tests import them from there, never from a conftest."""

pytest_plugins = ["testkit.fixtures"]
