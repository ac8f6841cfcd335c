"""The window pages: the intake queue by deadline with lights, the intake page with a verdict per material and
the four outcomes, the scoped material file, the follow-up of tolerated gaps, and delivery (once).

Access: a user without the window's permission gets 403 on every window page; an object outside a user's
scope (or that does not exist) gets 404. The world is the demo catalog of tests/approvals/conftest.py with
time frozen on Monday 2026-06-01.
"""

import datetime

import pytest
from django.urls import reverse

from sciencecity.approvals.models import (
    Application,
    CorrectionNotice,
    Delivery,
    SubmittedMaterial,
)
from sciencecity.approvals.services import intake
from tests.approvals.conftest import (
    START_DAY,
    START_MINIMAL,
    accept_all_materials,
    accepted,
    approve_all,
    at,
    load_demo_world,
    submitted,
    upload,
)
from tests.factories import EnterpriseFactory, applicant_of

pytestmark = pytest.mark.django_db

D = datetime.date
A = Application.Status
V = SubmittedMaterial.Verdict
GAP = "quality-safety-measures"  # tolerated as a gap by the construction permit
QUEUE = reverse("approvals:window_queue")
GAPS = reverse("approvals:window_gaps")
DELIVERY = reverse("approvals:window_delivery")


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    """The demo world of tests/approvals/conftest.py: fast passwords, files in a temporary folder, time frozen."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


def as_user(client, user):
    client.force_login(user)
    return client


def intake_url(application):
    return reverse("approvals:window_intake", kwargs={"pk": application.pk})


def deliver_url(application):
    return reverse("approvals:window_deliver", kwargs={"pk": application.pk})


def current(application, code):
    return application.materials.get(spec__code=code, is_current=True)


def verdicts(application, verdict="accepted", **overrides):
    """POST data giving every current material `verdict`, except the fields in `overrides`."""
    data = {
        f"verdict_{material.spec.code}": verdict
        for material in application.materials.filter(is_current=True).select_related("spec")
    }
    data.update({key.replace("__", "-"): value for key, value in overrides.items()})
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


class TestQueue:
    def test_submitted_applications_by_intake_deadline_with_lights(self, world, client, time_machine):
        at(time_machine, D(2026, 6, 3))
        later = submitted(world, "start-construction", START_MINIMAL, key="later")  # deadline Thu 06-04
        at(time_machine, D(2026, 6, 1))
        earlier = submitted(world, "start-construction", START_MINIMAL, key="earlier")  # deadline Tue 06-02
        at(time_machine, D(2026, 6, 3))
        response = as_user(client, world.clerk).get(QUEUE)
        assert response.status_code == 200
        assert [a.number for a in response.context["rows"]] == [earlier.number, later.number]
        assert [a.traffic_light for a in response.context["rows"]] == ["red", "yellow"]
        content = response.content.decode()
        assert 'class="light red">超期' in content and 'class="light yellow">临期' in content
        assert GAPS in content and DELIVERY in content
        assert intake_url(earlier) in content

    def test_paged_by_slicing_one_extra_row(self, world, client, settings, monkeypatch):
        from sciencecity.approvals.views import window

        monkeypatch.setattr(window, "PAGE_SIZE", 1)
        first = submitted(world, "start-construction", START_MINIMAL, key="a")
        second = submitted(world, "start-construction", START_MINIMAL, key="b")
        page1 = as_user(client, world.clerk).get(QUEUE)
        assert [a.pk for a in page1.context["rows"]] == [first.pk]
        assert page1.context["next_url"].endswith("?page=2")
        page2 = client.get(page1.context["next_url"])
        assert [a.pk for a in page2.context["rows"]] == [second.pk]
        assert page2.context["next_url"] == ""

    def test_only_the_window_and_404_outside_scope(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL)
        urls = [QUEUE, GAPS, DELIVERY, intake_url(application), deliver_url(application)]
        for user in (world.applicant, world.reviewer("planning")):
            as_user(client, user)
            for url in urls:
                assert client.get(url).status_code == 403, (user, url)
            assert (
                client.post(intake_url(application), {"outcome": "refuse", "reason": "x"}).status_code == 403
            )
        client.logout()
        assert client.get(QUEUE).status_code == 302  # to the login page
        as_user(client, world.clerk)
        missing = Application.objects.order_by("-pk").first().pk + 1
        assert client.get(reverse("approvals:window_intake", kwargs={"pk": missing})).status_code == 404
        application.refresh_from_db()
        assert application.status == A.SUBMITTED


class TestIntakePage:
    def test_facts_form_data_materials_and_labels(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL)
        response = as_user(client, world.clerk).get(intake_url(application))
        assert response.status_code == 200
        content = response.content.decode()
        assert application.number in content and "科学城芯片研发中心" in content
        material = current(application, "site-plan")
        assert reverse("approvals:material_file", kwargs={"pk": material.pk}) in content
        form = response.context["form"]
        for name in form.fields:
            assert f'<label for="intake_{name}">' in content, name
        for outcome in ("accept", "accept_with_gaps", "request_correction", "refuse"):
            assert f'name="outcome" value="{outcome}"' in content

    def test_mark_all_as_conforming_then_change_one_then_accept(self, world, client):
        """Not nineteen dropdowns one by one: one button marks every material conforming (nothing saved),
        the clerk changes the one that is not, and takes the outcome."""
        application = submitted(world, "start-construction", START_MINIMAL)
        client = as_user(client, world.clerk)
        before = dict(application.materials.values_list("pk", "verdict"))
        assert V.PENDING in before.values()
        response = client.post(intake_url(application), {"mark_all": "1", "note_site-plan": "已核对"})
        assert response.status_code == 200
        form = response.context["form"]
        verdict_names = [name for name in form.fields if name.startswith("verdict_")]
        assert verdict_names and all(form[name].value() == V.ACCEPTED for name in verdict_names)
        assert form["note_site-plan"].value() == "已核对"  # what the clerk typed stays
        assert 'value="accepted" selected' in response.content.decode()
        assert dict(application.materials.values_list("pk", "verdict")) == before  # nothing saved
        data = {name: form[name].value() for name in verdict_names}
        data["verdict_site-plan"], data["note_site-plan"] = V.REJECTED, "比例尺不符"
        response = client.post(intake_url(application), {**data, "outcome": "request_correction"})
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.status == A.CORRECTION
        assert current(application, "site-plan").verdict == V.REJECTED

    def test_accept(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL)
        response = as_user(client, world.clerk).post(
            intake_url(application), {**verdicts(application), "outcome": "accept"}
        )
        assert response.status_code == 302 and response.url == QUEUE
        application.refresh_from_db()
        assert application.status == A.IN_REVIEW
        assert set(application.materials.filter(is_current=True).values_list("verdict", flat=True)) == {
            V.ACCEPTED
        }
        assert application.tasks.exists()

    def test_accept_with_an_unjudged_material_shows_the_error_and_records_nothing(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL)
        data = verdicts(application)
        data["verdict_site-plan"] = ""
        response = as_user(client, world.clerk).post(intake_url(application), {**data, "outcome": "accept"})
        assert response.status_code == 400
        assert "尚未审核通过" in response.content.decode()
        application.refresh_from_db()
        assert application.status == A.SUBMITTED
        assert current(application, "land-title").verdict == V.PENDING  # all or nothing

    def test_accept_with_tolerated_gaps_and_their_due_dates(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
        data = {**verdicts(application), f"verdict_{GAP}": "tolerated", "outcome": "accept_with_gaps"}
        as_user(client, world.clerk)
        response = client.post(intake_url(application), data)  # no due date
        assert response.status_code == 400
        assert "请填写容缺材料的补交期限" in response.content.decode()

        response = client.post(intake_url(application), {**data, f"due_{GAP}": "2026-06-15"})
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.status == A.IN_REVIEW
        gap = current(application, GAP)
        assert (gap.verdict, gap.gap_due_date) == (V.TOLERATED, D(2026, 6, 15))

    def test_correction_lists_every_problem_at_once(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL)
        data = {
            **verdicts(application),
            "verdict_site-plan": "rejected",
            "note_site-plan": "比例尺不清",
            "other_problems": "施工单位名称与合同不一致\n\n联系电话缺失",
            "note": "请一并修改表单。",
            "outcome": "request_correction",
        }
        as_user(client, world.clerk)
        without_note = client.post(intake_url(application), {**data, "note_site-plan": ""})
        assert without_note.status_code == 400
        assert "请说明该材料需补正的问题" in without_note.content.decode()

        response = client.post(intake_url(application), data)
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.status == A.CORRECTION
        notice = CorrectionNotice.objects.get(application=application)
        assert notice.problems == [
            {"material": "site-plan", "problem": "比例尺不清"},
            {"material": "", "problem": "施工单位名称与合同不一致"},
            {"material": "", "problem": "联系电话缺失"},
        ]
        assert notice.note == "请一并修改表单。"
        assert current(application, "site-plan").verdict == V.REJECTED
        assert current(application, "land-title").verdict == V.ACCEPTED

    def test_correction_needs_a_problem(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL)
        response = as_user(client, world.clerk).post(
            intake_url(application), {**verdicts(application), "outcome": "request_correction"}
        )
        assert response.status_code == 400
        assert "请列出需补正的全部问题" in response.content.decode()

    def test_refuse_needs_a_reason(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL)
        as_user(client, world.clerk)
        response = client.post(intake_url(application), {"outcome": "refuse", "reason": "  "})
        assert response.status_code == 400
        assert "请填写不予受理的理由" in response.content.decode()
        application.refresh_from_db()
        assert application.status == A.SUBMITTED

        response = client.post(intake_url(application), {"outcome": "refuse", "reason": "项目不在本区域"})
        assert response.status_code == 302
        application.refresh_from_db()
        assert (application.status, application.closed_reason) == (A.REFUSED, "项目不在本区域")

    def test_a_decided_application_is_read_only_and_a_second_outcome_is_a_message(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        as_user(client, world.clerk)
        page = client.get(intake_url(application))
        assert page.status_code == 200 and page.context["form"] is None
        response = client.post(intake_url(application), {"outcome": "refuse", "reason": "x"}, follow=True)
        assert response.status_code == 200
        assert any("只有待受理的办件可以受理" in m for m in messages_of(response))
        application.refresh_from_db()
        assert application.status == A.IN_REVIEW


class TestMaterialFile:
    def test_inline_for_those_who_see_the_application_404_for_others(self, world, client):
        application = submitted(world, "start-construction", START_MINIMAL)
        material = current(application, "land-title")
        url = reverse("approvals:material_file", kwargs={"pk": material.pk})
        for user in (world.clerk, world.applicant):
            response = as_user(client, user).get(url)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"].startswith("inline")
            assert b"".join(response.streaming_content).startswith(b"%PDF-")

        stranger = applicant_of(EnterpriseFactory(), username="stranger")
        assert as_user(client, stranger).get(url).status_code == 404
        # A department sees an application only once it has a task in it.
        assert as_user(client, world.reviewer("planning")).get(url).status_code == 404
        client.logout()
        assert client.get(url).status_code == 302


class TestGaps:
    def gapped(self, world):
        application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
        accept_all_materials(world, application)
        return intake.accept_with_gaps(world.clerk, application, {GAP: D(2026, 6, 15)})

    def test_listed_by_due_date_overdue_marked_supplied_accepted_or_rejected(
        self, world, client, time_machine
    ):
        application = self.gapped(world)
        as_user(client, world.clerk)
        response = client.get(GAPS)
        assert [m.spec.code for m in response.context["rows"]] == [GAP]
        assert "待补交" in response.content.decode()

        at(time_machine, D(2026, 6, 16))
        as_user(client, world.clerk)  # the session of two weeks ago has expired
        assert "逾期未补交" in client.get(GAPS).content.decode()

        supplied = intake.supply_tolerated_material(world.applicant, application, GAP, upload("措施.pdf"))
        content = client.get(GAPS).content.decode()
        accept = reverse("approvals:window_gap_accept", kwargs={"pk": supplied.pk})
        reject = reverse("approvals:window_gap_reject", kwargs={"pk": supplied.pk})
        assert accept in content and reject in content
        assert f'<label for="gap{supplied.pk}_note">' in content

        response = client.post(reject, {"note": ""}, follow=True)
        assert any("请说明补交材料存在的问题" in m for m in messages_of(response))
        supplied.refresh_from_db()
        assert supplied.verdict == V.PENDING

        client.post(reject, {"note": "缺少危大工程清单"})
        supplied.refresh_from_db()
        assert (supplied.verdict, supplied.verdict_note) == (V.REJECTED, "缺少危大工程清单")

        again = intake.supply_tolerated_material(world.applicant, application, GAP, upload("措施v2.pdf"))
        response = client.post(reverse("approvals:window_gap_accept", kwargs={"pk": again.pk}), follow=True)
        assert response.status_code == 200
        again.refresh_from_db()
        assert again.verdict == V.ACCEPTED
        assert response.context["rows"] == []
        # Accepting it twice is a message, not a server error.
        response = client.post(reverse("approvals:window_gap_accept", kwargs={"pk": again.pk}), follow=True)
        assert response.status_code == 200 and messages_of(response)

    def test_only_the_window(self, world, client):
        application = self.gapped(world)
        supplied = intake.supply_tolerated_material(world.applicant, application, GAP, upload("措施.pdf"))
        url = reverse("approvals:window_gap_accept", kwargs={"pk": supplied.pk})
        assert as_user(client, world.applicant).post(url).status_code == 403
        supplied.refresh_from_db()
        assert supplied.verdict == V.PENDING


class TestDelivery:
    def concluded(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        approve_all(world, application)
        application.refresh_from_db()
        assert application.status == A.CONCLUDED
        return application

    def test_queue_page_and_delivery_once(self, world, client):
        application = self.concluded(world)
        as_user(client, world.clerk)
        queue = client.get(DELIVERY)
        assert [a.pk for a in queue.context["rows"]] == [application.pk]

        page = client.get(deliver_url(application))
        assert page.status_code == 200
        content = page.content.decode()
        certificates = list(application.certificates.all())
        assert certificates and all(c.number in content for c in certificates)
        for name in ("method", "recipient", "address", "tracking_number", "note"):
            assert f'<label for="delivery_{name}">' in content

        by_post = client.post(deliver_url(application), {"method": "post", "recipient": "张三"})
        assert by_post.status_code == 400
        assert "邮寄出件必须填写邮寄地址" in by_post.content.decode()

        response = client.post(
            deliver_url(application),
            {"method": "window", "recipient": "张三", "note": "本人领取"},
        )
        assert response.status_code == 302 and response.url == DELIVERY
        application.refresh_from_db()
        assert application.status == A.DELIVERED
        assert Delivery.objects.get(application=application).recipient == "张三"
        assert client.get(DELIVERY).context["rows"] == []

        again = client.post(deliver_url(application), {"method": "electronic"}, follow=True)
        assert again.status_code == 200
        assert any("不能重复出件" in m for m in messages_of(again))
        assert again.context["form"] is None
        assert Delivery.objects.filter(application=application).count() == 1

    def test_not_yet_concluded_cannot_be_delivered(self, world, client):
        application = accepted(world, "start-construction", START_MINIMAL)
        response = as_user(client, world.clerk).post(
            deliver_url(application), {"method": "electronic"}, follow=True
        )
        assert response.status_code == 200 and messages_of(response)
        application.refresh_from_db()
        assert application.status == A.IN_REVIEW
