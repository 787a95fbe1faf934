"""HTTP API for accounts: sign-up, tokens, passwords, the player's own profile with live
values."""

from django.contrib.auth import authenticate, logout, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.passwords import password_change, password_reset_request
from accounts.player import player_of
from accounts.selectors import NAME_TAKEN, public_name_taken
from accounts.services import player_delete, player_logout, player_register, player_update
from accounts.throttles import AUTH_THROTTLES, RESET_THROTTLES
from accounts.validators import validate_timezone
from common import clock
from common.inputs import NoBody, QueryInput, StrictInput
from gameplay import live, rules
from gameplay.selectors import player_stats


class ProfileFields(StrictInput):
    display_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)
    day_start_hour = serializers.IntegerField(min_value=0, max_value=23, required=False)

    def validate_timezone(self, value: str) -> str:
        try:
            validate_timezone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value

    def validate_display_name(self, value: str) -> str:
        player = self.context.get("player")
        if value and public_name_taken(value, player_pk=player.pk if player else None):
            raise serializers.ValidationError(NAME_TAKEN)
        return value


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    timezone = serializers.CharField()
    day_start_hour = serializers.IntegerField()
    points = serializers.IntegerField()
    level = serializers.IntegerField()
    next_level_at = serializers.IntegerField()
    weekly_points = serializers.IntegerField()
    rank = inline_serializer(
        "Ranks",
        {
            "all": serializers.IntegerField(allow_null=True),
            "week": serializers.IntegerField(allow_null=True),
        },
    )
    badges = inline_serializer(
        "BadgeAward",
        {"code": serializers.CharField(), "awarded_at": serializers.DateTimeField()},
        many=True,
    )
    freezes = inline_serializer(
        "Freezes", {"held": serializers.IntegerField(), "max": serializers.IntegerField()}
    )


def me_payload(player: User) -> dict:
    # The days that ended are settled first: a freeze they spend is gone from `held`.
    settled = live.settle(actor=player.actor, now=clock.now())
    snapshot = live.player_snapshot(player_id=player.pk)
    return {
        "id": player.pk,
        "username": player.username,
        "display_name": player.display_name,
        "timezone": player.timezone,
        "day_start_hour": player.day_start_hour,
        "points": snapshot.points,
        "level": snapshot.level,
        "next_level_at": snapshot.next_level_at,
        "weekly_points": snapshot.weekly_points,
        "rank": {"all": snapshot.rank_all, "week": snapshot.rank_week},
        "badges": [
            {"code": code, "awarded_at": awarded_at} for code, awarded_at in snapshot.badges
        ],
        "freezes": {"held": settled.freezes, "max": rules.FREEZES_MAX},
    }


def _password_rules(password: str, *, player: User) -> str:
    """Django's validators (AUTH_PASSWORD_VALIDATORS), for a player's new password."""
    try:
        password_validation.validate_password(password, user=player)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc
    return password


class RegisterInput(ProfileFields):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    email = serializers.EmailField(required=False, allow_blank=True)

    def validate_username(self, value: str) -> str:
        User.username_validator(value)
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("That username is taken.")
        return value

    def validate(self, attrs: dict) -> dict:
        # With no display name, the boards show the username.
        if not attrs.get("display_name") and public_name_taken(attrs["username"]):
            raise serializers.ValidationError({"username": [NAME_TAKEN]})
        return self._validate_password(attrs)

    def _validate_password(self, attrs: dict) -> dict:
        candidate = User(username=attrs["username"], email=attrs.get("email", ""))
        try:
            _password_rules(attrs["password"], player=candidate)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"password": exc.detail}) from exc
        return attrs


class Registered(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    token = serializers.CharField()


class TokenInput(StrictInput):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class ProfileUpdate(ProfileFields):
    """PATCH /api/me: only the profile's own fields."""


class IssuedToken(serializers.Serializer):
    token = serializers.CharField()


RESET_ASKED = "If an account has that email, a link to reset its password is on its way."
WRONG_PASSWORD = "Your old password was entered incorrectly. Please enter it again."


class PasswordChangeInput(StrictInput):
    # The player who changes it is the serializer's context["player"].
    old_password = serializers.CharField(trim_whitespace=False, write_only=True)
    new_password = serializers.CharField(trim_whitespace=False, write_only=True)

    def validate_old_password(self, value: str) -> str:
        if not self.context["player"].check_password(value):
            raise serializers.ValidationError(WRONG_PASSWORD)
        return value

    def validate_new_password(self, value: str) -> str:
        return _password_rules(value, player=self.context["player"])


class PasswordResetInput(StrictInput):
    email = serializers.EmailField()


class DeleteInput(StrictInput):
    password = serializers.CharField(trim_whitespace=False, write_only=True)


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "auth"

    @extend_schema(request=RegisterInput, responses={201: Registered})
    def post(self, request: Request) -> Response:
        serializer = RegisterInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        player, token = player_register(**serializer.validated_data)
        data = {"id": player.pk, "username": player.username, "token": token.key}
        return Response(Registered(data).data, status=status.HTTP_201_CREATED)


class TokenApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "auth"

    @extend_schema(request=TokenInput, responses={200: IssuedToken})
    def post(self, request: Request) -> Response:
        serializer = TokenInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        player = authenticate(request, **serializer.validated_data)
        if player is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with the given username and password."]}
            )
        token, _ = Token.objects.get_or_create(user=player)
        return Response({"token": token.key})


class PasswordChangeApi(APIView):
    """A new password and a new token: the player's other token and browser sessions stop
    working (their open sockets close); the browser session the request came with, if it
    came with one, stays logged in. Throttled like logging in, in the player's bucket."""

    throttle_classes = AUTH_THROTTLES
    throttle_scope = "auth"

    @extend_schema(request=PasswordChangeInput, responses={200: IssuedToken})
    def post(self, request: Request) -> Response:
        # The whole row: a token's cached user holds only what requests read, and the
        # validators compare the password with the rest (names, email).
        player = User.objects.get(pk=player_of(request).pk)
        serializer = PasswordChangeInput(data=request.data, context={"player": player})
        serializer.is_valid(raise_exception=True)
        browser = None if isinstance(request.auth, Token) else request._request
        _player, token = password_change(
            player=player,
            new_password=serializer.validated_data["new_password"],
            browser=browser,
        )
        return Response(IssuedToken({"token": token.key}).data)


class PasswordResetApi(APIView):
    """Mail a one-time link to the reset page (valid for PASSWORD_RESET_TIMEOUT) to the
    account with this email. The answer is 202 whether or not there is one."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = RESET_THROTTLES
    throttle_scope = "auth"

    @extend_schema(
        request=PasswordResetInput,
        responses={202: inline_serializer("ResetAsked", {"detail": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_request(
            email=serializer.validated_data["email"],
            domain=request.get_host(),
            use_https=request.is_secure(),
        )
        return Response({"detail": RESET_ASKED}, status=status.HTTP_202_ACCEPTED)


class MeApi(APIView):
    @extend_schema(responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        return Response(MeOutput(me_payload(player_of(request))).data)

    @extend_schema(request=ProfileUpdate, responses={200: MeOutput})
    def patch(self, request: Request) -> Response:
        player = player_of(request)
        serializer = ProfileUpdate(data=request.data, context={"player": player})
        serializer.is_valid(raise_exception=True)
        player = player_update(player=player, **serializer.validated_data)
        return Response(MeOutput(me_payload(player)).data)

    def get_throttles(self):
        # Deleting checks the password: throttled like a log-in, in the player's bucket.
        if self.request.method == "DELETE":
            return [*super().get_throttles(), *(cls() for cls in AUTH_THROTTLES)]
        return super().get_throttles()

    @extend_schema(request=DeleteInput, responses={204: None})
    def delete(self, request: Request) -> Response:
        """Delete the account and everything of it, confirmed with the password: its token
        and sessions stop, its sockets close, it leaves the boards; the username is free."""
        serializer = DeleteInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        player_delete(player=player_of(request), password=serializer.validated_data["password"])
        if not isinstance(request.auth, Token):
            logout(request._request)  # this browser's own session cookie, now empty
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutApi(APIView):
    """Ends the credential the request came with: the player's token is deleted (every
    client and open socket using it stops, accounts.signals; the next POST
    /api/auth/token issues a new one), or the browser session ends (other browsers
    keep theirs)."""

    @extend_schema(request=NoBody, responses={204: None})
    def post(self, request: Request) -> Response:
        NoBody(data=request.data).is_valid(raise_exception=True)
        player_logout(request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- the player's history: stats by local day ------------------------------------------


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
                            "frozen": serializers.IntegerField(
                                help_text="habits whose missed day here a freeze kept"
                            ),
                        },
                        many=True,
                    )
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        params = StatsQuery.read(request)
        player = player_of(request)
        today = player.actor.day(clock.now())
        days = player_stats(player_id=player.pk, today=today, days=params["days"])
        return Response({"days": days})
