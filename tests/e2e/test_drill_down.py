"""In the browser: a bar of the leaders' charts leads to the list of the records it counts, like the number in
the table beneath it. The world is the main flow of tests/pages/main_flow.py, seen by its leader."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_languages import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# The page position of the middle of one bar, from the bar's own layout (several series share a category, so
# the category's centre may be another series' bar).
BAR = """([id, series, index]) => {
  const element = document.getElementById(id);
  const chart = window.echarts.getInstanceByDom(element);
  const data = chart.getModel().getSeriesByIndex(series).getData();
  const rect = data.getItemLayout(index);
  const box = element.getBoundingClientRect();
  return {x: box.left + rect.x + rect.width / 2, y: box.top + rect.y + rect.height / 2, value: chart.getOption().series[series].data[index]};
}"""


@pytest.fixture
def leader(main_flow):
    return main_flow[1]["leaders-overview"]


def click_bar(page, chart_id, series, index) -> int:
    page.locator(f"#{chart_id} canvas").first.wait_for()
    page.locator(f"#{chart_id}").scroll_into_view_if_needed()
    bar = page.evaluate(BAR, [chart_id, series, index])
    page.mouse.click(bar["x"], bar["y"])
    return int(bar["value"])


def test_a_departments_bar_opens_its_open_tasks(page, leader, screenshot):
    sign_in(page, leader.user)
    page.goto(leader.url)
    figure = click_bar(page, "chart-departments", 0, 0)
    expect(page).to_have_url(re.compile(r"/leaders/tasks/\?department=[\w-]+&state=open$"))
    expect(page.locator("tr.task-row")).to_have_count(figure)
    screenshot("leaders-drill-down-tasks")


def test_a_status_bar_opens_the_applications_in_that_status(page, leader):
    sign_in(page, leader.user)
    page.goto(leader.url)
    index = page.evaluate(
        "JSON.parse(document.getElementById('overview-data').textContent).by_status.findIndex(r => r.count > 0)"
    )
    figure = click_bar(page, "chart-status", 0, index)
    expect(page).to_have_url(re.compile(r"/leaders/applications/\?status=\w+$"))
    expect(page.locator("tr.application-row")).to_have_count(figure)
