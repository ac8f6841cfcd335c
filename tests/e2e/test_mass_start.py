"""集中开工 in the browser: the projects specialist records the day's event, pastes its projects as the
announcement lists them (a wrong line is refused with its line number and nothing is added), then the right
lines; the event's page shows the totals computed from the rows (projects, 亿元), the project that had no
start yet is dated by the event, and the project's own page names the event. On a 390 px phone the event's
page does not scroll sideways."""

import datetime

import pytest
from playwright.sync_api import expect

from sciencecity.projects.models import MassStart, MassStartProject
from tests.e2e.test_problem_on_a_phone import PHONE, signed_in
from tests.projects.conftest import site  # noqa: F401  (the fixtures: the zone and its projects)
from tests.projects.test_mass_starts import projects, start_of  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_recording_a_mass_start_and_its_projects(browser, live_server, projects):  # noqa: F811
    zone, approval, signed = projects
    desk = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = desk.new_page()
    page.set_default_timeout(15_000)
    signed_in(page, zone.specialist)
    page.goto("/projects/mass-starts/")
    new = page.locator("#new")
    new.get_by_label("活动名称").fill("2021年第二批重点项目集中开工")
    new.get_by_label("开工日期").fill("2021-04-15")
    new.get_by_label("活动地点").fill("中电重庆软件园项目现场")
    new.get_by_label("主办单位").fill("西部(重庆)科学城管委会")
    new.get_by_role("button", name="登记活动").click()
    page.wait_for_url("**/#add")
    event = MassStart.objects.get()

    add = page.locator("#add")
    add.get_by_label("开工项目").fill(f"{approval.code} 150000\n2020-000000-00-00-000000")
    add.get_by_role("button", name="添加").click()
    expect(page.locator("#add")).to_contain_text("第 2 行")
    assert not MassStartProject.objects.exists()

    page.locator("#add").get_by_label("开工项目").fill(f"{approval.code} 150000\n{signed.code}")
    page.locator("#add").get_by_role("button", name="添加").click()
    expect(page.locator(".messages")).to_contain_text("已添加 2 个开工项目")
    projects_table = page.locator("#projects")
    expect(projects_table).to_contain_text(approval.name)
    expect(projects_table).to_contain_text(signed.name)
    event.refresh_from_db()
    assert event.project_count == 2 and str(event.investment_yi) == "40.93"  # 150,000 + 259,340 万元
    expect(page.locator("main")).to_contain_text("40.93")
    assert start_of(approval) == datetime.date(2021, 4, 15)

    projects_table.get_by_role("link", name=approval.name).click()
    expect(page.locator("main")).to_contain_text("2021年第二批重点项目集中开工")
    desk.close()

    phone = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.set_default_timeout(15_000)
    signed_in(page, zone.specialist)
    page.goto(f"/projects/mass-starts/{event.pk}/")
    expect(page.locator("#projects")).to_contain_text(approval.name)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.close()
