"""In the browser: on the application's edit page each section is saved on its own, so changes in one section
must not vanish silently when another section is saved or the page is left.

The applicant changes a situation answer and a field of the form, then presses 保存申请表: the browser asks
first, naming the section with unsaved changes; dismissing keeps both changes on the page and saves nothing.
Leaving the page with changes makes the browser ask too. Saving the section that changed asks nothing."""

import pytest
from playwright.sync_api import expect

from sciencecity.approvals.models import Application
from tests.approvals.conftest import START_MINIMAL, draft
from tests.e2e.test_languages import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def application(demo_world):
    return demo_world, draft(demo_world, "start-construction", START_MINIMAL)


def dialogs(page, accept: bool) -> list:
    seen = []

    def answer(dialog):
        seen.append((dialog.type, dialog.message))
        dialog.accept() if accept else dialog.dismiss()

    page.on("dialog", answer)
    return seen


def first_text_field(page):
    return page.locator("#form input[type=text]:not([readonly])").first


def test_saving_one_section_asks_before_losing_changes_in_another(page, application, screenshot):
    world, app = application
    saved_form = dict(app.form_data)
    seen = dialogs(page, accept=False)
    sign_in(page, world.applicant)
    page.goto(f"/portal/applications/{app.pk}/edit/")

    answers = page.locator("#answers")
    expect(answers.locator(".unsaved-note")).to_be_hidden()
    answers.locator('input[name="occupy_road"][value="yes"]').check()
    expect(answers.locator(".unsaved-note")).to_be_visible()
    field = first_text_field(page)
    field.fill("重庆科学城建设有限公司")
    expect(page.locator("#form .unsaved-note")).to_be_visible()
    screenshot("edit-unsaved-changes")

    page.locator("#form").get_by_role("button", name="保存申请表").click()
    assert [kind for kind, _message in seen] == ["confirm"]
    assert "情形问题" in seen[0][1] and "申请表" not in seen[0][1]
    # Dismissed: nothing was sent, both changes are still on the page.
    expect(answers.locator('input[name="occupy_road"][value="yes"]')).to_be_checked()
    expect(field).to_have_value("重庆科学城建设有限公司")
    app.refresh_from_db()
    assert app.answers == START_MINIMAL and app.form_data == saved_form

    seen.clear()
    page.locator("a", has_text="返回企业服务").first.click()
    expect(page.locator("#answers")).to_be_visible()
    assert [kind for kind, _message in seen] == ["beforeunload"]
    assert page.url.endswith(f"/portal/applications/{app.pk}/edit/")


def test_saving_the_changed_section_asks_nothing(page, application):
    world, app = application
    seen = dialogs(page, accept=False)
    sign_in(page, world.applicant)
    page.goto(f"/portal/applications/{app.pk}/edit/")
    page.locator('#answers input[name="occupy_road"][value="yes"]').check()
    page.locator("#answers").get_by_role("button", name="保存回答").click()
    page.wait_for_load_state()
    expect(page.locator("#answers .unsaved-note")).to_be_hidden()
    assert seen == []
    app.refresh_from_db()
    assert app.answers["occupy_road"] == "yes"
    assert Application.objects.filter(pk=app.pk, status=Application.Status.DRAFT).exists()


def test_confirming_saves_the_section_pressed_and_only_it(page, application):
    world, app = application
    seen = dialogs(page, accept=True)
    sign_in(page, world.applicant)
    page.goto(f"/portal/applications/{app.pk}/edit/")
    page.locator('#answers input[name="occupy_road"][value="yes"]').check()
    first_text_field(page).fill("重庆科学城建设有限公司")
    name = first_text_field(page).get_attribute("id").removeprefix("form_")
    page.locator("#form").get_by_role("button", name="保存申请表").click()
    page.wait_for_load_state()
    expect(page.locator('#answers input[name="occupy_road"][value="no"]')).to_be_checked()
    assert [kind for kind, _message in seen] == ["confirm"]
    app.refresh_from_db()
    assert app.answers == START_MINIMAL  # as the question warned
    assert app.form_data[name] == "重庆科学城建设有限公司"
