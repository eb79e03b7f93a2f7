"""The delivery log's "send again" button: an administrator queues a failed delivery again;
a retry naming no delivery, or something that is not a delivery number, changes nothing
and lands back on the log (never an error page)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from techalign.notify.models import Delivery
from techalign.org.models import Role, User
from tests.factories import grant, make_user


@pytest.fixture
def admin(w) -> User:
    return grant(make_user("ada", display_name="Ada"), w.committee, Role.ADMIN)


@pytest.fixture
def failed(db) -> Delivery:
    return Delivery.objects.create(
        event="meeting_scheduled",
        medium=Delivery.Medium.EMAIL,
        recipient="lei@example.test",
        subject="评审会",
        status=Delivery.Status.FAILED,
        attempts=5,
    )


def test_an_administrator_sends_a_failed_delivery_again(admin, failed, as_user):
    response = as_user(admin).post(reverse("notify:deliveries"), {"retry": str(failed.pk)})
    assert response.status_code == 302
    assert response["Location"] == reverse("notify:deliveries")
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Delivery.Status.PENDING, 0)


@pytest.mark.parametrize("retry", [None, "", "abc", "²", "-1", "99999999999999999999999"])
def test_a_retry_that_names_no_delivery_changes_nothing(admin, failed, as_user, retry):
    posted = {} if retry is None else {"retry": retry}
    response = as_user(admin).post(reverse("notify:deliveries"), posted)
    assert response.status_code == 302
    assert response["Location"] == reverse("notify:deliveries")
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Delivery.Status.FAILED, 5)


def test_someone_not_an_administrator_may_not_send_again(w, failed, as_user):
    response = as_user(w.ming).post(reverse("notify:deliveries"), {"retry": str(failed.pk)})
    assert response.status_code == 403
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED
