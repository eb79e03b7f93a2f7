"""Language: Accept-Language first, then the signed-in user's preference, then the default."""

from django.conf import settings
from django.utils import translation

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
