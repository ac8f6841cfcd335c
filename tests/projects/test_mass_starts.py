"""Mass starts (集中开工): recording an event dates its projects' starts through the project services (the start
milestone, the phase), a project starts once, the totals are computed from the rows, every refusal is clear and
saves nothing; the pages (Chinese and English, the enterprise's narrower view, the project page), the API, and
a bounded number of statements whatever the number of projects."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciencecity.audit.models import AuditEvent
from sciencecity.projects.models import MassStart, MassStartProject, Milestone, PhaseChange, Project
from sciencecity.projects.services import mass_starts, registry, schedule
from sciencecity.projects.services.mass_starts import Entry
from tests.factories import EnterpriseFactory, ProjectFactory

from .test_api import client_of

D = datetime.date
DAY = D(2021, 4, 15)


def details(**changes):
    return {
        "name": "2021年重点项目集中开工",
        "held_on": DAY,
        "place": "中电重庆软件园项目现场",
        "organizer": "西部(重庆)科学城管委会",
        **changes,
    }


def start_of(project):
    return (
        Milestone.objects.filter(project=project, stage__isnull=True, kind__code="start")
        .values_list("actual_on", flat=True)
        .first()
    )


@pytest.fixture
def projects(site):
    """The site's key project under construction (started 2021-03-01 already), one in approval, one signed."""
    schedule.set_milestone(None, site.project, "start", planned_on=D(2021, 3, 1), actual_on=D(2021, 3, 1))
    approval = ProjectFactory(
        enterprise=site.other,
        name="中电重庆软件园",
        code="2021-500106-65-03-000101",
        phase=Project.Phase.APPROVAL,
        total_investment=Decimal("300000"),
    )
    signed = ProjectFactory(
        enterprise=site.other,
        name="科学城隧道",
        code="2020-500107-48-01-000102",
        phase=Project.Phase.SIGNED,
        total_investment=Decimal("259340"),
    )
    schedule.set_milestone(None, signed, "start", planned_on=D(2021, 5, 1))
    return site, approval, signed


# --- services --------------------------------------------------------------------------------------------


def test_an_event_dates_the_starts_it_finds_undated_and_keeps_the_others(projects):
    site, approval, signed = projects
    event = mass_starts.record_mass_start(
        site.specialist,
        **details(),
        projects=[Entry(site.project, Decimal("100000")), Entry(approval), Entry(signed)],
    )
    assert event.project_count == 3
    assert event.total_investment == Decimal("100000") + Decimal("300000") + Decimal("259340")
    assert event.investment_yi == Decimal("65.93")
    rows = {row.project_id: row for row in MassStartProject.objects.filter(event=event)}
    # The project started before keeps its start; the event does not claim it.
    assert start_of(site.project) == D(2021, 3, 1) and not rows[site.project.pk].started_here
    # The others start on the event's day: milestone and phase, through the project services.
    for project in (approval, signed):
        project.refresh_from_db()
        assert project.phase == Project.Phase.STARTED and rows[project.pk].started_here
        assert start_of(project) == DAY
        change = PhaseChange.objects.filter(project=project).latest("id")
        assert (
            change.changed_on == DAY
            and change.to_phase == "started"
            and "2021年重点项目集中开工" in change.note
        )
    assert rows[approval.pk].investment == Decimal("300000")  # its total, when none is given
    planned = Milestone.objects.get(project=signed, kind__code="start")
    assert planned.planned_on == D(2021, 5, 1)  # the plan stays as it was
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "projects.record_mass_start",
        "projects.add_mass_start_projects",
        "projects.set_milestone",
        "projects.change_project_phase",
    } <= actions


def test_a_project_starts_once(projects):
    site, approval, signed = projects
    first = mass_starts.record_mass_start(None, **details(), projects=[Entry(approval)])
    second = mass_starts.record_mass_start(
        None, **details(name="超瞬态实验装置等重大项目集中开工", held_on=D(2021, 5, 27))
    )
    with pytest.raises(ValidationError) as refused:
        mass_starts.add_projects(None, second, [Entry(signed), Entry(approval)])
    assert "一个项目只开工一次" in refused.value.messages[0] and first.name in refused.value.messages[0]
    # Nothing of the request was kept: the project that could start did not.
    second.refresh_from_db()
    assert second.project_count == 0 and not MassStartProject.objects.filter(project=signed).exists()
    signed.refresh_from_db()
    assert signed.phase == Project.Phase.SIGNED and start_of(signed) is None


@pytest.mark.parametrize(
    ("amount", "words"),
    [("0", "应大于零"), ("-5", "应大于零"), ("400000", "不能超过其总投资"), ("abc", "不是金额")],
)
def test_a_wrong_investment_is_refused(projects, amount, words):
    site, approval, _signed = projects
    event = mass_starts.record_mass_start(None, **details())
    with pytest.raises(ValidationError) as refused:
        mass_starts.add_projects(None, event, [Entry(approval, amount)])
    assert words in refused.value.message_dict["projects"][0]
    assert not MassStartProject.objects.exists()


def test_the_details_are_checked(projects):
    site, approval, _signed = projects
    with pytest.raises(ValidationError) as refused:
        mass_starts.record_mass_start(None, **details(name=" ", held_on=D(2026, 12, 1), place=""))
    assert set(refused.value.message_dict) == {"name", "held_on", "place"}
    assert "晚于今天" in refused.value.message_dict["held_on"][0]
    event = mass_starts.record_mass_start(None, **details())
    with pytest.raises(ValidationError, match="至少"):
        mass_starts.add_projects(None, event, [])
    with pytest.raises(ValidationError, match="重复列出"):
        mass_starts.add_projects(None, event, [Entry(approval), Entry(approval)])
    assert not MassStart.objects.exclude(pk=event.pk).exists()


def test_a_phase_changed_after_the_event_day_is_a_clear_error(projects):
    site, approval, _signed = projects
    signed = ProjectFactory(
        enterprise=site.other, phase=Project.Phase.SIGNED, code="2021-500106-65-03-000103"
    )
    registry.change_project_phase(None, signed, Project.Phase.LAND_SUPPLIED, on=D(2021, 6, 1))
    event = mass_starts.record_mass_start(None, **details())
    with pytest.raises(ValidationError) as refused:
        mass_starts.add_projects(None, event, [Entry(approval), Entry(signed)])
    message = refused.value.message_dict["projects"][0]
    assert signed.code in message and "不能早于上一次阶段变更" in message
    approval.refresh_from_db()
    assert approval.phase == Project.Phase.APPROVAL and not MassStartProject.objects.exists()


def test_who_may_record(projects):
    site, approval, _signed = projects
    for person in (site.applicant, site.lead, site.supervisor, site.builder):
        with pytest.raises(PermissionDenied):
            mass_starts.record_mass_start(person, **details())
    assert mass_starts.record_mass_start(site.admin, **details()).created_by == site.admin
    event = mass_starts.record_mass_start(site.specialist, **details())
    with pytest.raises(PermissionDenied):
        mass_starts.add_projects(site.lead, event, [Entry(approval)])


def test_taking_a_project_out_keeps_its_start_and_recomputes_the_totals(projects):
    site, approval, signed = projects
    event = mass_starts.record_mass_start(None, **details(), projects=[Entry(approval), Entry(signed)])
    event = mass_starts.remove_project(site.specialist, event, approval)
    assert event.project_count == 1 and event.total_investment == Decimal("259340")
    approval.refresh_from_db()
    assert approval.phase == Project.Phase.STARTED and start_of(approval) == DAY
    with pytest.raises(ValidationError, match="不在本次"):
        mass_starts.remove_project(site.specialist, event, approval)
    # Out of the event, it may join another (its start stays as dated).
    other = mass_starts.record_mass_start(None, **details(name="另一次集中开工", held_on=D(2021, 5, 27)))
    (entry,) = mass_starts.add_projects(None, other, [Entry(approval)])
    assert not entry.started_here and start_of(approval) == DAY


def test_the_day_changes_only_while_the_event_has_no_projects(projects):
    site, approval, _signed = projects
    event = mass_starts.record_mass_start(None, **details())
    event = mass_starts.update_mass_start(site.specialist, event, held_on=D(2021, 4, 16), place="科学谷")
    assert event.held_on == D(2021, 4, 16) and event.place == "科学谷"
    mass_starts.add_projects(None, event, [Entry(approval)])
    with pytest.raises(ValidationError, match="请先移出项目"):
        mass_starts.update_mass_start(site.specialist, event, held_on=D(2021, 4, 15))
    assert mass_starts.update_mass_start(site.specialist, event, description="补记").description == "补记"


# --- pages ---------------------------------------------------------------------------------------------------


@pytest.fixture
def event(projects):
    site, approval, signed = projects
    return mass_starts.record_mass_start(
        None,
        **details(),
        projects=[Entry(site.project, Decimal("120000")), Entry(approval), Entry(signed)],
    )


def test_the_pages_in_chinese_and_english(event, site, client):
    client.force_login(site.specialist)
    listing = client.get(reverse("projects:mass_starts")).content.decode()
    assert "2021年重点项目集中开工" in listing and "67.93" in listing  # 亿元
    page = client.get(reverse("projects:mass_start", args=[event.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for words in (
        "开工项目构成",
        "按所在区",
        "沙坪坝区",
        "九龙坡区",
        "中电重庆软件园",
        "按本次活动记为开工",
        "添加开工项目",
    ):
        assert words in text, words
    client.cookies["django_language"] = "en"
    english = client.get(reverse("projects:mass_start", args=[event.pk])).content.decode()
    assert 'lang="en"' in english and "Shapingba" in english and "Jiulongpo" in english
    assert client.get(reverse("projects:mass_starts"), {"year": "2021"}).status_code == 200


def test_an_enterprise_sees_the_event_and_only_its_own_projects(event, site, client):
    client.force_login(site.applicant)
    text = client.get(reverse("projects:mass_start", args=[event.pk])).content.decode()
    assert "科学谷一期" in text and "2021-500106-65-03-000101" not in text  # the other unit's project
    assert "另有 2 个其他单位的项目未列出" in text and "添加开工项目" not in text
    # Its project page shows the event.
    page = client.get(reverse("approvals:portal_project", args=[site.project.pk])).content.decode()
    assert "集中开工" in page and "2021年重点项目集中开工" in page and "开工投资 120000.00 万元" in page
    refused = client.post(reverse("projects:mass_starts"), {**details(), "held_on": "2021-04-15"})
    assert refused.status_code == 302 and MassStart.objects.count() == 1


def test_recording_an_event_and_its_projects_on_the_pages(projects, client):
    site, approval, signed = projects
    client.force_login(site.specialist)
    made = client.post(
        reverse("projects:mass_starts"),
        {"name": "集中开工", "held_on": "2021-04-15", "place": "科学谷", "organizer": "管委会"},
    )
    event = MassStart.objects.get()
    assert made.status_code == 302 and made["Location"].endswith(f"/mass-starts/{event.pk}/#add")
    add = reverse("projects:mass_start_add", args=[event.pk])
    wrong = client.post(add, {"lines": f"{approval.code} 999999\n2020-000000-00-00-000000\nxyz"})
    text = wrong.content.decode()
    assert wrong.status_code == 400 and "第 2 行" in text and "第 3 行" in text
    too_much = client.post(add, {"lines": f"{approval.code} 999999"})
    assert too_much.status_code == 400 and "不能超过其总投资" in too_much.content.decode()
    done = client.post(add, {"lines": f"{approval.code} 150000\n{signed.code}"}, follow=True)
    assert "已添加 2 个开工项目" in done.content.decode()
    event.refresh_from_db()
    assert event.project_count == 2 and event.total_investment == Decimal("409340")
    removed = client.post(reverse("projects:mass_start_remove", args=[event.pk, signed.pk]), follow=True)
    assert "已移出该项目" in removed.content.decode()
    assert (
        client.post(
            reverse("projects:mass_start_edit", args=[event.pk]), {**details(), "held_on": "2021-04-20"}
        ).status_code
        == 400
    )
    assert client.get(reverse("projects:mass_start_photo", args=[event.pk])).status_code == 404


def test_a_photo_is_kept_and_served(projects, client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    site, _approval, _signed = projects
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    photo = SimpleUploadedFile("现场.jpg", buffer.getvalue(), content_type="image/jpeg")
    event = mass_starts.record_mass_start(site.specialist, **details(), photo=photo)
    client.force_login(site.applicant)
    assert client.get(reverse("projects:mass_start_photo", args=[event.pk])).status_code == 200
    client.logout()
    assert client.get(reverse("projects:mass_start_photo", args=[event.pk])).status_code == 302


# --- the API --------------------------------------------------------------------------------------------------


def test_the_api(projects):
    site, approval, signed = projects
    specialist = client_of(site.specialist)
    made = specialist.post(
        "/api/v1/mass-starts/",
        {**details(), "held_on": "2021-04-15", "projects": [{"code": approval.code, "investment": "200000"}]},
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["project_count"] == 1 and body["total_investment"] == "200000.00"
    pk = body["id"]
    added = specialist.post(
        f"/api/v1/mass-starts/{pk}/projects/", {"projects": [{"project": signed.pk}]}, format="json"
    )
    assert added.status_code == 201 and added.json()[0]["started_here"] is True
    assert added.json()[0]["district"] == "九龙坡区"
    unknown = specialist.post(
        f"/api/v1/mass-starts/{pk}/projects/", {"projects": [{"project": 10**9}]}, format="json"
    )
    assert unknown.status_code == 400 and "项目不存在" in unknown.content.decode()
    again = specialist.post(
        f"/api/v1/mass-starts/{pk}/projects/", {"projects": [{"project": signed.pk}]}, format="json"
    )
    assert again.status_code == 400 and "一个项目只开工一次" in again.content.decode()
    listed = specialist.get(f"/api/v1/mass-starts/{pk}/projects/").json()["results"]
    assert [row["code"] for row in listed] == [approval.code, signed.code]
    shares = specialist.get(f"/api/v1/mass-starts/{pk}/breakdown/").json()
    assert {row["key"] for row in shares["district"]} == {"500106", "500107"}
    assert specialist.get("/api/v1/mass-starts/", {"year": 2021}).json()["results"][0]["id"] == pk
    assert specialist.get("/api/v1/mass-starts/", {"year": 2020}).json()["results"] == []
    removed = specialist.post(
        f"/api/v1/mass-starts/{pk}/projects/remove/", {"project": signed.pk}, format="json"
    )
    assert removed.status_code == 200 and removed.json()["project_count"] == 1
    patched = specialist.patch(f"/api/v1/mass-starts/{pk}/", {"place": "科学谷"}, format="json")
    assert patched.status_code == 200 and patched.json()["place"] == "科学谷"
    # An enterprise reads the event, not the others' projects, and may not record.
    applicant = client_of(site.applicant)
    assert applicant.get(f"/api/v1/mass-starts/{pk}/").status_code == 200
    assert applicant.get(f"/api/v1/mass-starts/{pk}/projects/").json()["results"] == []
    refused = applicant.post("/api/v1/mass-starts/", {**details(), "held_on": "2021-04-15"}, format="json")
    assert refused.status_code == 403


# --- statements -----------------------------------------------------------------------------------------------


def _statements(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_pages_send_as_many_statements_for_many_projects_as_for_few(site, client):
    enterprise = EnterpriseFactory()

    def more(event, n, start):
        made = [
            ProjectFactory(
                enterprise=enterprise, code=f"2021-50010{6 + i % 2}-65-03-{start + i:06d}", phase="approval"
            )
            for i in range(n)
        ]
        mass_starts.add_projects(None, event, [Entry(p) for p in made])

    event = mass_starts.record_mass_start(None, **details())
    more(event, 3, 1000)
    client.force_login(site.specialist)
    urls = [
        reverse("projects:mass_start", args=[event.pk]),
        reverse("projects:mass_starts"),
        reverse("cockpit:timeline"),
    ]
    few = [_statements(client, url) for url in urls]
    more(event, 9, 2000)
    mass_starts.record_mass_start(None, **details(name="又一次集中开工", held_on=D(2021, 5, 27)))
    page = client.get(urls[0]).content.decode()
    assert page.count('data-label="项目代码"') == 12
    assert [_statements(client, url) for url in urls] == few
