from django.apps import AppConfig


class VacationsConfig(AppConfig):
    name = "vacations"

    def ready(self) -> None:
        from vacations import signals  # noqa: F401  (connects what a player's deletion needs)
