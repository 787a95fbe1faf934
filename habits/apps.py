from django.apps import AppConfig


class HabitsConfig(AppConfig):
    name = "habits"

    def ready(self) -> None:
        from habits import signals  # noqa: F401  (connects the cache invalidation)
