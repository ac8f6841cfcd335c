"""The leaders' overview at scale: working days stored when an application concludes and aggregated from
the stored values, the background count snapshot against a live count, and application search written for
PostgreSQL's trigram indexes with the same rows as the join it replaced.

World: the demo catalog, time frozen on Monday 2026-06-01 (see conftest)."""

import datetime
import io
import random
import re
import statistics

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sciencecity.approvals import dashboard
from sciencecity.approvals.models import Application, ApplicationCountSnapshot
from sciencecity.approvals.overview_tasks import refresh_overview_task, schedule_next_refresh
from sciencecity.approvals.services import review
from sciencecity.approvals.services.elapsed import fill_working_days_elapsed
from sciencecity.approvals.services.overview import KEEP_SNAPSHOTS, refresh_overview, take_count_snapshot
from sciencecity.approvals.views import leaders
from sciencecity.approvals.views.leaders import application_list, search_filter
from tests.factories import UserFactory

from .conftest import START_MINIMAL, accepted, approve, approve_all, at, claim, draft, submitted

pytestmark = pytest.mark.django_db

D = datetime.date
EPP = "engineering-planning-permit"


def conclude(world, time_machine, submitted_on, concluded_on, n=1):
    at(time_machine, submitted_on)
    application = accepted(world, "start-construction", START_MINIMAL, key=f"submit-{n}")
    at(time_machine, concluded_on)
    approve_all(world, application)
    application.refresh_from_db()
    assert application.status == Application.Status.CONCLUDED
    return application


def live_figures(today):
    """The overview's figures computed from the dates and pauses, as before the stored field."""
    since = today - datetime.timedelta(days=dashboard.ELAPSED_WINDOW_DAYS)
    result = dashboard.Elapsed(
        since=since, window_days=dashboard.ELAPSED_WINDOW_DAYS, total=dashboard.ElapsedRow("", ""), bundles=[]
    )
    concluded = Application.objects.filter(
        status__in=("concluded", "delivered"), concluded_at__isnull=False, submitted_at__isnull=False
    )
    return dashboard._elapsed_from_dates(concluded, result)


class TestStoredWorkingDays:
    def test_conclusion_stores_the_working_days(self, world, time_machine):
        application = conclude(world, time_machine, D(2026, 6, 1), D(2026, 6, 3))
        assert application.working_days_elapsed == 2  # submitted Monday 06-01, concluded Wednesday 06-03

    def test_paused_days_do_not_count(self, world, time_machine):
        application = accepted(world, "start-construction", START_MINIMAL)  # Monday 06-01
        task = claim(world, application, EPP)
        at(time_machine, D(2026, 6, 2))
        review.request_supplement(world.reviewer("planning"), task, "请补充")
        at(time_machine, D(2026, 6, 5))
        review.answer_supplement(world.applicant, task, "已补充")
        at(time_machine, D(2026, 6, 9))
        approve(world, application, EPP)  # back in review with its assignee
        approve_all(world, application)
        application.refresh_from_db()
        assert application.status == Application.Status.CONCLUDED
        # 06-02..06-09 are six working days; the pause took some of them.
        assert application.working_days_elapsed < 6
        assert application.working_days_elapsed == live_figures(D(2026, 6, 9)).total.median_days

    def test_the_overview_aggregates_the_stored_values(self, world, time_machine):
        first = conclude(world, time_machine, D(2026, 6, 1), D(2026, 6, 3), n=1)
        conclude(world, time_machine, D(2026, 6, 3), D(2026, 6, 4), n=2)
        at(time_machine, D(2026, 6, 8))
        elapsed = dashboard.elapsed_working_days()
        assert (elapsed.total.concluded, elapsed.total.average_days, elapsed.total.median_days) == (
            2,
            1.5,
            1.5,
        )
        assert elapsed.bundles[0].code == "start-construction"
        # The figure is the stored one: change it and the overview follows, in one query.
        Application.objects.filter(pk=first.pk).update(working_days_elapsed=7)
        with CaptureQueriesContext(connection) as captured:
            elapsed = dashboard.elapsed_working_days()
        assert len(captured) == 2  # the aggregate and the bundles
        assert (elapsed.total.average_days, elapsed.total.median_days) == (4, 4)

    def test_a_missing_figure_is_computed_from_the_dates_and_filled_in_the_background(
        self, world, time_machine
    ):
        application = conclude(world, time_machine, D(2026, 6, 1), D(2026, 6, 3))
        Application.objects.filter(pk=application.pk).update(working_days_elapsed=None)
        at(time_machine, D(2026, 6, 8))
        elapsed = dashboard.elapsed_working_days()
        assert (elapsed.total.concluded, elapsed.total.median_days) == (1, 2)
        assert fill_working_days_elapsed() == 1
        assert fill_working_days_elapsed() == 0  # idempotent
        application.refresh_from_db()
        assert application.working_days_elapsed == 2

    def test_stored_and_computed_figures_agree(self, world, time_machine):
        for n, (start, end) in enumerate(
            [
                (D(2026, 6, 1), D(2026, 6, 3)),
                (D(2026, 6, 3), D(2026, 6, 10)),
                (D(2026, 6, 11), D(2026, 6, 23)),
            ]
        ):
            conclude(world, time_machine, start, end, n=n)
        at(time_machine, D(2026, 6, 24))
        stored = dashboard.elapsed_working_days()
        computed = live_figures(D(2026, 6, 24))
        assert stored.total == computed.total
        assert stored.bundles == computed.bundles


def test_histogram_figures_equal_the_list_figures():
    rng = random.Random(7)
    for size in (1, 2, 3, 10, 11, 200):
        values = [(rng.randint(0, 40), rng.choice((10, 25))) for _ in range(size)]
        row = dashboard.ElapsedRow("x", "x")
        for days, limit in values:
            row.add(days, limit)
        row.finish()
        days = [days for days, _limit in values]
        assert row.concluded == size
        assert row.median_days == dashboard._round(statistics.median(days))
        assert row.average_days == dashboard._round(statistics.fmean(days))
        assert row.promised_days == dashboard._round(statistics.fmean(limit for _days, limit in values))
        within = sum(days <= limit for days, limit in values)
        assert row.within_promised_pct == dashboard._round(within * 100 / size)


# --- the count snapshot ---------------------------------------------------------------------------------


@pytest.fixture
def several(world, time_machine):
    accepted(world, "start-construction", START_MINIMAL, key="submit-1")
    accepted(world, "start-construction", START_MINIMAL, key="submit-2")
    submitted(world, "start-construction", START_MINIMAL, key="submit-3")
    draft(world, "start-construction", START_MINIMAL, key="draft-4")
    return world


class TestCountSnapshot:
    def test_snapshot_equals_the_live_count(self, several):
        live = dashboard.application_counts()
        assert live.as_of is None
        refresh_overview()
        snapshot = dashboard.application_counts()
        assert snapshot.as_of is not None
        assert sorted(snapshot.rows) == sorted(live.rows)
        assert dashboard.applications_by_status(snapshot) == dashboard.applications_by_status(live)
        assert dashboard.applications_by_bundle(snapshot) == dashboard.applications_by_bundle(live)
        by_status = {row["status"]: row["count"] for row in dashboard.applications_by_status(snapshot)}
        assert (by_status["in_review"], by_status["submitted"], by_status["draft"]) == (2, 1, 1)
        assert sum(by_status.values()) == Application.objects.count()

    def test_the_overview_reads_the_snapshot_until_it_is_stale(self, several, time_machine, settings):
        settings.OVERVIEW_REFRESH_MINUTES = 5
        take_count_snapshot()
        submitted(several, "start-construction", START_MINIMAL, key="submit-5")
        counts = dashboard.application_counts()
        assert sum(count for _b, _s, count in counts.rows) == 4  # as of the snapshot
        time_machine.shift(datetime.timedelta(minutes=11))
        counts = dashboard.application_counts()
        assert counts.as_of is None  # stale: counted live
        assert sum(count for _b, _s, count in counts.rows) == 5
        take_count_snapshot()
        assert sum(count for _b, _s, count in dashboard.application_counts().rows) == 5

    def test_only_the_newest_snapshots_are_kept(self, several, time_machine):
        for _ in range(KEEP_SNAPSHOTS + 2):
            time_machine.shift(datetime.timedelta(minutes=1))
            take_count_snapshot()
        assert ApplicationCountSnapshot.objects.count() == KEEP_SNAPSHOTS

    def test_the_background_task_schedules_one_next_run(self, several, settings):
        settings.OVERVIEW_REFRESH_MINUTES = 5
        summary = refresh_overview_task.call()
        assert summary["applications"] == 4
        assert ApplicationCountSnapshot.objects.count() == 1
        (waiting,) = DBTaskResult.objects.filter(task_path=refresh_overview_task.module_path)
        assert waiting.status == "READY"
        assert waiting.run_after == timezone.now() + datetime.timedelta(minutes=5)
        refresh_overview_task.call()  # again: still one waiting run, one more snapshot
        assert schedule_next_refresh() is None
        assert DBTaskResult.objects.filter(task_path=waiting.task_path).count() == 1
        assert ApplicationCountSnapshot.objects.count() == 2

    def test_the_command(self, several):
        out = io.StringIO()
        call_command("refresh_overview", stdout=out)
        assert "4" in out.getvalue()
        assert dashboard.application_counts().as_of is not None

    def test_the_page_says_as_of(self, several, client):
        leader = UserFactory(username="leader", roles=["leader"])
        client.force_login(leader)
        overview = reverse("approvals:leaders_overview")
        assert 'id="counts-as-of"' not in client.get(overview).content.decode()
        take_count_snapshot()
        html = client.get(overview).content.decode()
        assert re.search(r'id="counts-as-of">[^<]*2026-06-01 10:00', html)


# --- search ---------------------------------------------------------------------------------------------


class TestSearch:
    def test_same_rows_as_the_join(self, several, monkeypatch):
        leader = UserFactory(username="leader", roles=["leader"])
        numbers = list(Application.objects.values_list("number", flat=True))
        name = Application.objects.first().enterprise.name
        queries = [
            numbers[0],
            numbers[1][2:9].lower(),
            name,
            name[1:3],
            "nobody",
            "%",
            "_",
            "SQ",
            name.upper(),
        ]
        for listed in (leaders.SEARCH_ENTERPRISES_LISTED, 0):
            monkeypatch.setattr(leaders, "SEARCH_ENTERPRISES_LISTED", listed)
            for query in queries:
                joined = set(
                    Application.objects.filter(
                        Q(number__icontains=query) | Q(enterprise__name__icontains=query)
                    )
                )
                assert set(application_list(leader, {"q": query})) == joined, query
        assert set(application_list(leader, {"q": name})) == set(Application.objects.all())

    def test_search_is_the_number_or_an_enterprise_by_id(self, several):
        name = Application.objects.first().enterprise.name
        condition = search_filter(name)
        assert condition.connector == Q.OR
        assert condition.children[1][0] == "enterprise_id__in"


@pytest.mark.usefixtures("on_postgres")
class TestTrigramIndexes:
    def test_the_indexes_exist(self, db):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%_trgm_idx"]
            )
            found = dict(cursor.fetchall())
        assert set(found) == {"application_number_trgm_idx", "enterprise_name_trgm_idx"}
        assert "gin_trgm_ops" in found["application_number_trgm_idx"]
        assert "upper" in found["application_number_trgm_idx"].lower()

    def test_search_uses_them(self, several):
        leader = UserFactory(username="leader", roles=["leader"])
        number = Application.objects.first().number
        queryset = application_list(leader, {"q": number[2:10]})
        name = Application.objects.first().enterprise.name  # three characters at least: trigrams
        enterprises = leaders.Enterprise.objects.filter(name__icontains=name[1:])
        with connection.cursor() as cursor:
            # A handful of rows: forbid the plans that read everything (and the newest-first walk), so
            # that the plan shows whether the trigram indexes can serve the search's conditions.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            plan = queryset.explain()
            enterprise_plan = enterprises.explain()
        assert "application_number_trgm_idx" in plan
        assert "enterprise_name_trgm_idx" in enterprise_plan
