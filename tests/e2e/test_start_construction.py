"""A whole 开工一件事 (start-construction) in the browser, in Chinese: a new enterprise's applicant registers a
project, applies, answers a correction notice; the window accepts; every department involved claims and
approves in order of the dependencies; the window delivers; the applicant downloads and verifies the
certificates and rates the service. Then the applicant's progress page in English shows no Chinese outside
the data (names of the enterprise, project, departments, items, materials, certificates, people).

The world (departments, the published demo catalog, staff, the enterprise and its applicant) is built with
the factories and services; everything after that goes through the pages.
"""

import re

import pytest
from django.urls import reverse

from sciencecity.accounts.models import Department
from sciencecity.approvals import selectors
from sciencecity.approvals.models import Application, Certificate, Rating, ReviewTask
from sciencecity.approvals.services import applications
from sciencecity.catalog.models import MaterialSpec, ServiceItem
from tests.approvals.conftest import SAMPLES, START_MINIMAL, load_demo_world
from tests.conftest import CONFIRMED_YEARS, confirm_years
from tests.e2e.drafts import fill_required_form
from tests.factories import EnterpriseFactory, UserFactory, applicant_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.any_day]

PASSWORD = "correct horse battery staple"
BUNDLE = "start-construction"
PROJECT_CODE = "2026-500106-47-01-900777"
PROJECT_NAME = "科学城量子器件中试基地"
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def world(settings, tmp_path, transactional_db):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    confirm_years(CONFIRMED_YEARS)
    world = load_demo_world()
    bundle = world.bundle(BUNDLE)
    # The departments of the items these answers select: a reviewer and a head in each.
    items = selectors.selected_items(bundle, START_MINIMAL, complete=False)
    staff = {}
    for department in {item.department for item in items}:
        staff[department.code] = UserFactory(
            username=f"reviewer-{department.code}", department=department, roles=["department_reviewer"]
        )
        UserFactory(username=f"head-{department.code}", department=department, roles=["department_head"])
    enterprise = EnterpriseFactory(name="重庆新登记量子科技有限公司")
    applicant = applicant_of(enterprise, username="new-applicant", display_name="李申报")
    return {
        "world": world,
        "bundle": bundle,
        "items": items,
        "staff": staff,
        "enterprise": enterprise,
        "applicant": applicant,
    }


def test_start_construction_through_the_browser(page, screenshot, world, tmp_path):
    applicant = world["applicant"]

    def log_in(username, url):
        page.goto(url)
        if "/login/" in page.url:
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"**{url}")

    def log_out():
        page.get_by_role("button", name="退出登录").click()
        page.get_by_role("heading", name="登录").wait_for()

    def pdf_file(spec):
        kind = (spec.formats or ["pdf"])[0]
        if "pdf" in (spec.formats or ["pdf"]):
            kind = "pdf"
        path = tmp_path / f"{spec.code}.{kind}"
        path.write_bytes(SAMPLES[kind])
        return str(path)

    # --- the applicant: project, application, answers, form, materials, submission -----------------------
    log_in("new-applicant", reverse("approvals:portal_home"))
    page.get_by_role("heading", name="企业服务").wait_for()
    assert world["enterprise"].name in page.content()
    screenshot("sc-portal-home")

    page.get_by_role("link", name="登记新项目").first.click()
    page.locator("#project_code").fill(PROJECT_CODE)
    page.locator("#project_name").fill(PROJECT_NAME)
    page.locator("#project_total_investment").fill("12000")
    page.locator("#project_land_area").fill("8000")
    page.locator("#project_location").fill("重庆市沙坪坝区曾家镇")
    page.get_by_role("button", name="登记").click()
    page.get_by_role("cell", name=PROJECT_NAME).wait_for()

    page.get_by_role("row", name=PROJECT_NAME).get_by_role("link", name="申请办理").click()
    page.get_by_role("heading", name="申请办理一件事").wait_for()
    page.get_by_role("combobox", name="一件事").select_option(str(world["bundle"].pk))
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_url("**/edit/")
    application = Application.objects.get(enterprise=world["enterprise"])
    assert application.project.name == PROJECT_NAME

    answers = page.locator("#answers")
    for code, value in START_MINIMAL.items():
        for one in value if isinstance(value, list) else [value]:
            answers.locator(f'input[name="{code}"][value="{one}"]').check()
    answers.get_by_role("button", name="保存回答").click()
    page.wait_for_load_state()
    application.refresh_from_db()
    assert application.answers == START_MINIMAL
    screenshot("sc-wizard-answers")

    fill_required_form(page, application)
    application.refresh_from_db()
    assert application.form_data

    _items, notice, _form = applications.requirements(application)
    to_upload = [entry for entry in notice if entry.needs_submission and entry.required]
    assert to_upload
    materials = page.locator("#materials")
    for entry in to_upload:
        materials.locator(f"#file-{entry.code}").set_input_files(pdf_file(entry.spec))
    materials.get_by_role("button", name="保存材料").click()
    page.wait_for_load_state()
    assert not page.locator("#materials [role=alert]").count()
    screenshot("sc-wizard-materials")

    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"**{reverse('approvals:portal_application', args=[application.pk])}")
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    log_out()

    # --- the window: a correction notice -------------------------------------------------------------------
    intake_url = reverse("approvals:window_intake", args=[application.pk])
    log_in("clerk", reverse("approvals:window_queue"))
    page.get_by_role("link", name=application.number).click()
    page.wait_for_url(f"**{intake_url}")
    screenshot("sc-intake")
    wrong = to_upload[0]
    wrong_name = wrong.spec.display_name
    page.get_by_label(f"“{wrong_name}”审核意见").select_option("rejected")
    page.get_by_label(f"“{wrong_name}”存在的问题").fill("盖章不清晰,请重新扫描")
    page.get_by_role("button", name="告知补正").click()
    page.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.CORRECTION
    log_out()

    # --- the applicant answers the correction --------------------------------------------------------------
    progress_url = reverse("approvals:portal_application", args=[application.pk])
    log_in("new-applicant", progress_url)
    correction = page.locator("#correction")
    correction.get_by_text("盖章不清晰,请重新扫描").wait_for()
    screenshot("sc-correction-notice")
    correction.locator(f"#file-{wrong.code}").set_input_files(pdf_file(wrong.spec))
    correction.get_by_role("button", name="提交补正并重新提交").click()
    page.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED and application.submission_count == 2
    log_out()

    # --- the window accepts ---------------------------------------------------------------------------------
    log_in("clerk", intake_url)
    for select in page.locator('select[name^="verdict_"]').all():
        if select.locator('option[value="accepted"]').count():
            select.select_option("accepted")
    page.get_by_role("button", name="受理", exact=True).click()
    page.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW, application.status
    log_out()

    # --- the departments, in the order the dependencies release the tasks ---------------------------------
    shot = False
    for _round in range(20):
        pending = list(
            ReviewTask.objects.filter(application=application, status=ReviewTask.Status.PENDING)
            .select_related("item", "department")
            .order_by("item__code")
        )
        if not pending:
            break
        for task in pending:
            reviewer = world["staff"][task.department.code]
            log_in(reviewer.username, reverse("approvals:department_worklist"))
            row = page.locator("tr.task-row", has_text=task.item.display_name).filter(
                has_text=application.number
            )
            if not shot:
                screenshot("sc-worklist")
            row.get_by_role("link", name=application.number).click()
            page.get_by_role("button", name="认领").click()
            page.get_by_role("heading", name="审批决定").wait_for()
            if not shot:
                screenshot("sc-task")
                shot = True
            decision = page.locator("#decision-heading").locator("xpath=..")
            decision.get_by_label("准予许可", exact=True).check()
            decision.get_by_label("意见或理由").fill("符合要求")
            decision.get_by_role("button", name="提交决定").click()
            page.wait_for_load_state()
            task.refresh_from_db()
            assert task.status == ReviewTask.Status.APPROVED, task.status
            log_out()
    application.refresh_from_db()
    assert application.status == Application.Status.CONCLUDED, application.status

    # --- 窗口统一出件: before the window delivers, the applicant sees the decisions, not the documents -------
    log_in("new-applicant", progress_url)
    page.get_by_text("由综合窗口统一出件").wait_for()
    assert page.get_by_role("link", name="下载").count() == 0
    first = application.certificates.first()
    blocked = page.request.get(reverse("approvals:certificate_pdf", args=[first.pk]))
    assert blocked.status == 404
    log_out()

    # --- the window delivers --------------------------------------------------------------------------------
    log_in("clerk", reverse("approvals:window_delivery"))
    page.get_by_role("link", name=application.number).click()
    page.get_by_label("出件方式").select_option("electronic")
    page.get_by_role("button", name="确认出件").click()
    page.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.DELIVERED, (application.status, page.url)
    log_out()

    # --- the applicant: certificates, verification, rating ---------------------------------------------------
    log_in("new-applicant", progress_url)
    certificates = list(application.certificates.all())
    assert certificates
    screenshot("sc-progress")
    for certificate in certificates:
        row = page.get_by_role("row").filter(has_text=certificate.number)
        href = row.get_by_role("link", name="下载").get_attribute("href")
        response = page.request.get(href)
        assert response.ok and response.body().startswith(b"%PDF"), certificate.number
    page.get_by_role("row").filter(has_text=certificates[0].number).get_by_role("link", name="核验").click()
    page.get_by_role("heading", name="电子证照核验").wait_for()
    assert page.locator("strong").get_by_text("有效", exact=True).is_visible()
    screenshot("sc-verification")
    page.goto(progress_url)
    rating = page.locator("#rating")
    rating.get_by_label("5", exact=True).check()
    rating.get_by_label("评价内容").fill("办理很快")
    rating.get_by_role("button", name="提交评价").click()
    page.get_by_text("您的评分:5 分").wait_for()
    screenshot("sc-rated")

    application.refresh_from_db()
    assert application.status == Application.Status.DELIVERED
    assert Rating.objects.get(application=application).score == 5

    # --- English: no Chinese outside the data -----------------------------------------------------------------
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Service rating").wait_for()
    screenshot("sc-progress-en")
    text = page.locator("body").inner_text()
    data = {
        world["enterprise"].name,
        PROJECT_NAME,
        "重庆市沙坪坝区曾家镇",
        "办理很快",
        "盖章不清晰,请重新扫描",
        "符合要求",
        "简体中文",  # the language switch names Chinese in Chinese, on purpose
        str(applicant),
        applicant.display_name,
        application.bundle.name,
    }
    data |= {d.name for d in Department.objects.all()}
    data |= {i.name for i in ServiceItem.objects.all()}
    data |= {m.name for m in MaterialSpec.objects.all()}
    data |= {c.name for c in Certificate.objects.all()}
    data |= {str(u) for u in type(applicant).objects.all()}
    for string in sorted(data, key=len, reverse=True):
        text = text.replace(string, "")
    leftovers = [line.strip() for line in text.splitlines() if HAN.search(line)]
    assert not leftovers, f"untranslated in English mode: {leftovers}"
