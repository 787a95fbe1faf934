"""`GET /api/me/export` (a ZIP, streamed) and `POST /api/me/import` (multipart `file`)."""

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accountdata.services import ImportNotLive, account_export, account_import
from accountdata.throttles import AccountDataThrottle
from accountdata.uploads import cap_upload
from accounts.player import player_of
from common import clock
from common.inputs import StrictInput
from pipeline.player_flush import ShardBusy

ERROR = {"$ref": "#/components/schemas/ErrorDetail"}
RETRY_SECONDS = 5


class FlushBusy(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "Your latest actions are still on their way to your history; try again shortly."
    )
    default_code = "flush_busy"


class AccountDataView(APIView):
    """Its refusals are JSON whatever the client accepts (a client asking for the ZIP, say);
    a 503 says when to retry."""

    throttle_classes = [AccountDataThrottle]

    def perform_content_negotiation(self, request, force=False):
        # JSON, the one renderer, for every answer that is not the ZIP itself.
        return super().perform_content_negotiation(request, force=True)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, FlushBusy | ImportNotLive):
            response["Retry-After"] = str(RETRY_SECONDS)
        return response


class ExportApi(AccountDataView):
    @extend_schema(
        operation_id="me_export",
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="focusquest.json and one CSV per table, streamed, as an "
                "attachment named focusquest-<username>-<date>.zip",
            )
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        try:
            export = account_export(player=player_of(request), now=clock.now())
        except ShardBusy as exc:
            raise FlushBusy() from exc
        response = StreamingHttpResponse(export.chunks, content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(True, export.filename)
        response["Cache-Control"] = "no-store"
        return response


class ImportInput(StrictInput):
    file = serializers.FileField(
        help_text="a FocusQuest export, or a Loop Habit Tracker CSV export (ZIP)"
    )


class ImportOutput(serializers.Serializer):
    habits = serializers.IntegerField(help_text="habits made")
    check_ins = serializers.IntegerField(help_text="check-ins added")


class ImportApi(AccountDataView):
    parser_classes = [MultiPartParser]

    def initial(self, request: Request, *args, **kwargs) -> None:
        # Before authentication: a session's CSRF check reads the form, the file with it.
        cap_upload(request._request)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, UnsupportedMediaType):
            exc = ParseError(
                f"{exc.detail} Send the file as multipart/form-data, in the field `file`."
            )
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="me_import",
        request={"multipart/form-data": ImportInput},
        responses={
            200: ImportOutput,
            413: OpenApiResponse(ERROR, description="The file is larger than an import takes."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ImportInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            imported = account_import(
                player=player_of(request),
                upload=serializer.validated_data["file"],
                now=clock.now(),
            )
        except ShardBusy as exc:
            raise FlushBusy() from exc
        answer = {"habits": imported.habits, "check_ins": imported.check_ins}
        return Response(ImportOutput(answer).data)
