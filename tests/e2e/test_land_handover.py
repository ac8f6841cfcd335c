"""交地即领证 in the browser: on a 390 px phone the applicant names the land handover date of a complete draft
(a Saturday is refused with the reason, the page keeps the draft as it was), submits it; at the window the
clerk finds it under 定日出件, moves the date because the handover moved (the reason is required), and the
list shows the new date. Nothing scrolls sideways on the phone.

The world is the approvals' demo world on its START_DAY (2026-06-01, a Monday); the draft's answers, form and
materials are made through the services, everything about the date through the pages."""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from sciencecity.approvals.models import Application
from sciencecity.audit.models import AuditEvent
from tests.approvals.conftest import draft, upload_needed
from tests.approvals.test_target_dates import BUNDLE, HANDOVER, NO, SATURDAY
from tests.e2e.test_problem_on_a_phone import PHONE, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

MOVED = datetime.date(2026, 6, 29)  # a Monday, a week after the first handover date


def test_the_handover_date_from_the_phone_to_the_window(browser, live_server, demo_world):
    world = demo_world
    application = draft(world, BUNDLE, NO)
    upload_needed(world.applicant, application)

    phone = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.set_default_timeout(15_000)
    signed_in(page, world.applicant)
    page.goto(reverse("approvals:portal_edit", kwargs={"pk": application.pk}))
    section = page.locator("#target")
    expect(section.get_by_role("heading", name="交地日期")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    section.get_by_label("交地日期").fill(SATURDAY.isoformat())
    section.get_by_role("button").click()
    expect(page.locator("#target [role=alert]").first).to_be_visible()
    expect(page.locator("#target")).to_contain_text(SATURDAY.isoformat())  # the error names the rest day
    assert Application.objects.get(pk=application.pk).target_date is None

    page.locator("#target").get_by_label("交地日期").fill(HANDOVER.isoformat())
    page.locator("#target").get_by_role("button").click()
    expect(page.locator("#target .section-notice")).to_have_text("日期已保存。")
    assert Application.objects.get(pk=application.pk).target_date == HANDOVER

    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"**{reverse('approvals:portal_application', args=[application.pk])}")
    application.refresh_from_db()  # submitted, it has its number
    assert application.status == Application.Status.SUBMITTED
    expect(page.locator("main")).to_contain_text(HANDOVER.isoformat())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()

    desk = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = desk.new_page()
    page.set_default_timeout(15_000)
    signed_in(page, world.clerk)
    page.goto(reverse("approvals:window_targets"))
    row = page.locator("tr.application-row", has_text=application.number)
    expect(row).to_contain_text(HANDOVER.isoformat())
    row.get_by_role("link", name="调整日期").click()

    page.get_by_label("新的交地日期").fill(MOVED.isoformat())
    page.get_by_role("button", name="确认调整").click()
    expect(page.locator(".messages")).to_contain_text("请修改下面标出的错误")
    expect(page.locator("main")).to_contain_text("请填写调整原因")  # still on the form, the reason asked for
    assert (
        Application.objects.get(pk=application.pk).target_date == HANDOVER
    )  # nothing changed without a reason

    page.get_by_label("新的交地日期").fill(MOVED.isoformat())
    page.get_by_label("调整原因").fill("出让人书面通知交地日期顺延一周(渝科土通〔2026〕12号)")
    page.get_by_role("button", name="确认调整").click()
    page.wait_for_url(f"**{reverse('approvals:window_targets')}")
    expect(page.locator(".messages")).to_contain_text(MOVED.isoformat())
    expect(page.locator("tr.application-row", has_text=application.number)).to_contain_text(MOVED.isoformat())
    assert Application.objects.get(pk=application.pk).target_date == MOVED
    moved = AuditEvent.objects.get(target_id=str(application.pk), action="approvals.change_target_date")
    assert moved.actor == world.clerk and moved.after["target_date"] == MOVED.isoformat()
    desk.close()
