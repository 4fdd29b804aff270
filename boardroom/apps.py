from django.apps import AppConfig


class BoardroomConfig(AppConfig):
    name = "boardroom"
    verbose_name = "Boardroom"
