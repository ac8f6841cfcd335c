"""In the browser: a department head opens the folded actions of a worklist row, extends the task's deadline
with a reason, and comes back to the same worklist with the new deadline and a message.

The world is the main flow of tests/pages/main_flow.py: the planning department has one task in review and one
paused for a supplement.
"""

import pytest
from playwright.sync_api import expect

from sciencecity.approvals.models import ReviewTask
from tests.e2e.test_languages import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def head(main_flow):
    world, _visits = main_flow
    return world.head("planning")


def test_the_head_extends_a_task_from_the_worklist(page, head, screenshot):
    task = ReviewTask.objects.get(department=head.department, status=ReviewTask.Status.IN_REVIEW)
    sign_in(page, head)
    page.goto("/department/?status=in_review")
    row = page.locator("tr.task-row")
    expect(row).to_have_count(1)
    summary = row.locator("details.row-actions summary")
    summary.focus()
    page.keyboard.press("Enter")  # reachable and opened by keyboard
    expect(row.get_by_label("延长工作日")).to_be_visible()
    screenshot("worklist-head-actions")
    row.get_by_label("延长工作日").fill("2")
    row.get_by_label("延长理由").fill("需组织专家论证")
    row.get_by_role("button", name="延长期限").click()
    page.wait_for_load_state()
    assert page.url.endswith("/department/?status=in_review")
    expect(page.locator(".messages")).to_contain_text("已延长期限。")
    task.refresh_from_db()
    assert task.extension_days == 2
    expect(page.locator("tr.task-row")).to_contain_text(task.promised_deadline.strftime("%Y-%m-%d"))
