"""The bases of the API's input serializers: a request body that names a field the
endpoint does not know is refused, and query parameters are read strictly."""

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.request import Request


class StrictInput(serializers.Serializer):
    # The base of every request-body serializer (a comment, not a docstring: the schema
    # would show it as each body's description). A field the endpoint does not know is
    # refused (400, named), not ignored: {"day": "yesterday"} must not check in today.

    unknown_field_message = "Unknown field."

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            known = {field.field_name for field in self._writable_fields}
            unknown = {key: [self.unknown_field_message] for key in data if key not in known}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class NoBody(StrictInput):
    """The body of an endpoint that takes none: empty, or `{}`."""


class QueryInput(serializers.Serializer):
    """Base of the query-parameter serializers. A parameter given empty (`?board=`) is
    a value outside its set (400), not a missing one; unknown parameters are ignored
    (pagination's `page`, a browser's cache-buster)."""

    @classmethod
    def read(cls, request: Request) -> dict:
        # A plain dict: DRF treats '' in a QueryDict as "not given" and falls back to the
        # default, which would answer ?board= with the `all` board.
        params = cls(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        return params.validated_data
