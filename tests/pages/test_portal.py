"""The enterprise portal: home (own projects and applications only), registering a project, the wizard from
project choice to submission through the pages (answers, merged form, an uploaded PDF, pledges, submit;
double submits give the same draft and the same submission), 404 on another enterprise's rows, and the
progress page: correction and supplement answered there, certificates, rating, withdrawal.

The world is the demo catalog (see tests/approvals/conftest.py) with time frozen on Monday 2026-06-01; the
later steps move the application through the window and the departments with the services.
"""

import pytest
from django.urls import reverse

from sciencecity.approvals.models import Application, Rating, ReviewTask
from sciencecity.approvals.services import applications, delivery, intake, review
from sciencecity.catalog.models import FormField
from sciencecity.problems.models import Problem
from sciencecity.projects.models import Project
from tests.approvals.conftest import (
    FILLERS,
    START_DAY,
    START_MINIMAL,
    accepted,
    approve_all,
    at,
    draft,
    load_demo_world,
    submitted,
    task_of,
    upload,
    upload_for,
)
from tests.factories import EnterpriseFactory, ProjectFactory, applicant_of

pytestmark = pytest.mark.django_db

A = Application.Status
T = ReviewTask.Status
HOME = reverse("approvals:portal_home")
APPLY = reverse("approvals:portal_apply")
NEW_PROJECT = reverse("approvals:portal_project_new")
EPP = "engineering-planning-permit"


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    """The demo world of tests/approvals/conftest.py: fast passwords, files in a temporary folder, time frozen."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


@pytest.fixture
def other(world):
    """Another enterprise with its project, its applicant and a submitted application."""
    enterprise = EnterpriseFactory(name="重庆另一家科技有限公司")
    project = ProjectFactory(enterprise=enterprise, name="另一家的项目")
    applicant = applicant_of(enterprise, username="other-applicant")
    application = applications.start_application(applicant, project, world.bundle("start-construction"))
    return {"enterprise": enterprise, "project": project, "applicant": applicant, "application": application}


@pytest.fixture
def client_of(client, world):
    client.force_login(world.applicant)
    return client


def page(pk, name="portal_application", **kwargs):
    return reverse(f"approvals:{name}", kwargs={"pk": pk, **kwargs})


class TestHome:
    def test_lists_own_projects_and_applications_only(self, world, other, client_of):
        mine = submitted(world, "start-construction", START_MINIMAL)
        response = client_of.get(HOME)
        assert response.status_code == 200
        content = response.content.decode()
        assert world.enterprise.name in content and world.enterprise.credit_code in content
        assert world.project.name in content and mine.number in content
        assert other["project"].name not in content
        assert list(response.context["applications"]) == [mine]
        assert list(response.context["projects"]) == [world.project]
        assert response.context["unread_count"] == 0
        assert 'class="data stack"' in content

    def test_only_applicants_with_an_enterprise(self, world, client):
        client.force_login(world.clerk)
        assert client.get(HOME).status_code == 403
        client.logout()
        assert client.get(HOME).status_code == 302  # to the login page


class TestRegisterProject:
    def test_valid(self, world, client_of):
        response = client_of.get(NEW_PROJECT)
        assert response.status_code == 200
        for name in ("code", "name", "investment_type", "total_investment", "location", "phase"):
            assert f'<label for="project_{name}">' in response.content.decode()
        response = client_of.post(
            NEW_PROJECT,
            {
                "code": "2026-500106-47-01-900001",
                "name": "科学城新材料中试基地",
                "investment_type": "enterprise",
                "total_investment": "12000",
                "land_area": "8000",
                "floor_area": "",
                "location": "重庆市沙坪坝区曾家镇",
                "phase": "signed",
            },
        )
        assert response.status_code == 302 and response.url == HOME
        project = Project.objects.get(code="2026-500106-47-01-900001")
        assert project.enterprise == world.enterprise and not project.is_key
        assert "科学城新材料中试基地" in client_of.get(HOME).content.decode()

    def test_invalid_shows_field_errors(self, world, client_of):
        response = client_of.post(
            NEW_PROJECT,
            {
                "code": world.project.code,  # taken
                "name": "",
                "investment_type": "enterprise",
                "total_investment": "-1",
                "location": "某地",
                "phase": "signed",
            },
        )
        assert response.status_code == 400
        form = response.context["form"]
        assert {"code", "name", "total_investment"} <= set(form.errors)
        assert Project.objects.count() == 1


def fill_merged(form) -> dict:
    """Post data for the merged form: what is pre-filled, and a filler for every empty field."""
    data = {}
    for name in form.fields:
        value = form.initial.get(name, "")
        if not value:
            kind = form.entries[name].field.kind
            if kind == FormField.Kind.CHOICE:
                value = form.entries[name].field.choices[0]["value"]
            elif kind == FormField.Kind.BOOLEAN:
                value = "yes"
            else:
                value = str(FILLERS[kind])
        data[name] = value
    return data


class TestWizard:
    def test_from_project_choice_to_submission(self, world, client_of):
        response = client_of.get(APPLY)
        assert response.status_code == 200
        form = response.context["form"]
        key = form.initial["key"]
        start = {"project": world.project.pk, "bundle": world.bundle("start-construction").pk, "key": key}
        first = client_of.post(APPLY, start)
        application = Application.objects.get()
        assert first.status_code == 302 and first.url == page(application.pk, "portal_edit")
        # A double submit of the start form gives the same draft.
        again = client_of.post(APPLY, start)
        assert again.url == first.url and Application.objects.count() == 1

        # Situation questions.
        response = client_of.post(page(application.pk, "portal_save_answers"), dict(START_MINIMAL))
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.answers == START_MINIMAL

        # The edit page shows the items, the checklist and the pre-filled merged form.
        response = client_of.get(page(application.pk, "portal_edit"))
        assert response.status_code == 200
        content = response.content.decode()
        assert "平台已有,免提交" in content and 'enctype="multipart/form-data"' in content
        merged = response.context["merged_form"]
        assert any(entry.prefilled for entry in merged.entries.values())

        # Submitting too early lists what is missing, never a server error.
        early = client_of.post(page(application.pk, "portal_submit"), {"key": "early"})
        assert early.status_code == 400 and early.context["submit_errors"]

        # The merged form.
        response = client_of.post(page(application.pk, "portal_save_form"), fill_merged(merged))
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.form_data

        # Materials: a tiny PDF for each material to provide, a pledge where allowed.
        notice = client_of.get(page(application.pk, "portal_edit")).context["notice"]
        to_provide = [row for row in notice if row["way"] == "provide" and row["entry"].required]
        assert to_provide
        data, pledged = {}, []
        for row in to_provide:
            code = row["spec"].code
            if row["entry"].pledge_allowed and not pledged:
                data[f"pledge-{code}"] = "1"
                pledged.append(code)
            else:
                data[f"file-{code}"] = upload_for(row["spec"])
        response = client_of.post(page(application.pk, "portal_save_materials"), data)
        assert response.status_code == 302
        current = {
            m.spec.code: m for m in application.materials.filter(is_current=True).select_related("spec")
        }
        assert pledged and {row["spec"].code for row in to_provide} <= set(current)
        for code in pledged:
            assert current[code].source == "pledge"

        # Review and submit; the same key again (a double click) returns the same submission.
        key = client_of.get(page(application.pk, "portal_edit")).context["submit_form"].initial["key"]
        response = client_of.post(page(application.pk, "portal_submit"), {"key": key})
        assert response.status_code == 302 and response.url == page(application.pk)
        application.refresh_from_db()
        assert application.status == A.SUBMITTED and application.submission_count == 1
        response = client_of.post(page(application.pk, "portal_submit"), {"key": key})
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.status == A.SUBMITTED and application.submission_count == 1
        # After submission the edit page leads to the progress page.
        assert client_of.get(page(application.pk, "portal_edit")).url == page(application.pk)

    def test_a_bad_upload_is_an_error_on_its_material(self, world, client_of):
        application = applications.start_application(
            world.applicant, world.project, world.bundle("start-construction")
        )
        applications.save_answers(world.applicant, application, START_MINIMAL)
        notice = client_of.get(page(application.pk, "portal_edit")).context["notice"]
        row = next(row for row in notice if row["way"] == "provide")
        code = row["spec"].code
        bad = upload("fake.pdf", content=b"not a pdf at all")
        response = client_of.post(page(application.pk, "portal_save_materials"), {f"file-{code}": bad})
        assert response.status_code == 400
        assert code in response.context["material_errors"]


class TestFormRules:
    def test_a_completion_before_the_start_is_shown_on_the_completion_field_and_nothing_is_saved(
        self, world, client_of
    ):
        application = draft(world, "start-construction", START_MINIMAL)
        merged = client_of.get(page(application.pk, "portal_edit")).context["merged_form"]
        data = {**fill_merged(merged), "planned_start": "2026-09-01", "planned_completion": "2026-08-01"}
        data["contract_price"] = "1e1000000"
        response = client_of.post(page(application.pk, "portal_save_form"), data)
        assert response.status_code == 400
        form = response.context["merged_form"]
        assert form.errors["planned_completion"] == ["计划竣工日期不能早于计划开工日期"]
        assert "应在 0 到 10000000 之间" in form.errors["contract_price"][0]
        assert "计划竣工日期不能早于计划开工日期" in response.content.decode()
        application.refresh_from_db()
        assert application.form_data.get("planned_completion") != "2026-08-01"


class TestScope:
    def test_another_enterprises_application_and_project_are_404(self, world, other, client_of):
        theirs = other["application"]
        for name in ("portal_application", "portal_edit"):
            assert client_of.get(page(theirs.pk, name)).status_code == 404
        for name in ("portal_save_answers", "portal_submit", "portal_withdraw", "portal_rate"):
            assert client_of.post(page(theirs.pk, name), {"key": "x"}).status_code == 404
        # Their project cannot be chosen to start an application.
        response = client_of.post(
            APPLY,
            {"project": other["project"].pk, "bundle": world.bundle("start-construction").pk, "key": "k"},
        )
        assert response.status_code == 400 and "project" in response.context["form"].errors
        assert not Application.objects.filter(enterprise=world.enterprise).exists()


class TestAfterSubmission:
    def test_correction_answered_on_the_page(self, world, client_of):
        application = submitted(world, "start-construction", START_MINIMAL)
        material = (
            application.materials.filter(is_current=True, source="upload").select_related("spec").first()
        )
        code = material.spec.code
        intake.request_correction(world.clerk, application, [{"material": code, "problem": "盖章不清晰"}])
        response = client_of.get(page(application.pk))
        assert response.status_code == 200
        content = response.content.decode()
        assert "盖章不清晰" in content and f'<label for="file-{code}">' in content
        key = response.context["correction_form"].initial["key"]
        # Without the file the resubmission is refused on the page.
        refused = client_of.post(page(application.pk, "portal_correction"), {"key": key})
        assert refused.status_code == 400 and refused.context["correction_problems"]
        response = client_of.post(
            page(application.pk, "portal_correction"), {"key": key, f"file-{code}": upload_for(material.spec)}
        )
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.status == A.SUBMITTED and application.submission_count == 2

    def test_supplement_answered_and_progress_shown(self, world, client_of):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = task_of(application, EPP)
        reviewer = world.reviewer_of(task)
        response = client_of.get(page(application.pk))
        assert "待认领" in response.content.decode()
        review.claim_task(reviewer, task)
        response = client_of.get(page(application.pk))
        content = response.content.decode()
        assert task.department.name in content and str(reviewer) in content
        row = next(row for row in response.context["tasks"] if row["task"].pk == task.pk)
        assert row["light"] in ("green", "yellow") and row["days_left"] == 2
        assert f'class="light {row["light"]}">' in content and "2 个工作日" in content
        review.request_supplement(reviewer, task, "请补充规划总平面图的电子版")
        response = client_of.get(page(application.pk))
        assert "请补充规划总平面图的电子版" in response.content.decode()
        url = page(application.pk, "portal_supplement", task_pk=task.pk)
        assert client_of.post(url, {"text": ""}).status_code == 400
        response = client_of.post(url, {"text": "已补充"})
        assert response.status_code == 302
        task.refresh_from_db()
        assert task.status == T.IN_REVIEW

    def test_certificates_and_rating_after_conclusion(self, world, client_of):
        application = accepted(world, "start-construction", START_MINIMAL)
        approve_all(world, application)
        application.refresh_from_db()
        assert application.status == A.CONCLUDED
        certificate = application.certificates.first()
        # 窗口统一出件: concluded, the applicant sees that certificates are issued, not the documents.
        waiting = client_of.get(page(application.pk)).content.decode()
        assert "由综合窗口统一出件" in waiting
        assert reverse("approvals:certificate_pdf", args=[certificate.pk]) not in waiting
        assert client_of.get(reverse("approvals:certificate_pdf", args=[certificate.pk])).status_code == 404
        delivery.deliver_application(
            world.clerk,
            application,
            method="post",
            recipient="李申报",
            address="重庆市沙坪坝区科学大道1号",
            tracking_number="SF1234567890",
        )
        response = client_of.get(page(application.pk))
        content = response.content.decode()
        assert "SF1234567890" in content and "由综合窗口统一出件" not in content
        assert reverse("approvals:certificate_pdf", args=[certificate.pk]) in content
        assert reverse("approvals:verify", args=[certificate.verification_code]) in content
        assert response.context["withdrawable"] is False
        assert client_of.post(page(application.pk, "portal_rate"), {"score": "9"}).status_code == 400
        response = client_of.post(page(application.pk, "portal_rate"), {"score": "5", "comment": "很快"})
        assert response.status_code == 302
        assert Rating.objects.get(application=application).score == 5
        # Rating twice is refused with a message, not a server error.
        response = client_of.post(page(application.pk, "portal_rate"), {"score": "4"}, follow=True)
        assert response.status_code == 200 and Rating.objects.count() == 1

    def test_a_poor_rating_links_to_its_problem(self, world, client_of, settings):
        application = accepted(world, "start-construction", START_MINIMAL)
        approve_all(world, application)
        response = client_of.post(page(application.pk, "portal_rate"), {"score": "1", "comment": "太慢"})
        assert response.status_code == 302
        problem = Problem.objects.get(rating_id=Rating.objects.get(application=application).pk)
        content = client_of.get(page(application.pk)).content.decode()
        assert "您的差评已转为整改问题" in content and problem.number in content
        assert reverse("problems:detail", args=[problem.pk]) in content
        # The rater may open it (their own report).
        assert client_of.get(reverse("problems:detail", args=[problem.pk])).status_code == 200
        english = client_of.get(page(application.pk), headers={"accept-language": "en"}).content.decode()
        assert "Your poor rating opened problem" in english

    def test_withdraw(self, world, client_of):
        application = submitted(world, "start-construction", START_MINIMAL)
        response = client_of.get(page(application.pk))
        assert response.context["withdrawable"] is True
        # Withdrawing is confirmed on a page of its own, which carries the state it showed.
        response = client_of.get(page(application.pk, "portal_withdraw"))
        assert response.context["form"].initial["expected_status"] == A.SUBMITTED
        # A withdrawal on a state the page no longer shows is refused with a message.
        stale = client_of.post(
            page(application.pk, "portal_withdraw"), {"expected_status": A.DRAFT, "reason": "x"}, follow=True
        )
        assert stale.status_code == 200
        application.refresh_from_db()
        assert application.status == A.SUBMITTED
        response = client_of.post(
            page(application.pk, "portal_withdraw"), {"expected_status": A.SUBMITTED, "reason": "项目调整"}
        )
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.status == A.WITHDRAWN and application.closed_reason == "项目调整"
