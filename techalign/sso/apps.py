from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "techalign.sso"
    label = "sso"
    verbose_name = "company sign-in"

    def ready(self) -> None:
        from techalign.sso import checks  # noqa: F401  (registers the configuration checks)
