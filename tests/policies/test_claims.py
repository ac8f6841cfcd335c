"""Redemption (兑现) on the shared core: 免申即享 — the platform fills the claim in and the enterprise only
confirms it; 快申快享 — a draft completed with materials checked by content; the department decides within the
working-day limit, approves against the budget, returns, refuses with a reason, records the payment; a policy
pays an enterprise once per period (the database holds it); every transition in the table is walked; bad input
saves nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.policies.models import Claim, Policy
from sciencecity.policies.services import claims, notices
from sciencecity.workflow.transitions import IllegalTransition

from .conftest import rd_policy

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def automatic(zone, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=False):
        return rd_policy(zone, automatic=True, **changes)


@pytest.fixture
def policy(published, zone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return rd_policy(
            zone,
            automatic=True,
            materials=[
                {"code": "audit", "name": "研发费用专项审计报告", "formats": ["pdf"], "max_size_mb": 5}
            ],
        )


def test_an_eligible_enterprise_only_confirms_and_the_department_pays(policy, zone):
    claim = claims.start_claim(zone["strong_people"], policy, zone["strong"])
    assert (claim.status, claim.route, claim.amount, claim.period) == (
        "offered",
        "automatic",
        Decimal("50"),
        2026,
    )
    assert claim.facts["rd_intensity"] == 8.0 and claim.number.startswith("DX2026")
    claim = claims.confirm(zone["strong_people"], claim)
    assert claim.status == "submitted" and claim.due_on == datetime.date(2026, 12, 22)  # 20 working days
    assert Notification.objects.filter(recipient=zone["reviewer"], kind="policy_claim").exists()
    with pytest.raises(PermissionDenied):
        claims.approve(zone["stranger"], claim)
    with pytest.raises(PermissionDenied):
        claims.approve(zone["strong_people"], claim)
    with pytest.raises(ValidationError):
        claims.approve(zone["reviewer"], claim, amount="80")  # more than asked
    claim = claims.approve(zone["reviewer"], claim, amount="40")
    assert claim.approved_amount == Decimal("40") and Policy.objects.get(pk=policy.pk).committed == Decimal(
        "40"
    )
    with pytest.raises(ValidationError):
        claims.pay(zone["reviewer"], claim, "")
    claim = claims.pay(zone["reviewer"], claim, "CQ20261124-0001")
    assert claim.status == "paid" and Policy.objects.get(pk=policy.pk).paid == Decimal("40")
    told = Notification.objects.filter(recipient=zone["strong_people"], kind="policy_claim")
    assert told.count() == 2 and "已拨付" in told.order_by("-pk").first().title
    assert list(
        AuditEvent.objects.filter(action__endswith="_claim").order_by("pk").values_list("action", flat=True)
    ) == [
        "policies.start_claim",
        "policies.confirm_claim",
        "policies.approve_claim",
        "policies.pay_claim",
    ]
    # Once per period: a second claim is refused by the service and by the database.
    with pytest.raises(ValidationError):
        claims.start_claim(zone["strong_people"], policy, zone["strong"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            number="DX-dup",
            policy=policy,
            enterprise=zone["strong"],
            period=2026,
            route="apply",
            status="draft",
            amount=1,
        )


def test_an_incomplete_file_applies_with_materials(policy, zone):
    claim = claims.start_claim(zone["blank_people"], policy, zone["blank"], amount="30", note="见审计报告")
    assert (claim.status, claim.route, claim.missing) == ("draft", "apply", ["chain", "rd_intensity"])
    with pytest.raises(ValidationError, match="研发费用专项审计报告"):
        claims.submit(zone["blank_people"], claim)
    with pytest.raises(ValidationError):  # a program renamed .pdf
        claims.attach_material(
            zone["blank_people"], claim, "audit", SimpleUploadedFile("审计.pdf", b"MZ\x90\x00")
        )
    with pytest.raises(ValidationError):
        claims.attach_material(zone["blank_people"], claim, "other", SimpleUploadedFile("a.pdf", PDF))
    claims.attach_material(zone["blank_people"], claim, "audit", SimpleUploadedFile("审计.pdf", PDF))
    claim = claims.submit(zone["blank_people"], claim)
    claim = claims.return_claim(zone["reviewer"], claim, "审计报告缺少签章页")
    assert claim.status == "draft" and claim.due_on is None
    claim = claims.submit(zone["blank_people"], claim)
    with pytest.raises(ValidationError):
        claims.refuse(zone["reviewer"], claim, "  ")
    claim = claims.refuse(zone["reviewer"], claim, "研发投入强度未达5%")
    assert claim.status == "refused" and claim.reason == "研发投入强度未达5%"
    # A refused claim does not block a new one for the period.
    assert claims.start_claim(zone["blank_people"], policy, zone["blank"], amount="30").status == "draft"


def test_bad_claims_save_nothing(policy, zone):
    with pytest.raises(ValidationError, match="不符合"):
        claims.start_claim(applicant_of_weak(zone), policy, zone["weak"])
    with pytest.raises(PermissionDenied):
        claims.start_claim(zone["strong_people"], policy, zone["weak"])  # another enterprise
    with pytest.raises(ValidationError):
        claims.start_claim(
            zone["blank_people"], policy, zone["blank"], amount="60"
        )  # over the policy's limit
    policy.budget = Decimal("20")
    policy.save(update_fields=["budget"])
    with pytest.raises(ValidationError, match="剩余预算"):
        claims.start_claim(zone["strong_people"], policy, zone["strong"])
    with pytest.raises(ValidationError):
        claims.start_claim(zone["strong_people"], policy, zone["strong"], period=2020)
    assert not Claim.objects.exists()


def applicant_of_weak(zone):
    from tests.factories import applicant_of

    return applicant_of(zone["weak"])


def test_the_budget_holds_at_approval(policy, zone):
    first = claims.confirm(
        zone["strong_people"], claims.start_claim(zone["strong_people"], policy, zone["strong"])
    )
    second = claims.start_claim(zone["blank_people"], policy, zone["blank"], amount="30")
    claims.attach_material(zone["blank_people"], second, "audit", SimpleUploadedFile("审计.pdf", PDF))
    second = claims.submit(zone["blank_people"], second)
    Policy.objects.filter(pk=policy.pk).update(budget=Decimal("60"))
    claims.approve(zone["reviewer"], first)
    with pytest.raises(ValidationError, match="剩余预算"):
        claims.approve(zone["reviewer"], second)
    assert Claim.objects.get(pk=second.pk).status == "submitted"
    assert Policy.objects.get(pk=policy.pk).committed == Decimal("50")


def test_notices_fill_in_the_claims_of_a_policy_without_application(policy, zone):
    assert notices.notify_enterprises(zone["reviewer"], policy) == 1
    (claim,) = Claim.objects.all()
    assert claim.enterprise == zone["strong"] and claim.status == "offered"
    with pytest.raises(IllegalTransition):
        claims.submit(zone["strong_people"], claim)  # offered: confirm, not submit
    assert claims.withdraw(zone["strong_people"], claim).status == "withdrawn"


def test_every_row_of_the_table_is_walked(policy, zone):
    """Each (from, action) of the table is reached by the tests above; here every other action is refused."""
    claim = claims.start_claim(zone["strong_people"], policy, zone["strong"])
    for action in ("approve", "refuse", "pay", "return"):
        with pytest.raises(IllegalTransition):
            claims.TRANSITIONS.check(claim, action, None)
    actions = {(row.source, row.action) for row in claims.TRANSITIONS}
    assert len(actions) == len(claims.TRANSITIONS) == 8


def test_the_morning_scan_tells_the_department_of_overdue_claims(policy, zone):
    claim = claims.confirm(
        zone["strong_people"], claims.start_claim(zone["strong_people"], policy, zone["strong"])
    )
    assert claims.warn_overdue(claim.due_on) == 0  # on the last day it is not late yet
    assert claims.warn_overdue(claim.due_on + datetime.timedelta(days=1)) == 2  # the reviewer and the head
    assert claims.warn_overdue(claim.due_on + datetime.timedelta(days=2)) == 0  # once
    assert "超过办理期限" in Notification.objects.filter(recipient=zone["head"]).order_by("-pk").first().body
