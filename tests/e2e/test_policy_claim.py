"""A policy in the browser, both sides. The enterprise's file lacks last year's figures, so a policy paid
without application (免申即享) waits for them; the enterprise completes its file, the background refresh runs,
the policy becomes eligible; the enterprise enjoys it — the platform fills the claim in and the enterprise
only confirms it. The paying department finds the claim in its queue, approves the payout and records the
payment; the enterprise sees it paid."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from sciencecity.enterprises import profile
from sciencecity.policies.models import Claim, Policy
from sciencecity.policies.services import matching, policies
from tests.e2e.test_languages import sign_in
from tests.factories import DepartmentFactory, EnterpriseFactory, applicant_of, staff
from tests.policies.conftest import run_refreshes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def zone(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    science = DepartmentFactory(code="science", name="科技创新局")
    enterprise = EnterpriseFactory(name="重庆晶芯微电子有限公司", is_high_tech=True)
    profile.update_profile(None, enterprise, size="small", chain="information", employees=120, rd_staff=40)
    policy = policies.save_policy(
        None,
        "rd-reward",
        conditions=[
            {"fact": "is_high_tech", "operator": "==", "value": True},
            {"fact": "rd_intensity", "operator": ">=", "value": 5},
        ],
        publish=True,
        title="企业研发投入奖励",
        area="innovation",
        text="对研发投入强度不低于5%的高新技术企业给予奖励。",
        beneficiaries="高新技术企业",
        requirements="高新技术企业;上年研发投入强度不低于5%",
        amount=Decimal("30"),
        amount_text="每家企业30万元",
        budget=Decimal("600"),
        valid_from=datetime.date(2026, 1, 1),
        department=science,
        automatic=True,
    )
    matching.refresh()
    run_refreshes()
    return {
        "policy": policy,
        "enterprise": enterprise,
        "owner": applicant_of(enterprise, username="jingxin"),
        "reviewer": staff("department_reviewer", science, username="kj-reviewer"),
    }


def signed_in(page, user):
    sign_in(page, user)
    page.wait_for_url(lambda url: "/login/" not in url)


def test_the_enterprise_completes_its_file_enjoys_the_policy_and_is_paid(
    browser, live_server, zone, page, screenshot
):
    signed_in(page, zone["owner"])
    page.goto(reverse("policies:list"))
    waiting = page.locator("#incomplete")
    expect(waiting).to_contain_text("企业研发投入奖励")
    expect(waiting).to_contain_text("上年研发投入强度")
    page.get_by_role("link", name="完善企业档案").first.click()
    years = page.locator("#years")
    years.get_by_label("年度").fill("2025")
    years.get_by_label("营业收入(万元)").fill("6000")
    years.get_by_label("研发投入(万元)").fill("480")
    years.get_by_role("button").click()
    expect(page.locator("#years")).to_contain_text("6000")
    run_refreshes()  # what the task worker does in the background

    page.goto(reverse("policies:list"))
    expect(page.locator("#eligible")).to_contain_text("企业研发投入奖励")
    page.locator("#eligible").get_by_role("link", name="企业研发投入奖励").click()
    expect(page.locator("#my-verdict")).to_contain_text("符合条件")
    page.get_by_role("button", name="享受政策").click()
    expect(page.locator("h1")).to_contain_text("兑现申请")
    expect(page.locator("main")).to_contain_text("平台已按企业档案为您填好")
    screenshot("policy-claim-offered")
    page.get_by_role("button", name="确认享受").click()
    expect(page.locator("main")).to_contain_text("待审核")
    claim = Claim.objects.get()
    assert claim.status == "submitted" and claim.route == "automatic"

    officer = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    officer.set_default_timeout(10_000)
    signed_in(officer, zone["reviewer"])
    officer.goto(reverse("policies:claims") + "?status=submitted")
    officer.get_by_role("link", name=claim.number).click()
    officer.get_by_label("核准金额(万元)").fill("30")
    officer.get_by_role("button", name="核准兑现").click()
    expect(officer.locator("main")).to_contain_text("已核准")
    officer.get_by_label("拨付凭证号").fill("GK20261124001")
    officer.get_by_role("button", name="登记拨付").click()
    expect(officer.locator("main")).to_contain_text("GK20261124001")
    officer.context.close()

    page.goto(reverse("policies:claims"))
    expect(page.locator("main")).to_contain_text("已拨付")
    assert Policy.objects.get(pk=zone["policy"].pk).paid == Decimal("30")
