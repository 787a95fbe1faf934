"""Just enough of the Redis protocol (RESP2) to configure and watch servers devstack
started: one command at a time, replies parsed into str, int, list or None.

devstack runs before the venv's packages are importable (and `make system-packages` under
the system's python3), so it cannot lean on redis-py; the app and the tests use redis-py.
"""

from __future__ import annotations

import socket
from typing import TypeAlias

Reply: TypeAlias = str | int | list["Reply"] | None


class ReplyError(Exception):
    """The server answered with an error (`-ERR ...`)."""


class Connection:
    """One TCP connection to a server; a context manager that closes it."""

    def __init__(self, port: int, *, host: str = "127.0.0.1", timeout: float = 2.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def call(self, *args: str | int) -> Reply:
        parts = [str(arg).encode() for arg in args]
        request = b"*%d\r\n" % len(parts) + b"".join(
            b"$%d\r\n%s\r\n" % (len(part), part) for part in parts
        )
        self.sock.sendall(request)
        return self._read()

    def _read(self) -> Reply:
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed mid-reply")
        kind, body = line[:1], line[1:-2].decode()
        if kind == b"+":
            return body
        if kind == b"-":
            raise ReplyError(body)
        if kind == b":":
            return int(body)
        if kind == b"$":
            if int(body) < 0:
                return None
            data = self.file.read(int(body) + 2)
            return data[:-2].decode()
        if kind == b"*":
            return None if int(body) < 0 else [self._read() for _ in range(int(body))]
        raise ConnectionError(f"unexpected reply {line[:40]!r}")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def call(port: int, *args: str | int, timeout: float = 2.0) -> Reply:
    """One command on a connection of its own."""
    with Connection(port, timeout=timeout) as connection:
        return connection.call(*args)


def info_fields(text: Reply) -> dict[str, str]:
    """`INFO` / `CLUSTER INFO` text as a dict of its `name:value` lines."""
    fields = {}
    for line in str(text).splitlines():
        name, sep, value = line.partition(":")
        if sep and not name.startswith("#"):
            fields[name] = value.strip()
    return fields
