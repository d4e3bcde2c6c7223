from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Hosts project-wide management commands, checks and templates tags."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal import checks  # noqa: F401  (registers system checks)
