"""Problems at scale: BENCH_PROBLEMS problems (default 1,000,000) with their timelines, loaded in bulk by the
database itself (INSERT … SELECT over generate_series), then the lists and figures the pages and Open311 read,
measured with the pages' own functions; and the problem state machine's throughput through its services.

The generated history spans 2021-01-01 to the bench's present (2026-11-24 17:00), oldest first by id, in the
demo's categories (river patrol the largest source) and areas, each routed to its category's department. What
is older than `OPEN_WINDOW_DAYS` is closed (some merged, dismissed or on a long-term plan); the recent ones
are in every state, with deadlines around today (some overdue and escalated). Each problem has the timeline
its state implies (report, route, accept, rectify, pass), which Open311's status notes read.
"""

import contextlib
import time

import shapely
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.test import Client

from sciencecity.accounts.models import Department, User
from sciencecity.demo import problems as demo_problems
from sciencecity.problems import figures, geo, selectors
from sciencecity.problems.models import Problem, ProblemCategory
from sciencecity.problems.services import lifecycle
from sciencecity.workdays import clock

from .scale import R, _drop_secondary_indexes, _execute, _scalar, latency, plans, uses_index

START = "2021-01-01 09:00:00+08"
NOW = "2026-11-24 17:00:00+08"
OPEN_WINDOW_DAYS = 60
TABLES = ("problems_problem", "problems_problemevent")
# Sources in the zone's proportions (river patrol the largest), as cumulative shares.
SOURCES = (
    ("river_patrol", 0.34),
    ("citizen", 0.52),
    ("quality_inspection", 0.60),
    ("safety_inspection", 0.69),
    ("supervision", 0.76),
    ("enterprise_demand", 0.88),
    ("escort_team", 0.94),
    ("open311", 1.0),
)

LOAD_PROBLEMS = f"""
INSERT INTO problems_problem (number, title, description, category_id, source, status, department_id,
    latitude, longitude, address, area, reporter_id, reporter_name, reporter_phone, follow_up_code,
    reported_at, dispatched_at, accepted_at, rectified_at, closed_at, due_date, clock_started_on, clock_days,
    due_date_provisional, warned_at, escalated_at, long_term, long_term_plan, rework_count, reopen_count,
    closed_on_time, working_days, resolution, satisfaction)
SELECT 'WTB' || to_char(g.reported AT TIME ZONE 'Asia/Shanghai', 'YYYY') || lpad(g.i::text, 8, '0'),
    c.name || '(基准数据 ' || g.i || ')', '基准数据:' || c.name, c.id, g.source, g.status,
    CASE WHEN g.status = 'reported' THEN NULL ELSE coalesce(c.department_id, %(fallback)s) END,
    a.latitude + ({R.format(x="g.i + 3")} - 0.5) * 0.004, a.longitude + ({R.format(x="g.i + 5")} - 0.5) * 0.004,
    a.name || '附近', a.code, %(reporter)s, '', '', 'B' || lpad(g.i::text, 7, '0'),
    g.reported,
    CASE WHEN g.status = 'reported' THEN NULL ELSE g.reported + interval '1 hour' END,
    CASE WHEN g.status IN ('rectifying', 'rectified', 'closed') THEN g.reported + interval '1 day' END,
    CASE WHEN g.status IN ('rectified', 'closed') THEN g.reported + g.took END,
    CASE WHEN g.status IN ('closed', 'merged', 'dismissed') THEN g.reported + g.took + interval '1 day' END,
    CASE WHEN g.status IN ('reported', 'merged', 'dismissed') THEN NULL
         ELSE (g.reported AT TIME ZONE 'Asia/Shanghai')::date + c.limit_days END,
    CASE WHEN g.status IN ('reported', 'merged', 'dismissed') THEN NULL
         ELSE (g.reported AT TIME ZONE 'Asia/Shanghai')::date END,
    CASE WHEN g.status IN ('reported', 'merged', 'dismissed') THEN NULL ELSE c.deadline_days END,
    false,
    CASE WHEN g.status IN ('dispatched', 'rectifying', 'returned')
          AND (g.reported AT TIME ZONE 'Asia/Shanghai')::date + c.limit_days <= %(today)s::date + 1
         THEN g.reported + interval '1 day' END,
    CASE WHEN g.status IN ('dispatched', 'rectifying', 'returned')
          AND (g.reported AT TIME ZONE 'Asia/Shanghai')::date + c.limit_days < %(today)s::date - 1
         THEN g.reported + interval '2 days' END,
    g.status = 'rectifying' AND g.r2 < 0.02, '', CASE WHEN g.r2 < 0.05 THEN 1 ELSE 0 END,
    CASE WHEN g.status = 'closed' AND g.r2 > 0.98 THEN 1 ELSE 0 END,
    CASE WHEN g.status = 'closed' THEN g.took <= c.limit_days * interval '1 day' END,
    CASE WHEN g.status = 'closed' THEN greatest(extract(day FROM g.took)::int * 5 / 7, 0) END,
    CASE WHEN g.status IN ('rectified', 'closed') THEN '已整改到位。' ELSE '' END,
    CASE WHEN g.status = 'closed' AND g.r2 < 0.6 THEN 3 + (g.i %% 3) END
FROM (
    SELECT s.i, s.reported, s.r2,
        (SELECT code FROM bench_problem_sources WHERE upto > s.r ORDER BY upto LIMIT 1) AS source,
        interval '1 day' * (1 + floor(s.r2 * 25)) AS took,
        CASE WHEN s.reported > %(now)s::timestamptz - interval '{OPEN_WINDOW_DAYS} days' THEN
            CASE WHEN s.r3 < 0.05 THEN 'reported' WHEN s.r3 < 0.20 THEN 'dispatched'
                 WHEN s.r3 < 0.23 THEN 'returned' WHEN s.r3 < 0.58 THEN 'rectifying'
                 WHEN s.r3 < 0.70 THEN 'rectified' ELSE 'closed' END
        ELSE
            CASE WHEN s.r3 < 0.03 THEN 'merged' WHEN s.r3 < 0.05 THEN 'dismissed'
                 WHEN s.r3 < 0.055 THEN 'rectifying' ELSE 'closed' END
        END AS status
    FROM (
        SELECT i, {R.format(x="i")} AS r, {R.format(x="i + 11")} AS r2, {R.format(x="i + 29")} AS r3,
            %(start)s::timestamptz + (%(now)s::timestamptz - %(start)s::timestamptz) * (i::float / %(count)s)
                AS reported
        FROM generate_series(%(first)s, %(last)s) AS i
    ) s
) g
JOIN bench_problem_categories c ON c.rn = (g.i / 3) %% %(categories)s
JOIN bench_problem_areas a ON a.rn = (g.i / 5) %% %(areas)s
ORDER BY g.i
"""

# The timeline each state implies: report; route once dispatched; accept once rectifying; rectify once
# rectified; pass once closed (merged and dismissed problems: report and the closing step).
LOAD_EVENTS = """
INSERT INTO problems_problemevent (problem_id, action, status_before, status_after, note, department_id,
    actor_id, created_at)
SELECT p.id, s.action, s.before, s.after, s.note, p.department_id, NULL, p.reported_at + s.offset_
FROM problems_problem p
CROSS JOIN LATERAL (VALUES
    (1, 'report', '', 'reported', '', interval '0'),
    (2, 'route', 'reported', 'dispatched', '', interval '1 hour'),
    (3, 'accept', 'dispatched', 'rectifying', '已安排人员处理。', interval '1 day'),
    (4, 'rectify', 'rectifying', 'rectified', '已整改到位。', interval '3 days'),
    (5, 'pass', 'rectified', 'closed', '', interval '4 days'),
    (6, 'merge', 'reported', 'merged', '重复反映。', interval '2 hours'),
    (7, 'dismiss', 'reported', 'dismissed', '不属于受理范围。', interval '2 hours')
) AS s(step, action, before, after, note, offset_)
WHERE p.id > %(after)s AND (
    s.step = 1
    OR (s.step = 2 AND p.status IN ('dispatched', 'returned', 'rectifying', 'rectified', 'closed'))
    OR (s.step = 3 AND p.status IN ('rectifying', 'rectified', 'closed'))
    OR (s.step = 4 AND p.status IN ('rectified', 'closed'))
    OR (s.step = 5 AND p.status = 'closed')
    OR (s.step = 6 AND p.status = 'merged')
    OR (s.step = 7 AND p.status = 'dismissed'))
ORDER BY p.id, s.step
"""


def _user(username, role, **fields):
    user, _created = User.objects.update_or_create(username=username, defaults=fields)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def setup():
    """The demo's departments (with the approvals bench's world), problem categories and routing rules (made
    once)."""
    from .lifecycle import bench_world

    bench_world()
    data = demo_problems.load_data()
    departments = demo_problems._create_departments(data["departments"])
    if not ProblemCategory.objects.filter(code=data["categories"][0]["code"]).exists():
        demo_problems._create_categories(data["categories"], departments)


def load(count: int, reporter: User) -> dict:
    """Load `count` problems with their timelines (skipped when that many are there already)."""
    existing = Problem.objects.filter(number__startswith="WTB").count()
    if existing >= count:
        return {"seconds": 0.0, "problems": existing, "skipped": True}
    started = time.perf_counter()
    figures_ = {}
    _execute(
        """CREATE TEMP TABLE bench_problem_categories AS
        SELECT row_number() OVER (ORDER BY c.code) - 1 AS rn, c.id, c.name, c.deadline_days,
            c.deadline_days + c.deadline_days / 2 AS limit_days, r.department_id
        FROM problems_problemcategory c
        LEFT JOIN problems_routingrule r ON r.category_id = c.id AND r.area = ''
        WHERE c.code <> 'service-rating'"""
    )
    _execute(
        "CREATE TEMP TABLE bench_problem_areas (rn integer, code text, name text, latitude numeric, "
        "longitude numeric)"
    )
    zone = geo._zone()
    with connection.cursor() as cursor:
        rows = []
        for rn, (area, polygon) in enumerate(zip(zone.areas, zone.polygons, strict=True)):
            point = shapely.point_on_surface(getattr(polygon, "context", polygon))
            rows.append((rn, area.code, area.name, round(point.y, 6), round(point.x, 6)))
        cursor.executemany("INSERT INTO bench_problem_areas VALUES (%s, %s, %s, %s, %s)", rows)
    _execute("CREATE TEMP TABLE bench_problem_sources (code text, upto float)")
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_problem_sources VALUES (%s, %s)", SOURCES)
    categories = _scalar("SELECT count(*) FROM bench_problem_categories")
    areas = _scalar("SELECT count(*) FROM bench_problem_areas")
    fallback = Department.objects.get(code="urban").pk  # the dispatch centre's usual choice
    after = _scalar("SELECT coalesce(max(id), 0) FROM problems_problem")
    _execute("SET maintenance_work_mem = '256MB'")
    try:
        with transaction.atomic():
            _execute("SET session_replication_role = replica")
        figures_["foreign_key_checks"] = "skipped during the load"
    except DatabaseError:
        figures_["foreign_key_checks"] = "checked row by row"
    step = time.perf_counter()
    dropped = _drop_secondary_indexes(TABLES)
    batch = 250_000
    for first in range(existing, count, batch):
        _execute(
            LOAD_PROBLEMS,
            {
                "reporter": reporter.pk,
                "fallback": fallback,
                "now": NOW,
                "today": NOW[:10],
                "start": START,
                "count": count,
                "first": first,
                "last": min(first + batch, count) - 1,
                "categories": categories,
                "areas": areas,
            },
        )
    figures_["problems_s"] = time.perf_counter() - step
    step = time.perf_counter()
    figures_["events"] = _execute(LOAD_EVENTS, {"after": after})
    figures_["events_s"] = time.perf_counter() - step
    step = time.perf_counter()
    for definition in dropped:
        _execute(definition)
    figures_["indexes"] = len(dropped)
    figures_["indexes_s"] = time.perf_counter() - step
    step = time.perf_counter()
    with contextlib.suppress(DatabaseError):
        _execute("SET session_replication_role = DEFAULT")
    for table in TABLES:
        _execute(f"VACUUM ANALYZE {table}")
    figures_["vacuum_analyze_s"] = time.perf_counter() - step
    for table in ("bench_problem_categories", "bench_problem_areas", "bench_problem_sources"):
        _execute(f"DROP TABLE {table}")
    figures_["seconds"] = time.perf_counter() - started
    figures_["problems"] = count
    figures_["skipped"] = False
    return figures_


def cases() -> dict:
    """{name: function that runs what the page or endpoint reads}."""
    busiest = (
        Problem.objects.open()
        .exclude(department=None)
        .order_by()
        .values("department_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    reviewer = _user("bench-problem-reviewer", "department_reviewer", department_id=busiest["department_id"])
    dispatcher = _user("bench-dispatcher", "dispatcher")
    leader = _user("bench-problem-leader", "leader")
    river = ProblemCategory.objects.order_by("code").first()
    client = Client(HTTP_HOST="localhost")  # an allowed host of the default settings

    def page(queryset, size=25):
        return lambda: list(queryset[: size + 1])

    def open311(query):
        def run():
            response = client.get("/open311/v2/requests.json", query)
            assert response.status_code == 200, response.content[:200]
            return response

        return run

    statistics_page = {}

    def whole_statistics_page():
        # What the statistics page reads besides the figures: the map's hotspots and the newest open points.
        scoped = Problem.objects.for_user(leader)
        statistics_page["figures"] = selectors.statistics(leader)
        statistics_page["hotspots"] = selectors.hotspots(scoped)
        statistics_page["points"] = selectors.points(scoped.open(), limit=1500)

    return {
        "department worklist, open problems by deadline (busiest department, first page)": page(
            selectors.worklist(reviewer)
        ),
        "department worklist, red lights only": page(
            selectors.worklist(reviewer, selectors.ProblemFilter(status="open", light="red"))
        ),
        "dispatch centre's queue (first page)": page(selectors.dispatch_queue(dispatcher)),
        "statistics page's figures, whole zone (worker's snapshot)": lambda: selectors.statistics(leader),
        f"statistics page's figures, one category ({river.code}, worker's snapshot)": lambda: (
            selectors.statistics(leader, selectors.ProblemFilter(category=river.pk))
        ),
        "statistics page: figures, hotspots and 1,500 map points": whole_statistics_page,
        "statistics of one department's reader (its department's, worker's snapshot)": lambda: (
            selectors.statistics(reviewer)
        ),
        "background: the snapshot's count (the worker's, every few minutes)": lambda: figures.count_groups(
            clock.today()
        ),
        "GET /open311/v2/requests.json (last 90 days, ≤ 1,000 requests)": open311({}),
        "GET /open311/v2/requests.json?status=open": open311({"status": "open"}),
        f"GET /open311/v2/requests.json?service_code={river.code}&start_date=…&end_date=…": open311(
            {
                "service_code": river.code,
                "start_date": "2026-10-01T00:00:00+08:00",
                "end_date": "2026-11-24T00:00:00+08:00",
            }
        ),
        "GET /open311/v2/requests.json?service_request_id=(10 ids)": open311(
            {
                "service_request_id": ",".join(
                    Problem.objects.filter(number__startswith="WTB", source__in=selectors.PUBLIC_SOURCES)
                    .order_by("-id")
                    .values_list("number", flat=True)[:10]
                )
            }
        ),
    }


def transitions(count: int) -> dict:
    """`count` problems through the whole loop by their services, one process: report (routed by the rules)
    → accept → progress → rectify → verify (passed): five transitions each, every one locked, checked against
    the table, audited, notified."""
    setup()
    reporter = _user("bench-problem-citizen", "department_reviewer", department=None)
    inspector = _user("bench-problem-inspector", "inspector")
    category = ProblemCategory.objects.filter(rules__area="", evidence_required=False).first()
    if category is None:
        category = ProblemCategory.objects.filter(rules__area="").order_by("code").first()
        ProblemCategory.objects.filter(pk=category.pk).update(evidence_required=False, verifier="inspector")
        category.refresh_from_db()
    elif category.verifier != "inspector":
        ProblemCategory.objects.filter(pk=category.pk).update(verifier="inspector")
        category.refresh_from_db()
    handlers = {}

    def handler_of(problem):
        # A reviewer of the department the rules sent it to (the area's rule may name another).
        if problem.department_id not in handlers:
            handlers[problem.department_id] = _user(
                f"bench-problem-handler-{problem.department_id}",
                "department_reviewer",
                department_id=problem.department_id,
            )
        return handlers[problem.department_id]

    zone = geo._zone()
    polygon = zone.polygons[0]
    point = shapely.point_on_surface(getattr(polygon, "context", polygon))
    errors, messages = 0, []
    started = time.perf_counter()
    for n in range(count):
        try:
            problem = lifecycle.report_problem(
                reporter,
                lifecycle.Report(
                    category=category,
                    title=f"基准问题 {n}",
                    description="基准数据",
                    source="supervision",
                    latitude=round(point.y, 6),
                    longitude=round(point.x, 6),
                ),
            )
            handler = handler_of(problem)
            lifecycle.accept_problem(handler, problem)
            lifecycle.report_progress(handler, problem, "已安排人员处理。")
            lifecycle.rectify_problem(handler, problem, "已整改到位。")
            lifecycle.verify_problem(inspector, problem, True)
        except Exception as error:  # noqa: BLE001 — counted and reported
            errors += 1
            messages = messages or [repr(error)[:300]]
    seconds = time.perf_counter() - started
    return {
        "problems": count,
        "errors": errors,
        "seconds": seconds,
        "transitions": count * 5,
        "transitions_per_s": count * 5 / seconds,
        "problems_per_s": count / seconds,
        "error_messages": messages,
    }


def run_cases(runs: int):
    """(name, p50, p95, runs, plan verdicts, explained queries) for each case."""
    results = []
    for name, run in cases().items():
        p50, p95, count = latency(run, runs)
        explained = plans(run, tables=("problems_problem",))
        verdicts = "; ".join(uses_index(plan) for _sql, plan in explained) or "—"
        results.append((name, p50, p95, count, verdicts, explained))
    return results
