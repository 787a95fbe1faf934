"""Public live reads: the leaderboards and the community counters."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from common.inputs import QueryInput
from leaderboard.selectors import board_payload, community_payload


class EntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.IntegerField()
    display_name = serializers.CharField()
    points = serializers.IntegerField()


class LeaderboardQuery(QueryInput):
    board = serializers.ChoiceField(choices=["all", "week"], default="all")
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)


class Leaderboard(serializers.Serializer):
    board = serializers.ChoiceField(choices=["all", "week"])
    entries = EntrySerializer(many=True)
    me = inline_serializer(
        "BoardMe",
        {"rank": serializers.IntegerField(allow_null=True), "points": serializers.IntegerField()},
        allow_null=True,
    )


class Community(serializers.Serializer):
    date = serializers.DateField()
    focus_minutes = serializers.IntegerField()
    sessions = serializers.IntegerField()
    active_players = serializers.IntegerField()


class LeaderboardApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(parameters=[LeaderboardQuery], responses={200: Leaderboard})
    def get(self, request: Request) -> Response:
        params = LeaderboardQuery.read(request)
        me_id = request.user.pk if request.user.is_authenticated else None
        return Response(Leaderboard(board_payload(me_id=me_id, **params)).data)


class CommunityApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(responses={200: Community})
    def get(self, request: Request) -> Response:
        return Response(Community(community_payload()).data)
