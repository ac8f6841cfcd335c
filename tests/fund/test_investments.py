"""The invest-first fund (先投后股) on the shared core: application by a tech enterprise, due diligence,
committee votes and decision (approval only with a quorum and more for than against), the agreement with its
tranches and conversion terms, each tranche disbursed only once its milestone is met (409 before), and the
ends — conversion, repayment with the rest written off, write-off; repayment warnings from the morning scan.
The suite's day is 2026-11-24."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.audit.models import AuditEvent
from sciencecity.fund.models import Investment
from sciencecity.fund.notices import warn_repayments
from sciencecity.fund.services import investments as fund
from sciencecity.notifications.models import Notification
from sciencecity.workflow.transitions import IllegalTransition
from tests.factories import EnterpriseFactory, UserFactory, applicant_of, staff


@pytest.fixture
def zone(db):
    startup = EnterpriseFactory(name="重庆量子芯科技有限公司", is_tech_based=True)
    manager = staff("department_reviewer", username="fund-manager")
    manager.user_permissions.add(Permission.objects.get(codename="manage_fund"))
    return {
        "startup": startup,
        "founder": applicant_of(startup),
        "manager": type(manager).objects.get(pk=manager.pk),
        "members": [UserFactory(roles=["leader"]) for _ in range(3)],
        "plain": EnterpriseFactory(name="重庆普通贸易有限公司"),
    }


def applied(zone, **changes):
    fields = {"title": "量子点传感芯片中试", "summary": "建设中试线,完成流片。", "requested": "100"} | changes
    return fund.apply(zone["founder"], zone["startup"], **fields)


def approved(zone):
    investment = fund.to_committee(
        zone["manager"], fund.start_diligence(zone["manager"], applied(zone)), "技术领先,团队完整。"
    )
    for member, choice in zip(zone["members"], ("for", "for", "against"), strict=True):
        fund.vote(member, investment, choice, "")
    return fund.approve(zone["manager"], investment, "同意投资")


def signed(zone):
    return fund.sign(
        zone["manager"],
        approved(zone),
        amount="100",
        signed_on=datetime.date(2026, 10, 8),
        trigger="next_round",
        trigger_note="下一轮融资不低于2000万元",
        discount="20",
        repayment_date=datetime.date(2029, 10, 8),
        tranches=[
            {"amount": "60", "milestone": "中试线建成", "expected_on": datetime.date(2026, 11, 1)},
            {"amount": "40", "milestone": "首批流片成功"},
        ],
    )


def test_an_investment_from_application_to_equity(zone):
    investment = signed(zone)
    assert investment.status == "invested" and investment.number.startswith("XT2026")
    first, second = investment.tranches.order_by("number")
    with pytest.raises(IllegalTransition):
        fund.disburse(zone["manager"], second, "ZF-0002")  # before its milestone
    fund.meet_milestone(zone["manager"], first, "中试线已通过验收")
    first = fund.disburse(zone["manager"], first, "ZF-0001")
    assert first.status == "disbursed"
    investment = fund.convert(zone["manager"], investment, equity_percent="4.5", note="A轮融资触发转股")
    assert (investment.status, investment.converted, investment.equity_percent) == (
        "converted",
        Decimal("60.00"),
        Decimal("4.5"),
    )
    with pytest.raises(ValidationError):  # the investment has ended: no more tranches
        fund.meet_milestone(zone["manager"], second, "流片成功")
    assert Notification.objects.filter(recipient=zone["members"][0], kind="fund_to_vote").count() == 1
    told = Notification.objects.filter(recipient=zone["founder"], kind="fund_decided")
    assert (
        told.count() == 4 and "已转股" in told.order_by("-pk").first().body
    )  # approved, signed, paid, converted
    actions = list(
        AuditEvent.objects.filter(action__startswith="fund.").order_by("pk").values_list("action", flat=True)
    )
    assert (
        actions[:3] == ["fund.apply", "fund.start_diligence", "fund.to_committee"]
        and actions[-1] == "fund.convert"
    )


def test_the_committee_decides_by_its_votes(zone):
    investment = fund.to_committee(
        zone["manager"], fund.start_diligence(zone["manager"], applied(zone)), "报告"
    )
    with pytest.raises(PermissionDenied):
        fund.vote(zone["manager"], investment, "for")  # not a member
    fund.vote(zone["members"][0], investment, "for")
    with pytest.raises(ValidationError, match="人数不足"):
        fund.approve(zone["manager"], investment)
    fund.vote(zone["members"][1], investment, "against")
    fund.vote(zone["members"][2], investment, "abstain")
    with pytest.raises(ValidationError):
        fund.approve(zone["manager"], investment)
    fund.vote(zone["members"][2], investment, "for")  # a member changes the vote
    assert fund.tally(investment) == {"for": 2, "against": 1, "abstain": 0}
    assert fund.approve(zone["manager"], investment).status == "approved"


def test_bad_input_saves_nothing(zone):
    with pytest.raises(ValidationError, match="科技型企业"):
        fund.apply(applicant_of(zone["plain"]), zone["plain"], title="x", summary="y", requested="10")
    with pytest.raises(PermissionDenied):
        fund.apply(zone["founder"], zone["plain"], title="x", summary="y", requested="10")
    with pytest.raises(ValidationError):
        applied(zone, requested="-5")
    investment = approved(zone)
    terms = {
        "amount": "100",
        "signed_on": datetime.date(2026, 10, 8),
        "trigger": "next_round",
        "discount": "20",
        "repayment_date": datetime.date(2029, 10, 8),
    }
    with pytest.raises(ValidationError, match="之和"):
        fund.sign(zone["manager"], investment, **terms, tranches=[{"amount": "60", "milestone": "a"}])
    with pytest.raises(ValidationError):
        fund.sign(
            zone["manager"],
            investment,
            **(terms | {"repayment_date": datetime.date(2026, 1, 1)}),
            tranches=[],
        )
    with pytest.raises(PermissionDenied):
        fund.sign(zone["founder"], investment, **terms, tranches=[{"amount": "100", "milestone": "a"}])
    assert Investment.objects.get(pk=investment.pk).status == "approved"
    assert not investment.tranches.exists()


def test_repayment_writes_off_the_rest_and_the_scan_warns_before_the_date(zone):
    investment = signed(zone)
    Investment.objects.filter(pk=investment.pk).update(repayment_date=datetime.date(2026, 12, 20))
    assert warn_repayments(datetime.date(2026, 11, 24)) == 2  # the manager and the founder
    assert warn_repayments(datetime.date(2026, 11, 25)) == 0  # once per threshold
    assert warn_repayments(datetime.date(2026, 12, 14)) == 2  # seven days before
    assert Notification.objects.filter(recipient=zone["founder"], kind="fund_repayment_due").count() == 2
    first = investment.tranches.get(number=1)
    fund.disburse(zone["manager"], fund.meet_milestone(zone["manager"], first, "验收"), "ZF-1")
    with pytest.raises(ValidationError):
        fund.repay(zone["manager"], investment, amount="80")  # more than was paid
    investment = fund.repay(zone["manager"], investment, amount="50", note="部分回收")
    assert (investment.repaid, investment.written_off) == (Decimal("50.00"), Decimal("10.00"))


def test_the_enterprise_withdraws_and_the_table_refuses_the_rest(zone):
    investment = applied(zone)
    with pytest.raises(IllegalTransition):
        fund.sign(
            zone["manager"],
            investment,
            amount="1",
            signed_on=datetime.date(2026, 1, 1),
            trigger="by_date",
            discount="1",
            repayment_date=datetime.date(2027, 1, 1),
            tranches=[{"amount": "1", "milestone": "a"}],
        )
    assert fund.withdraw(zone["founder"], investment).status == "withdrawn"
    assert len(fund.INVESTMENTS) == 11 and len(fund.TRANCHES) == 2
