from django.apps import AppConfig


class WebConfig(AppConfig):
    """The server-rendered pages: templates, htmx partials, static files."""

    name = "techalign.web"
    label = "web"
