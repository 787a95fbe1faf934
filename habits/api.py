"""HTTP API for habits and check-ins."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.player import player_of
from common import clock
from common.inputs import NoBody, QueryInput, StrictInput
from gameplay import rules
from habits.models import CheckIn, FrozenDay, Habit
from habits.selectors import habit_owned_active
from habits.services import (
    habit_check_in,
    habit_create,
    habit_delete,
    habit_rename,
    habit_states,
)


class ScheduleInput(StrictInput):
    kind = serializers.ChoiceField(choices=[rules.DAILY, rules.WEEKLY], default=rules.DAILY)
    rest_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        required=False,
        help_text="daily only: ISO weekdays (1 = Monday) the habit rests on, at most 6",
    )
    target = serializers.IntegerField(
        required=False, help_text="weekly only: check-ins a week, 1..6"
    )

    def validate(self, attrs: dict) -> rules.Schedule:
        kind, rest, target = attrs["kind"], attrs.get("rest_days", []), attrs.get("target", 0)
        refusal = rules.schedule_refusal(kind, rest, target)
        if refusal:
            raise serializers.ValidationError(refusal)
        return rules.Schedule(kind=kind, rest_days=frozenset(rest), target=target)


class HabitInput(StrictInput):
    name = serializers.CharField(min_length=1, max_length=80)
    schedule = ScheduleInput(required=False, help_text="daily (the default) or weekly; fixed")


class HabitRename(StrictInput):
    name = serializers.CharField(min_length=1, max_length=80, required=False)

    def to_internal_value(self, data):
        # Named apart from the other unknown fields: it is one, with a reason.
        if isinstance(data, Mapping) and "schedule" in data:
            raise serializers.ValidationError(
                {
                    "schedule": [
                        "A habit's schedule is fixed when it is created; "
                        "create a new habit to change it."
                    ]
                }
            )
        return super().to_internal_value(data)


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


class CheckInDay(serializers.Serializer):
    date = serializers.DateField()
    points_awarded = serializers.IntegerField()
    streak = serializers.IntegerField()
    frozen = serializers.BooleanField(help_text="a freeze was spent on this (unchecked) day")


class CheckInRange(QueryInput):
    # "from" is a Python keyword, so the fields are named here rather than as attributes.
    def get_fields(self) -> dict:
        return {
            "from": serializers.DateField(required=False, help_text="first day (YYYY-MM-DD)"),
            "to": serializers.DateField(required=False, help_text="last day (YYYY-MM-DD)"),
        }


class ScheduleOutput(serializers.Serializer):
    kind = serializers.CharField()
    rest_days = serializers.ListField(child=serializers.IntegerField(), required=False)
    target = serializers.IntegerField(required=False)


class WeekProgress(serializers.Serializer):
    done = serializers.IntegerField()
    target = serializers.IntegerField()


class HabitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    schedule = ScheduleOutput()
    streak_unit = serializers.ChoiceField(choices=["days", "weeks"])
    current_streak = serializers.IntegerField()
    longest_streak = serializers.IntegerField()
    checked_today = serializers.BooleanField()
    this_week = WeekProgress(required=False, help_text="weekly habits only")
    created_at = serializers.DateTimeField()


def schedule_payload(schedule: rules.Schedule) -> dict:
    if schedule.weekly:
        return {"kind": schedule.kind, "target": schedule.target}
    return {"kind": schedule.kind, "rest_days": sorted(schedule.rest_days)}


def _payload(habits: list[Habit], request: Request, *, new: bool = False) -> list[dict]:
    states = habit_states(player=player_of(request), habits=habits, now=clock.now(), settle=not new)
    payloads = []
    for habit in habits:
        state = states[habit.pk]
        payload = {
            "id": habit.pk,
            "name": habit.name,
            "schedule": schedule_payload(habit.schedule),
            "streak_unit": state.streak_unit,
            "current_streak": state.current_streak,
            "longest_streak": state.longest_streak,
            "checked_today": state.checked_today,
            "created_at": habit.created_at,
        }
        if state.this_week is not None:
            payload["this_week"] = state.this_week
        payloads.append(payload)
    return payloads


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
            HabitOutput(_payload([habit], request, new=True)[0]).data,
            status=status.HTTP_201_CREATED,
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
        bounds = {}
        if "from" in params:
            bounds["day__gte"] = params["from"]
        if "to" in params:
            bounds["day__lte"] = params["to"]
        check_ins = CheckIn.objects.filter(habit=habit, **bounds)
        frozen = FrozenDay.objects.filter(habit=habit, **bounds)
        days = [
            {"date": c.day, "points_awarded": c.points_awarded, "streak": c.streak, "frozen": False}
            for c in check_ins
        ] + [{"date": f.day, "points_awarded": 0, "streak": 0, "frozen": True} for f in frozen]
        return Response(CheckInDay(sorted(days, key=lambda d: d["date"]), many=True).data)
