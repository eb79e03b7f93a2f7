from django.conf import settings
from django.core.checks import Error, register


@register()
def secret_key_is_set(app_configs, **kwargs):
    if not settings.DEBUG and not settings.SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is not set.",
                hint="Set the SECRET_KEY environment variable (or DEBUG=1 for development).",
                id="techalign.E001",
            )
        ]
    return []
