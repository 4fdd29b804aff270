from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "public"
    verbose_name = "Public site"
    default_auto_field = "django.db.models.BigAutoField"
