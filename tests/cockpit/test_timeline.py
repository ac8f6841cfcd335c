"""The zone's construction timeline (建设时间轴) is built from the records — mass starts, key projects' starts,
completions and operation, the working committee's founding — newest first, in the reader's scope; the
cockpit counts the period's mass starts (each figure equal to its list) and shows the timeline's panel; the
page in Chinese and English and the API show the same entries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from sciencecity.api.services import create_token
from sciencecity.cockpit import figures, snapshots, timeline
from sciencecity.cockpit.periods import parse_period
from sciencecity.cockpit.records import select
from sciencecity.partybuilding.services import organizations
from sciencecity.projects.models import Project
from sciencecity.projects.services import mass_starts, schedule
from sciencecity.projects.services.mass_starts import Entry
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, staff

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def zone(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    own, other = EnterpriseFactory(name="重庆科学谷建设有限公司"), EnterpriseFactory(name="另一家企业")

    def project(name, code, enterprise=other, **fields):
        return ProjectFactory(
            name=name,
            code=code,
            enterprise=enterprise,
            is_key=True,
            total_investment=Decimal("100000"),
            **fields,
        )

    road = project("科学大道二期工程", "2020-500106-48-01-000001", phase="approval")
    valley = project("科学谷(一期)", "2020-500106-48-01-000002", own, phase="signed")
    tunnel = project("科学城隧道", "2021-500107-48-01-000003", phase="under_construction")
    lab = project("超瞬态实验装置", "2021-500106-83-01-000004", phase="in_operation")
    small = ProjectFactory(name="非重点小项目", code="2021-500106-83-01-000005", phase="completed")
    mobilisation = mass_starts.record_mass_start(
        None,
        name="西部(重庆)科学城建设动员大会",
        held_on=D(2020, 9, 11),
        place="科学大道施工现场",
        organizer="管委会",
        projects=[Entry(road, Decimal("60000")), Entry(valley)],
    )
    schedule.set_milestone(None, tunnel, "start", actual_on=D(2021, 3, 2))
    schedule.set_milestone(None, lab, "start", actual_on=D(2021, 5, 27))
    schedule.set_milestone(None, lab, "acceptance", actual_on=D(2023, 6, 10))
    schedule.set_milestone(None, lab, "operation", actual_on=D(2023, 9, 1))
    schedule.set_milestone(None, tunnel, "acceptance", actual_on=D(2023, 6, 20))
    schedule.set_milestone(None, small, "acceptance", actual_on=D(2023, 6, 21))  # not a key project
    organizations.found(
        None,
        None,
        name="西部(重庆)科学城党工委",
        kind="working_committee",
        sector="organ",
        established_on=D(2021, 5, 17),
    )
    return {
        "own": own,
        "event": mobilisation,
        "road": road,
        "valley": valley,
        "tunnel": tunnel,
        "lab": lab,
        "leader": staff("leader", username="leader"),
        "applicant": UserFactory(username="unit", enterprise=own, roles=["applicant"]),
    }


def test_the_timeline_is_built_from_the_records(zone):
    entries = timeline.build(zone["leader"], D(2020, 1, 1), D(2027, 1, 1))
    kinds = [(entry.day, entry.kind) for entry in entries]
    assert kinds == sorted(kinds, key=lambda k: k[0], reverse=True)  # newest first
    mass = next(entry for entry in entries if entry.kind == "mass_start")
    assert mass.day == D(2020, 9, 11) and mass.count == 2 and mass.amount == 160000.0
    assert "2 个项目集中开工,总投资 16.00 亿元" in mass.detail
    # The starts the mass start dated are in its entry, not again as starts.
    starts = [entry for entry in entries if entry.kind == "start"]
    assert {entry.title for entry in starts} == {"科学城隧道开工", "超瞬态实验装置开工"}
    # A month's completions together, each project named with its day; the small project is not a key one.
    (completions,) = [entry for entry in entries if entry.kind == "completion"]
    assert completions.month_only and completions.count == 2 and completions.title == "2 个重点项目竣工验收"
    assert [(item.label, item.day) for item in completions.items] == [
        ("超瞬态实验装置", D(2023, 6, 10)),
        ("科学城隧道", D(2023, 6, 20)),
    ]
    (opened,) = [entry for entry in entries if entry.kind == "operation"]
    assert opened.title == "超瞬态实验装置投用" and opened.url == reverse(
        "approvals:project", args=[zone["lab"].pk]
    )
    (party,) = [entry for entry in entries if entry.kind == "party"]
    assert party.day == D(2021, 5, 17) and party.title == "西部(重庆)科学城党工委成立"
    only = timeline.build(zone["leader"], D(2021, 1, 1), D(2022, 1, 1), kinds=["start"])
    assert {entry.kind for entry in only} == {"start"} and len(only) == 2


def test_an_enterprise_reads_the_public_records_and_its_own_projects(zone):
    entries = timeline.build(zone["applicant"], D(2020, 1, 1), D(2027, 1, 1))
    assert any(entry.kind == "mass_start" for entry in entries)
    assert not [entry for entry in entries if entry.kind in ("start", "completion", "operation")]


def test_the_cockpit_counts_the_periods_mass_starts_and_each_figure_is_its_list(zone):
    period = parse_period("2020")
    values = figures.compute_all(period, D(2026, 11, 24))
    assert values["mass_starts"] == 1
    assert values["mass_start_projects"] == 2
    assert values["mass_start_investment"] == 160000.0
    for key in ("mass_starts", "mass_start_projects", "mass_start_investment"):
        selection = select(key, "2020")
        assert selection.measure() == values[key]
    rows = list(
        select("mass_start_projects", "2020").listing.rows(select("mass_start_projects", "2020").queryset)
    )
    assert {row.project.name for row in rows} == {"科学大道二期工程", "科学谷(一期)"}
    assert figures.compute_all(parse_period("2021"), D(2026, 11, 24))["mass_starts"] == 0
    snapshots.take_snapshot(period)


def test_the_page_the_panel_and_the_api(zone, client):
    client.force_login(zone["applicant"])
    page = client.get(reverse("cockpit:timeline"))
    text = page.content.decode()
    assert page.status_code == 200 and "建设时间轴" in text and "西部(重庆)科学城建设动员大会" in text
    assert "2020 年" in text
    assert "科学城隧道" not in text  # another unit's project
    year = client.get(reverse("cockpit:timeline"), {"year": "2021", "kind": "mass_start"}).content.decode()
    assert "西部(重庆)科学城建设动员大会" not in year
    client.cookies["django_language"] = "en"
    english = client.get(reverse("cockpit:timeline"))
    assert english.status_code == 200 and 'lang="en"' in english.content.decode()
    client.cookies["django_language"] = "zh-hans"
    client.force_login(zone["leader"])
    board = client.get(reverse("cockpit:board"), {"period": "2020"}).content.decode()
    assert 'id="box-timeline"' in board and "西部(重庆)科学城建设动员大会" in board
    assert 'data-figure="mass_start_investment"' in board
    # A quiet month opens on the year before it, said so, not on an empty box.
    quiet = client.get(reverse("cockpit:board"), {"period": "2021-01"}).content.decode()
    assert "本期没有记录,以下为此前一年内最近的记录。" in quiet and "西部(重庆)科学城建设动员大会" in quiet
    assert "以下为此前一年内最近的记录" not in board
    api = APIClient()
    _token, secret = create_token(zone["leader"], "test")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    rows = api.get("/api/v1/timeline/", {"year": 2023}).json()
    assert [row["kind"] for row in rows] == ["operation", "completion"]
    assert rows[1]["items"][0]["label"] == "超瞬态实验装置"
    assert api.get("/api/v1/timeline/", {"kind": "nonsense"}).status_code == 400
    assert APIClient().get("/api/v1/timeline/").status_code == 401
    assert Project.objects.get(pk=zone["valley"].pk).phase == "started"
