from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "techalign.core"
    label = "core"

    def ready(self) -> None:
        from techalign.core import checks  # noqa: F401  (registers the settings checks)
