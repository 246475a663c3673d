from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running kenshin for real: database roles, deploy checks, logs, metrics, schedule."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from ops import checks  # noqa: F401 - registers the deploy checks
