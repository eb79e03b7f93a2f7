from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "techalign.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from techalign.audit.guard import register_unlock_function

        connection_created.connect(register_unlock_function, dispatch_uid="audit-unlock-function")
