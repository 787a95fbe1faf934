"""The API's one body parser: a JSON object, or 400 (ParseError) with nothing read further.

The browser's scripts send JSON too (static/js/api.js); forms post to the pages' own views,
not to the API, so DRF's form and multipart parsers are not enabled.
"""

import codecs
from collections.abc import Mapping

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.utils import json

JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number"}
JSON_TYPES.update({bool: "a boolean", type(None): "null"})

# No request body of the API nests: {"name": ...} is depth 1. Anything much deeper is
# refused before a serializer (or an error message) walks it.
MAX_BODY_DEPTH = 8


def _refusal(data: object) -> str | None:
    """Why a parsed body is refused: too deep, or a NUL character in a key or a string.
    Iterative, so no body can exhaust the stack here."""
    pending: list[tuple[object, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            return f"the body nests deeper than {MAX_BODY_DEPTH} levels."
        if isinstance(value, str):
            if "\x00" in value:
                return "the body holds a NUL character."
        elif isinstance(value, Mapping):
            for key, item in value.items():
                pending.append((key, depth + 1))
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return None


class JSONObjectParser(BaseParser):
    """A JSON object; an array, a deep nest, a NUL character or bad JSON is a ParseError."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None) -> dict:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            # DRF's json.load passes the reader to the standard one, which only reads it;
            # its stubs want a whole IO[str], which a codecs reader is not declared as.
            data = json.load(
                codecs.getreader(encoding)(stream),  # type: ignore[arg-type]
                parse_constant=json.strict_constant if api_settings.STRICT_JSON else None,
            )
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body nests too deeply.") from exc
        except ValueError as exc:  # bad JSON, bad encoding, a number too long to read
            raise ParseError(f"JSON parse error - {exc}") from exc
        if not isinstance(data, dict):
            raise ParseError(f"Expected a JSON object, but got {JSON_TYPES[type(data)]}.")
        refusal = _refusal(data)
        if refusal:
            raise ParseError(f"JSON parse error - {refusal}")
        return data
