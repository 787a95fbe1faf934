from django.urls import path

from dashboard import account, data, partials, settings_page, vacations, views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/player", partials.player_card, name="partial-player"),
    path("dashboard/habits", partials.habit_list, name="partial-habits"),
    path(
        "dashboard/habits/<int:habit_id>/rename",
        partials.habit_rename_view,
        name="partial-habit-rename",
    ),
    path(
        "dashboard/habits/<int:habit_id>/delete",
        partials.habit_delete_view,
        name="partial-habit-delete",
    ),
    path(
        "dashboard/habits/<int:habit_id>/check-in",
        partials.habit_check_in_view,
        name="partial-habit-check-in",
    ),
    path("dashboard/vacations", vacations.vacation_list, name="partial-vacations"),
    path(
        "dashboard/vacations/<uuid:vacation_id>/remove",
        vacations.vacation_remove_view,
        name="partial-vacation-remove",
    ),
    path("settings/", settings_page.settings_page, name="settings"),
    path("settings/profile", settings_page.profile_save, name="settings-profile"),
    path("settings/password", settings_page.password_save, name="settings-password"),
    path("settings/delete", account.account_delete, name="settings-delete"),
    path("settings/import", data.import_upload, name="settings-import"),
    path("signup/", views.signup, name="signup"),
]
