"""The leaders' cockpit at scale, over what the earlier sections loaded (1,000,000 applications with their
tasks, 1,000,000 problems, 200,000 projects with five years of monthly reports, the policies, the fund and the
party tree), with the platform clock at 2026-11-24 17:00:

- counting a period's figures in the background (`snapshots.take_snapshot`: every figure, chart and ranking of
  November 2026, of 2026, and the whole refresh of the kept periods), the time of each figure's query and the
  plans of the slowest;
- the cockpit's figures as a page reads them (`board.build`: this month's and last year's kept counts), the
  rendered page (`/cockpit/?period=2026-11`, reform figures and template included) and the API's board, p50
  and p95, against the baseline of counting the month live;
- the first page of a few drill-down lists, and each list's own count (what the records page shows beside
  the figure);
- the monthly report's PDF: time, pages, size, peak Python allocations and RSS growth.
"""

import datetime
import resource
import time
import tracemalloc

from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sciencecity.accounts.models import User
from sciencecity.approvals.models import Application
from sciencecity.cockpit import figures as cockpit_figures
from sciencecity.cockpit import snapshots
from sciencecity.cockpit.board import build
from sciencecity.cockpit.periods import parse_period
from sciencecity.cockpit.records import select
from sciencecity.cockpit.report import render_report_pdf
from sciencecity.problems.models import Problem
from sciencecity.projects.models import MonthlyReport, Project
from sciencecity.workdays import clock

from .scale import latency, plans, uses_index

NOW = datetime.datetime(2026, 11, 24, 17, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
MONTH, YEAR = "2026-11", "2026"
TABLES = ("approvals_", "problems_problem", "projects_", "policies_", "fund_", "partybuilding_")
DRILL_DOWNS = [
    ("problems_overdue", "", ""),
    ("applications_submitted", "", ""),
    ("key_projects", "warning", "red"),
    ("tasks_overdue", "", ""),
    ("problems_reported", "area", ""),
]


def _leader() -> User:
    user, _created = User.objects.get_or_create(
        username="bench-leader", defaults={"display_name": "基准领导"}
    )
    user.groups.add(Group.objects.get(name="leader"))
    return User.objects.get(pk=user.pk)


def _timed(run):
    started = time.perf_counter()
    result = run()
    return result, (time.perf_counter() - started) * 1000


def figure_timings(period) -> list[dict]:
    """Each figure's own query, once, slowest first."""
    today = clock.today()
    rows = []
    for figure in cockpit_figures.FIGURES:
        value, ms = _timed(lambda figure=figure: figure.compute(period, today))
        rows.append({"figure": figure.key, "value": value, "ms": round(ms, 1)})
    return sorted(rows, key=lambda row: -row["ms"])


def report_memory(period) -> dict:
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    content, pages = render_report_pdf(period)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": round(seconds, 2),
        "pages": pages,
        "bytes": len(content),
        "peak_mib": round(peak / 2**20, 1),
        "rss_growth_mib": round((rss_after - rss_before) / 1024, 1),
    }


def run(lines: list, figures: dict, runs: int) -> None:
    if connection.vendor != "postgresql":
        lines += ["## 11. The leaders' cockpit", "", "Skipped: needs PostgreSQL.", ""]
        return
    with clock.frozen_at(NOW):
        month, year = parse_period(MONTH), parse_period(YEAR)
        leader = _leader()
        counted = {}
        for period in (month, month.same_last_year(), year):
            snapshot, ms = _timed(lambda period=period: snapshots.take_snapshot(period))
            counted[period.key] = round(ms)
        _refreshed, refresh_ms = _timed(snapshots.refresh)
        slowest = figure_timings(month)
        slow_plans = []
        for row in slowest[:4]:
            figure = cockpit_figures.BY_KEY[row["figure"]]
            for sql, plan in plans(lambda figure=figure: figure.compute(month, clock.today()), TABLES):
                slow_plans.append((row["figure"], sql, plan))
        client = Client(HTTP_HOST="localhost")
        client.force_login(leader)
        assert client.get(f"/cockpit/?period={MONTH}").status_code == 200
        connection.queries_log.clear()  # a full log (9,000 entries) would make the capture see nothing
        with CaptureQueriesContext(connection) as board_queries:
            build(month)
        cases = {
            "cockpit figures of a month with last year's (board.build, kept counts)": lambda: build(month),
            "cockpit figures of a year with last year's (board.build, kept counts)": lambda: build(year),
            "cockpit page rendered (/cockpit/?period=2026-11)": lambda: client.get(
                f"/cockpit/?period={MONTH}"
            ),
            "cockpit API board (/api/v1/cockpit/?period=2026-11)": lambda: client.get(
                f"/api/v1/cockpit/?period={MONTH}"
            ),
        }
        for key, by, value in DRILL_DOWNS:
            url = f"/cockpit/figures/{key}/?period={MONTH}" + (f"&by={by}&value={value}" if by else "")
            cases[f"records page {key}{' by ' + by if by else ''} (rendered, with its live count)"] = (
                lambda url=url: client.get(url)
            )
        results = {}
        for name, case in cases.items():
            p50, p95, count = latency(case, runs)
            results[name] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "runs": count}
        live_p50, live_p95, live_runs = latency(
            lambda: snapshots.count_period(month, clock.today()), max(3, runs // 20), budget_s=60
        )
        selection = select("problems_overdue", MONTH)
        drill_plans = plans(lambda: list(selection.listing.rows(selection.queryset)[:26]), TABLES)
        report = report_memory(month)
        sizes = {
            "applications": Application.objects.count(),
            "problems": Problem.objects.count(),
            "projects": Project.objects.count(),
            "monthly_reports": MonthlyReport.objects.count(),
        }
    figures["cockpit"] = {
        "sizes": sizes,
        "counted_ms": counted,
        "refresh_ms": round(refresh_ms),
        "board_queries": len(board_queries),
        "figures_ms": slowest,
        "latency": results,
        "live_count": {"p50_ms": round(live_p50), "p95_ms": round(live_p95), "runs": live_runs},
        "report": report,
    }
    board = results["cockpit figures of a month with last year's (board.build, kept counts)"]
    page = results["cockpit page rendered (/cockpit/?period=2026-11)"]
    lines += [
        "## 11. The leaders' cockpit",
        "",
        f"Over the earlier sections' data: {sizes['applications']:,} applications, {sizes['problems']:,} problems, "
        f"{sizes['projects']:,} projects with {sizes['monthly_reports']:,} monthly reports, the policies, the fund "
        "and the party tree. The cockpit reads one kept count per period (`CockpitSnapshot`) that the background "
        "worker refreshes.",
        "",
        f"- Counting November 2026 in the background: {counted[MONTH]:,} ms; November 2025: "
        f"{counted[month.same_last_year().key]:,} ms; the year 2026: {counted[YEAR]:,} ms; the worker's whole "
        f"refresh of the seven kept periods: {refresh_ms / 1000:.1f} s.",
        f"- The page's figures from the kept counts: p95 **{board['p95_ms']} ms** in {len(board_queries)} queries "
        f"(target ≤ 100 ms); the rendered page p95 {page['p95_ms']} ms; counting the month live instead "
        f"(the baseline): p50 {live_p50:,.0f} ms, p95 {live_p95:,.0f} ms — "
        f"{live_p95 / max(board['p95_ms'], 0.01):,.0f}× slower.",
        f"- The monthly report's PDF: {report['seconds']} s, {report['pages']} pages, "
        f"{report['bytes'] / 1024:,.0f} KiB; peak Python allocations {report['peak_mib']} MiB, RSS growth "
        f"{report['rss_growth_mib']} MiB.",
        "",
        "| case | p50 ms | p95 ms | runs |",
        "|---|---|---|---|",
        *[f"| {name} | {row['p50_ms']} | {row['p95_ms']} | {row['runs']} |" for name, row in results.items()],
        "",
        "The figures' own queries (November 2026, counted once each, slowest first):",
        "",
        "| figure | value | ms |",
        "|---|---|---|",
        *[f"| {row['figure']} | {row['value']} | {row['ms']} |" for row in slowest],
        "",
        "Query plans of the slowest figures and of a drill-down's first page:",
        "",
    ]
    for key, sql, plan in [*slow_plans, *[("problems_overdue page", sql, plan) for sql, plan in drill_plans]]:
        lines += [f"**{key}** — {uses_index(plan)}", "", "```", sql[:600], plan, "```", ""]
