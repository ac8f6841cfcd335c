"""The leaders' pages: who may open them (leaders, supervisors, administrators; 403 for everyone else), the
overview's numbers against the data, its constant query count, the list of applications with its filters,
the drill-down with the audit trail, and the vendored ECharts.

The world is the demo catalog (see tests/approvals/conftest.py) with time frozen on Monday 2026-06-01; in
START_MINIMAL the planning department's 建设工程规划许可证核发 (promised 2 working days) starts when the window
accepts, and the housing department's two items wait for it.
"""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.views import serve
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciencecity.approvals.models import Application, ReviewTask
from sciencecity.approvals.services.deadlines import scan_deadlines
from sciencecity.audit.models import AuditEvent
from tests.approvals.conftest import (
    START_DAY,
    START_MINIMAL,
    accepted,
    approve_all,
    at,
    draft,
    load_demo_world,
    submitted,
    task_of,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
EPP = "engineering-planning-permit"
OVERVIEW = reverse("approvals:leaders_overview")
LIST = reverse("approvals:leaders_applications")
TASKS = reverse("approvals:leaders_tasks")


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


@pytest.fixture
def leader(db):
    return UserFactory(username="leader", roles=["leader"])


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", roles=["supervisor"])


def as_user(client, user):
    client.force_login(user)
    return client


def table(html: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"no table #{table_id}"
    return match.group(0)


def cell_row(html: str, attribute: str, value: str) -> list[str]:
    """The numbers of the table row marked data-<attribute>="<value>"."""
    match = re.search(rf'<tr data-{attribute}="{value}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    cells = re.findall(r'<td class="num[^"]*">(.*?)</td>', match.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", cell) for cell in cells]  # a figure may be a link to its list


def apply_on(world, time_machine, day, n):
    at(time_machine, day)
    return accepted(world, "start-construction", START_MINIMAL, key=f"submit-{n}")


@pytest.fixture
def mixed(world, time_machine):
    """On Thursday 06-04: one accepted application whose planning task is overdue (accepted 06-01), one whose
    planning task is due tomorrow (accepted 06-03), one waiting at the window, one draft."""
    overdue = apply_on(world, time_machine, D(2026, 6, 1), 1)
    due_soon = apply_on(world, time_machine, D(2026, 6, 3), 2)
    waiting = submitted(world, "start-construction", START_MINIMAL, key="submit-3")
    drafted = draft(world, "start-construction", START_MINIMAL, key="draft-4")
    at(time_machine, D(2026, 6, 4))
    return overdue, due_soon, waiting, drafted


# --- access ----------------------------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("role", ["leader", "supervisor"])
    def test_leaders_and_supervisors_open_the_overview(self, world, client, role):
        user = UserFactory(username=role, roles=[role])
        response = as_user(client, user).get(OVERVIEW)
        assert response.status_code == 200
        assert "审批办件总览" in response.content.decode()

    def test_applicant_and_reviewer_get_403(self, world, client, mixed):
        application = mixed[0]
        for user in (world.applicant, world.reviewer("planning"), world.clerk):
            client.force_login(user)
            for url in (
                OVERVIEW,
                LIST,
                TASKS,
                reverse("approvals:leaders_application", args=[application.pk]),
            ):
                assert client.get(url).status_code == 403, (user, url)

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(OVERVIEW)
        assert response.status_code == 302 and "login" in response["Location"]

    def test_the_pages_only_read(self, world, client, leader):
        assert as_user(client, leader).post(OVERVIEW).status_code == 405


# --- the overview ---------------------------------------------------------------------------------------


class TestOverview:
    def test_counts_by_status_match_the_data(self, world, client, leader, mixed):
        html = as_user(client, leader).get(OVERVIEW).content.decode()
        status = table(html, "table-status")
        for value in Application.Status.values:
            expected = Application.objects.filter(status=value).count()
            assert cell_row(status, "status", value) == [str(expected)], value
        assert cell_row(status, "status", "in_review") == ["2"]
        assert cell_row(status, "status", "submitted") == ["1"]
        assert cell_row(status, "status", "draft") == ["1"]
        # the total is a row of the table's foot like the other tables' totals (no stray caption block)
        assert cell_row(status, "status", "total") == [str(Application.objects.count())]
        assert "<caption" not in status and "<tfoot>" in status
        # by bundle: drafts excluded, total last
        assert cell_row(table(html, "table-bundle"), "bundle", "start-construction")[-1] == "3"

    def test_open_overdue_and_escalated_tasks_by_department(self, world, client, leader, mixed, time_machine):
        html = as_user(client, leader).get(OVERVIEW).content.decode()
        departments = table(html, "table-departments")
        open_planning = ReviewTask.objects.filter(
            department__code="planning", status__in=ReviewTask.OPEN_STATUSES
        ).count()
        assert cell_row(departments, "department", "planning") == [str(open_planning), "1", "0"]
        housing = cell_row(departments, "department", "housing")
        assert housing[1:] == ["0", "0"]  # housing's tasks wait for planning: no clock, never overdue

        at(time_machine, D(2026, 6, 5))  # the 06-03 deadline is one whole working day behind: escalated
        scan_deadlines()
        assert task_of(mixed[0], EPP).warning_level == ReviewTask.Warning.ESCALATED
        html = client.get(OVERVIEW).content.decode()
        # 06-05: the first is escalated, the second (deadline 06-05) is due today, not yet overdue
        assert cell_row(table(html, "table-departments"), "department", "planning") == [
            str(open_planning),
            "1",
            "1",
        ]

    def test_elapsed_working_days_of_concluded_applications(self, world, client, leader, time_machine):
        application = apply_on(world, time_machine, D(2026, 6, 1), 1)
        at(time_machine, D(2026, 6, 3))
        approve_all(world, application)
        application.refresh_from_db()
        assert application.status == Application.Status.CONCLUDED
        html = as_user(client, leader).get(OVERVIEW).content.decode()
        elapsed = table(html, "table-elapsed")
        row = cell_row(elapsed, "bundle", "start-construction")
        assert row[0] == "1"
        assert row[1] == row[2] == "2.0"  # submitted Monday 06-01, concluded Wednesday 06-03
        assert "365" in html  # the page says which applications it counts

    def test_reform_figures_and_reference(self, world, client, leader):
        html = as_user(client, leader).get(OVERVIEW).content.decode()
        assert 'data-bundle="start-construction"' in html
        assert "减少 14 个环节" in html
        assert html.count('class="data reform"') >= 1
        # The seeds' reference figures stand beside 开工一件事 only: another bundle's row shows none.
        tables = {
            chunk.split('"', 1)[0]: chunk.split("</table>", 1)[0]
            for chunk in html.split('class="data reform" data-bundle="')[1:]
        }
        assert tables["start-construction"].count('<td class="num">14</td></tr>') == 1  # the last column
        others = [table for code, table in tables.items() if code != "start-construction"]
        assert others and all(table.count('<td class="num">—</td></tr>') == 3 for table in others)

    def test_chart_data_and_scripts(self, world, client, leader, mixed):
        response = as_user(client, leader).get(OVERVIEW)
        html = response.content.decode()
        assert '<script id="overview-data" type="application/json">' in html
        assert "vendor/echarts/echarts.min.js" in html and "js/leaders.js" in html
        data = response.context["data"]
        assert sum(row["count"] for row in data["by_status"]) == Application.objects.count()
        assert {"separately", "bundled"} <= set(data["reform"][0])

    def test_query_count_does_not_grow_with_applications(self, world, client, leader, time_machine):
        client = as_user(client, leader)

        def queries():
            client.get(OVERVIEW)  # warm the session and content types
            with CaptureQueriesContext(connection) as captured:
                assert client.get(OVERVIEW).status_code == 200
            return len(captured)

        for n in range(2):
            apply_on(world, time_machine, D(2026, 6, 1), n)
        at(time_machine, D(2026, 6, 1))
        approve_all(world, Application.objects.order_by("pk").first())
        at(time_machine, D(2026, 6, 4))
        few = queries()
        for n in range(2, 10):
            apply_on(world, time_machine, D(2026, 6, 1) + datetime.timedelta(days=n % 3), n)
        first_new = Application.objects.order_by("pk")[3]
        at(time_machine, D(2026, 6, 5))
        approve_all(world, first_new)
        at(time_machine, D(2026, 6, 8))
        assert Application.objects.count() == 10
        assert queries() == few


# --- the list and the drill-down -----------------------------------------------------------------------


class TestApplications:
    def test_filters_and_search(self, world, client, leader, mixed):
        overdue, due_soon, waiting, drafted = mixed
        client = as_user(client, leader)

        def numbers(**query):
            response = client.get(LIST, query)
            assert response.status_code == 200
            return {application.number for application in response.context["applications"]}

        assert numbers() == {a.number for a in mixed}
        assert numbers(overdue="on") == {overdue.number}
        assert numbers(status="submitted") == {waiting.number}
        assert numbers(bundle="start-construction") == {a.number for a in mixed}
        assert numbers(q=due_soon.number) == {due_soon.number}
        assert numbers(q="重庆测试芯片") == {a.number for a in mixed}
        assert numbers(q="nobody") == set()

    def test_pages_without_counting(self, world, client, leader, mixed, settings, monkeypatch):
        from sciencecity.approvals.views import leaders

        monkeypatch.setattr(leaders, "PAGE_SIZE", 3)
        client = as_user(client, leader)
        first = client.get(LIST)
        assert len(first.context["applications"]) == 3 and first.context["next_url"]
        second = client.get(first.context["next_url"])
        assert len(second.context["applications"]) == 1 and not second.context["next_url"]
        with CaptureQueriesContext(connection) as captured:
            client.get(LIST)
        counted = [
            q["sql"] for q in captured if "COUNT(" in q["sql"].upper() and "approvals_application" in q["sql"]
        ]
        assert not counted

    def test_htmx_gets_only_the_rows_and_the_browser_the_whole_page(self, world, client, leader, mixed):
        overdue, due_soon, waiting, drafted = mixed
        client = as_user(client, leader)
        partial = client.get(LIST, {"status": "submitted"}, headers={"HX-Request": "true"})
        assert partial.status_code == 200
        html = partial.content.decode()
        assert html.lstrip().startswith('<section class="card results" id="applications-results"')
        assert "<html" not in html and 'role="search"' not in html
        assert waiting.number in html and overdue.number not in html
        assert "status=submitted" in partial.context["next_url"] or not partial.context["next_url"]
        assert "HX-Request" in partial["Vary"]

        page = client.get(LIST, {"status": "submitted"})
        html = page.content.decode()
        assert "<html" in html and 'id="applications-results"' in html and waiting.number in html
        assert overdue.number not in html and "HX-Request" in page["Vary"]
        # The no-JS form is a plain GET of this page; with htmx it swaps the rows' region and pushes the URL.
        form = re.search(r'<form method="get" action="([^"]*)"[^>]*role="search"[^>]*>', html, re.S)
        assert form and form.group(1) == LIST
        for attribute in (
            f'hx-get="{LIST}"',
            'hx-target="#applications-results"',
            'hx-push-url="true"',
            'hx-trigger="change, submit"',
        ):
            assert attribute in form.group(0)

        restore = client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
        assert "<html" in restore.content.decode()

    def test_drill_down_shows_tasks_lights_and_audit_trail(self, world, client, supervisor, mixed):
        application = mixed[0]
        response = as_user(client, supervisor).get(
            reverse("approvals:leaders_application", args=[application.pk])
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert application.number in html
        assert 'class="light red">超期' in html  # the planning task, overdue on 06-04
        events = response.context["events"]
        actions = [event.action for event in events]
        assert "approvals.submit_application" in actions and "approvals.accept_application" in actions
        assert "approvals.upload_material" in actions  # material events are part of the trail
        assert [event.created_at for event in events] == sorted(event.created_at for event in events)
        # nothing of another application
        other = mixed[1]
        assert not [e for e in events if e.target_repr.startswith(other.number)]
        expected = AuditEvent.objects.filter(
            target_id=str(application.pk), target_repr=application.number
        ).count()
        assert expected and len([e for e in events if e.target_repr == application.number]) == expected
        assert (
            'id="audit-trail"' in html
            and "<form" not in html.split('<main id="main">')[1].split("</main>")[0]
        )

    def test_unknown_application_is_404(self, world, client, leader):
        response = as_user(client, leader).get(reverse("approvals:leaders_application", args=[999999]))
        assert response.status_code == 404


# --- the vendored ECharts ---------------------------------------------------------------------------------


def test_echarts_is_vendored_and_served_from_static():
    found = finders.find("vendor/echarts/echarts.min.js")
    assert found, "static/vendor/echarts/echarts.min.js is missing"
    version = finders.find("vendor/echarts/VERSION")
    with open(version, encoding="utf-8") as file:
        text = file.read()
    assert re.search(r"echarts 5\.\d+\.\d+", text) and "Apache-2.0" in text
    response = serve(
        RequestFactory().get("/static/vendor/echarts/echarts.min.js"),
        "vendor/echarts/echarts.min.js",
        insecure=True,
    )
    assert response.status_code == 200
    head = b"".join(response.streaming_content)[:2000]
    assert b"echarts" in head.lower()
    assert finders.find("js/leaders.js")


# --- drill-down: every figure links to the list of what it counts -------------------------------------------


def links_of(html: str, attribute: str, value: str) -> list[tuple[str, str]]:
    """(href, figure) of each linked number in the table row marked data-<attribute>="<value>"."""
    match = re.search(rf'<tr data-{attribute}="{value}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return [
        (href.replace("&amp;", "&"), n)
        for href, n in re.findall(r'<a href="([^"]+)">(\d+)</a>', match.group(1))
    ]


def rows_listed(client, href: str, row_class: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.content.decode().count(f'<tr class="{row_class}">')


class TestDrillDown:
    def test_each_departments_figure_links_to_a_list_as_long(
        self, world, client, leader, mixed, time_machine
    ):
        at(time_machine, D(2026, 6, 5))  # planning: one task escalated, one due today; housing's waiting
        scan_deadlines()
        html = as_user(client, leader).get(OVERVIEW).content.decode()
        departments = table(html, "table-departments")
        checked = 0
        for code in ("planning", "housing"):
            for href, figure in links_of(departments, "department", code):
                assert href.startswith(TASKS) and f"department={code}" in href
                assert rows_listed(client, href, "task-row") == int(figure), href
                checked += 1
        assert checked >= 4  # planning's open, overdue and escalated; housing's open
        foot = re.search(r"<tfoot>(.*?)</tfoot>", departments, re.S).group(1)
        totals = re.findall(r'<a href="([^"]+)">(\d+)</a>', foot)
        assert len(totals) == 3
        for href, figure in totals:
            assert rows_listed(client, href.replace("&amp;", "&"), "task-row") == int(figure)

    def test_the_escalated_list_names_the_overdue_task(self, world, client, leader, mixed, time_machine):
        at(time_machine, D(2026, 6, 5))
        scan_deadlines()
        overdue_task = task_of(mixed[0], EPP)
        html = (
            as_user(client, leader)
            .get(TASKS, {"department": "planning", "state": "escalated"})
            .content.decode()
        )
        assert html.count('<tr class="task-row">') == 1
        assert mixed[0].number in html and "督办" in html
        assert reverse("approvals:leaders_application", args=[overdue_task.application_id]) in html

    def test_each_status_figure_links_to_the_applications_in_it(self, world, client, leader, mixed):
        html = as_user(client, leader).get(OVERVIEW).content.decode()
        status = table(html, "table-status")
        for value in ("in_review", "submitted", "draft"):
            [(href, figure)] = links_of(status, "status", value)
            assert rows_listed(client, href, "application-row") == int(figure), value
        bundle = links_of(table(html, "table-bundle"), "bundle", "start-construction")
        for href, figure in bundle:
            if "status=" in href:
                assert rows_listed(client, href, "application-row") == int(figure), href

    def test_the_chart_data_carries_the_same_links(self, world, client, leader, mixed):
        response = as_user(client, leader).get(OVERVIEW)
        data = response.context["data"]
        planning = next(row for row in response.context["departments"] if row["code"] == "planning")
        chart_row = next(row for row in data["departments"] if row["name"] == planning["name"])
        assert chart_row["urls"] == [url for _state, _count, url in planning["links"]]
        assert [row["url"] for row in data["by_status"]][0].startswith(LIST + "?status=")

    def test_the_task_list_reads_a_fixed_number_of_queries(self, world, client, leader, mixed):
        as_user(client, leader)
        client.get(TASKS)  # warm the session and the catalog caches
        with CaptureQueriesContext(connection) as few:
            client.get(TASKS)
        for n in range(5, 9):
            accepted(world, "start-construction", START_MINIMAL, key=f"more-{n}")
        with CaptureQueriesContext(connection) as more:
            assert client.get(TASKS).content.decode().count('<tr class="task-row">') > 3
        assert len(more) == len(few)

    def test_an_unknown_state_or_department_is_ignored_not_an_error(self, world, client, leader, mixed):
        response = as_user(client, leader).get(TASKS, {"state": "nonsense", "department": "<script>"})
        assert response.status_code == 200
        assert "<script>" not in response.content.decode().split("<main")[1].split("</form>")[1]
