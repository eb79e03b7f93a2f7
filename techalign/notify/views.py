"""Pages: my notifications (with read marks and per-event preferences), and for admins the
delivery log. Views parse input and call one service."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from techalign.core.errors import Refused
from techalign.core.http import SignedInRequest, whole_number
from techalign.notify import selectors, services
from techalign.notify.models import Delivery, PreferenceSet


@login_required
def notifications(request: SignedInRequest) -> HttpResponse:
    refusal = None
    if request.method == "POST":
        try:
            if request.POST.get("form") == "read":
                services.mark_read(actor=request.user)
            else:
                _save_preferences(request)
            return redirect("notify:inbox")
        except Refused as refused:
            refusal = refused
        except (KeyError, ValueError):
            refusal = Refused("input.invalid", field="version", problem="incomplete")
    # The version before the choices, as the API reads them: a change in between makes the
    # form stale rather than newer than what it shows.
    version = PreferenceSet.version_of(user=request.user)
    return render(
        request,
        "notify/inbox.html",
        {
            "nav": "notifications",
            "error": refusal.message if refusal else None,
            "items": selectors.inbox(request.user)[:100],
            "preferences_version": version,
            "choices": selectors.preferences_of(request.user),
            "channels": selectors.channels_for(request.user),
        },
        status=refusal.status if refusal else 200,
    )


def _save_preferences(request: SignedInRequest) -> None:
    """The events whose boxes differ from the stored choices, saved together as of the version
    the form was rendered with (a form older than the preferences is refused)."""
    version = int(request.POST["version"])
    changed = {}
    for choice in selectors.preferences_of(request.user):
        media = {m: f"{choice.event}:{m}" in request.POST for m in services.MEDIA}
        if media != {"in_app": choice.in_app, "email": choice.email, "chat": choice.chat}:
            changed[choice.event] = media
    if changed:
        services.set_preferences(
            actor=request.user, user=request.user, choices=changed, version=version
        )


@login_required
def deliveries(request: SignedInRequest) -> HttpResponse:
    """The delivery log: every email and chat message, its attempts and last error."""
    status = request.GET.get("status")
    try:
        rows = selectors.delivery_log(
            request.user, status=status if status in Delivery.Status.values else None
        )
    except Refused as refusal:
        raise PermissionDenied(refusal.message) from refusal
    if request.method == "POST":
        # A retry naming no delivery number finds none (rather than failing the request).
        number = whole_number(request.POST.get("retry"))
        delivery = rows.filter(pk=number).first() if number is not None else None
        if delivery is not None:
            services.retry_delivery(actor=request.user, delivery=delivery)
        return redirect("notify:deliveries")
    return render(
        request,
        "notify/deliveries.html",
        {"rows": rows[:300], "statuses": Delivery.Status.choices, "status": status},
    )
