"""Redemption's pages: the enterprise enjoys a policy without application from its page (confirms the claim the
platform filled in) or applies with its materials; the department's queue and the decision on the claim's
page; refusals come back as messages and change nothing; another enterprise's claim is not found."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sciencecity.policies.models import Claim, Policy

from .conftest import rd_policy
from .test_claims import PDF


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


def test_an_eligible_enterprise_enjoys_it_in_two_clicks(policy, zone, client):
    client.force_login(zone["strong_people"])
    page = client.get(reverse("policies:detail", args=[policy.code])).content.decode()
    assert "享受政策" in page and "免申即享" in page
    started = client.post(reverse("policies:claim_start", args=[policy.code]))
    claim = Claim.objects.get()
    assert started.url == reverse("policies:claim", args=[claim.pk])
    page = client.get(started.url).content.decode()
    assert "平台已按企业档案为您填好" in page and "确认享受" in page and "新材料" in page
    client.post(reverse("policies:claim_act", args=[claim.pk, "confirm"]))
    assert Claim.objects.get().status == "submitted"
    again = client.post(reverse("policies:claim_start", args=[policy.code]), follow=True)
    assert "同一年度不能重复兑现" in again.content.decode() and Claim.objects.count() == 1
    # The department's queue and decision.
    client.force_login(zone["reviewer"])
    queue = client.get(reverse("policies:claims"), {"status": "submitted"}).content.decode()
    assert claim.number in queue and "强研发企业" in queue
    refused = client.post(
        reverse("policies:claim_act", args=[claim.pk, "refuse"]), {"reason": ""}, follow=True
    )
    assert "请写明理由" in refused.content.decode() and Claim.objects.get().status == "submitted"
    client.post(reverse("policies:claim_act", args=[claim.pk, "approve"]), {"amount": "45"})
    client.post(reverse("policies:claim_act", args=[claim.pk, "pay"]), {"reference": "CQ-0001"})
    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount) == ("paid", Decimal("45"))
    assert Policy.objects.get(pk=policy.pk).paid == Decimal("45")
    client.force_login(zone["strong_people"])
    mine = client.get(reverse("policies:claims")).content.decode()
    assert claim.number in mine and "已拨付" in mine
    english = client.get(
        reverse("policies:claim", args=[claim.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Paid" in english and "Payment reference" in english


def test_an_incomplete_file_applies_with_its_materials(policy, zone, client):
    client.force_login(zone["blank_people"])
    page = client.get(reverse("policies:detail", args=[policy.code])).content.decode()
    assert "申请兑现" in page and "快申快享" in page
    client.post(reverse("policies:claim_start", args=[policy.code]), {"amount": "30", "note": "见审计报告"})
    claim = Claim.objects.get()
    assert (
        claim.status == "draft"
        and "未上传" in client.get(reverse("policies:claim", args=[claim.pk])).content.decode()
    )
    bad = client.post(
        reverse("policies:claim_upload", args=[claim.pk]),
        {"code": "audit", "file": SimpleUploadedFile("审计.pdf", b"not a pdf")},
        follow=True,
    )
    assert "不是" in bad.content.decode() and not claim.claim_materials.exists()
    client.post(
        reverse("policies:claim_upload", args=[claim.pk]),
        {"code": "audit", "file": SimpleUploadedFile("审计.pdf", PDF)},
    )
    assert client.get(reverse("policies:claim_material", args=[claim.pk, "audit"])).status_code == 200
    client.post(reverse("policies:claim_act", args=[claim.pk, "submit"]))
    assert Claim.objects.get().status == "submitted"
    # Another enterprise does not find it; the enterprise may not decide it.
    client.force_login(zone["strong_people"])
    assert client.get(reverse("policies:claim", args=[claim.pk])).status_code == 404
    client.force_login(zone["blank_people"])
    client.post(reverse("policies:claim_act", args=[claim.pk, "approve"]))
    assert Claim.objects.get().status == "submitted"
