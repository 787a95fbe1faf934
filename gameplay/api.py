"""HTTP API for the player's history: stats by local day."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from focusquest import clock
from focusquest.actors import actor_for
from focusquest.api import QueryInput
from gameplay.selectors import player_stats


class StatsQuery(QueryInput):
    days = serializers.IntegerField(min_value=1, max_value=365, default=28)


class StatsApi(APIView):
    @extend_schema(
        parameters=[StatsQuery],
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
        params = StatsQuery.read(request)
        today = actor_for(request.user).day(clock.now())
        days = player_stats(player_id=request.user.pk, today=today, days=params["days"])
        return Response({"days": days})
