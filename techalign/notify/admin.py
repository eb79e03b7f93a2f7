"""The delivery log and chat channels for administrators. Secrets stay sealed: the admin shows
only the redacted address."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.core.http import SignedInRequest
from techalign.notify.models import Channel, Delivery, Notification, Preference
from techalign.notify.services import retry_delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = [
        "created_at",
        "event",
        "medium",
        "recipient",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "medium", "event"]
    search_fields = ["recipient", "subject", "last_error"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    exclude = ["payload"]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False

    # The admin site runs its actions for signed-in staff only: a SignedInRequest.
    @admin.action(description=_("Send again"))
    def retry(self, request: SignedInRequest, queryset: QuerySet[Delivery]) -> None:
        for delivery in queryset:
            try:
                retry_delivery(actor=request.user, delivery=delivery)
            except Refused as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
                return
        self.message_user(request, _("Queued again."))


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    list_display = ["name", "kind", "team", "user", "display_url", "is_active"]
    list_select_related = ["team", "user"]
    list_filter = ["kind", "is_active"]
    fields = ["name", "kind", "team", "user", "display_url", "is_active", "created_by"]
    readonly_fields = ["kind", "team", "user", "display_url", "created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # added through techalign, which seals the address and secret


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["created_at", "recipient", "event", "title", "read_at"]
    list_select_related = ["recipient"]
    list_filter = ["event"]
    search_fields = ["title", "recipient__username"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin[Preference]):
    list_display = ["event", "user", "team", "in_app", "email", "chat"]
    list_select_related = ["user", "team"]
    list_filter = ["event"]
