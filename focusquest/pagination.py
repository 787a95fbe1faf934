"""The API's pagination (GET /api/sessions)."""

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class PageNumbers(PageNumberPagination):
    """?page= is a positive integer: anything else is 400, a page past the last 404."""

    last_page_strings = ()

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise serializers.ValidationError(
                {self.page_query_param: ["A page number is a positive integer."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters
