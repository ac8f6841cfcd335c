"""In the browser: on the department worklist and the leaders' list of applications, changing a filter
replaces the rows in place (htmx: no full navigation, the page's JavaScript state survives) and pushes the
filtered URL into the address bar, so the address stays shareable and the browser's back and forward buttons
move between the filters; opening that address gives the same rows.

The world is the main flow of tests/pages/main_flow.py: the planning reviewer holds one task in review and one
paused for a supplement; the leader sees five applications, one of them in correction.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_languages import open_as, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def visits(main_flow):
    return main_flow[1]


@pytest.mark.parametrize(
    ("name", "row", "status", "before", "after"),
    [
        ("department-worklist", "tr.task-row", "supplement", 2, 1),
        ("leaders-applications", "tr.application-row", "correction", 5, 1),
    ],
)
def test_a_filter_updates_the_rows_without_a_full_navigation(
    page, live_server, visits, screenshot, name, row, status, before, after
):
    visit = visits[name]
    sign_in(page, visit.user)
    open_as(page, live_server, visit)
    rows = page.locator(row)
    expect(rows).to_have_count(before)
    page.evaluate("window.samePage = true")  # lost if the browser loads a new document

    page.locator("#filter_status").select_option(status)
    expect(rows).to_have_count(after)
    expect(page).to_have_url(re.compile(rf"[?&]status={status}(&|$)"))
    assert page.evaluate("window.samePage === true")
    assert page.locator("#filter_status").input_value() == status
    screenshot(f"filter-{name}")

    page.go_back()  # htmx restores the unfiltered rows from its history
    expect(page.locator(row)).to_have_count(before)
    page.go_forward()
    expect(page.locator(row)).to_have_count(after)

    page.reload()  # the pushed address is a real page: the same rows without htmx's help
    expect(page.locator(row)).to_have_count(after)
    assert page.evaluate("window.samePage === undefined")
