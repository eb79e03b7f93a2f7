"""Request bodies past REQUEST_BODY_BYTES (docs/limits.md) are answered 413 before any view,
form or API schema reads them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from techalign.core import limits
from techalign.core.errors import Refused


class RequestBodyLimitMiddleware:
    """A request whose body is larger than REQUEST_BODY_BYTES is answered 413 before anything
    reads it: in the API's `{code, message, details}` envelope under /api/, as text elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
            response: HttpResponse = JsonResponse(body, status=refused.status)
        else:
            response = HttpResponse(
                refused.message, status=refused.status, content_type="text/plain; charset=utf-8"
            )
        return response
