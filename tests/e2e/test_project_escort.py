"""Project escort in the browser. The enterprise consents to help-and-do on its project page; the escort
specialist starts a draft from the staff's project page and fills it on the draft pages (answers, form,
materials), without a submit button; the enterprise finds the draft, checks it and submits it itself. Then, on
a phone, the project unit's monthly report leaves the year's investment behind the time schedule: the project
turns yellow and its page says why."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from sciencecity.approvals.models import Application
from sciencecity.approvals.services import applications
from sciencecity.projects.models import Project
from sciencecity.projects.services import campaign, escort, schedule
from tests.approvals.conftest import SAMPLES, START_MINIMAL
from tests.e2e.drafts import fill_required_form
from tests.e2e.test_languages import sign_in
from tests.factories import staff

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def escorted(demo_world):
    world = demo_world
    project = world.project
    Project.objects.filter(pk=project.pk).update(is_key=True, phase=Project.Phase.UNDER_CONSTRUCTION)
    world.specialist = staff("project_specialist", world.departments["development"], username="specialist")
    escort.set_member(None, project, world.specialist, "specialist", "审批代办")
    return world


def signed_in(page, user):
    sign_in(page, user)
    page.wait_for_url(lambda url: "/login/" not in url)


def test_the_specialist_prepares_and_the_enterprise_submits(
    browser, live_server, escorted, tmp_path, screenshot, page
):
    world = escorted
    project = world.project
    # The enterprise consents on its project page.
    signed_in(page, world.applicant)
    page.goto(reverse("approvals:portal_project", args=[project.pk]))
    escort_section = page.locator("#escort")
    escort_section.get_by_label("授权范围").fill("开工一件事申请材料准备")
    escort_section.get_by_role("button", name="授权帮办代办").click()
    expect(page.locator("#escort")).to_contain_text("开工一件事申请材料准备")

    # The specialist starts the draft from the staff's project page and fills it in.
    helper = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    helper.set_default_timeout(10_000)
    signed_in(helper, world.specialist)
    helper.goto(reverse("approvals:project", args=[project.pk]))
    helper.get_by_role("link", name="帮办代办:代为准备申请").click()
    helper.get_by_label("一件事").select_option(str(world.bundle("start-construction").pk))
    helper.get_by_role("button", name="建立申请草稿").click()
    helper.wait_for_url("**/edit/")
    application = Application.objects.get(prepared_by=world.specialist)
    assert application.applicant == world.applicant
    answers = helper.locator("#answers")
    for code, value in START_MINIMAL.items():
        for one in value if isinstance(value, list) else [value]:
            answers.locator(f'input[name="{code}"][value="{one}"]').check()
    answers.get_by_role("button", name="保存回答").click()
    helper.wait_for_load_state()
    application.refresh_from_db()
    fill_required_form(helper, application)
    _items, notice, _form = applications.requirements(Application.objects.get(pk=application.pk))
    materials = helper.locator("#materials")
    for entry in notice:
        if entry.needs_submission and entry.required:
            path = tmp_path / f"{entry.code}.pdf"
            path.write_bytes(SAMPLES["pdf"])
            materials.locator(f"#file-{entry.code}").set_input_files(str(path))
    materials.get_by_role("button", name="保存材料").click()
    helper.wait_for_load_state()
    expect(helper.get_by_text("您不能代为提交")).to_be_visible()
    assert helper.get_by_role("button", name="提交申请").count() == 0
    helper.context.close()

    # The enterprise reviews the prepared draft and submits it.
    page.goto(reverse("approvals:portal_edit", args=[application.pk]))
    expect(page.get_by_text("按贵单位授权代为准备")).to_be_visible()
    screenshot("escort-prepared-draft")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"**{reverse('approvals:portal_application', args=[application.pk])}")
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED and application.prepared_by == world.specialist


def test_a_monthly_report_on_a_phone_turns_the_project_yellow(browser, live_server, escorted):
    world = escorted
    project = world.project
    # The server's day is 2026-06-01: May is the last month due, the time schedule stands at 5/12 = 41.7 %.
    schedule.set_plan(None, project, 2026, "continuing", Decimal("12000"))
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    signed_in(phone, world.applicant)
    phone.goto(reverse("projects:report", args=[project.pk]))
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_label("月份").fill("2026-05")
    phone.get_by_label("本月完成投资(万元)").fill("2400")
    phone.get_by_label("形象进度(%)").fill("30")
    phone.get_by_label("形象进度说明").fill("基础施工完成,主体结构施工至 3 层")
    phone.get_by_label("在场施工人数").fill("180")
    phone.get_by_role("button", name="报送").click()
    phone.wait_for_url(f"**{reverse('approvals:portal_project', args=[project.pk])}*")
    warning = phone.locator("#warning")
    expect(warning).to_contain_text("黄灯")
    expect(warning).to_contain_text("年度投资完成 20.0%,时序进度 41.7%,落后 21.7 个百分点")
    project.refresh_from_db()
    assert project.warning_level == "yellow"
    assert datetime.date(2026, 5, 1) in set(project.reports.values_list("month", flat=True))
    context.close()


def test_a_leader_publishes_a_round_on_a_phone_and_the_enterprise_sees_its_flag(
    browser, live_server, escorted
):
    """The server's day is 2026-06-01: May's round of a monthly campaign has ended; the morning scan scored it."""
    world = escorted
    leader = staff("leader", username="campaign-leader")
    made = campaign.create_campaign(
        leader,
        name="2026年“三比一争”劳动竞赛",
        round_length="month",
        starts_on=datetime.date(2026, 5, 1),
        ends_on=datetime.date(2026, 7, 31),
        pioneer_places=1,
        bottom_places=0,
    )
    assert campaign.score_due_rounds() == 1
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    signed_in(phone, leader)
    phone.goto(reverse("projects:campaign", args=[made.pk]))
    phone.get_by_role("link", name="第1轮").click()
    ranking = phone.locator("table.ranking")
    expect(ranking).to_contain_text(world.project.name)
    expect(ranking).to_contain_text("红旗")
    # Measured once the round's page is there: right after the click the document may be between two pages.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("checkbox").check()
    phone.get_by_role("button", name="公布结果").click()
    expect(phone.get_by_text("评比结果已公布")).to_be_visible()
    assert made.rounds.get(number=1).status == "published"
    context.close()

    # The enterprise finds its red flag on its project page, and the notice in its inbox.
    enterprise = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    enterprise.set_default_timeout(10_000)
    signed_in(enterprise, world.applicant)
    enterprise.goto(reverse("approvals:portal_project", args=[world.project.pk]))
    places = enterprise.locator("#campaign")
    expect(places).to_contain_text("第 1 名")
    expect(places).to_contain_text("红旗")
    enterprise.context.close()
