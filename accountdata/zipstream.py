"""A ZIP archive written as it is sent: the standard library's zipfile, writing into a sink
that the generator empties every `CHUNK_BYTES`, so a member of any size never sits whole
in memory. zipfile handles an output it cannot seek: each member's sizes and CRC follow
its data (a data descriptor), and the central directory comes last, as usual.
"""

import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime

CHUNK_BYTES = 64 * 1024


class _Sink:
    """Write-only: what zipfile wrote since the generator last took it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


Member = tuple[str, Iterable[bytes]]


def zip_stream(members: Iterable[Member], *, moment: datetime) -> Iterator[bytes]:
    """The archive of `members` (a name, and its content as chunks, each read only when the
    archive reaches it), deflated, every entry dated `moment`, as chunks of about
    CHUNK_BYTES."""
    sink = _Sink()
    stamp = moment.timetuple()[:6]
    # The sink cannot seek: zipfile tracks the offsets itself.
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # a plain file, readable by all, when unpacked
            with archive.open(info, mode="w") as entry:
                for chunk in chunks:
                    entry.write(chunk)
                    if sink.size >= CHUNK_BYTES:
                        yield sink.take()
    tail = sink.take()
    if tail:
        yield tail
