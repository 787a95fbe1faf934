"""The local launcher (`python -m devstack`, what the make targets run) and the pieces of it
that the tests and benchmarks share: the embedded servers, the Procfile's command lines,
and starting and stopping processes.

Standard library only: `make system-packages` runs it with the system's python3 before
.venv exists, and the launcher prepares the environment the app reads before the app is
importable.
"""
