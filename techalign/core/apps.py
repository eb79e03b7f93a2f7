from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "techalign.core"
    label = "core"
