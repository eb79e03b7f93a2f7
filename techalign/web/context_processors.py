"""What every page's navigation bar shows."""

from django.utils.functional import SimpleLazyObject

from techalign.web.selectors import work_count


def navigation(request):
    """The signed-in user's count of things to do, computed only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"work_count": SimpleLazyObject(lambda: work_count(user))}
