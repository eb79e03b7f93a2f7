from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "techalign.core"
    label = "core"

    def ready(self) -> None:
        # Registers the `check --deploy` checks of a company-scale installation.
        from techalign.core import (
            checks,  # noqa: F401  (registers the settings checks)
            deploy_checks,  # noqa: F401
        )
