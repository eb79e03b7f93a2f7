"""Helpers for reading pages in the web tests."""

HTMX = {"HTTP_HX_REQUEST": "true"}


def confirm_form(page: str) -> str:
    """The confirm step's form (the posted form again, carrying `confirm=1`) in `page`."""
    before, after = page.split('class="inline confirm-step"')
    return before.rsplit("<form", 1)[1] + after.split("</form>")[0]
