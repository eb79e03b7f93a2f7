"""Pages stay fast as requirements grow: the same number of queries at two data sizes."""

import pytest
from django.urls import reverse

from tests.factories import advance, grow


# Bounds: the large data set's count plus at most one (measured 2026-12-07, small → large:
# requirement 23 → 25, plan 35 → 37, history 18 → 20, align 36 → 38; the plan and align pages
# read the requirement's scenarios, suspect marks and parties once since the sections share
# one reading, plans.selectors.one_reading: 40 → 42 and 41 → 43 before). The two more queries at
# the large size read its open questions and the acknowledgement delegates, which the small
# one has none of and skips; neither is read per row.
@pytest.mark.parametrize(
    ("url_name", "bound"),
    [("web:requirement", 26), ("web:plan", 38), ("web:history", 21), ("web:align", 39)],
)
def test_requirement_pages_do_not_query_per_row(
    sized, w, as_user, django_assert_max_num_queries, url_name, bound
):
    client = as_user(w.lei)
    url = reverse(url_name, args=[sized.key])
    client.get(url)  # warm the session and the role caches
    with django_assert_max_num_queries(bound):
        response = client.get(url)
    assert response.status_code == 200


def test_inbox_does_not_query_per_row(w, as_user, django_assert_max_num_queries):
    """Every category holds rows at both sizes (empty ones skip their query altogether)."""
    advance(w, "handed_off")
    advance(w, "aligning")
    client = as_user(w.lei)
    client.get(reverse("web:inbox"))
    with django_assert_max_num_queries(16) as small_run:  # measured: 14
        client.get(reverse("web:inbox"))
    for _ in range(5):
        req = advance(w, "aligning")
    grow(w, advance(w, "handed_off"), scenarios=10, items=0)
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        response = client.get(reverse("web:inbox"))
    assert req.key in response.content.decode()
