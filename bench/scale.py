"""Scale: BENCH_APPLICATIONS applications (default 1,000,000) with their items and review tasks, loaded in
bulk by the database itself (INSERT … SELECT over generate_series, three statements), then the lists the
pages show, measured with the pages' own querysets and functions.

The generated history spans 2017-01-01 to the bench's present (2026-11-24 17:00), oldest first by id. What
is older than `OPEN_WINDOW_DAYS` is mostly delivered (some concluded, refused, withdrawn, cancelled,
abandoned drafts); the recent ones are drafts, at intake, in correction, in review or concluded. Every
application is for one of the catalog's bundles (a project chosen by id, so every enterprise has about the
same number), with its bundle's mandatory items and a varying share of the situational ones; applications
that reached review have one task per item in the item's department, open ones in every task state, with
deadlines around today (some overdue, some escalated) and, when claimed, a department reviewer as assignee.
"""

import contextlib
import datetime
import statistics
import time

from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from sciencecity.accounts.models import User
from sciencecity.approvals import dashboard
from sciencecity.approvals.models import Application, ReviewTask
from sciencecity.approvals.services.elapsed import WorkingDayIndex
from sciencecity.approvals.services.overview import take_count_snapshot
from sciencecity.approvals.views.department import worklist_tasks
from sciencecity.approvals.views.leaders import application_list
from sciencecity.approvals.views.portal import enterprise_applications
from sciencecity.catalog.models import CatalogVersion
from sciencecity.workdays import clock

from .lifecycle import MOMENT

START = "2017-01-01 09:00:00+08"
NOW = "2026-11-24 17:00:00+08"
OPEN_WINDOW_DAYS = 60

# A deterministic pseudo-random number in [0, 1) from an integer expression (no random(): the same load
# gives the same data).
R = "(((({x}) * 2654435761::bigint) %% 1000003) / 1000003.0)"

LOAD_APPLICATIONS = f"""
INSERT INTO approvals_application (number, enterprise_id, project_id, bundle_id, applicant_id, status,
    answers, form_data, creation_key, submission_key, submission_count, created_at, updated_at,
    submitted_at, accepted_at, concluded_at, delivered_at, closed_reason, intake_deadline, promised_deadline,
    intake_deadline_provisional, promised_deadline_provisional, working_days_elapsed)
SELECT 'SQ' || to_char(g.created AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(g.i::text, 7, '0'),
    p.enterprise_id, p.id, b.id, %(applicant)s, g.status, '{{}}'::jsonb, '{{}}'::jsonb, '', 'bench-scale',
    CASE WHEN g.status = 'draft' THEN 0 ELSE 1 END,
    g.created, g.created,
    CASE WHEN g.status = 'draft' THEN NULL ELSE g.created + interval '1 hour' END,
    CASE WHEN g.status IN ('in_review', 'concluded', 'delivered', 'withdrawn', 'cancelled')
         THEN g.created + interval '2 days' END,
    CASE WHEN g.status IN ('concluded', 'delivered') THEN g.created + interval '20 days' END,
    CASE WHEN g.status = 'delivered' THEN g.created + interval '21 days' END,
    CASE WHEN g.status IN ('refused', 'withdrawn', 'cancelled') THEN '基准数据' ELSE '' END,
    CASE WHEN g.status = 'draft' THEN NULL ELSE (g.created + interval '5 days')::date END,
    CASE WHEN g.status IN ('in_review', 'concluded', 'delivered', 'withdrawn', 'cancelled')
         THEN (g.created + interval '30 days')::date END,
    false, false,
    -- stored at conclusion by the services (`services.elapsed`): here from the same calendar, no pauses
    CASE WHEN g.status IN ('concluded', 'delivered') THEN
        (SELECT w.upto FROM bench_scale_workdays w
         WHERE w.day = ((g.created + interval '20 days') AT TIME ZONE 'Asia/Shanghai')::date)
        - (SELECT w.upto FROM bench_scale_workdays w
           WHERE w.day = ((g.created + interval '1 hour') AT TIME ZONE 'Asia/Shanghai')::date) END
FROM (
    SELECT s.i, s.created, s.r,
        CASE WHEN s.created > %(now)s::timestamptz - interval '{OPEN_WINDOW_DAYS} days' THEN
            CASE WHEN s.r < 0.10 THEN 'draft' WHEN s.r < 0.22 THEN 'submitted' WHEN s.r < 0.27 THEN 'correction'
                 WHEN s.r < 0.90 THEN 'in_review' ELSE 'concluded' END
        ELSE
            CASE WHEN s.r < 0.02 THEN 'draft' WHEN s.r < 0.04 THEN 'refused' WHEN s.r < 0.06 THEN 'withdrawn'
                 WHEN s.r < 0.07 THEN 'cancelled' WHEN s.r < 0.10 THEN 'concluded' ELSE 'delivered' END
        END AS status
    FROM (
        SELECT i, {R.format(x="i")} AS r,
            %(start)s::timestamptz + (%(now)s::timestamptz - %(start)s::timestamptz) * (i::float / %(count)s)
                AS created
        FROM generate_series(%(first)s, %(last)s) AS i
    ) s
) g
JOIN bench_scale_projects p ON p.rn = g.i %% %(projects)s
JOIN bench_scale_bundles b ON b.rn = (g.i / 7) %% %(bundles)s
ORDER BY g.i
"""

# Each application takes its bundle's mandatory items and the situational ones up to a share drawn per
# application: an item ranked k among the bundle's items is taken when k < mandatory + share × optional.
LOAD_ITEMS = f"""
INSERT INTO approvals_applicationitem (application_id, item_id, outcome)
SELECT a.id, bi.item_id,
    CASE WHEN a.status IN ('concluded', 'delivered') THEN 'approved'
         WHEN a.status IN ('withdrawn', 'cancelled') THEN 'cancelled'
         WHEN bi.rk < 3 THEN 'approved' ELSE 'pending' END
FROM approvals_application a
JOIN bench_scale_bundle_items bi ON bi.bundle_id = a.bundle_id
WHERE a.id > %(after)s AND a.status IN ('in_review', 'concluded', 'delivered', 'withdrawn', 'cancelled')
  AND bi.rk < bi.mandatory + ceil({R.format(x="a.id + 17")} * (bi.total - bi.mandatory))
"""

LOAD_TASKS = """
INSERT INTO approvals_reviewtask (application_id, application_item_id, item_id, department_id, status,
    assignee_id, started_on, promised_deadline, legal_deadline, promised_deadline_provisional,
    legal_deadline_provisional, extension_days, warning_level, decided_at, decided_by_id, decision_reason,
    created_at, updated_at)
SELECT t.application_id, t.id, t.item_id, t.department_id, t.status,
    CASE WHEN t.status IN ('in_review', 'supplement', 'approved', 'cancelled') THEN t.reviewer END,
    CASE WHEN t.status = 'waiting' THEN NULL ELSE t.started END,
    CASE WHEN t.status = 'waiting' THEN NULL ELSE t.started + t.limit_days END,
    CASE WHEN t.status = 'waiting' THEN NULL ELSE t.started + 2 * t.limit_days END,
    false, false, 0,
    CASE WHEN t.status IN ('pending', 'in_review') AND t.started + t.limit_days < %(today)s::date - 3 THEN 3
         WHEN t.status IN ('pending', 'in_review') AND t.started + t.limit_days < %(today)s::date THEN 2
         ELSE 0 END,
    CASE WHEN t.status = 'approved' THEN t.accepted + interval '10 days' END,
    CASE WHEN t.status = 'approved' THEN t.reviewer END,
    CASE WHEN t.status = 'approved' THEN '符合要求,准予许可。' ELSE '' END,
    t.accepted, t.accepted
FROM (
    SELECT ai.id, ai.application_id, ai.item_id, bi.department_id, bi.reviewer, a.accepted_at AS accepted,
        (a.accepted_at AT TIME ZONE 'Asia/Shanghai')::date AS started, bi.limit_days,
        CASE WHEN a.status IN ('concluded', 'delivered') THEN 'approved'
             WHEN a.status IN ('withdrawn', 'cancelled') THEN 'cancelled'
             WHEN bi.rk < 3 THEN 'approved'
             WHEN bi.rk < 5 THEN 'in_review'
             WHEN bi.rk < 6 THEN 'supplement'
             WHEN bi.rk < 8 THEN 'pending'
             ELSE 'waiting' END AS status
    FROM approvals_applicationitem ai
    JOIN approvals_application a ON a.id = ai.application_id
    JOIN bench_scale_bundle_items bi ON bi.bundle_id = a.bundle_id AND bi.item_id = ai.item_id
    WHERE ai.id > %(after_item)s
) t
ORDER BY t.id
"""


TABLES = ("approvals_application", "approvals_applicationitem", "approvals_reviewtask")


def _drop_secondary_indexes(tables) -> list[str]:
    """Drop the plain (non-unique, non-constraint) indexes of `tables` and return their definitions, so
    that the load writes the heap and the unique indexes only and the rest are built once afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            [list(tables)],
        )
        rows = cursor.fetchall()
        for name, _definition in rows:
            cursor.execute(f'DROP INDEX "{name}"' if not name.startswith('"') else f"DROP INDEX {name}")
    return [definition for _name, definition in rows]


def _scalar(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def _execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def load(count: int, applicant: User, now: str = NOW) -> dict:
    """Load `count` applications with their items and tasks (skipped when that many are there already),
    created from START up to `now` (an ISO timestamp with its offset; the bench's present by default)."""
    existing = Application.objects.filter(submission_key="bench-scale").count()
    if existing >= count:
        return {"seconds": 0.0, "applications": existing, "skipped": True}
    version = CatalogVersion.objects.effective_on(MOMENT.date())
    started = time.perf_counter()
    figures = {}
    _execute(
        "CREATE TEMP TABLE bench_scale_projects AS "
        "SELECT row_number() OVER (ORDER BY id) - 1 AS rn, id, enterprise_id FROM projects_project"
    )
    _execute(
        "CREATE TEMP TABLE bench_scale_bundles AS "
        "SELECT row_number() OVER (ORDER BY code) - 1 AS rn, id FROM catalog_bundle WHERE version_id = %s",
        [version.pk],
    )
    _execute(
        """CREATE TEMP TABLE bench_scale_bundle_items AS
        SELECT bi.bundle_id, bi.item_id, si.department_id, u.id AS reviewer,
            greatest(si.promised_limit_days, 1) + greatest(si.promised_limit_days, 1) / 2 AS limit_days,
            row_number() OVER (PARTITION BY bi.bundle_id ORDER BY bi.mandatory DESC, bi.position, bi.item_id)
                - 1 AS rk,
            count(*) FILTER (WHERE bi.mandatory) OVER (PARTITION BY bi.bundle_id) AS mandatory,
            count(*) OVER (PARTITION BY bi.bundle_id) AS total
        FROM catalog_bundleitem bi
        JOIN catalog_serviceitem si ON si.id = bi.item_id
        JOIN accounts_department d ON d.id = si.department_id
        LEFT JOIN accounts_user u ON u.username = 'bench-reviewer-' || d.code
        WHERE bi.bundle_id IN (SELECT id FROM bench_scale_bundles)"""
    )
    # Working days up to each day of the generated span, for the stored working days elapsed.
    index = WorkingDayIndex(datetime.date(2016, 12, 31), datetime.date(2026, 12, 31))
    _execute("CREATE TEMP TABLE bench_scale_workdays (day date PRIMARY KEY, upto integer NOT NULL)")
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO bench_scale_workdays (day, upto) VALUES (%s, %s)",
            [(day, index.upto(day)) for day in index._upto],
        )
    projects = _scalar("SELECT count(*) FROM bench_scale_projects")
    bundles = _scalar("SELECT count(*) FROM bench_scale_bundles")
    after_application = _scalar("SELECT coalesce(max(id), 0) FROM approvals_application")
    after_item = _scalar("SELECT coalesce(max(id), 0) FROM approvals_applicationitem")
    _execute("SET maintenance_work_mem = '256MB'")
    # The rows are consistent by construction: skip the foreign-key triggers during the load, as pg_restore
    # --disable-triggers does (needs a superuser, as the throwaway cluster's role is; otherwise they run).
    try:
        with transaction.atomic():
            _execute("SET session_replication_role = replica")
        figures["foreign_key_checks"] = "skipped during the load"
    except DatabaseError:
        figures["foreign_key_checks"] = "checked row by row"
    step = time.perf_counter()
    dropped = _drop_secondary_indexes(TABLES)
    figures["drop_indexes_s"] = time.perf_counter() - step
    step = time.perf_counter()
    batch = 250_000
    for first in range(existing, count, batch):
        _execute(
            LOAD_APPLICATIONS,
            {
                "applicant": applicant.pk,
                "now": now,
                "start": START,
                "count": count,
                "first": first,
                "last": min(first + batch, count) - 1,
                "projects": projects,
                "bundles": bundles,
            },
        )
    figures["applications_s"] = time.perf_counter() - step
    step = time.perf_counter()
    figures["items"] = _execute(LOAD_ITEMS, {"after": after_application})
    figures["items_s"] = time.perf_counter() - step
    step = time.perf_counter()
    figures["tasks"] = _execute(LOAD_TASKS, {"after_item": after_item, "today": now[:10]})
    figures["tasks_s"] = time.perf_counter() - step
    step = time.perf_counter()
    for definition in dropped:
        _execute(definition)
    figures["indexes"] = len(dropped)
    figures["indexes_s"] = time.perf_counter() - step
    step = time.perf_counter()
    with contextlib.suppress(DatabaseError):
        _execute("SET session_replication_role = DEFAULT")
    for table in TABLES:
        _execute(f"VACUUM ANALYZE {table}")
    figures["vacuum_analyze_s"] = time.perf_counter() - step
    for table in (
        "bench_scale_projects",
        "bench_scale_bundles",
        "bench_scale_bundle_items",
        "bench_scale_workdays",
    ):
        _execute(f"DROP TABLE {table}")
    figures["seconds"] = time.perf_counter() - started
    figures["applications"] = count
    figures["skipped"] = False
    return figures


def latency(run, runs: int, budget_s: float = 20.0) -> tuple[float, float, int]:
    """(p50 ms, p95 ms, runs): `runs` timed runs after one warm-up, fewer (but at least 10) when they take
    longer than `budget_s` in all."""
    run()  # warm the cache and the connection
    samples = []
    spent = time.perf_counter()
    while len(samples) < runs and (len(samples) < 10 or time.perf_counter() - spent < budget_s):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(round(len(samples) * 0.95) - 1, 0)], len(samples)


def _user(username, role, **fields):
    user, _ = User.objects.update_or_create(username=username, defaults=fields)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def cases(applicant):
    """{name: (function that runs the page's query or queries, queryset whose plan to show or None)}."""
    busiest = (
        ReviewTask.objects.filter(status__in=ReviewTask.OPEN_STATUSES)
        .order_by()
        .values("department_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    reviewer = User.objects.filter(
        username__startswith="bench-reviewer-", department_id=busiest["department_id"]
    ).first()
    leader = _user("bench-leader", "leader")
    sample = Application.objects.filter(submission_key="bench-scale").order_by("-id")[1000]
    enterprise_name = sample.enterprise.name
    number = sample.number

    def page(queryset, size=25):
        return lambda: list(queryset[: size + 1])

    worklist = worklist_tasks(reviewer, {})
    mine = worklist_tasks(reviewer, {"who": "mine"})
    enterprise = enterprise_applications(applicant)
    leaders_all = application_list(leader, {})
    today = clock.today()
    # The background worker's count, as `refresh_overview_task` takes it every few minutes: the overview
    # reads it (its age is checked against the frozen platform clock).
    take_count_snapshot()

    def search(query):
        # The search reads the matching enterprises when the queryset is built: time both.
        return lambda: list(application_list(leader, {"q": query})[:26])

    def overview():
        counts = dashboard.application_counts()
        return (
            dashboard.applications_by_status(counts),
            dashboard.applications_by_bundle(counts),
            dashboard.tasks_by_department(today),
            dashboard.elapsed_working_days(today),
            dashboard.reform_figures(today),
        )

    return {
        "department worklist (busiest department, first page)": (page(worklist), worklist[:26]),
        "department worklist, my tasks": (page(mine), mine[:26]),
        "enterprise's application list (portal home, all rows)": (
            lambda: list(enterprise_applications(applicant)),
            enterprise,
        ),
        "leaders' application list (first page)": (page(leaders_all), leaders_all[:26]),
        f"application search by number fragment ({number[2:12]!r})": (search(number[2:12]), None),
        f"application search by enterprise name ({enterprise_name!r})": (search(enterprise_name), None),
        "leaders' overview: applications by status (worker's snapshot)": (
            dashboard.applications_by_status,
            None,
        ),
        "leaders' overview: applications by bundle and status (worker's snapshot)": (
            dashboard.applications_by_bundle,
            None,
        ),
        "background: the live count by bundle and status (the worker's, and the fallback)": (
            dashboard.count_applications,
            None,
        ),
        "leaders' overview: tasks by department": (lambda: dashboard.tasks_by_department(today), None),
        "leaders' overview: working days elapsed (last 365 days)": (
            lambda: dashboard.elapsed_working_days(today),
            None,
        ),
        "leaders' overview: reform figures (catalog)": (lambda: dashboard.reform_figures(today), None),
        "leaders' overview: all of the above (as the page reads them)": (overview, None),
    }


def plans(run, tables=("approvals_", "enterprises_")) -> list[tuple[str, str]]:
    """(SQL, EXPLAIN (ANALYZE, BUFFERS)) of every query that `run` sends on a table named by `tables`."""
    connection.queries_log.clear()  # a full log (9,000 entries) would make the capture see nothing
    with CaptureQueriesContext(connection) as captured:
        run()
    result = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or not any(table in sql for table in tables):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            result.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return result


BIG_TABLES = ("approvals_", "enterprises_enterprise", "projects_project", "audit_", "problems_problem")
SMALL_TABLES = (
    "approvals_applicationcountsnapshot",  # the newest few snapshots
    "problems_problemfiguresnapshot",
    "problems_problemcategory",  # reference data
)


def uses_index(plan: str) -> str:
    """How the plan reads the big tables (applications, tasks, problems, enterprises, projects): by index or by a
    sequential scan. Small catalog and department tables are read whole, which is right for them."""
    found = []
    for line in plan.splitlines():
        text = line.strip().removeprefix("->").strip()
        if text.startswith("Bitmap Index Scan on "):
            found.append(f"Bitmap Index Scan ({text.split()[4]})")
            continue
        if " on " not in text or "Scan" not in text:
            continue
        method, _on, rest = text.partition(" on ")
        table = rest.split()[0]
        if not table.startswith(BIG_TABLES) or table.startswith(SMALL_TABLES):
            continue
        index = f" ({rest.split(' using ')[1].split()[0]})" if " using " in rest else ""
        if "Bitmap Heap" in method:
            continue
        found.append(f"{table}: {method.strip()}{index}" if "Index" in method else f"{table}: **{method}**")
    return ", ".join(dict.fromkeys(found)) or "small tables only"
