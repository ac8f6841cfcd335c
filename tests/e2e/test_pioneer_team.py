"""A pioneer team in the browser: the working committee's officer forms the approval-reform team, links it to a
key project by its code, enlists a member by name, and sees the team's outcomes computed from the project —
the red-light figure opens the list of the very project it counts. Then on a phone's width."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from sciencecity.partybuilding.models import PioneerTeam
from tests.e2e.test_languages import sign_in
from tests.factories import ProjectFactory
from tests.partybuilding.conftest import member, tree  # noqa: F401 - the tree fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_officer_forms_a_team_linked_to_a_project_and_sees_its_outcomes(
    browser,
    live_server,
    tree,  # noqa: F811 - the fixture imported above
    page,
    screenshot,
    settings,  # noqa: F811
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    project = ProjectFactory(name="科学大道二期工程", is_key=True, warning_level="red")
    member(tree["housing"], 1, name="刘洋")
    sign_in(page, tree["root_officer"])
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(reverse("party:teams"))
    form = page.locator("#form-team")
    form.get_by_label("牵头党组织").select_option(label="科学城机关党委")
    form.get_by_label("先锋队名称").fill("科学大道项目红岩先锋队")
    form.get_by_label("使命任务").fill("党旗插在项目一线,保障按节点建成。")
    form.get_by_role("button", name="组建").click()
    expect(page.locator("h1")).to_have_text("科学大道项目红岩先锋队")
    team = PioneerTeam.objects.get()
    # Link the project by its code.
    links = page.locator("#add-link")
    links.locator("summary").click()
    links.get_by_label("联系对象类别").select_option("project")
    links.get_by_label("项目代码").fill(project.code)
    links.get_by_role("button", name="添加").click()
    expect(page.locator("#links")).to_contain_text("科学大道二期工程")
    # The outcomes count the project and its colour.
    expect(page.locator('[data-figure="projects"] .value')).to_have_text("1")
    expect(page.locator('[data-figure="projects_red"] .value')).to_have_text("1")
    # Enlist a member by name.
    enlist = page.locator("#enlist")
    enlist.locator("summary").click()
    enlist.get_by_label("党员姓名").fill("刘洋")
    enlist.get_by_label("队内职责").select_option("captain")
    enlist.get_by_role("button", name="加入").click()
    expect(page.locator("#members")).to_contain_text("刘洋")
    screenshot("party-team")
    # Drill down: the red-light figure lists exactly the project it counts.
    page.locator('[data-figure="projects_red"] a').click()
    expect(page.locator("#figure-total")).to_have_text("1")
    expect(page.locator("table")).to_contain_text("科学大道二期工程")
    # On a phone: the team page still shows its figures and links.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("party:team", args=[team.pk]))
    expect(page.locator('[data-figure="projects_red"]')).to_be_visible()
    screenshot("party-team-phone")
