"""Language: Accept-Language first, then the signed-in user's preference, then the default."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import translation

from techalign.core import limits
from techalign.core.errors import Refused

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

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = (
            _supported(request.session.get("language")) if hasattr(request, "session") else None
        )
        if language is None and request.path.startswith("/api/"):
            header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
            language = (
                _supported(translation.get_language_from_request(request)) if header else None
            )
        request.techalign_language_chosen = language is not None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response


class UserPreferenceLanguageMiddleware:
    """Without an explicit choice, a signed-in user's saved preference decides."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not request.techalign_language_chosen and user is not None and user.is_authenticated:
            language = _supported(user.language)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends the same Content-Security-Policy on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class RequestBodyLimitMiddleware:
    """A request whose body is larger than REQUEST_BODY_BYTES is answered 413 before anything
    reads it: in the API's `{code, message, details}` envelope under /api/, as text elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= limits.REQUEST_BODY_BYTES:
            return self.get_response(request)
        refused = Refused("limit.body_too_large", limit=limits.REQUEST_BODY_BYTES, value=length)
        if request.path.startswith("/api/"):
            body = {
                "code": refused.code,
                "message": refused.message,
                "details": {"limit": limits.REQUEST_BODY_BYTES, "value": length},
            }
            response = JsonResponse(body, status=refused.status)
        else:
            response = HttpResponse(
                refused.message, status=refused.status, content_type="text/plain; charset=utf-8"
            )
        return response
