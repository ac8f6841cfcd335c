"""The fund's pages: an enterprise applies and follows its case; the task force does the diligence, the
committee members vote on the case's page, the task force records the decision and signs the agreement with its
tranches, confirms milestones and disburses (a tranche before its milestone is refused and nothing changes); the
portfolio adds up; in English too; another enterprise does not find the case."""

from decimal import Decimal

from django.urls import reverse

from sciencecity.fund.models import Investment

from .test_investments import zone  # noqa: F401  (the fixture)


def test_from_application_to_the_first_tranche(zone, client):  # noqa: F811
    client.force_login(zone["founder"])
    page = client.get(reverse("fund:list")).content.decode()
    assert "申请先投后股" in page
    bad = client.post(
        reverse("fund:list"), {"title": "量子点传感芯片中试", "summary": "", "requested": "100"}
    )
    assert bad.status_code == 400 and not Investment.objects.exists()
    made = client.post(
        reverse("fund:list"), {"title": "量子点传感芯片中试", "summary": "建设中试线。", "requested": "100"}
    )
    investment = Investment.objects.get()
    assert made.url == reverse("fund:investment", args=[investment.pk])
    act = lambda action: reverse("fund:act", args=[investment.pk, action])  # noqa: E731
    client.post(act("start_diligence"))  # not the enterprise's to do
    assert Investment.objects.get().status == "applied"

    client.force_login(zone["manager"])
    client.post(act("start_diligence"))
    client.post(act("to_committee"), {"report": "技术领先,团队完整。"})
    for member, choice in zip(zone["members"], ("for", "for", "abstain"), strict=True):
        client.force_login(member)
        assert "我的表决" in client.get(reverse("fund:investment", args=[investment.pk])).content.decode()
        client.post(act("vote"), {"choice": choice, "comment": "同意"})
    client.force_login(zone["manager"])
    client.post(act("approve"), {"note": "同意投资"})
    assert Investment.objects.get().status == "approved"
    signed = client.post(
        act("sign"),
        {
            "amount": "100",
            "signed_on": "2026-10-08",
            "trigger": "next_round",
            "discount": "20",
            "repayment_date": "2029-10-08",
            "t1_amount": "100",
            "t1_milestone": "中试线建成",
        },
    )
    assert signed.status_code == 302 and Investment.objects.get().status == "invested"
    tranche = reverse("fund:tranche_act", args=[investment.pk, 1, "disburse"])
    early = client.post(tranche, {"reference": "ZF-1"}, follow=True)
    assert "不能" in early.content.decode() and Investment.objects.get().tranches.get().status == "planned"
    client.post(reverse("fund:tranche_act", args=[investment.pk, 1, "meet"]), {"evidence": "验收通过"})
    client.post(tranche, {"reference": "ZF-1"})
    page = client.get(reverse("fund:list")).content.decode()
    assert "在投余额" in page
    english = client.get(
        reverse("fund:investment", args=[investment.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Disbursed" in english or "Tranches" in english
    assert Investment.objects.get().tranches.get().amount == Decimal("100.00")
    # Another enterprise does not find the case.
    from tests.factories import EnterpriseFactory, applicant_of

    client.force_login(applicant_of(EnterpriseFactory(is_tech_based=True)))
    assert client.get(reverse("fund:investment", args=[investment.pk])).status_code == 404
