"""The audit trail of any audited object, read by the audit app alone (`audit.trail`): here the project
registry's events, whose app registers nothing with the trail. Field names by their verbose names, choices by
their labels, foreign keys by their rows' names read for all events at once, times in the local time zone,
keys that are no field shown as recorded, and a formatter an app registers where the metadata is not enough.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from sciencecity.api.services import create_token
from sciencecity.audit import record, trail
from sciencecity.audit.trail import Formatter, TrailReader, Value, events_of
from sciencecity.projects import services as projects
from sciencecity.projects.models import Project
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(db):
    return staff("administrator", display_name="钱管理")


@pytest.fixture
def supervisor(db):
    return staff("supervisor", display_name="赵督查")


def changes_of(event) -> dict[str, tuple]:
    """{label or key: (before texts or None, after texts)} of a described event."""
    return {
        change.label or change.key: (
            None if change.before is None else [value.text for value in change.before],
            [value.text for value in change.after],
        )
        for change in event.changes
    }


def test_fields_by_verbose_name_choices_by_label_foreign_keys_by_name(administrator, supervisor):
    project = ProjectFactory(name="智能制造基地", is_key=False)
    old_enterprise, new_enterprise = project.enterprise, EnterpriseFactory(name="重庆新研科技有限公司")
    projects.update_project(
        administrator, project, enterprise=new_enterprise, is_key=True, total_investment=Decimal("80000")
    )
    projects.change_project_phase(
        administrator, Project.objects.get(pk=project.pk), Project.Phase.LAND_SUPPLIED
    )

    events = trail.trail(supervisor, project)

    assert [event.action for event in events] == ["projects.update_project", "projects.change_project_phase"]
    update, phase = events
    assert update.actor == administrator and update.created_at <= phase.created_at
    assert changes_of(update) == {
        "建设单位": ([old_enterprise.name], ["重庆新研科技有限公司"]),
        "总投资(万元)": (["50000.00"], ["80000"]),
        "重点项目": (["否"], ["是"]),
    }
    # The day the phase changed (the history keeps it; a phase reported late keeps its real day).
    assert changes_of(phase) == {"阶段": (["签约"], ["供地"]), "变更日期": (None, ["2026-11-24"])}
    # Names are data people entered (left alone by the language checks); a choice label is the platform's.
    enterprise = next(change for change in update.changes if change.label == "建设单位")
    assert enterprise.after == [Value("重庆新研科技有限公司", True)]
    assert phase.changes[0].after == [Value("供地")]
    # The technical details keep the data as recorded.
    assert '"phase": "land_supplied"' in phase.raw_after and str(project.enterprise_id) in update.raw_before


def test_in_english_fields_and_choices_are_english(administrator, supervisor):
    project = ProjectFactory()
    projects.change_project_phase(administrator, project, Project.Phase.LAND_SUPPLIED)
    with translation.override("en"):
        (event,) = trail.trail(supervisor, project)
        label = str(Project._meta.get_field("phase").verbose_name)
        supplied = str(Project.Phase.LAND_SUPPLIED.label)
        signed = str(Project.Phase.SIGNED.label)
    assert label == "Stage"
    assert changes_of(event) == {label: ([signed], [supplied]), "Date of change": (None, ["2026-11-24"])}


def test_times_in_the_local_zone_dates_as_days_unknown_keys_as_recorded(supervisor):
    project = ProjectFactory()
    record(
        None,
        "projects.unnamed_action",
        project,
        before={"updated_at": "2026-05-31T16:30:00Z", "colour": "blue"},
        after={"updated_at": "2026-06-01T01:05:00Z", "colour": {"b": 2, "a": [1, "二"]}, "created_at": None},
    )
    (event,) = trail.trail(supervisor, project)
    assert event.label == "projects.unnamed_action"  # no app named this action: its code
    assert event.object_label == str(project) and event.object_is_data
    # Asia/Shanghai is eight hours ahead of UTC.
    assert changes_of(event) == {
        "更新时间": (["2026-06-01 00:30"], ["2026-06-01 09:05"]),
        "colour": (["blue"], ['{"a": [1, "二"], "b": 2}']),
    }
    # PostgreSQL's jsonb keeps keys in its own order, SQLite in the written one: find the change by its key.
    colour = next(change for change in event.changes if change.key == "colour")
    assert colour.label == "" and colour.key == "colour" and colour.after[0].data
    assert TrailReader.read_date("2026-06-01") == [Value("2026-06-01")]
    assert TrailReader.read_date(datetime.date(2026, 6, 1)) == [Value("2026-06-01")]


def test_foreign_keys_are_named_in_one_query_however_many_events(
    administrator, supervisor, django_assert_max_num_queries
):
    projects_ = [ProjectFactory() for _ in range(8)]
    for project in projects_:
        projects.update_project(administrator, project, enterprise=EnterpriseFactory())
    events = list(events_of(supervisor, *projects_))
    assert len(events) == 8
    # One query for all the enterprises named, before and after; the actors come with the events.
    with django_assert_max_num_queries(1):
        described = TrailReader().describe(events)
    names = {project.enterprise.name for project in Project.objects.select_related("enterprise")}
    assert {change.after[0].text for event in described for change in event.changes} == names
    assert all(str(event.actor) == "钱管理" for event in described)


def test_a_row_deleted_since_is_named_by_its_id(supervisor):
    project = ProjectFactory()
    record(
        None, "projects.update_project", project, before={"enterprise": 999_999}, after={"enterprise": "x"}
    )
    (event,) = trail.trail(supervisor, project)
    assert changes_of(event) == {"建设单位": (["#999999"], ["#x"])}


def test_a_registered_formatter_reads_what_the_metadata_cannot(monkeypatch, administrator, supervisor):
    monkeypatch.setattr(trail, "_formatters", dict(trail._formatters))
    monkeypatch.setattr(trail, "_rows", dict(trail._rows))
    # The project code read by its parts; the land area in hectares, under another name; a key hidden.
    trail.register(Project, "code", Formatter(lambda code, reader: code.split("-")[:2]))
    trail.register(
        Project, "land_area", Formatter(lambda area, reader: Value(f"{float(area) / 10_000:g} 公顷"), "用地")
    )
    trail.register(Project, "secret", trail.HIDDEN)
    # A formatter that names rows asks for them (`refs`) and reads them from the reader: one query for all.
    trail.register(
        Project,
        "partners",
        Formatter(
            lambda pks, reader: [reader.name(Project, pk) for pk in pks],
            "合作项目",
            refs=lambda pks: [(Project, pk) for pk in pks],
        ),
    )
    project, partner = ProjectFactory(), ProjectFactory(name="合作方")
    record(
        administrator,
        "projects.update_project",
        project,
        before={"code": "2026-500106-47-01-000001", "land_area": "20000.00", "secret": "a", "partners": []},
        after={
            "code": "2027-500107-47-01-000001",
            "land_area": "30000.00",
            "secret": "b",
            "partners": [partner.pk],
        },
    )
    (event,) = trail.trail(supervisor, project)
    assert changes_of(event) == {
        "项目代码": (["2026", "500106"], ["2027", "500107"]),
        "用地": (["2 公顷"], ["3 公顷"]),
        "合作项目": (["—"], [str(partner)]),
    }


def test_only_the_events_the_user_may_read_of_the_objects_given(administrator, supervisor):
    project, other = ProjectFactory(), ProjectFactory()
    projects.change_project_phase(administrator, project, Project.Phase.LAND_SUPPLIED)
    projects.change_project_phase(administrator, other, Project.Phase.LAND_SUPPLIED)
    someone = UserFactory()
    record(someone, "projects.note", project, after={"note": "看过"})

    assert [event.target_id for event in events_of(supervisor, project)] == [str(project.pk)] * 2
    # By content type and ids as well; an object of another model with the same id is not one of them.
    assert len(events_of(supervisor, (Project, [project.pk, other.pk]))) == 3
    assert not events_of(supervisor, (UserFactory._meta.model, [project.pk])).filter(
        target_id=str(project.pk)
    )
    # Whoever may not read the audit trail reads only their own actions, even on an object they may see.
    assert [event.action for event in events_of(someone, project)] == ["projects.note"]
    assert not events_of(supervisor)


def test_the_api_gives_each_event_its_changes_in_words(administrator, supervisor):
    project = ProjectFactory()
    projects.change_project_phase(administrator, project, Project.Phase.LAND_SUPPLIED)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    _, secret = create_token(supervisor, "test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    rows = client.get(f"/api/v1/audit-events/?target_type=projects.project&target_id={project.pk}").json()
    (row,) = rows["results"]
    assert row["changes"] == [
        {"label": "阶段", "key": "", "before": ["签约"], "after": ["供地"]},
        {"label": "变更日期", "key": "", "before": None, "after": ["2026-11-24"]},
    ]
    one = client.get(f"/api/v1/audit-events/{row['id']}/").json()
    assert one["changes"] == row["changes"]
    assert one["after"] == {**row["before"], "phase": "land_supplied", "on": "2026-11-24"}
