"""In the browser, on a 390 px phone screen: a river patrol reports a problem where it stands — the form shows
the monitoring section field for the source 河长巡河 and, once "使用我的位置" has placed the problem, selects
the nearest section; the section's page draws its monthly chart without widening the phone's page and lists
the problem; the environment bureau enters a month's reading on the same page."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from sciencecity.problems.models import Problem
from sciencecity.problems.rivers.models import WaterReading
from tests.e2e.conftest import artifact
from tests.e2e.test_problem_on_a_phone import PHONE, phone_page, signed_in
from tests.problems.conftest import zone  # noqa: F401  (the fixture: departments, categories, people)
from tests.problems.test_rivers import liangtan_story, rivers  # noqa: F401  (the rivers' fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_patrol_reports_at_the_nearest_section_and_reads_its_page(browser, live_server, zone, rivers):  # noqa: F811
    section = rivers["lower"]
    liangtan_story(section)
    latitude, longitude = float(section.latitude) + 0.0003, float(section.longitude)
    page = phone_page(browser, live_server, latitude, longitude)
    signed_in(page, zone.inspector)
    page.goto("/problems/report/")
    field = page.locator("#id_section")
    page.get_by_label("来源").select_option("citizen")
    expect(field).to_be_hidden()
    page.get_by_label("来源").select_option("river_patrol")
    expect(field).to_be_visible()
    page.get_by_label("问题类别").select_option(str(zone.river.pk))
    page.get_by_label("标题").fill("断面上游排水口异常排水")
    page.get_by_label("问题描述").fill("曾家断面上游约30米排水口排出浑浊污水。")
    page.get_by_role("button", name="使用我的位置").click()
    expect(field).to_have_value(str(section.pk))
    expect(page.locator("[data-nearest-section]")).to_contain_text("曾家断面")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(lambda url: "/problems/report/" not in url)
    problem = Problem.objects.get(title="断面上游排水口异常排水")
    assert problem.section_id == section.pk and problem.source == Problem.Source.RIVER_PATROL

    page.goto(f"/problems/rivers/{section.pk}/")
    expect(page.locator("#river-class-chart")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#section-run")).to_contain_text("连续 5 年")
    expect(page.locator("#section-problems")).to_contain_text(problem.number)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=artifact("river-section-phone"), full_page=True)
    page.goto("/problems/rivers/")
    expect(page.locator('tr[data-section="LTH-02"]')).to_contain_text("优于目标 1 个类别")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=artifact("river-sections-phone"), full_page=True)

    bureau = phone_page(browser, live_server, latitude, longitude)
    signed_in(bureau, zone.env_reviewer)
    other = rivers["huxi_mouth"]
    bureau.goto(f"/problems/rivers/{other.pk}/")
    form = bureau.locator("#record")
    form.get_by_label("水质类别").select_option("3")
    form.get_by_label("氨氮").fill("0.82")
    form.get_by_role("button", name="录入").click()
    expect(bureau.locator(".messages")).to_contain_text("已录入")
    reading = WaterReading.objects.get(section=other)
    assert reading.water_class == 3 and reading.ammonia_nitrogen == Decimal("0.820")
    assert reading.month == datetime.date(2026, 10, 1)  # last month, the form's default
