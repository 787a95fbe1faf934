"""HTTP API for habits and check-ins."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.player import player_of
from common import clock
from common.inputs import NoBody, QueryInput, StrictInput
from habits.models import CheckIn, Habit
from habits.selectors import habit_owned_active
from habits.services import (
    habit_check_in,
    habit_create,
    habit_delete,
    habit_rename,
    habit_states,
)


class HabitInput(StrictInput):
    name = serializers.CharField(min_length=1, max_length=80)


class HabitRename(StrictInput):
    name = serializers.CharField(min_length=1, max_length=80, required=False)


class CheckInInput(StrictInput):
    date = serializers.DateField(
        required=False, help_text="today (the default) or yesterday, YYYY-MM-DD"
    )


class CheckInStreak(serializers.Serializer):
    current = serializers.IntegerField()
    longest = serializers.IntegerField()


class CheckInOutput(serializers.Serializer):
    date = serializers.DateField()
    points_awarded = serializers.IntegerField()
    streak = CheckInStreak()
    new_badges = serializers.ListField(child=serializers.CharField())


class CheckInDay(serializers.ModelSerializer):
    date = serializers.DateField(source="day")

    class Meta:
        model = CheckIn
        fields = ["date", "points_awarded", "streak"]


class CheckInRange(QueryInput):
    # "from" is a Python keyword, so the fields are named here rather than as attributes.
    def get_fields(self) -> dict:
        return {
            "from": serializers.DateField(required=False, help_text="first day (YYYY-MM-DD)"),
            "to": serializers.DateField(required=False, help_text="last day (YYYY-MM-DD)"),
        }


class HabitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    current_streak = serializers.IntegerField()
    longest_streak = serializers.IntegerField()
    checked_today = serializers.BooleanField()
    created_at = serializers.DateTimeField()


def _payload(habits: list[Habit], request: Request) -> list[dict]:
    states = habit_states(player=player_of(request), habits=habits, now=clock.now())
    return [
        {
            "id": habit.pk,
            "name": habit.name,
            "current_streak": states[habit.pk].current_streak,
            "longest_streak": states[habit.pk].longest_streak,
            "checked_today": states[habit.pk].checked_today,
            "created_at": habit.created_at,
        }
        for habit in habits
    ]


class HabitListApi(APIView):
    @extend_schema(responses={200: HabitOutput(many=True)})
    def get(self, request: Request) -> Response:
        habits = list(Habit.objects.active().filter(player=player_of(request)))
        return Response(HabitOutput(_payload(habits, request), many=True).data)

    @extend_schema(request=HabitInput, responses={201: HabitOutput})
    def post(self, request: Request) -> Response:
        serializer = HabitInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        habit = habit_create(
            player=player_of(request), now=clock.now(), **serializer.validated_data
        )
        return Response(
            HabitOutput(_payload([habit], request)[0]).data, status=status.HTTP_201_CREATED
        )


class HabitDetailApi(APIView):
    @extend_schema(responses={200: HabitOutput})
    def get(self, request: Request, habit_id: int) -> Response:
        habit = habit_owned_active(player=player_of(request), habit_id=habit_id)
        return Response(HabitOutput(_payload([habit], request)[0]).data)

    @extend_schema(request=HabitRename, responses={200: HabitOutput})
    def patch(self, request: Request, habit_id: int) -> Response:
        habit = habit_owned_active(player=player_of(request), habit_id=habit_id)
        serializer = HabitRename(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "name" in serializer.validated_data:
            habit = habit_rename(habit=habit, name=serializer.validated_data["name"])
        return Response(HabitOutput(_payload([habit], request)[0]).data)

    @extend_schema(request=NoBody, responses={204: None})
    def delete(self, request: Request, habit_id: int) -> Response:
        NoBody(data=request.data).is_valid(raise_exception=True)
        habit_delete(
            habit=habit_owned_active(player=player_of(request), habit_id=habit_id), now=clock.now()
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckInApi(APIView):
    @extend_schema(request=CheckInInput, responses={201: CheckInOutput, 200: CheckInOutput})
    def post(self, request: Request, habit_id: int) -> Response:
        # The gamified path: the habit comes from the cache (see habits.selectors).
        habit = habit_owned_active(player=player_of(request), habit_id=habit_id)
        serializer = CheckInInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = habit_check_in(
            player=player_of(request),
            habit=habit,
            day=serializer.validated_data.get("date"),
            now=clock.now(),
        )
        data = {
            "date": result.day,
            "points_awarded": result.points_awarded,
            "streak": {"current": result.current_streak, "longest": result.longest_streak},
            "new_badges": result.new_badges,
        }
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(CheckInOutput(data).data, status=code)

    @extend_schema(parameters=[CheckInRange], responses={200: CheckInDay(many=True)})
    def get(self, request: Request, habit_id: int) -> Response:
        habit = habit_owned_active(player=player_of(request), habit_id=habit_id)
        params = CheckInRange.read(request)
        check_ins = CheckIn.objects.filter(habit=habit)
        if "from" in params:
            check_ins = check_ins.filter(day__gte=params["from"])
        if "to" in params:
            check_ins = check_ins.filter(day__lte=params["to"])
        return Response(CheckInDay(check_ins.order_by("day"), many=True).data)
