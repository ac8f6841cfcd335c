"""`make bench`: measurements of what the platform has so far, written to bench/results/<date>.md.

Each figure is a ratio against a baseline measured in the same run, so results from different machines can be
compared.

Sections:
1. Working-day deadlines: our `add_working_days` (overrides read from the database, pauses) against a bare
   loop over `chinese_calendar.is_workday`, which knows no overrides and no pauses.
2. Registry lists at scale: the project list of an enterprise applicant and of civil servants with
   BENCH_PROJECTS projects (default 200,000), p50/p95 latency and the query plans.
3. Approval lifecycle throughput (`bench.lifecycle`): BENCH_LIFECYCLE_APPS complete 开工一件事 applications
   (default 120) per run through the services, with 1, 2 and 4 worker processes on PostgreSQL (set by
   BENCH_WORKERS, default "1,2,4"), and one run of BENCH_SQLITE_APPS (default 60) on a temporary SQLite file.
4. The peer (`bench.spiff`): SpiffWorkflow running the same shape, BENCH_SPIFF_APPS (default 300) per run;
   then `bench.profile`: BENCH_PROFILE_APPS applications (default 30) under pyinstrument in one process, the
   time per service call and per kind of work (round trips, ORM compiling, instances, translation, calendar),
   and CPU per application against Spiff's in the same process.
5. The machine's limit (`bench.pgbench`): pgbench single-row INSERTs, 4 clients, BENCH_PGBENCH_SECONDS (15).
6. Scale (`bench.scale`): BENCH_APPLICATIONS (default 1,000,000) applications with items and tasks loaded in
   bulk, then the department worklist, an enterprise's list, the leaders' overview and application search,
   BENCH_RUNS runs each (default 100), p50/p95 and EXPLAIN (ANALYZE, BUFFERS).

7. Problems (`bench.problems`): BENCH_PROBLEMS (default 1,000,000) problems with their timelines loaded in
   bulk, then the department worklist, the dispatch queue, the statistics page's figures and Open311's
   GET requests, BENCH_RUNS runs each, p50/p95 and the plans; and BENCH_PROBLEM_LOOPS problems (default 200)
   through the whole loop by the services, for the problem transitions/s beside the approval engine's.

8. Key projects (`bench.projects`): the BENCH_PROJECTS projects with five years of monthly reports, plans and
   inspections loaded in bulk; the zone's warnings recomputed, a campaign round scored, the leader's warning
   list and the round's ranking pages (p50/p95), and the ledger exported for 10,000 and 1,000 projects (time
   and memory).

9. Enterprise policies (`bench.policies`): BENCH_ENTERPRISES enterprises (default 100,000) with their files
   loaded in bulk and the demo's 40 measures; the whole zone matched (time and memory, against plain Python
   comparisons), the 政策找企业 and 我可享受的政策 pages (p50/p95), and BENCH_CLAIMS claims (default 300) through
   redemption (transitions/s, against bare ORM writes).

10. Party building (`bench.party`): a tree of BENCH_PARTY_ORGANIZATIONS organizations (default 10,000) and
   BENCH_PARTY_MEMBERS members (default 200,000) loaded in bulk; subtree lists with their member counts, an
   officer's member list, the member count with the subtree against counting member rows, and the outcomes
   page of a team over what the earlier sections loaded (p50/p95).
11. The leaders' cockpit (`bench.cockpit`): over everything loaded before, a period's figures counted in the
   background, the page's figures read from the kept counts against counting live, the rendered page and the
   API (p50/p95, target p95 ≤ 100 ms), drill-down lists, the slowest figures' query plans, and the monthly
   report's PDF (time, pages, peak memory).
12. Crash fault injection (`bench.faults`, alone: `make faults`): on a durable cluster of its own, gunicorn and
   the task worker SIGKILLed at random while clients drive FAULTS_LIFECYCLES lifecycles (default 300) of every state
   machine through the API; kills, requests, retries, lifecycles, invariants checked and violations.
13. Pages under load (`bench.load`, alone: `make load`): on a durable cluster of its own, the demo world scaled up to
   LOAD_APPLICATIONS applications (default 100,000) and LOAD_ENTERPRISES enterprises (4,000), gunicorn with
   LOAD_WORKERS sync workers (2 × CPUs + 1) and the task worker, and LOAD_USERS virtual users (50) of every role
   driven by locust on 127.0.0.1 for LOAD_SECONDS (60) with think time: requests/s and p50/p95/p99 per page and
   action (and inside Django), errors; then the same users without think time on the role mix and on a trivial
   view (LOAD_CAPACITY_SECONDS each, 20): the throughput ratio; the writes checked in the database; each page's
   statements and time alone. Targets: 0 errors, p95 ≤ 150 ms, ratio ≥ 30 %.

BENCH_SKIP (comma-separated section numbers) leaves sections out for a quick run; BENCH_NAME names the results
files (default: today's date), so a partial run does not overwrite a whole one.
"""

import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciencecity.settings")
django.setup()

import chinese_calendar  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from sciencecity.accounts.models import User  # noqa: E402
from sciencecity.approvals.models import Application, ReviewTask  # noqa: E402
from sciencecity.enterprises.models import Enterprise  # noqa: E402
from sciencecity.enterprises.validators import make_credit_code  # noqa: E402
from sciencecity.projects.models import Project  # noqa: E402
from sciencecity.workdays.calendar import add_working_days  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PROJECTS = int(os.environ.get("BENCH_PROJECTS", "200000"))
LIFECYCLE_APPS = int(os.environ.get("BENCH_LIFECYCLE_APPS", "120"))
WORKERS = [int(n) for n in os.environ.get("BENCH_WORKERS", "1,2,4").split(",") if n.strip()]
SQLITE_APPS = int(os.environ.get("BENCH_SQLITE_APPS", "60"))
SPIFF_APPS = int(os.environ.get("BENCH_SPIFF_APPS", "300"))
PROFILE_APPS = int(os.environ.get("BENCH_PROFILE_APPS", "30"))
PGBENCH_SECONDS = int(os.environ.get("BENCH_PGBENCH_SECONDS", "15"))
APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "100"))
PROBLEMS = int(os.environ.get("BENCH_PROBLEMS", "1000000"))
PROBLEM_LOOPS = int(os.environ.get("BENCH_PROBLEM_LOOPS", "200"))
SKIP = {part.strip() for part in os.environ.get("BENCH_SKIP", "").split(",") if part.strip()}
ENTERPRISES = max(PROJECTS // 20, 10)


def naive_add_working_days(start, n):
    day, counted = start, 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted += 1
    return day


def bench_deadlines(lines):
    rng = random.Random(1)
    cases = [
        (
            datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(600)),
            rng.choice([1, 5, 10, 20, 60]),
        )
        for _ in range(2000)
    ]
    cases = [(start, n) for start, n in cases if naive_add_working_days(start, n).year <= 2026]
    started = time.perf_counter()
    baseline = [naive_add_working_days(start, n) for start, n in cases]
    baseline_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = [add_working_days(start, n) for start, n in cases]
    ours_s = time.perf_counter() - started
    assert ours == baseline, "the two calendars disagree"
    lines += [
        "## 1. Working-day deadlines",
        "",
        f"{len(cases)} deadlines of 1–60 working days in 2025–2026.",
        "",
        "| | deadlines/s | ratio |",
        "|---|---:|---:|",
        f"| baseline: bare `chinese_calendar` loop | {len(cases) / baseline_s:,.0f} | 1.00 |",
        f"| `add_working_days` (one override query each) | {len(cases) / ours_s:,.0f} | {baseline_s / ours_s:.2f} |",
        "",
        "Deadlines are computed once and stored (ARCHITECTURE.md rule 4), so this is far from any hot path.",
        "",
    ]


def load_projects():
    if Project.objects.count() >= PROJECTS:
        return
    rng = random.Random(2)
    started = time.perf_counter()
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"基准企业{i}",
                credit_code=make_credit_code("500106", 50_000_000 + i),
                legal_representative="李四",
            )
            for i in range(ENTERPRISES)
        ],
        batch_size=5000,
    )
    phases = [choice for choice, _ in Project.Phase.choices]
    Project.objects.bulk_create(
        [
            Project(
                code=f"2026-500106-47-01-{i:06d}"
                if i < 1_000_000
                else f"2027-500106-47-01-{i - 1_000_000:06d}",
                name=f"基准项目{i}",
                enterprise=enterprises[rng.randrange(len(enterprises))],
                total_investment=rng.randrange(1000, 500000),
                location="科学城",
                phase=rng.choice(phases),
                is_key=rng.random() < 0.49,
            )
            for i in range(PROJECTS)
        ],
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def latency(queryset_factory, runs=200):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        list(queryset_factory())
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench_lists(lines):
    load_seconds = load_projects()
    applicant = User.objects.get_or_create(
        username="bench-applicant", defaults={"enterprise": Enterprise.objects.first()}
    )[0]
    leader = User.objects.get_or_create(username="bench-leader")[0]
    leader.groups.add(
        *__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.filter(name="leader")
    )
    leader = User.objects.get(pk=leader.pk)
    cases = {
        "applicant: own enterprise's projects, newest first": lambda: Project.objects.for_user(
            applicant
        ).order_by("-created_at", "-id")[:50],
        "leader: key projects, newest first": lambda: (
            Project.objects.for_user(leader).filter(is_key=True).order_by("-created_at", "-id")[:50]
        ),
        "leader: projects in a phase and key": lambda: Project.objects.for_user(leader).filter(
            phase="under_construction", is_key=True
        )[:50],
        "baseline: primary-key lookup": lambda: Project.objects.filter(pk=PROJECTS // 2),
    }
    lines += [
        f"## 2. Registry lists with {PROJECTS:,} projects ({connection.vendor})",
        "",
        f"Bulk load: {load_seconds:.1f} s." if load_seconds else "Projects already loaded.",
        "",
        "| list (first page of 50) | p50 ms | p95 ms |",
        "|---|---:|---:|",
    ]
    plans = []
    for name, factory in cases.items():
        p50, p95 = latency(factory)
        lines.append(f"| {name} | {p50:.2f} | {p95:.2f} |")
        plans.append(f"### {name}\n\n```\n{factory().explain()}\n```\n")
    lines += ["", "Query plans:", "", *plans]


def _sqlite_lifecycle() -> dict:
    """Section 3's SQLite run, in a child process with DATABASE_URL on a temporary file."""
    with tempfile.TemporaryDirectory(prefix="sciencecity-bench-sqlite-") as directory:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{directory}/bench.sqlite3"}
        output = subprocess.run(
            [sys.executable, "-m", "bench.run", "--sqlite-lifecycle", str(SQLITE_APPS)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def lifecycle_only(count: int) -> dict:
    from bench import lifecycle

    call_command("migrate", verbosity=0)
    world = lifecycle.bench_world()
    drafts = lifecycle.prepare_drafts(world, count)
    return lifecycle.run_lifecycle(world, drafts, 1)


def bench_lifecycle(lines, figures):
    from bench import lifecycle, pgbench, spiff
    from bench import profile as bench_profile

    world = lifecycle.bench_world()
    runs = []
    for workers in WORKERS:
        drafts = lifecycle.prepare_drafts(world, LIFECYCLE_APPS)
        runs.append(lifecycle.run_lifecycle(world, drafts, workers))
        print(f"lifecycle, {workers} worker(s): {runs[-1]}", file=sys.stderr)
    sqlite = _sqlite_lifecycle() if "sqlite" not in SKIP else None
    print(f"lifecycle, SQLite: {sqlite}", file=sys.stderr)
    figures["lifecycle"] = runs
    figures["sqlite"] = sqlite
    # Statements per application: one more application driven the same way, every statement of the services
    # counted (after one uncounted application that warms the process's caches).
    reviewers = lifecycle.bench_reviewers()
    for user in (world.applicant, world.clerk, *reviewers.values()):
        user.get_all_permissions()
    warm, counted = lifecycle.prepare_drafts(world, 2)
    lifecycle.statement_profile(world, reviewers, warm)
    statements = lifecycle.statement_profile(world, reviewers, counted)
    print(f"statements: {statements}", file=sys.stderr)
    figures["statements"] = statements
    tasks = runs[0]["tasks_per_application"]
    per_app = runs[0]["task_transitions"] / max(runs[0]["applications"], 1)
    events = runs[0]["audit_events"] / max(runs[0]["applications"], 1)
    lines += [
        "## 3. Approval lifecycle throughput",
        "",
        f"Each application: 开工一件事 with every situational item ({tasks} review tasks in four dependency "
        "rounds), through the services only: submit → the window's verdicts → accept → every task claimed "
        "and approved as its prerequisites allow (certificates issued) → concluded → delivered. Per "
        f"application {per_app:.0f} task transitions (release, claim, approve) and {events:.0f} audit events "
        "in all, plus notifications and certificate-rendering jobs queued. Workers are processes with their "
        f"own connection; {LIFECYCLE_APPS} prepared applications per run, split among them.",
        "",
        "| database | workers | applications | errors | seconds | applications/s | task transitions/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in [*runs, *([sqlite] if sqlite else [])]:
        lines.append(
            f"| {run['vendor']} | {run['workers']} | {run['applications']} | {run['errors']} | "
            f"{run['seconds']:.1f} | {run['apps_per_s']:.2f} | {run['transitions_per_s']:.0f} |"
        )
    for run in runs:
        for message in run["error_messages"]:
            lines.append(f"\nError in the {run['workers']}-worker run: `{message}`")
    phases = "; ".join(
        f"{name} {phase['statements']}" + (f" in {phase['calls']} calls" if phase["calls"] > 1 else "")
        for name, phase in statements["phases"].items()
    )
    lines += [
        "",
        f"Statements per application ({connection.vendor}, `CaptureQueriesContext` around each service call of "
        f"one more application; `python -m bench.statements` prints the same): **{statements['statements']}**, "
        f"{statements['per_transition']:.1f} per task transition. By call: {phases}.",
    ]
    claim = statements["phases"].get("claim_task", {})
    decide = statements["phases"].get("approve_task (certificate, releases, conclusion)", {})
    transition_calls = claim.get("statements", 0) + decide.get("statements", 0)
    per_call = transition_calls / max(statements["task_transitions"], 1)
    lines += [
        "",
        f"Target ≤ 5 statements per task transition (issue 18): a claim takes **{claim.get('max', 0)}** "
        "(BEGIN, the scoped task locked with its application read, UPDATE, audit INSERT, COMMIT); the calls that "
        f"make the {statements['task_transitions']} task transitions (claims, and decisions with the releases, "
        f"certificates and conclusion they cause) take {transition_calls}, **{per_call:.1f}** per transition "
        f"({'met' if per_call <= 5 else 'missed'}); the whole application, submission to delivery, "
        f"{statements['per_transition']:.1f}.",
    ]
    lines.append("")

    # 4. The peer
    assert spiff.review_tasks_in_model() == tasks, "the BPMN model must have one user task per review task"
    peers = []
    for workers in sorted({WORKERS[0], WORKERS[-1]}):
        peers.append(spiff.run_spiff(SPIFF_APPS, workers))
        print(f"spiff, {workers} worker(s): {peers[-1]}", file=sys.stderr)
    figures["spiff"] = peers
    ours = {run["workers"]: run for run in runs}
    lines += [
        "## 4. The peer: SpiffWorkflow 3.2 on the same PostgreSQL",
        "",
        f"`bench/start_construction.bpmn`: start, parallel split into {tasks} user tasks, join, issue. Each "
        "step in its own transaction: `SELECT … FOR UPDATE` of the state row, deserialize, complete one "
        "ready user task, engine steps, serialize, `UPDATE` (state as JSON text in a `json` column). "
        "Spiff keeps no audit trail, sends no notifications, computes no deadlines, numbers and issues no "
        "certificates and checks no permissions.",
        "",
        "| engine | workers | applications | seconds | applications/s | steps/s | state size |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for peer in peers:
        lines.append(
            f"| SpiffWorkflow | {peer['workers']} | {peer['applications']} | {peer['seconds']:.1f} | "
            f"{peer['apps_per_s']:.2f} | {peer['steps_per_s']:.0f} | {peer['state_bytes'] / 1024:.1f} KiB |"
        )
    lines += ["", "| workers | ours applications/s | Spiff applications/s | ours ÷ Spiff | target | met |"]
    lines.append("|---:|---:|---:|---:|---:|---|")
    for peer in peers:
        mine = ours.get(peer["workers"])
        if mine:
            ratio = mine["apps_per_s"] / peer["apps_per_s"]
            target = 1.0 if peer["workers"] == 1 else 2.0  # issue 18: ≥ 1× with one worker, ≥ 2× with four
            lines.append(
                f"| {peer['workers']} | {mine['apps_per_s']:.2f} | {peer['apps_per_s']:.2f} | {ratio:.2f} | "
                f"≥ {target:.0f} | {'yes' if ratio >= target else '**no**'} |"
            )
    figures["profile"] = profiled = bench_profile.profile(PROFILE_APPS)
    print(f"profile: {profiled}", file=sys.stderr)
    ms, spiff_ms = profiled["ms_per_application"], profiled["spiff_ms_per_application"]
    lines += [
        "",
        f"Where one application's time goes (`python -m bench.profile`: {PROFILE_APPS} applications in one "
        "process under pyinstrument, DEBUG off; CPU time is the process's, which a busy machine disturbs less "
        f"than wall time): **{ms['wall']:.0f} ms** wall, **{ms['cpu']:.0f} ms** CPU per application; "
        f"SpiffWorkflow's model in the same process: {spiff_ms['wall']:.0f} ms wall, {spiff_ms['cpu']:.0f} ms "
        f"CPU (ours ÷ Spiff by CPU: {spiff_ms['cpu'] / ms['cpu']:.2f}).",
        "",
        "| service call | ms per application |",
        "|---|---:|",
        *(f"| {name} | {value:.1f} |" for name, value in profiled["by_service_ms"].items()),
        "",
        "| kind of work | share of the profiled time |",
        "|---|---:|",
        *(f"| {name} | {share:.0%} |" for name, share in profiled["by_kind_share"].items()),
    ]
    lines.append("")

    # 5. The machine's limit
    limit = pgbench.run_pgbench(PGBENCH_SECONDS)
    print(f"pgbench: {limit}", file=sys.stderr)
    figures["pgbench"] = limit
    lines += [
        "## 5. The machine's limit: pgbench single-row INSERT",
        "",
        f"`{limit['command']}` with the script `{limit['script']}` against the same server: "
        f"**{limit['inserts_per_s']:,.0f} INSERTs/s** (average latency {limit['latency_ms']} ms).",
        "",
        "| workers | task transitions/s | fraction of the INSERT rate (target ≥ 10%) |",
        "|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['workers']} | {run['transitions_per_s']:.0f} | "
            f"{run['transitions_per_s'] / limit['inserts_per_s']:.1%} |"
        )
    lines.append("")


def bench_scale(lines, figures):
    from bench import lifecycle, scale
    from sciencecity.workdays import clock

    lifecycle.bench_world()  # departments, catalog and reviewers (made already when section 3 ran)
    load_projects()  # the registry the applications belong to (made already when section 2 ran)
    applicant = scale._user("bench-applicant-scale", "applicant")
    loaded = scale.load(APPLICATIONS, applicant)
    print(f"scale load: {loaded}", file=sys.stderr)
    # The applicant acts for the enterprise of a project in the middle of the range: a typical enterprise.
    middle = Project.objects.order_by("pk")[Project.objects.count() // 2]
    applicant.enterprise_id = middle.enterprise_id
    applicant.save(update_fields=["enterprise"])
    applicant = User.objects.get(pk=applicant.pk)
    figures["scale_load"] = loaded
    counts = {
        "applications": Application.objects.count(),
        "tasks": ReviewTask.objects.count(),
        "open tasks": ReviewTask.objects.filter(status__in=ReviewTask.OPEN_STATUSES).count(),
        "enterprise's applications": Application.objects.filter(enterprise_id=middle.enterprise_id).count(),
    }
    if loaded["skipped"]:
        load_line = "Applications already loaded."
    else:
        load_line = (
            f"Bulk load: {loaded['seconds']:.0f} s ({loaded['applications']:,} applications "
            f"{loaded['applications_s']:.0f} s, {loaded['items']:,} items {loaded['items_s']:.0f} s, "
            f"{loaded['tasks']:,} tasks {loaded['tasks_s']:.0f} s, VACUUM ANALYZE "
            f"{loaded['vacuum_analyze_s']:.0f} s)."
        )
    lines += [
        f"## 6. Lists with {counts['applications']:,} applications ({connection.vendor})",
        "",
        load_line,
        "",
        ", ".join(f"{name}: {value:,}" for name, value in counts.items()) + ".",
        "",
        f"Each list is the page's own query (imported from the view module or `dashboard`), run {RUNS} times "
        "(fewer, at least 10, where they take over 20 s in all) after one warm-up run, with the platform clock at 2026-11-24.",
        "",
        "| list | runs | p50 ms | p95 ms | target p95 ≤ 50 ms | how the big tables are read |",
        "|---|---:|---:|---:|---|---|",
    ]
    plan_sections = []
    results = []
    with clock.frozen_at(datetime.datetime(2026, 11, 24, 17, 0, tzinfo=lifecycle.SHANGHAI)):
        for name, (run, _queryset) in scale.cases(applicant).items():
            p50, p95, runs = scale.latency(run, RUNS)
            explained = scale.plans(run)
            verdicts = "; ".join(scale.uses_index(plan) for _sql, plan in explained) or "—"
            results.append({"name": name, "p50": p50, "p95": p95, "runs": runs, "plans": verdicts})
            print(f"{name}: p50 {p50:.1f} p95 {p95:.1f}", file=sys.stderr)
            met = "met" if p95 <= 50 else "**missed**"
            lines.append(f"| {name} | {runs} | {p50:.1f} | {p95:.1f} | {met} | {verdicts} |")
            body = "\n\n".join(f"```sql\n{sql}\n```\n\n```\n{plan}\n```" for sql, plan in explained)
            plan_sections.append(f"### {name}\n\n{body}\n")
    figures["scale"] = results
    lines += ["", "Query plans (EXPLAIN (ANALYZE, BUFFERS), after the measured runs):", "", *plan_sections]


def bench_problems(lines, figures):
    from bench import problems as problem_bench
    from sciencecity.problems import figures as problem_figures

    with clock_at_present():
        problem_bench.setup()
        loops = problem_bench.transitions(PROBLEM_LOOPS)
    print(f"problem loops: {loops}", file=sys.stderr)
    reporter = problem_bench._user("bench-problem-reporter", "inspector")
    loaded = problem_bench.load(PROBLEMS, reporter)
    print(f"problems load: {loaded}", file=sys.stderr)
    figures["problem_loops"] = loops
    figures["problems_load"] = loaded
    from sciencecity.problems.models import Problem, ProblemEvent

    counts = {
        "problems": Problem.objects.count(),
        "timeline events": ProblemEvent.objects.count(),
        "open": Problem.objects.open().count(),
    }
    approval = (figures.get("lifecycle") or [None])[0]
    lines += [
        f"## 7. Problems: {counts['problems']:,} problems ({connection.vendor})",
        "",
        f"### Throughput of the problem state machine ({PROBLEM_LOOPS} problems, one process)",
        "",
        "Each problem through its services: report (routed by the category's rule, deadline stored) → accept → "
        "progress note → rectified → verified by an inspector (closed): five transitions, each locked, checked "
        "against the transition table, with its timeline row, audit row and notifications.",
        "",
        "| state machine | workers | items | errors | seconds | transitions/s |",
        "|---|---:|---:|---:|---:|---:|",
        f"| problems | 1 | {loops['problems']} | {loops['errors']} | {loops['seconds']:.1f} | "
        f"{loops['transitions_per_s']:.0f} |",
    ]
    lines += [f"\nError in the problem loops: `{message}`" for message in loops["error_messages"]]
    if approval:
        lines.append(
            f"| approvals (section 3, review tasks) | {approval['workers']} | {approval['applications']} | "
            f"{approval['errors']} | {approval['seconds']:.1f} | {approval['transitions_per_s']:.0f} |"
        )
    if loaded["skipped"]:
        load_line = "Problems already loaded."
    else:
        load_line = (
            f"Bulk load: {loaded['seconds']:.0f} s ({loaded['problems']:,} problems {loaded['problems_s']:.0f} s, "
            f"{loaded['events']:,} timeline events {loaded['events_s']:.0f} s, {loaded['indexes']} indexes "
            f"rebuilt {loaded['indexes_s']:.0f} s, VACUUM ANALYZE {loaded['vacuum_analyze_s']:.0f} s)."
        )
    with clock_at_present():
        snapshot = problem_figures.take_snapshot()
    lines += [
        "",
        "### Lists, figures and Open311 at scale",
        "",
        load_line,
        "",
        ", ".join(f"{name}: {value:,}" for name, value in counts.items()) + ".",
        "",
        "The statistics page's zone-wide figures come from the background worker's snapshot "
        "(`problems.figures`, taken with the applications' count every few minutes), and so do a department's "
        f"reader's (their department's); a search, a period or a state is counted live. Each case is the page's or endpoint's own code, run {RUNS} times (fewer, at least "
        "10, where they take over 20 s in all) after one warm-up run, with the platform clock at 2026-11-24 17:00.",
        f"The snapshot: {len(snapshot.groups):,} groups, counted in {snapshot.seconds:.2f} s.",
        "",
        "| case | runs | p50 ms | p95 ms | target p95 ≤ 50 ms | how the problem tables are read |",
        "|---|---:|---:|---:|---|---|",
    ]
    plan_sections = []
    results = []
    with clock_at_present():
        for name, p50, p95, runs, verdicts, explained in problem_bench.run_cases(RUNS):
            background = name.startswith("background")
            met = "(background)" if background else ("met" if p95 <= 50 else "**missed**")
            results.append({"name": name, "p50": p50, "p95": p95, "runs": runs, "plans": verdicts})
            print(f"{name}: p50 {p50:.1f} p95 {p95:.1f}", file=sys.stderr)
            lines.append(f"| {name} | {runs} | {p50:.1f} | {p95:.1f} | {met} | {verdicts} |")
            body = "\n\n".join(f"```sql\n{sql}\n```\n\n```\n{plan}\n```" for sql, plan in explained)
            plan_sections.append(f"#### {name}\n\n{body}\n")
    figures["problems"] = results
    lines += ["", "Query plans (EXPLAIN (ANALYZE, BUFFERS), after the measured runs):", "", *plan_sections]


def clock_at_present():
    from bench import lifecycle
    from sciencecity.workdays import clock

    return clock.frozen_at(datetime.datetime(2026, 11, 24, 17, 0, tzinfo=lifecycle.SHANGHAI))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--sqlite-lifecycle":
        print(json.dumps(lifecycle_only(int(sys.argv[2]))))
        return
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    lines = [
        f"# Benchmarks {datetime.date.today():%Y-%m-%d}",
        "",
        f"Database: {connection.vendor}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs.",
        "",
    ]
    figures = {}
    if "1" not in SKIP:
        bench_deadlines(lines)
    if "2" not in SKIP:
        bench_lists(lines)
    if "3" not in SKIP:
        bench_lifecycle(lines, figures)
    if "6" not in SKIP:
        bench_scale(lines, figures)
    if "7" not in SKIP:
        bench_problems(lines, figures)
    if "8" not in SKIP:
        from bench import projects as project_bench

        load_projects()
        project_bench.run(lines, figures, RUNS)
    if "9" not in SKIP:
        from bench import policies as policy_bench

        policy_bench.run(lines, figures, RUNS)
    if "10" not in SKIP:
        from bench import party as party_bench

        party_bench.run(lines, figures, RUNS)
    if "11" not in SKIP:
        from bench import cockpit as cockpit_bench

        cockpit_bench.run(lines, figures, RUNS)
    if "12" not in SKIP:
        from bench import faults

        faults.run(lines, figures)
    if "13" not in SKIP:
        from bench import load as load_bench

        load_bench.run(lines, figures)
    lines.append(f"Total run time of `make bench`: {(time.perf_counter() - started) / 60:.1f} minutes.")
    RESULTS.mkdir(exist_ok=True)
    name = os.environ.get("BENCH_NAME") or f"{datetime.date.today():%Y-%m-%d}"
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=1, default=str) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
