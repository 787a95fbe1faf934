"""HTTP API for a player's vacations: `GET, POST /api/vacations`, `DELETE
/api/vacations/{id}`."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.player import player_of
from common import clock
from common.inputs import NoBody, StrictInput
from gameplay.vacations import Vacation
from vacations.services import vacation_add, vacation_take_back, vacations_list
from vacations.throttles import ThrottledChanges

CONFLICT = inline_serializer("VacationConflict", {"detail": serializers.CharField()})


class VacationInput(StrictInput):
    start = serializers.DateField(
        help_text="its first day (YYYY-MM-DD, the player's local day): yesterday at the earliest"
    )
    end = serializers.DateField(
        help_text="its last day, included: at most 30 days after its first, 60 in a year"
    )


class VacationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    start = serializers.DateField()
    end = serializers.DateField()


def _payload(vacation: Vacation) -> dict:
    return VacationOutput({"id": vacation.id, "start": vacation.start, "end": vacation.end}).data


class VacationListApi(ThrottledChanges, APIView):
    @extend_schema(responses={200: VacationOutput(many=True)})
    def get(self, request: Request) -> Response:
        """The player's vacations (live values), ordered by their first day."""
        return Response([_payload(v) for v in vacations_list(player=player_of(request))])

    @extend_schema(
        request=VacationInput,
        responses={201: VacationOutput, 200: VacationOutput, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        """Add a vacation: its days are skip days of every habit. 409 when it overlaps
        another of the player's; the same vacation again answers 200 with the one held."""
        serializer = VacationInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        added = vacation_add(
            player=player_of(request),
            start=serializer.validated_data["start"],
            end=serializer.validated_data["end"],
            now=clock.now(),
        )
        code = status.HTTP_201_CREATED if added.created else status.HTTP_200_OK
        return Response(_payload(added.vacation), status=code)


class VacationDetailApi(ThrottledChanges, APIView):
    @extend_schema(request=NoBody, responses={204: None, 409: CONFLICT})
    def delete(self, request: Request, vacation_id) -> Response:
        """Take a vacation back: one not yet begun is removed, one under way ends
        yesterday (removed when it began today); one already over is a 409."""
        NoBody(data=request.data).is_valid(raise_exception=True)
        vacation_take_back(player=player_of(request), vacation_id=str(vacation_id), now=clock.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
