"""In the browser, on a 390 px phone screen, during a service event: the escort staff member opens the event,
adds an enterprise that turned up (typed by its credit code) and registers its demand on the phone form; the
demand is a closed-loop problem of that enterprise, listed on the event's page with its state. Nothing scrolls
sideways."""

import pytest
from playwright.sync_api import expect

from sciencecity.interactions.models import EventDemand
from tests.e2e.test_problem_on_a_phone import PHONE, signed_in
from tests.interactions.events_world import events, held_event  # noqa: F401  (the fixture: the events' zone)

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_escort_registers_a_demand_on_a_phone(browser, live_server, events):  # noqa: F811
    event = held_event(events)
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    signed_in(page, events.escort)
    page.goto(f"/service-events/{event.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_text("添加企业", exact=True).click()
    adding = page.locator("details", has_text="添加企业")
    adding.get_by_label("企业", exact=True).fill(events.outsider.credit_code)
    adding.get_by_label("企业参加人员").fill("赵强(总经理)")
    adding.get_by_role("button", name="添加").click()
    expect(page.locator("#participants")).to_contain_text(events.outsider.name)

    page.get_by_role("link", name="登记企业诉求").click()
    page.get_by_label("提出诉求的企业").select_option(str(events.outsider.pk))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the demand form is there
    page.get_by_label("诉求类别").select_option(str(events.land.pk))
    page.get_by_label("诉求", exact=True).fill("新厂房用地需求")
    page.get_by_label("具体情况").fill("拟新建厂房,需新增工业用地约20亩。")
    page.get_by_role("button", name="提交诉求").click()
    demand = EventDemand.objects.get()
    expect(page.locator(".messages")).to_contain_text(demand.problem.number)
    assert demand.enterprise == events.outsider and demand.problem.enterprise == events.outsider

    page.get_by_role("link", name="返回活动").click()
    expect(page.locator("#demands")).to_contain_text(demand.problem.number)
    expect(page.locator("#demands")).to_contain_text("待签收")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
