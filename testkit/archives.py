"""ZIP archives for the export and import tests: an export answer read back, and an upload
made from named members."""

import io
import json
import zipfile
from collections.abc import Mapping

from django.core.files.uploadedfile import SimpleUploadedFile


def export_members(response) -> dict[str, bytes]:
    """Each member of a streamed export answer, by name, in the archive's order."""
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None  # every member's CRC checks out
        return {name: archive.read(name) for name in archive.namelist()}


def export_document(response) -> dict:
    return json.loads(export_members(response)["focusquest.json"])


def zip_of(members: Mapping[str, bytes | str]) -> bytes:
    """An archive of these members, in this order, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def upload(content: bytes, name: str = "export.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/zip")


def post_import(client, content: bytes, *, commit, name: str = "export.zip", **fields):
    """POST /api/me/import with `content` as its file; `commit` is pytest-django's
    django_capture_on_commit_callbacks, so what the import does after COMMIT (the live
    store's part) runs inside the test's transaction."""
    with commit(execute=True):
        return client.post(
            "/api/me/import", {"file": upload(content, name), **fields}, format="multipart"
        )
