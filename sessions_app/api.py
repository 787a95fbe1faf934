"""HTTP API for focus sessions: parse, call one service, serialize."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.player import player_of
from common import clock
from common.inputs import NoBody, StrictInput
from gameplay import rules
from sessions_app.models import FocusSession
from sessions_app.services import (
    SessionFinished,
    focus_session_abandon,
    focus_session_complete,
    focus_session_start,
)


class TotalsSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    level = serializers.IntegerField()
    weekly_points = serializers.IntegerField()


class FinishedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["completed"])
    focused_seconds = serializers.IntegerField()
    points_awarded = serializers.IntegerField()
    totals = TotalsSerializer()
    new_badges = serializers.ListField(child=serializers.CharField())


def finished_payload(finished: SessionFinished) -> dict:
    points = finished.totals["points"]
    return {
        "id": finished.id,
        "status": finished.status,
        "focused_seconds": finished.focused_seconds,
        "points_awarded": finished.points_awarded,
        "totals": {
            "points": points,
            "level": rules.level_for(points),
            "weekly_points": finished.totals["weekly"],
        },
        "new_badges": finished.new_badges,
    }


class SessionOutput(serializers.ModelSerializer):
    class Meta:
        model = FocusSession
        fields = [
            "id",
            "started_at",
            "ended_at",
            "planned_minutes",
            "status",
            "focused_seconds",
            "points_awarded",
            "habit_id",
        ]


class SessionStartInput(StrictInput):
    planned_minutes = serializers.IntegerField(
        min_value=rules.PLANNED_MINUTES_MIN, max_value=rules.PLANNED_MINUTES_MAX
    )
    habit_id = serializers.IntegerField(required=False, allow_null=True)


class SessionStarted(serializers.Serializer):
    id = serializers.UUIDField()
    started_at = serializers.DateTimeField()
    planned_minutes = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["running"])


class SessionCompleteInput(StrictInput):
    focused_seconds = serializers.IntegerField(
        min_value=0, max_value=rules.PLANNED_MINUTES_MAX * 60
    )


class SessionAbandoned(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["abandoned"])
    points_awarded = serializers.IntegerField()


class SessionListCreateApi(generics.ListAPIView):
    """GET: the player's sessions, newest first (history: may trail by one flush)."""

    serializer_class = SessionOutput

    def get_queryset(self):
        return FocusSession.objects.filter(player=self.request.user).order_by("-started_at")

    @extend_schema(
        request=SessionStartInput,
        responses={
            201: SessionStarted,
            409: inline_serializer(
                "SessionConflict",
                {"detail": serializers.CharField(), "running_session_id": serializers.UUIDField()},
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = SessionStartInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        started = focus_session_start(
            player=player_of(request),
            planned_minutes=serializer.validated_data["planned_minutes"],
            habit_id=serializer.validated_data.get("habit_id"),
            now=clock.now(),
        )
        return Response(SessionStarted(started).data, status=status.HTTP_201_CREATED)


class SessionCompleteApi(APIView):
    @extend_schema(request=SessionCompleteInput, responses={200: FinishedSerializer})
    def post(self, request: Request, session_id) -> Response:
        serializer = SessionCompleteInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        finished = focus_session_complete(
            player=player_of(request),
            session_id=str(session_id),
            focused_seconds=serializer.validated_data["focused_seconds"],
            now=clock.now(),
        )
        return Response(FinishedSerializer(finished_payload(finished)).data)


class SessionAbandonApi(APIView):
    @extend_schema(request=NoBody, responses={200: SessionAbandoned})
    def post(self, request: Request, session_id) -> Response:
        NoBody(data=request.data).is_valid(raise_exception=True)
        finished = focus_session_abandon(
            player=player_of(request), session_id=str(session_id), now=clock.now()
        )
        return Response(SessionAbandoned(finished).data)
