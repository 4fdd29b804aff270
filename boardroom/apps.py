from django.apps import AppConfig


class BoardroomConfig(AppConfig):
    name = "boardroom"
    verbose_name = "Boardroom"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (sign-in, sign-out and failed sign-ins go to the audit log)

        checks.warn_at_start()  # ASGI servers run no system checks: production problems are logged
