from django.apps import AppConfig


class AccountDataConfig(AppConfig):
    name = "accountdata"
    verbose_name = "account data"
