from django.apps import AppConfig


class VacationsConfig(AppConfig):
    name = "vacations"
