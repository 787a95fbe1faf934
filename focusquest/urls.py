from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accountdata.api import ExportApi, ImportApi
from accounts.api import (
    LogoutApi,
    MeApi,
    PasswordChangeApi,
    PasswordResetApi,
    RegisterApi,
    StatsApi,
    TokenApi,
)
from focusquest.api import ApiNotFound, PingApi
from focusquest.health import healthz
from habits.api import CheckInApi, HabitDetailApi, HabitListApi
from leaderboard.api import CommunityApi, LeaderboardApi
from sessions_app.api import SessionAbandonApi, SessionCompleteApi, SessionListCreateApi
from vacations.api import VacationDetailApi, VacationListApi

api = [
    path("auth/register", RegisterApi.as_view(), name="api-register"),
    path("auth/token", TokenApi.as_view(), name="api-token"),
    path("auth/logout", LogoutApi.as_view(), name="api-logout"),
    path("auth/password", PasswordChangeApi.as_view(), name="api-password"),
    path("auth/password-reset", PasswordResetApi.as_view(), name="api-password-reset"),
    path("me", MeApi.as_view(), name="api-me"),
    path("me/export", ExportApi.as_view(), name="api-me-export"),
    path("me/import", ImportApi.as_view(), name="api-me-import"),
    path("sessions", SessionListCreateApi.as_view(), name="api-sessions"),
    path(
        "sessions/<uuid:session_id>/complete",
        SessionCompleteApi.as_view(),
        name="api-session-complete",
    ),
    path(
        "sessions/<uuid:session_id>/abandon",
        SessionAbandonApi.as_view(),
        name="api-session-abandon",
    ),
    path("stats", StatsApi.as_view(), name="api-stats"),
    path("habits", HabitListApi.as_view(), name="api-habits"),
    path("habits/<int:habit_id>", HabitDetailApi.as_view(), name="api-habit"),
    path("habits/<int:habit_id>/check-ins", CheckInApi.as_view(), name="api-check-ins"),
    path("vacations", VacationListApi.as_view(), name="api-vacations"),
    path("vacations/<uuid:vacation_id>", VacationDetailApi.as_view(), name="api-vacation"),
    path("leaderboard", LeaderboardApi.as_view(), name="api-leaderboard"),
    path("community", CommunityApi.as_view(), name="api-community"),
    path("ping", PingApi.as_view(), name="api-ping"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: what no path above takes is a JSON 404 (schema and docs still get their slash).
    re_path(r"^(?!schema$|docs$)", ApiNotFound.as_view(), name="api-not-found"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", include(api)),
    path("admin/", admin.site.urls),
    path("", include("dashboard.urls")),
    path("", include("accounts.urls")),
]
