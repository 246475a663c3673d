from django.apps import AppConfig


class ReceptionConfig(AppConfig):
    name = "reception"
    verbose_name = "受付"
