"""The align tab: the tech lead withdraws a waiver with the reason; the party shows missing
again, and the API lists the waiver as withdrawn."""

from django.urls import reverse

from tests.factories import finance_waived


def test_the_tech_lead_withdraws_it_from_the_align_tab_and_the_api_lists_it(w, as_user):
    req, waiver = finance_waived(w)
    qiang = as_user(w.qiang)
    page = qiang.get(reverse("web:align", args=[req.key])).content.decode()
    assert "Withdraw the waiver" in page and f'id="id_withdraw-{waiver.pk}-reason"' in page

    response = qiang.post(
        reverse("web:do_on", args=[req.key, "withdraw_waiver", waiver.pk]),
        {f"withdraw-{waiver.pk}-reason": "记错了"},
        follow=True,
    )
    assert response.status_code == 200
    waiver.refresh_from_db()
    assert waiver.withdrawn_at is not None
    finance = response.content.decode().split('href="/teams/finance/"', 1)[1].split("</tr>")[0]
    assert "Missing" in finance

    listed = qiang.get(f"/api/v1/requirements/{req.key}/waivers").json()["items"]
    assert listed[0]["withdrawn_by"] == "qiang" and listed[0]["withdrawal_reason"] == "记错了"
