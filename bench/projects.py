"""Key projects at scale: the registry's BENCH_PROJECTS projects (section 2 loads them) with five years of
monthly reports (December 2021 to November 2026, one row per project and month), this year's plan for the key
projects and October's quality and safety inspections of those under construction, loaded in bulk by the
database (INSERT … SELECT over generate_series). Then, with the platform clock at 2026-11-24 17:00:

- the whole zone's warning colours recomputed (the morning scan's work, one run, seconds and queries);
- a leader's list of red key projects and of one task force (the page `/projects/`, rendered);
- a campaign's October round scored (the morning scan's work, one run) and its ranking page, whole and the
  pioneers only;
- the ledger exported for 10,000 projects, and for 1,000 and 20,000 to show that memory stops growing once
  a chunk of rows (2,000) is held: time, the peak of Python's allocations during the export (tracemalloc) and
  the process's peak RSS growth.
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
from sciencecity.projects.ledger.export import export_response
from sciencecity.projects.models import Campaign, MonthlyReport, Project
from sciencecity.projects.services import campaign as campaigns
from sciencecity.projects.services import warnings
from sciencecity.workdays import clock

from .scale import R, _drop_secondary_indexes, _execute, _scalar, latency, plans, uses_index

TABLES = ("projects_monthlyreport", "projects_investmentplan", "projects_inspection")
FIRST_MONTH, LAST_MONTH = "2021-12-01", "2026-11-01"
EXPORT_FORCE, SMALL_FORCE, LARGE_FORCE = "基准导出专班", "基准小专班", "基准大专班"

LOAD_REPORTS = f"""
INSERT INTO projects_monthlyreport (project_id, month, investment, progress_percent, progress_text, workforce,
    submitted_at, is_late)
SELECT p.id, m.month::date, round((p.total_investment / 80 * (0.5 + {R.format(x="p.id + extract(epoch from m.month)::bigint")}))::numeric, 2),
    ((p.id + extract(month from m.month)::int) %% 101)::int,
    '基准月报:主体施工', 50 + (p.id %% 200),
    m.month + interval '24 days 10 hours', (p.id + extract(month from m.month)::int) %% 17 = 0
FROM projects_project p
CROSS JOIN generate_series(%(first)s::timestamptz, %(last)s::timestamptz, interval '1 month') AS m(month)
"""

LOAD_PLANS = """
INSERT INTO projects_investmentplan (project_id, year, category, planned, completed, goal)
SELECT p.id, 2026, CASE WHEN p.id % 5 = 0 THEN 'new' ELSE 'continuing' END, round(p.total_investment / 6, 2),
    coalesce((SELECT sum(r.investment) FROM projects_monthlyreport r
              WHERE r.project_id = p.id AND r.month >= '2026-01-01'), 0), '主体结构施工'
FROM projects_project p WHERE p.is_key
"""

LOAD_INSPECTIONS = f"""
INSERT INTO projects_inspection (project_id, kind, inspected_on, inspector_id, score, summary, recorded_at)
SELECT p.id, k.kind, date '2026-10-01' + (p.id %% 28)::int, %(inspector)s,
    55 + floor(45 * {R.format(x="p.id * 7 + k.n")})::int, '基准检查', timestamptz '2026-10-29 10:00+08'
FROM projects_project p CROSS JOIN (VALUES ('quality', 1), ('safety', 2)) AS k(kind, n)
WHERE p.is_key AND p.phase IN ('started', 'under_construction')
"""


def _user(username, role):
    user, _created = User.objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def load(inspector) -> dict:
    """Load the reports, plans and inspections (skipped when the reports are there already)."""
    projects = Project.objects.count()
    months = 60
    if MonthlyReport.objects.filter(progress_text="基准月报:主体施工").exists():
        return {"skipped": True, "projects": projects}
    timings = {"skipped": False, "projects": projects}
    started = time.perf_counter()
    definitions = _drop_secondary_indexes(TABLES)
    step = time.perf_counter()
    timings["reports"] = _execute(LOAD_REPORTS, {"first": FIRST_MONTH, "last": LAST_MONTH})
    timings["reports_s"] = time.perf_counter() - step
    step = time.perf_counter()
    timings["plans"] = _execute(LOAD_PLANS)
    timings["inspections"] = _execute(LOAD_INSPECTIONS, {"inspector": inspector.pk})
    timings["others_s"] = time.perf_counter() - step
    step = time.perf_counter()
    for definition in definitions:
        _execute(definition)
    timings["indexes"], timings["indexes_s"] = len(definitions), time.perf_counter() - step
    # Three task forces for the exports: 10,000, 1,000 and 20,000 key projects.
    key = list(Project.objects.filter(is_key=True).order_by("pk").values_list("pk", flat=True)[:31_000])
    Project.objects.filter(pk__in=key[:10_000]).update(task_force=EXPORT_FORCE)
    Project.objects.filter(pk__in=key[10_000:11_000]).update(task_force=SMALL_FORCE)
    Project.objects.filter(pk__in=key[11_000:]).update(task_force=LARGE_FORCE)
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["vacuum_s"] = time.perf_counter() - step
    timings["seconds"] = time.perf_counter() - started
    timings["expected_reports"] = projects * months
    return timings


def _once(run) -> tuple[float, int, object]:
    """(seconds, queries, result) of one run."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - started
    return seconds, len(captured.captured_queries), result


def _drain(response) -> int:
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    response.close()
    return size


def _export(task_force: str):
    def run():
        projects = Project.objects.filter(task_force=task_force).order_by("code")
        return _drain(export_response(projects))

    return run


def export_memory(task_force: str) -> dict:
    """Peak Python allocations (tracemalloc) and peak RSS growth of one export."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    size = _export(task_force)()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = Project.objects.filter(task_force=task_force).count()
    return {
        "rows": rows,
        "bytes": size,
        "peak_mib": peak / 2**20,
        "rss_growth_mib": (rss_after - rss_before) / 1024,
    }


def run(lines: list, figures: dict, runs: int) -> None:
    inspector = _user("bench-inspector", "inspector")
    leader = _user("bench-leader", "leader")
    loaded = load(inspector)
    counts = {
        "projects": Project.objects.count(),
        "key projects": Project.objects.filter(is_key=True).count(),
        "monthly reports": _scalar(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'projects_monthlyreport'"
        ),
        "inspections": _scalar("SELECT count(*) FROM projects_inspection"),
    }
    at = datetime.datetime(2026, 11, 24, 17, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    results = {"load": loaded, "counts": counts}
    with clock.frozen_at(at):
        refresh_s, refresh_q, refreshed = _once(lambda: warnings.refresh(today=at.date()))
        made = Campaign.objects.filter(name="基准“三比一争”").first() or campaigns.create_campaign(
            leader,
            name="基准“三比一争”",
            round_length="month",
            starts_on=datetime.date(2026, 10, 1),
            ends_on=datetime.date(2026, 12, 31),
            pioneer_places=10,
            bottom_places=3,
        )
        october = made.rounds.get(number=1)
        if october.status == "published":
            october.status = "scored"  # a re-run of the bench on the same database scores it again
        score_s, score_q, october = _once(lambda: campaigns.score_round(leader, october))
        client = Client(HTTP_HOST="localhost")  # an allowed host of the default settings
        client.force_login(leader)
        round_url = f"/projects/campaigns/{made.pk}/rounds/1/"
        cases = {
            "leader: red key projects (GET /projects/?level=red, the page)": lambda: client.get(
                "/projects/", {"level": "red"}
            ),
            "leader: one task force's key projects (the page)": lambda: client.get(
                "/projects/", {"task_force": SMALL_FORCE}
            ),
            "campaign: a round's ranking (the page, first 50 places)": lambda: client.get(round_url),
            "campaign: the round's pioneers (the page)": lambda: client.get(
                round_url, {"distinction": "pioneer"}
            ),
            "baseline: the project's own page of a key project": lambda: client.get(
                f"/projects/{Project.objects.filter(is_key=True).values_list('pk', flat=True).first()}/"
            ),
        }
        rows = []
        plan_sections = []
        for name, case in cases.items():
            assert case().status_code == 200, name
            p50, p95, count = latency(case, runs)
            explained = plans(case, tables=("projects_",))
            verdicts = "; ".join(dict.fromkeys(uses_index(plan) for _sql, plan in explained)) or "—"
            rows.append({"name": name, "p50": p50, "p95": p95, "runs": count, "plans": verdicts})
            body = "\n\n".join(f"```sql\n{sql}\n```\n\n```\n{plan}\n```" for sql, plan in explained[:4])
            plan_sections.append(f"#### {name}\n\n{body}\n")
        export_runs = max(5, min(runs, 20))
        exports = []
        for force, times in ((SMALL_FORCE, export_runs), (EXPORT_FORCE, export_runs), (LARGE_FORCE, 5)):
            p50, p95, count = latency(_export(force), times, budget_s=120)
            exports.append({**export_memory(force), "p50": p50, "p95": p95, "runs": count})
    results.update(
        refresh={"seconds": refresh_s, "queries": refresh_q, **{str(k): v for k, v in refreshed.items()}},
        score={"seconds": score_s, "queries": score_q, "participants": october.participants},
        cases=rows,
        exports=exports,
    )
    figures["projects"] = results
    if loaded["skipped"]:
        load_line = "Reports already loaded."
    else:
        load_line = (
            f"Bulk load: {loaded['seconds']:.0f} s ({loaded['reports']:,} monthly reports "
            f"{loaded['reports_s']:.0f} s; {loaded['plans']:,} plans and {loaded['inspections']:,} inspections "
            f"{loaded['others_s']:.0f} s; {loaded['indexes']} indexes rebuilt {loaded['indexes_s']:.0f} s; "
            f"VACUUM ANALYZE {loaded['vacuum_s']:.0f} s)."
        )
    lines += [
        "",
        "## 8. Key projects at scale: warnings, the campaign's ranking, the ledger export",
        "",
        load_line,
        "",
        ", ".join(f"{name}: {value:,}" for name, value in counts.items()) + ".",
        "",
        "Background work (one run each, the platform clock at 2026-11-24 17:00):",
        "",
        "| work | seconds | queries | outcome |",
        "|---|---:|---:|---|",
        f"| the zone's warning colours recomputed | {refresh_s:.1f} | {refresh_q:,} | "
        f"{refreshed['projects']:,} projects, {refreshed['changed']:,} changed: red {refreshed['red']:,}, "
        f"yellow {refreshed['yellow']:,}, green {refreshed['green']:,} |",
        f"| the campaign's October round scored and ranked | {score_s:.1f} | {score_q:,} | "
        f"{october.participants:,} projects ranked |",
        "",
        f"Pages (each run {runs} times after a warm-up, fewer where they take over 20 s in all; rendered by "
        "Django's test client, session signed in as a leader):",
        "",
        "| case | runs | p50 ms | p95 ms | target p95 ≤ 100 ms | how the project tables are read |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        met = "met" if row["p95"] <= 100 else "**missed**"
        lines.append(
            f"| {row['name']} | {row['runs']} | {row['p50']:.1f} | {row['p95']:.1f} | {met} | {row['plans']} |"
        )
    lines += [
        "",
        "The ledger export (`projects.ledger.export.export_response`, the same function as the page's and the "
        "API's download, the whole file streamed and counted):",
        "",
        "| rows | runs | p50 ms | p95 ms | file KiB | peak Python allocations MiB | peak RSS growth MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for export in exports:
        lines.append(
            f"| {export['rows']:,} | {export['runs']} | {export['p50']:.0f} | {export['p95']:.0f} | "
            f"{export['bytes'] / 1024:.0f} | {export['peak_mib']:.1f} | {export['rss_growth_mib']:.1f} |"
        )
    lines += ["", "Query plans (EXPLAIN (ANALYZE, BUFFERS), after the measured runs):", "", *plan_sections]
