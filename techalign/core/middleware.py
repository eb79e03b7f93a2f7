"""Language: Accept-Language first, then the signed-in user's preference, then the default.

Also: the client address behind trusted proxies, per-user and per-address throttling of
expensive endpoints, and `Cache-Control: private` on what only one person should see.
"""

import functools
import ipaddress
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from techalign.core.errors import Refused
from techalign.core.models import ThrottleCount
from techalign.org.models import User

# What the rest of the stack (and every view) gets back from the next middleware.
GetResponse = Callable[[HttpRequest], HttpResponseBase]

# Set on each request by UserLanguageMiddleware: did the request itself choose its language?
LANGUAGE_CHOSEN = "techalign_language_chosen"
# Where client_address() keeps its answer for the rest of the request.
_CLIENT_ADDRESS = "_techalign_client_address"

# No inline script anywhere: pages load htmx and their own scripts from /static/.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class UserLanguageMiddleware:
    """Activates the language from the URL-less sources we honour, before auth runs.

    Order: explicit Accept-Language header (API clients and browsers) — but a browser session
    that chose a language in techalign keeps it (stored in the session by the language switch).
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        language = (
            _supported(request.session.get("language")) if hasattr(request, "session") else None
        )
        if language is None and request.path.startswith("/api/"):
            header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
            language = (
                _supported(translation.get_language_from_request(request)) if header else None
            )
        setattr(request, LANGUAGE_CHOSEN, language is not None)
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response


class UserPreferenceLanguageMiddleware:
    """Without an explicit choice, a signed-in user's saved preference decides."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if not getattr(request, LANGUAGE_CHOSEN) and isinstance(user, User):
            language = _supported(user.language)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends the same Content-Security-Policy on every response."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


@functools.lru_cache(maxsize=4)
def _trusted_networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client, as the sign-in lockout, the throttles and the logs see it.

    The direct peer, unless it is one of TECHALIGN_TRUSTED_PROXIES: then X-Forwarded-For is
    walked from the right (the hop our proxy added) past every trusted proxy, and the first
    untrusted hop is the client. Entries left of it are whatever the client chose to send.
    """
    cached: str | None = getattr(request, _CLIENT_ADDRESS, None)
    if cached is not None:
        return cached
    peer = request.META.get("REMOTE_ADDR", "") or ""
    trusted = _trusted_networks(tuple(settings.TECHALIGN_TRUSTED_PROXIES))
    client = peer

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in trusted)

    if trusted and is_trusted(_address(peer)):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for hop in reversed([h for h in hops if h.strip()]):
            address = _address(hop)
            if address is None:
                # Garbage where an address should be: stop at the last hop we could trust.
                break
            client = str(address)
            if not is_trusted(address):
                break
    setattr(request, _CLIENT_ADDRESS, client)
    return client


@dataclass(frozen=True)
class ThrottledEndpoint:
    """Requests that cost the server much (parsing calendars, searching slots, hashing
    passwords), counted under one rule of TECHALIGN_THROTTLES."""

    rule: str
    methods: frozenset[str]
    path: re.Pattern[str]
    # For a page that posts several forms to one address: only these forms count.
    forms: frozenset[str] | None = None

    def matches(self, request: HttpRequest) -> bool:
        if request.method not in self.methods or not self.path.search(request.path_info):
            return False
        return self.forms is None or request.POST.get("form") in self.forms


def _endpoint(rule: str, methods: str, path: str, forms: str | None = None) -> ThrottledEndpoint:
    return ThrottledEndpoint(
        rule,
        frozenset(methods.split()),
        re.compile(path),
        frozenset(forms.split()) if forms else None,
    )


THROTTLED_ENDPOINTS = [
    _endpoint("signin", "POST", r"^/accounts/login/$"),
    _endpoint("calendar_upload", "POST", r"^/api/v1/calendars/sources/(upload|feed|caldav)$"),
    _endpoint("calendar_upload", "POST", r"^/api/v1/calendars/sources/\d+/refresh$"),
    _endpoint("calendar_upload", "POST", r"^/calendars/$", forms="upload feed caldav"),
    _endpoint("calendar_upload", "POST", r"^/calendars/sources/\d+/refresh/$"),
    _endpoint("slot_search", "GET POST", r"^/api/v1/calendars/slots/"),
    _endpoint("slot_search", "GET POST", r"^/calendars/slots/"),
    _endpoint("import", "POST PUT", r"(^|/)imports?(/|$)"),
    _endpoint("token", "POST", r"(^|/)tokens/?$"),
]

THROTTLE_SUBJECTS = {
    "signin": _("sign-in attempts"),
    "calendar_upload": _("calendar uploads and fetches"),
    "import": _("imports"),
    "slot_search": _("slot searches"),
    "token": _("token requests"),
}


def _count(bucket: str, window_start: int) -> int:
    """One more request in this bucket's window, counted in one statement every worker sees."""
    table = ThrottleCount._meta.db_table
    hits: int
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, window_start, hits) VALUES (%s, %s, 1) "
            f"ON CONFLICT (bucket, window_start) DO UPDATE SET hits = {table}.hits + 1 "
            "RETURNING hits",
            [bucket, window_start],
        )
        (hits,) = cursor.fetchone()
        if hits == 1:
            # A new window: this bucket's earlier ones count no more.
            ThrottleCount.objects.filter(bucket=bucket, window_start__lt=window_start).delete()
    return hits


def _requesting_user(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    if isinstance(user, User):
        return user
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization.lower().startswith("bearer "):
        from techalign.org.services import user_for_token

        return user_for_token(authorization[7:].strip())
    return None


class ThrottleDetails(TypedDict):
    """What a throttled request is told (the API sends it as the refusal's details)."""

    rule: str
    limit: int
    seconds: int
    who: str
    retry_after: int


class ThrottleMiddleware:
    """Counts each expensive request per user and per client address; past the limit of its
    rule it answers 429 with Retry-After (the API in its error envelope) until the window ends.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        endpoint = next((e for e in THROTTLED_ENDPOINTS if e.matches(request)), None)
        if endpoint is None:
            return self.get_response(request)
        limit, seconds = settings.TECHALIGN_THROTTLES[endpoint.rule]
        now = time.time()
        window_start = int(now // seconds * seconds)
        user = _requesting_user(request)
        subjects = [("address", client_address(request))]
        if user is not None:
            subjects.insert(0, ("user", user.username))
        over = [
            (kind, who)
            for kind, who in subjects
            if _count(f"{endpoint.rule}:{kind}:{who}", window_start) > limit
        ]
        if not over:
            return self.get_response(request)
        retry_after = max(1, math.ceil(window_start + seconds - now))
        details: ThrottleDetails = {
            "rule": endpoint.rule,
            "limit": limit,
            "seconds": seconds,
            "who": over[0][1],
            "retry_after": retry_after,
        }
        # A token's holder reads the refusal in their language when the request names none.
        language = (
            user.language
            if user is not None and not request.META.get("HTTP_ACCEPT_LANGUAGE")
            else translation.get_language()
        )
        with translation.override(_supported(language) or translation.get_language()):
            return self.throttled(request, details)

    def throttled(self, request: HttpRequest, details: ThrottleDetails) -> HttpResponse:
        refusal = Refused(
            "request.throttled",
            what=THROTTLE_SUBJECTS[details["rule"]],
            who=details["who"],
            limit=details["limit"],
            seconds=details["seconds"],
            retry_after=details["retry_after"],
        )
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            response = JsonResponse(
                {"code": refusal.code, "message": refusal.message, "details": details},
                status=429,
            )
        else:
            response = HttpResponse(
                format_html(
                    '<!doctype html><title>429</title><p data-code="{}">{}</p>',
                    refusal.code,
                    refusal.message,
                ),
                status=429,
            )
        response["Retry-After"] = str(details["retry_after"])
        return response


class PrivateCacheMiddleware:
    """Pages of a signed-in person and every API answer are for that person only: no shared
    cache may keep them, and the browser revalidates (ETags still spare the body)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path_info.startswith("/api/"):
            patch_cache_control(response, private=True, no_cache=True)
        return response
