"""The import's upload, capped: 413 past IMPORT_MAX_UPLOAD_BYTES (and a little for the
multipart framing), answered from the Content-Length before a byte of the body is read,
and again while it is read, should the body run longer than it said. Installed before
anything reads the body: a browser's session is checked for its CSRF token by reading the
form, which would otherwise take the whole upload first."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from rest_framework import status
from rest_framework.exceptions import APIException

# The multipart framing around the file: boundaries, the part's headers, a CSRF field.
FRAMING_BYTES = 64 * 1024


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"

    def __init__(self) -> None:
        megabytes = settings.IMPORT_MAX_UPLOAD_BYTES / (1024 * 1024)
        super().__init__(f"The file is larger than an import takes ({megabytes:g} MB).")


def limit() -> int:
    return settings.IMPORT_MAX_UPLOAD_BYTES + FRAMING_BYTES


class CappedUpload(FileUploadHandler):
    """First of the upload handlers: counts the file's bytes as they arrive and stops the
    request past the limit; passes every chunk on to the usual handlers."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > limit():
            raise UploadTooLarge()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > limit():
            raise UploadTooLarge()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler keeps the file


def cap_upload(request: HttpRequest) -> None:
    """Refuse a body declared too large (413), and cap the one that is read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit():
        raise UploadTooLarge()
    request.upload_handlers.insert(0, CappedUpload(request))
