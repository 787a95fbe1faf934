"""HTTP API for the player's history: stats by local day."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from focusquest import clock
from focusquest.actors import actor_for
from gameplay.selectors import player_stats


class StatsApi(APIView):
    class InputSerializer(serializers.Serializer):
        days = serializers.IntegerField(min_value=1, max_value=365, default=28)

    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="1..365, default 28")],
        responses={
            200: inline_serializer(
                "Stats",
                {
                    "days": inline_serializer(
                        "StatsDay",
                        {
                            "date": serializers.DateField(),
                            "focus_minutes": serializers.IntegerField(),
                            "sessions": serializers.IntegerField(),
                            "check_ins": serializers.IntegerField(),
                            "points": serializers.IntegerField(),
                        },
                        many=True,
                    )
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        today = actor_for(request.user).day(clock.now())
        days = player_stats(player=request.user, today=today, days=params.validated_data["days"])
        return Response({"days": days})
