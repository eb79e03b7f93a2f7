from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "techalign.core"
    label = "core"

    def ready(self) -> None:
        # Registers the `check --deploy` checks of a company-scale installation.
        from techalign.core import deploy_checks  # noqa: F401
