"""The cockpit in the browser: a leader opens June 2026, every chart of the page is drawn (and the zone's map),
a figure opens the records it counts and so does a bar; then the same page on a wall display of 1920 px, a
1366 px screen and a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.approvals.conftest import approval_roles, fast_passwords, isolated_media  # noqa: F401 - fixtures
from tests.cockpit.conftest import JUNE, cockpit_world  # noqa: F401 - the world fixture
from tests.e2e.test_drill_down import click_bar
from tests.e2e.test_languages import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Every chart element the page holds and whether ECharts drew into it (a chart without records is hidden).
CHARTS = """() => Array.from(document.querySelectorAll('.chart[id^="chart-"]'))
  .map(e => ({id: e.id, hidden: e.hidden, drawn: e.getAttribute('data-drawn') === 'true'}))"""


def test_a_leader_reads_the_cockpit_and_drills_down(page, cockpit_world, screenshot):  # noqa: F811
    sign_in(page, cockpit_world.leader)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/cockpit/?period={JUNE}")
    expect(page.locator("h1")).to_contain_text("2026年6月")
    page.wait_for_function("() => document.querySelectorAll('.chart[data-drawn]').length > 5")
    charts = page.evaluate(CHARTS)
    assert len(charts) >= 10
    undrawn = [chart["id"] for chart in charts if not chart["hidden"] and not chart["drawn"]]
    assert not undrawn, undrawn
    assert page.locator(".reform-chart[data-drawn]").count() >= 1
    expect(page.locator("[data-zone-chart] canvas").first).to_be_attached()
    screenshot("cockpit-1366")

    # A figure opens its records: as many as it says.
    tile = page.locator('[data-figure="problems_reported"]')
    expect(tile.locator(".value")).to_have_text("3")
    tile.locator("a").click()
    expect(page.locator("#list-measure")).to_contain_text("3")
    expect(page.locator("#records tbody tr")).to_have_count(3)

    # A bar opens its records: the red light's one project.
    page.go_back()
    value = click_bar(page, "chart-projects_by_warning", 0, 2)
    page.wait_for_url(re.compile(r"by=warning&value=red"))
    expect(page.locator("#records tbody tr")).to_have_count(value)
    expect(page.locator("#records")).to_contain_text("科学大道二期")

    # A wall display shows two sections side by side; a phone one column, figures still readable.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"/cockpit/?period={JUNE}")
    page.wait_for_function("() => document.querySelectorAll('.chart[data-drawn]').length > 5")
    approvals = page.locator("#section-approvals").bounding_box()
    projects = page.locator("#section-projects").bounding_box()
    assert abs(approvals["y"] - projects["y"]) < 2 and projects["x"] > approvals["x"] + approvals["width"] / 2
    screenshot("cockpit-1920")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/cockpit/?period={JUNE}")
    expect(page.locator('[data-figure="problems_overdue"]')).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400, width
    screenshot("cockpit-phone")
