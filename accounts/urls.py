from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import dashboard_views, views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/player", dashboard_views.player_card, name="partial-player"),
    path("dashboard/habits", dashboard_views.habit_list, name="partial-habits"),
    path(
        "dashboard/habits/<int:habit_id>/rename",
        dashboard_views.habit_rename_view,
        name="partial-habit-rename",
    ),
    path(
        "dashboard/habits/<int:habit_id>/delete",
        dashboard_views.habit_delete_view,
        name="partial-habit-delete",
    ),
    path(
        "dashboard/habits/<int:habit_id>/check-in",
        dashboard_views.habit_check_in_view,
        name="partial-habit-check-in",
    ),
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
