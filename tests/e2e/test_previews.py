"""In the browser: the reviewer sees the submitted files in place on the task page, and the window clerk can
open a preview of each material on the intake page. A file that refused to be framed (X-Frame-Options: DENY)
left a blank frame and a console error: that is what these tests catch."""

import pytest
from playwright.sync_api import expect

from sciencecity.approvals.models import ReviewTask
from tests.approvals.conftest import START_MINIMAL, submitted
from tests.e2e.test_languages import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(main_flow):
    return main_flow[0]


def refusals(page) -> list[str]:
    found = []
    page.on("console", lambda message: found.append(message.text) if "Refused" in message.text else None)
    return found


def framed_files(page) -> list:
    return [
        frame
        for frame in page.frames
        if "/window/materials/" in frame.url or frame.url.startswith("chrome-error")
    ]


def test_the_reviewer_sees_the_pdfs_in_place(page, world, screenshot):
    task = ReviewTask.objects.filter(department__code="planning", status=ReviewTask.Status.IN_REVIEW).first()
    refused = refusals(page)
    sign_in(page, world.reviewer_of(task))
    page.goto(f"/department/tasks/{task.pk}/")
    viewers = page.locator("iframe.viewer")
    expect(viewers.first).to_be_visible()
    page.wait_for_load_state("networkidle")
    frames = framed_files(page)
    assert frames and len({frame.url for frame in frames}) == viewers.count()
    assert not [frame.url for frame in frames if frame.url.startswith("chrome-error")]
    assert not refused, refused
    screenshot("department-task-previews")


def test_the_clerk_previews_a_material_at_intake(page, world):
    application = submitted(world, "start-construction", START_MINIMAL, key="preview")
    refused = refusals(page)
    sign_in(page, world.clerk)
    page.goto(f"/window/applications/{application.pk}/intake/")
    preview = page.locator("details.preview").first
    preview.locator("summary").click()
    expect(preview.locator("iframe.viewer")).to_be_visible()
    page.wait_for_load_state("networkidle")
    frames = framed_files(page)
    assert frames and not [frame.url for frame in frames if frame.url.startswith("chrome-error")]
    assert not refused, refused
