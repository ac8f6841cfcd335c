"""Pages under load (issue 18, part 2): people of every role using the site at once, measured by locust.

    python -m bench.load          # bench/results/<date>-load.md and .json
    make load                     # the same
    make bench                    # section 13 (BENCH_SKIP=13 leaves it out)

A throwaway PostgreSQL cluster with fsync on (`scripts/pgcluster.py`, as production: every write waits for
its commit) is migrated and given the demo world (`manage.py demo`), then scaled up in a child process with
Django (`--world`): enterprises up to LOAD_ENTERPRISES (default 4,000; believable names, valid credit codes,
addresses and industries in the demo's proportions, each with a project and its applicant's account), and
LOAD_APPLICATIONS applications (default 100,000) with their items and review tasks bulk-loaded by the database
as section 6 of `make bench` loads them (`bench.scale`), spread over every project from 2017 to now, each
enterprise's applications made by its applicant. Then the work the run's writers need, through the services:
complete drafts for each applicant, submitted applications for each window clerk, accepted applications
whose first review tasks wait in each reviewer's department, enough of each that no one runs out (the
counts follow the run's length and are checked after it); and the accounts of the virtual users, with the
demo's password.

gunicorn then serves the platform as in production (`sciencecity/ops/gunicorn_conf.py`, LOAD_WORKERS sync
workers, DEBUG off, on 127.0.0.1 only) with the task worker beside it (`manage.py worker`, below the pages'
priority: nice LOAD_TASK_WORKER_NICE, 10; LOAD_TASK_WORKER=0 leaves it out), and `bench.load_users` (locust as
a library, no web UI, in a child process of its own since locust patches the standard library with gevent)
runs LOAD_USERS virtual users (default 50), each of a role and with a session of its own (logged in through
the login form; the visitors are anonymous):

- visitors read the home page and the bundle guide with answers (the page and its htmx fragment) and verify
  certificates (by the QR code's link and by number and short code);
- applicants read their enterprise's portal, applications, projects and certificates, open a complete draft
  and submit it (the page's own form with its key and CSRF token);
- window clerks read the intake, delivery and gap queues, open a submitted application, mark every material
  as conforming and accept it;
- reviewers read their department's worklist (all, mine, red, a search) and tasks, claim a pending task and
  approve it;
- leaders read the approvals overview, the list of all applications (filtered and searched), the overdue
  tasks, one application with its audit trail, and the cockpit.

Every answer must be a 2xx or 3xx with the content the page promises (a heading, the row asked for, the
success message after a write); anything else is an error. Phases, the users staying logged in throughout:
warm-up (LOAD_WARMUP_SECONDS, 10, not counted); the measured run with think time between requests
(LOAD_THINK_MIN–LOAD_THINK_MAX seconds, 1–5) for LOAD_SECONDS (60): requests/s and p50/p95/p99/max per page
and action; the same mix without think time for LOAD_CAPACITY_SECONDS (20): the mix's throughput; then the
same users without think time on a trivial view (`/health/live/`, a JSON answer after the whole middleware
stack, which reads the session and user of the signed-in) for LOAD_CAPACITY_SECONDS: the machine's baseline.
Each request carries an X-Request-ID that the server's request log repeats with the time it spent inside
Django, so each page's time at the client stands beside its time in the server; an anonymous probe of the
trivial view twice a second gives the floor of the moment, and the CPU time of the server, the task worker,
PostgreSQL, the users and everything else on the machine is sampled from /proc. After the run a child process
counts in the database what the writers did (each confirmed write must have changed its row), what prepared
work is left, and times each kind of page alone with its SQL statements.

Targets (issue 18): 0 errors; every page and action p95 ≤ 150 ms in the measured run; the mix's throughput
without think time ≥ 30 % of the trivial view's; the exit status is 1 when one is missed. LOAD_KEEP=1 keeps
the cluster's directory; LOAD_SEED (18) seeds the world and the users' choices; LOAD_DEMO_PROBLEMS makes the
demo's closed-loop problems fewer (a quicker trial). The parent process loads neither Django nor locust, so
the run is also a section of `make bench`, whose own database is another cluster.
"""

import contextlib
import datetime
import itertools
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import serving
from bench.serving import PYTHON, ROOT, manage

RESULTS = ROOT / "bench" / "results"

APPLICATIONS = int(os.environ.get("LOAD_APPLICATIONS", "100000"))
ENTERPRISES = int(os.environ.get("LOAD_ENTERPRISES", "4000"))
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
CAPACITY_SECONDS = float(os.environ.get("LOAD_CAPACITY_SECONDS", "20"))
WARMUP_SECONDS = float(os.environ.get("LOAD_WARMUP_SECONDS", "10"))
THINK = (float(os.environ.get("LOAD_THINK_MIN", "1")), float(os.environ.get("LOAD_THINK_MAX", "5")))
# Sync workers: 2 × cores + 1, gunicorn's own advice and the platform's default (gunicorn_conf.py).
WORKERS = int(os.environ.get("LOAD_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
TASK_WORKER = os.environ.get("LOAD_TASK_WORKER", "1") != "0"
FEW_REQUESTS = 20  # a page seen fewer times in the run has its slowest request or two for its p95
# The task worker renders certificates and sends notifications that nobody waits for in the page: on a machine
# that also serves the pages it runs below their priority, as a deployment runs it (`nice`, or `Nice=` in its
# unit), so that a burst of approvals queues its PDFs rather than the people waiting for a page.
TASK_WORKER_NICE = int(os.environ.get("LOAD_TASK_WORKER_NICE", "10"))
SEED = int(os.environ.get("LOAD_SEED", "18"))
# The demo's closed-loop problems (its default, about 4,000, when unset): fewer make a quicker trial run.
DEMO_PROBLEMS = int(os.environ["LOAD_DEMO_PROBLEMS"]) if os.environ.get("LOAD_DEMO_PROBLEMS") else None
KEEP = os.environ.get("LOAD_KEEP", "") == "1"
TARGET_P95_MS = 150.0
TARGET_RATIO = 0.30

# The roles of the virtual users and their weights (locust gives each class its share of LOAD_USERS).
ROLE_WEIGHTS = {"visitor": 15, "applicant": 15, "reviewer": 10, "clerk": 5, "leader": 5}
# What a user of each role does, with weights, and how many requests each action makes: the share of a
# user's requests that consume a prepared work item (a draft to submit, an application to accept, a task
# to claim and decide) follows from these, and so does how much work to prepare. `bench.load_users` reads
# the same table.
ACTIONS = {
    "visitor": {
        "home": (2, 1),
        "guide": (3, 1),
        "guide_fragment": (2, 1),
        "verify": (3, 1),
        "lookup": (1, 2),
    },
    "applicant": {
        "home": (4, 1),
        "application": (4, 1),
        "project": (1, 1),
        "certificates": (1, 1),
        "apply": (1, 1),
        "submit": (2, 3),
    },
    "clerk": {"queue": (3, 1), "accept": (3, 3), "delivery": (1, 1), "gaps": (1, 1)},
    "reviewer": {"worklist": (3, 1), "worklist_filtered": (2, 1), "task": (2, 1), "decide": (3, 5)},
    "leader": {
        "overview": (3, 1),
        "applications": (2, 1),
        "search": (3, 1),
        "department_tasks": (1, 1),
        "application": (1, 1),
        "cockpit": (1, 1),
    },
}
WRITES = {"applicant": "submit", "clerk": "accept", "reviewer": "decide"}
# The most requests a user could make in a second without think time (a bound, for preparing enough work).
MAX_RATE_PER_USER = 4.0


def users_by_role(users: int = USERS) -> dict[str, int]:
    """How many virtual users of each role (the shares locust gives the weighted classes, rounded up)."""
    total = sum(ROLE_WEIGHTS.values())
    return {role: math.ceil(users * weight / total) for role, weight in ROLE_WEIGHTS.items()}


def work_per_user(role: str) -> int:
    """Prepared work items for one user of `role`: its expected share of write actions over the whole run
    (think time, then none), with half as much again to spare."""
    actions = ACTIONS[role]
    requests = sum(weight * count for weight, count in actions.values())
    share = actions[WRITES[role]][0] / requests
    expected = (WARMUP_SECONDS + SECONDS) / (sum(THINK) / 2) + 2 * CAPACITY_SECONDS * MAX_RATE_PER_USER
    return math.ceil(expected * share * 1.5) + 2


# --- the world (a child process with Django, on the cluster's DATABASE_URL) ------------------------------


def build_world() -> dict:
    """Scale the demo world up and prepare the run's accounts and work; returns what the users need."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciencecity.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench import lifecycle, scale
    from sciencecity.accounts.models import Department, User
    from sciencecity.approvals.models import Application
    from sciencecity.catalog.models import Bundle, CatalogVersion
    from sciencecity.demo import world as demo
    from sciencecity.workdays import clock

    rng = random.Random(SEED)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    version = CatalogVersion.objects.effective_on(clock.today())
    bundle = Bundle.objects.get(version=version, code="start-construction")
    # The reviewers the bulk load names as assignees of claimed tasks (`bench.scale`: bench-reviewer-<code>).
    for department in Department.objects.filter(pk__in=bundle.items.values("department")):
        scale._user(
            f"bench-reviewer-{department.code}",
            "department_reviewer",
            department=department,
            display_name=demo._person_name(rng),
        )
    applicants = _grow_enterprises(rng)
    timings["enterprises_s"] = time.perf_counter() - started

    step = time.perf_counter()
    now = clock.now().isoformat(timespec="seconds")
    loaded = scale.load(APPLICATIONS, User.objects.get(pk=applicants[0]), now=now)
    with connection.cursor() as cursor:
        # Each enterprise's applications were made by its applicant (the bulk load names one for all).
        cursor.execute(
            """UPDATE approvals_application a SET applicant_id = u.id
            FROM accounts_user u WHERE u.enterprise_id = a.enterprise_id AND u.username LIKE 'load-applicant-%%'
              AND a.submission_key = 'bench-scale'"""
        )
        cursor.execute("ANALYZE")
    timings["applications_s"] = time.perf_counter() - step

    step = time.perf_counter()
    prepared = _prepare_work(rng, bundle, applicants)
    # The drafts' files were written where `bench.lifecycle` keeps them: the server reads MEDIA_ROOT.
    shutil.copytree(lifecycle.MEDIA, settings.MEDIA_ROOT, dirs_exist_ok=True)
    timings["prepare_s"] = time.perf_counter() - step
    step = time.perf_counter()
    samples = _samples(rng, prepared)
    with contextlib.suppress(Exception):
        from sciencecity.cockpit import snapshots

        snapshots.refresh()  # the cockpit's kept counts, as its background duty would have taken them
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["samples_s"] = time.perf_counter() - step
    timings["seconds"] = time.perf_counter() - started
    counts = {
        "applications": Application.objects.count(),
        "enterprises": _count("enterprises_enterprise"),
        "projects": _count("projects_project"),
        "review tasks": _count("approvals_reviewtask"),
        "certificates": _count("approvals_certificate"),
        "users": User.objects.count(),
    }
    return {
        **prepared,
        **samples,
        "password": demo.DEMO_PASSWORD,
        "counts": counts,
        "load": {key: value for key, value in loaded.items() if not isinstance(value, list)},
        "timings": timings,
    }


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _grow_enterprises(rng) -> list[int]:
    """Enterprises up to ENTERPRISES, as the demo's are (names, valid credit codes, legal representatives,
    industries, addresses and phones; tech-based, high-tech and other in the demo's proportions), each with a
    project and an applicant; returns the applicants' ids (made with the demo's password)."""
    from django.contrib.auth.models import Group

    from sciencecity.accounts.models import User
    from sciencecity.demo import world as demo
    from sciencecity.enterprises.models import Enterprise
    from sciencecity.enterprises.validators import make_credit_code
    from sciencecity.projects.models import Project

    existing = Enterprise.objects.count()
    missing = max(ENTERPRISES - existing, 0)
    used = set(Enterprise.objects.values_list("name", flat=True))
    used_projects = set(Project.objects.values_list("name", flat=True))
    kinds = rng.choices(
        ("high_tech", "tech", "other"),
        weights=(demo.HIGH_TECH, demo.TECH_BASED - demo.HIGH_TECH, demo.OTHER_ENTERPRISES),
        k=missing,
    )
    today = datetime.date.today()
    owners, enterprises = [], []
    for n, kind in enumerate(kinds):
        industry = rng.choices(
            demo.INDUSTRIES, weights=[demo._industry_weight(i, kind) for i in demo.INDUSTRIES]
        )[0]
        name, brand = demo._company_name(rng, industry, used)
        district = demo._district(rng)
        region, district_name, _weight, streets, roads = district
        enterprises.append(
            Enterprise(
                name=name,
                credit_code=make_credit_code(region, 70_000_000 + n),
                legal_representative=demo._person_name(rng),
                industry=industry.name,
                is_high_tech=kind == "high_tech",
                is_tech_based=kind in ("high_tech", "tech"),
                address=f"重庆市{district_name}{rng.choice(streets)}{rng.choice(roads)}{rng.randint(1, 399)}号",
                contact_phone=f"023-6{rng.randint(0, 9_999_999):07d}",
                founded_on=today - datetime.timedelta(days=rng.randint(400, 9000)),
                employees=int(demo._log_uniform(rng, 8, 3000)),
            )
        )
        owners.append((industry, brand, district))
    enterprises = Enterprise.objects.bulk_create(enterprises, batch_size=2000)
    projects = []
    for n, (enterprise, (industry, brand, district)) in enumerate(zip(enterprises, owners, strict=True)):
        fields = demo._enterprise_project(rng, (enterprise, industry, brand, district), False, used_projects)
        year = rng.randint(2019, today.year)
        code = f"{year}-{fields.pop('region')}-{fields.pop('industry')}-{fields.pop('project_type')}-{700_000 + n:06d}"
        phase = rng.choice([choice for choice, _label in Project.Phase.choices])
        projects.append(Project(code=code, phase=phase, **fields))
    Project.objects.bulk_create(projects, batch_size=2000)
    password = _demo_password()
    users = User.objects.bulk_create(
        [
            User(
                username=f"load-applicant-{n}",
                display_name=demo._person_name(rng),
                enterprise=enterprise,
                password=password,
            )
            for n, enterprise in enumerate(enterprises)
        ],
        batch_size=2000,
    )
    applicant = Group.objects.get(name="applicant")
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=applicant.pk) for user in users], batch_size=5000
    )
    return [user.pk for user in users]


_PASSWORD: list[str] = []


def _demo_password() -> str:
    """The demo's password, hashed once for every account of the run (Argon2 takes a while per hash)."""
    from django.contrib.auth.hashers import make_password

    from sciencecity.demo import world as demo

    if not _PASSWORD:
        _PASSWORD.append(make_password(demo.DEMO_PASSWORD))
    return _PASSWORD[0]


def _account(username: str, role: str, **fields):
    """A staff account of the run with the demo's password, in the group of `role`."""
    from django.contrib.auth.models import Group

    from sciencecity.accounts.models import User

    user, _created = User.objects.update_or_create(
        username=username, defaults={**fields, "password": _demo_password()}
    )
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def _prepare_work(rng, bundle, applicants: list[int]) -> dict:
    """The accounts of the virtual users, and the work their writes consume: complete drafts for each
    applicant, submitted applications for each clerk, pending review tasks for each reviewer."""
    from bench import lifecycle
    from sciencecity.accounts.models import Department, User
    from sciencecity.approvals.models import Application, ReviewTask, SubmittedMaterial
    from sciencecity.approvals.services import applications as application_services
    from sciencecity.approvals.services import intake
    from sciencecity.demo import world as demo
    from sciencecity.projects.models import Project

    roles = users_by_role()
    spare = 2
    window = Department.objects.get(code="window")
    clerks = [
        _account(f"load-window-{n}", "window_clerk", department=window, display_name=demo._person_name(rng))
        for n in range(roles["clerk"] + spare)
    ]
    leaders = [
        _account(f"load-leader-{n}", "leader", display_name=demo._person_name(rng))
        for n in range(roles["leader"] + spare)
    ]

    def drafts_for(user_pk: int, count: int) -> list[int]:
        user = User.objects.get(pk=user_pk)
        project = Project.objects.filter(enterprise_id=user.enterprise_id).order_by("pk").first()
        world = lifecycle.World(project=project, bundle=bundle, applicant=user, clerk=clerks[0])
        return lifecycle.prepare_drafts(world, count)

    # Applicants: one enterprise each, with their drafts (one through the services, the rest its copies).
    picked = rng.sample(applicants, roles["applicant"] + spare + 16)
    applicant_accounts = []
    for user_pk in picked[: roles["applicant"] + spare]:
        user = User.objects.select_related("enterprise").get(pk=user_pk)
        applicant_accounts.append(
            {"username": user.username, "drafts": drafts_for(user_pk, work_per_user("applicant"))}
        )
    feeders = picked[
        roles["applicant"] + spare :
    ]  # enterprises whose applications the window and reviewers get

    def submitted(count: int) -> list[Application]:
        """`count` applications submitted by the feeder enterprises' applicants, through the services."""
        made = []
        per = math.ceil(count / len(feeders))
        for user_pk in feeders:
            if len(made) >= count:
                break
            user = User.objects.get(pk=user_pk)
            for pk in drafts_for(user_pk, min(per, count - len(made))):
                application = Application.objects.get(pk=pk)
                made.append(
                    application_services.submit_application(user, application, idempotency_key=f"load-{pk}")
                )
        return made

    # Clerks: their own submitted applications to accept.
    per_clerk = work_per_user("clerk")
    waiting = submitted(per_clerk * len(clerks))
    clerk_accounts = [
        {"username": clerk.username, "applications": [a.pk for a in waiting[n :: len(clerks)]]}
        for n, clerk in enumerate(clerks)
    ]

    # Reviewers: accepted applications whose first round of review tasks waits (pending) in several
    # departments; each reviewer account gets its own share of its department's tasks.
    reviewers_needed = roles["reviewer"] + spare
    probe = submitted(1)[0]
    _accept(intake, clerks[0], probe, SubmittedMaterial)
    departments = sorted(
        set(
            ReviewTask.objects.filter(application=probe, status=ReviewTask.Status.PENDING).values_list(
                "department__code", flat=True
            )
        )
    )
    per_department = math.ceil(reviewers_needed / len(departments))
    per_reviewer = work_per_user("reviewer")
    accepted = [probe]
    for application in submitted(per_department * per_reviewer - 1):
        accepted.append(_accept(intake, clerks[0], application, SubmittedMaterial))
    tasks = {code: [] for code in departments}
    for pk, code in (
        ReviewTask.objects.filter(application__in=accepted, status=ReviewTask.Status.PENDING)
        .order_by("pk")
        .values_list("pk", "department__code")
    ):
        tasks[code].append(pk)
    reviewer_accounts = []
    for n in range(reviewers_needed):
        code = departments[n % len(departments)]
        slot, slots = n // len(departments), per_department
        department = Department.objects.get(code=code)
        user = _account(
            f"load-reviewer-{code}-{slot}",
            "department_reviewer",
            department=department,
            display_name=demo._person_name(rng),
        )
        reviewer_accounts.append(
            {"username": user.username, "department": code, "tasks": tasks[code][slot::slots]}
        )
    return {
        "roles": roles,
        "applicants": applicant_accounts,
        "clerks": clerk_accounts,
        "reviewers": reviewer_accounts,
        "leaders": [{"username": leader.username} for leader in leaders],
        "prepared": {
            "drafts": sum(len(account["drafts"]) for account in applicant_accounts),
            "submitted": sum(len(account["applications"]) for account in clerk_accounts),
            "pending tasks": sum(len(account["tasks"]) for account in reviewer_accounts),
            "accepted applications": len(accepted),
            "first-round departments": departments,
        },
    }


def _accept(intake, clerk, application, SubmittedMaterial):
    current = application.materials.filter(is_current=True, verdict=SubmittedMaterial.Verdict.PENDING)
    verdicts = {material.spec.code: ("accepted", "") for material in current.select_related("spec")}
    if verdicts:
        intake.record_verdicts(clerk, application, verdicts)
    return intake.accept_application(clerk, application)


def _samples(rng, prepared: dict) -> dict:
    """What the readers ask for: each applicant's applications and project, each department's open tasks,
    the leaders' searches and applications, the certificates to verify and the guide's answers."""
    from sciencecity.accounts.models import User
    from sciencecity.approvals.models import Application, Certificate, ReviewTask
    from sciencecity.enterprises.models import Enterprise
    from sciencecity.projects.models import Project

    for account in prepared["applicants"]:
        user = User.objects.select_related("enterprise").get(username=account["username"])
        rows = list(
            Application.objects.filter(enterprise_id=user.enterprise_id)
            .exclude(status=Application.Status.DRAFT)
            .order_by("-pk")
            .values_list("pk", "number")[:40]
        )
        project = Project.objects.filter(enterprise_id=user.enterprise_id).order_by("pk").first()
        account |= {
            "enterprise": user.enterprise.name,
            "project": [project.pk, project.name],
            "applications": rows,
        }
    for account in prepared["reviewers"]:
        user = User.objects.get(username=account["username"])
        open_tasks = list(
            ReviewTask.objects.filter(department_id=user.department_id, status__in=ReviewTask.OPEN_STATUSES)
            .exclude(pk__in=account["tasks"])
            .order_by("?")
            .values_list("pk", flat=True)[:60]
        )
        numbers = list(
            Application.objects.filter(tasks__department_id=user.department_id)
            .order_by("?")
            .values_list("number", flat=True)[:10]
        )
        account |= {"open_tasks": open_tasks, "searches": [number[2:12] for number in numbers]}
    names = list(Enterprise.objects.order_by("?").values_list("name", flat=True)[:40])
    numbers = list(
        Application.objects.exclude(status="draft").order_by("?").values_list("number", flat=True)[:40]
    )
    searches = [name.removeprefix("重庆")[:4] for name in names[:20]] + [n[2:12] for n in numbers[:20]]
    leader_applications = list(
        Application.objects.exclude(status="draft").order_by("?").values_list("pk", "number")[:200]
    )
    certificates = [
        {"code": certificate.verification_code, "number": certificate.number, "check": certificate.check_code}
        for certificate in Certificate.objects.order_by("?")[:200]
    ]
    rng.shuffle(searches)
    return {
        "leader_searches": searches,
        "leader_applications": leader_applications,
        "certificates": certificates,
        "guide": [
            {"bundle": "start-construction", "answers": answers}
            for answers in (
                {},
                {"land_with_scheme": "yes", "new_civil_building": "no"},
                {
                    "land_with_scheme": "no",
                    "new_civil_building": "yes",
                    "special_construction": "yes",
                    "security_sites": "yes",
                    "occupy_road": "yes",
                    "site_works": ["waste", "sewage", "earthwork"],
                    "eia_category": "report",
                    "need_agency": "yes",
                },
            )
        ]
        + [{"bundle": "joint-acceptance", "answers": {}}],
    }


# --- after the run: what the writes did, and each page alone (a child process with Django) --------------


PROFILED = 5  # runs of each page alone, after one warm-up


def check(world: dict, drive: dict) -> dict:
    """Count in the database what the clients' confirmed writes changed and what prepared work is left,
    then time each kind of page alone (the test client in this process, as the account of its role) with
    the number of SQL statements it sends: what a page costs without the load's contention."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciencecity.settings")
    django.setup()
    from sciencecity.approvals.models import Application, ReviewTask

    A, T = Application.Status, ReviewTask.Status
    drafts = [pk for account in world["applicants"] for pk in account["drafts"]]
    waiting = [pk for account in world["clerks"] for pk in account["applications"]]
    pending = [pk for account in world["reviewers"] for pk in account["tasks"]]
    changed = {
        "submitted": Application.objects.filter(pk__in=drafts).exclude(status=A.DRAFT),
        "accepted": Application.objects.filter(pk__in=waiting).exclude(status=A.SUBMITTED),
        "claimed": ReviewTask.objects.filter(pk__in=pending).exclude(status=T.PENDING),
        "decided": ReviewTask.objects.filter(pk__in=pending, status=T.APPROVED),
    }
    names = {
        "submitted": "drafts submitted",
        "accepted": "applications accepted",
        "claimed": "tasks claimed",
        "decided": "tasks approved",
    }
    rows = []
    for kind, queryset in changed.items():
        done = set(queryset.values_list("pk", flat=True))
        confirmed = set(drive.get("written", {}).get(kind, []))
        attempted = set(drive.get("attempted", {}).get(kind, []))
        rows.append(
            {
                "name": names[kind],
                "posted": len(attempted),
                "confirmed": len(confirmed),
                "changed": len(done),
                # A write the page confirmed that is not in the database, or a row changed without a write.
                "violations": sorted(confirmed - done) + sorted(done - attempted),
            }
        )
    left = {
        "drafts": Application.objects.filter(pk__in=drafts, status=A.DRAFT).count(),
        "submitted": Application.objects.filter(pk__in=waiting, status=A.SUBMITTED).count(),
        "pending tasks": ReviewTask.objects.filter(pk__in=pending, status=T.PENDING).count(),
    }
    return {
        "writes": rows,
        "left": left,
        "alone": profile_pages(world),
    }


def profile_pages(world: dict) -> list[dict]:
    """Each kind of page the users read, alone: p50 ms and SQL statements, through the test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sciencecity.accounts.models import User

    applicant, clerk = world["applicants"][0], world["clerks"][0]
    reviewer, leader = world["reviewers"][0], world["leaders"][0]
    application_pk, _number = applicant["applications"][0]
    certificate = world["certificates"][0]
    pages = [
        ("visitor: home", None, "/"),
        ("visitor: bundle guide", None, "/guide/start-construction/?land_with_scheme=yes"),
        ("visitor: verify by QR code", None, f"/verify/{certificate['code']}/"),
        ("applicant: portal home", applicant, "/portal/"),
        ("applicant: application", applicant, f"/portal/applications/{application_pk}/"),
        ("applicant: project", applicant, f"/portal/projects/{applicant['project'][0]}/"),
        ("applicant: certificates", applicant, "/portal/certificates/"),
        ("applicant: draft (edit page)", applicant, f"/portal/applications/{applicant['drafts'][0]}/edit/"),
        ("clerk: intake queue", clerk, "/window/"),
        ("clerk: intake page", clerk, f"/window/applications/{clerk['applications'][0]}/intake/"),
        ("clerk: delivery queue", clerk, "/window/delivery/"),
        ("reviewer: worklist", reviewer, "/department/"),
        (
            "reviewer: task page",
            reviewer,
            f"/department/tasks/{(reviewer['open_tasks'] or reviewer['tasks'])[0]}/",
        ),
        ("leader: approvals overview", leader, "/leaders/"),
        ("leader: all applications (filtered)", leader, "/leaders/applications/?status=in_review"),
        ("leader: search applications", leader, f"/leaders/applications/?q={world['leader_searches'][0]}"),
        ("leader: department tasks", leader, "/leaders/tasks/?state=overdue"),
        (
            "leader: application with audit trail",
            leader,
            f"/leaders/applications/{world['leader_applications'][0][0]}/",
        ),
        ("leader: cockpit", leader, "/cockpit/"),
        ("trivial view (/health/live/)", applicant, "/health/live/"),
    ]
    results = []
    for name, account, path in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        if account is not None:
            client.force_login(User.objects.get(username=account["username"]))
        client.get(path)  # warm: templates, caches, the session
        times, cpu, statements, status = [], [], 0, 0
        for _ in range(PROFILED):
            with CaptureQueriesContext(connection) as queries:
                started, used = time.perf_counter(), time.process_time()
                response = client.get(path)
                cpu.append((time.process_time() - used) * 1000)
                times.append((time.perf_counter() - started) * 1000)
            statements, status = len(queries), response.status_code
        results.append(
            {
                "name": name,
                "path": path,
                "status": status,
                "statements": statements,
                "p50": sorted(times)[PROFILED // 2],
                "cpu": sorted(cpu)[PROFILED // 2],
            }
        )
    return results


# --- the run (the parent: no Django, no locust) --------------------------------------------------------


class CpuSampler:
    """Once a second, the CPU time of the machine and of the run's processes by group (gunicorn, the task
    worker, PostgreSQL, the load's users), from /proc: who used the CPUs while the users waited."""

    def __init__(self, groups: dict):
        self.groups = groups  # {name: function returning the root pids of the group}
        self.samples: list[tuple[float, int, int, dict]] = []
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> "CpuSampler":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.halt.set()
        self.thread.join()

    def _loop(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                self.samples.append(self._sample())
            if self.halt.wait(1.0):
                return

    def _sample(self):
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]
        processes = {}
        for name, roots in self.groups.items():
            for root in roots():
                for pid in {root, *_descendants(root)}:
                    processes[pid] = (name, _ticks(pid))
        return time.time(), sum(fields) - idle, sum(fields), processes

    def window(self, start: float | None, end: float | None) -> dict | None:
        """Shares of the machine's CPU capacity between two moments: busy in all, and by group (each
        process's time counted between consecutive samples that both saw it: the database's connections
        and other processes come and go)."""
        if start is None or end is None:
            return None
        inside = [sample for sample in self.samples if start <= sample[0] <= end]
        if len(inside) < 2:
            return None
        total = inside[-1][2] - inside[0][2]
        if total <= 0:
            return None
        used = dict.fromkeys(self.groups, 0)
        for before, after in itertools.pairwise(inside):
            for pid, (name, ticks) in after[3].items():
                if pid in before[3]:
                    used[name] += max(ticks - before[3][pid][1], 0)
        shares = {name: ticks / total for name, ticks in used.items()}
        busy = (inside[-1][1] - inside[0][1]) / total
        shares["everything else on the machine"] = max(busy - sum(shares.values()), 0.0)
        return {"busy": busy, "groups": shares}


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        children = set(serving.children_of(todo.pop())) - found
        found |= children
        todo += children
    return found


def _ticks(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    return 0


def _postmaster(cluster) -> list[int]:
    try:
        with open(Path(cluster.datadir) / "postmaster.pid", encoding="ascii") as file:
            return [int(file.readline())]
    except (OSError, ValueError):
        return []


def _child(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`python -m …` in a child process; its error output is shown when it fails."""
    done = subprocess.run([PYTHON, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


def run(lines: list | None = None, figures: dict | None = None) -> dict:
    """The whole run; its section appended to `lines` (bench/run.py) and its figures to `figures`."""
    sys.path.insert(0, str(ROOT))
    from scripts.pgcluster import Cluster

    started = time.monotonic()
    timings: dict[str, float] = {}
    cluster = Cluster(durable=True, prefix="sciencecity-load-").initdb().start()
    workdir = Path(tempfile.mkdtemp(prefix="sciencecity-load-"))
    processes: list[subprocess.Popen] = []
    log = open(workdir / "processes.log", "ab")  # noqa: SIM115 - closed in the finally clause
    try:
        url = cluster.createdb()
        port = serving.free_port()
        env = serving.server_env(url, port, workdir / "media", STATIC_ROOT=str(workdir / "static"))
        print(f"load: PostgreSQL on 127.0.0.1:{cluster.port} (fsync on), files in {workdir}", file=sys.stderr)
        step = time.monotonic()
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "collectstatic", "--no-input", "-v", "0")  # DEBUG off: whitenoise serves the manifest
        manage(env, "demo", *(["--problems", str(DEMO_PROBLEMS)] if DEMO_PROBLEMS is not None else []))
        timings["demo_s"] = time.monotonic() - step
        print(f"load: demo world built in {timings['demo_s']:.0f} s", file=sys.stderr)
        step = time.monotonic()
        world_path, drive_path = workdir / "world.json", workdir / "drive.json"
        _child(env, "bench.load", "--world", str(world_path))
        world = json.loads(world_path.read_text(encoding="utf-8"))
        manage(env, "refresh_overview", "--schedule")  # the overview's count, and its recurring refresh
        timings["world_s"] = time.monotonic() - step
        print(f"load: world scaled up in {timings['world_s']:.0f} s: {world['counts']}", file=sys.stderr)

        # The request log, one JSON line per request with the id the users send: the time inside Django.
        requests_log = open(workdir / "requests.log", "ab")  # noqa: SIM115 - closed in the finally clause
        gunicorn = subprocess.Popen(
            serving.gunicorn_command(port, WORKERS, "--log-level", "warning"),
            cwd=ROOT,
            env={**env, "LOG_FORMAT": "json", "REQUEST_LOG_LEVEL": "INFO"},
            stdout=requests_log,
            stderr=requests_log,
        )
        processes.append(gunicorn)
        worker = None
        if TASK_WORKER:
            worker = subprocess.Popen(
                serving.worker_command(),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
                preexec_fn=lambda: os.nice(TASK_WORKER_NICE),  # noqa: PLW1509 - no threads started yet
            )
            processes.append(worker)
        serving.wait_serving(port)
        driver = subprocess.Popen(
            [PYTHON, "-m", "bench.load_users", str(world_path), str(port), str(drive_path)], cwd=ROOT
        )
        processes.append(driver)
        sampler = CpuSampler(
            {
                "gunicorn": lambda: [gunicorn.pid],
                "task worker": lambda: [worker.pid] if worker else [],
                "PostgreSQL": lambda: _postmaster(cluster),
                "load users (locust)": lambda: [driver.pid],
            }
        ).start()
        driver.wait()
        sampler.stop()
        if driver.returncode != 0:
            raise RuntimeError(f"bench.load_users failed ({driver.returncode}): see its output above")
        drive = json.loads(drive_path.read_text(encoding="utf-8"))
        requests_log.flush()
        _attach_server_times(drive, workdir / "requests.log")
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
        processes = []
        (workdir / "drive.json").write_text(json.dumps(drive), encoding="utf-8")
        checked = json.loads(_child(env, "bench.load", "--check", str(world_path), str(drive_path)).stdout)
        cpu = {
            phase: sampler.window(*drive["wall"].get(phase, (None, None)))
            for phase in ("think", "capacity", "trivial")
        }
        result = {
            "applications": APPLICATIONS,
            "enterprises": ENTERPRISES,
            "users": USERS,
            "users_by_role": world["roles"],
            "seconds": SECONDS,
            "capacity_seconds": CAPACITY_SECONDS,
            "warmup_seconds": WARMUP_SECONDS,
            "think": list(THINK),
            "workers": WORKERS,
            "task_worker": TASK_WORKER,
            "cpus": os.cpu_count(),
            "counts": world["counts"],
            "prepared": world["prepared"],
            "world_timings": world["timings"],
            "timings": timings,
            "phases": drive["phases"],
            "logged_in": drive["users"],
            "writes": checked["writes"],
            "left": checked["left"],
            "alone": checked["alone"],
            "cpu": cpu,
            "total_seconds": time.monotonic() - started,
        }
        result |= verdict(result)
    finally:
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
                process.wait(timeout=10)
        log.close()
        with contextlib.suppress(NameError):
            requests_log.close()
        if KEEP:
            print(f"load: kept the cluster's directory {cluster.workdir} and {workdir}", file=sys.stderr)
            with contextlib.suppress(Exception):
                cluster.stop("fast")
        else:
            cluster.remove()
            shutil.rmtree(workdir, ignore_errors=True)
    section = report(result)
    if lines is not None:
        lines += section
    if figures is not None:
        figures["load"] = result
    return result


def _attach_server_times(drive: dict, path: Path) -> None:
    """Give each row of each phase the time its requests spent inside Django (p50, p95), from the server's
    request log (`sciencecity.ops.logs`: the id the user sent, the duration measured by the middleware)."""
    inside = {}
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if '"duration_ms"' not in line:
                continue
            with contextlib.suppress(ValueError, KeyError, TypeError):
                entry = json.loads(line)
                if entry["request_id"].startswith("L"):
                    inside[int(entry["request_id"][1:])] = float(entry["duration_ms"])
    by_row: dict = {}
    for phase, name, rid, _client_ms in drive.pop("requests", []):
        if rid in inside:
            by_row.setdefault((phase, name), []).append(inside[rid])
    for phase, figures in drive["phases"].items():
        for row in figures["rows"]:
            samples = sorted(by_row.get((phase, row["name"]), []))
            row["server_p50"] = samples[len(samples) // 2] if samples else None
            row["server_p95"] = samples[max(0, round(0.95 * len(samples)) - 1)] if samples else None


def verdict(result: dict) -> dict:
    """The targets: errors, p95 per page and action in the measured run, throughput against the trivial view."""
    phases = result["phases"]
    errors = sum(phase["errors"] for phase in phases.values())
    slow = [row["name"] for row in _pages(phases["think"]) if row["p95"] > TARGET_P95_MS]
    mix = phases["capacity"]["rps"]
    trivial_rows = [row for row in phases["trivial"]["rows"] if row["name"].startswith("trivial view")]
    trivial = (
        sum(row["count"] for row in trivial_rows) / phases["trivial"]["seconds"] if trivial_rows else 0.0
    )
    ratio = mix / trivial if trivial else 0.0
    wrong = [row["name"] for row in result["writes"] if row["violations"]]
    return {
        "errors": errors,
        "slow": slow,
        "mix_rps": mix,
        "trivial_rps": trivial,
        "ratio": ratio,
        "writes_wrong": wrong,
        "met": errors == 0 and not slow and ratio >= TARGET_RATIO and not wrong,
    }


def _pages(phase: dict) -> list[dict]:
    """The rows of the users' pages and actions (not the probe of the machine's floor)."""
    return [row for row in phase["rows"] if not row["name"].startswith("probe:")]


def _probe_line(phase: dict) -> str:
    probe = [row for row in phase["rows"] if row["name"].startswith("probe:")]
    if not probe:
        return ""
    row = probe[0]
    return (
        f"The machine's floor meanwhile (the trivial view, anonymous, twice a second, {row['count']} requests): "
        f"p50 {row['p50']:.0f} ms, p95 {row['p95']:.0f} ms, max {row['max']:.0f} ms."
    )


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def _table(rows: list[dict], *, target: bool) -> list[str]:
    head = (
        "| page or action | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| inside Django p50 / p95 ms |"
    )
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    if target:
        head, rule = head + f" p95 ≤ {TARGET_P95_MS:.0f} ms |", rule + "---|"
    lines = [head, rule]
    for row in sorted(rows, key=lambda row: row["name"]):
        line = (
            f"| {row['name']} | {row['count']:,} | {row['rps']:.1f} | {row['p50']:.0f} | {row['p95']:.0f} | "
            f"{row['p99']:.0f} | {row['max']:.0f} | {row['errors']} | "
            f"{_ms(row.get('server_p50'))} / {_ms(row.get('server_p95'))} |"
        )
        if target:
            line += " met |" if row["p95"] <= TARGET_P95_MS else " **missed** |"
        lines.append(line)
    return lines


def _cpu_line(cpu: dict | None) -> str:
    if not cpu:
        return "CPU: not sampled."
    groups = ", ".join(f"{name} {share:.0%}" for name, share in cpu["groups"].items())
    return f"CPU busy {cpu['busy']:.0%} of the machine's {os.cpu_count()} CPUs: {groups}."


def report(result: dict) -> list[str]:
    phases = result["phases"]
    think, capacity, trivial = phases["think"], phases["capacity"], phases["trivial"]
    roles = ", ".join(f"{count} {role}s" for role, count in result["users_by_role"].items())
    counts = ", ".join(f"{name} {value:,}" for name, value in result["counts"].items())
    prepared = result["prepared"]
    lines = [
        "## 13. Pages under load",
        "",
        f"`python -m bench.load` (`make load`): a durable PostgreSQL cluster (fsync on) with the demo world "
        f"scaled up to {counts}; gunicorn with {result['workers']} sync workers "
        f"(`sciencecity/ops/gunicorn_conf.py`, DEBUG off, 127.0.0.1 only)"
        + (" and the task worker" if result["task_worker"] else "")
        + f"; locust {_locust_version()} as a library with {result['users']} virtual users ({roles}), each with "
        "its own session (logged in through the login form; visitors anonymous), doing what its role does: "
        "reading its pages, and submitting drafts, accepting applications, claiming and approving tasks "
        "through the pages' own forms with their CSRF tokens. Think time "
        f"{result['think'][0]:g}–{result['think'][1]:g} s between requests; {result['warmup_seconds']:g} s "
        f"warm-up not counted. Prepared work: {prepared['drafts']} drafts, {prepared['submitted']} submitted "
        f"applications, {prepared['pending tasks']} pending tasks in {len(prepared['first-round departments'])} "
        "departments. An error is an answer that is not 2xx/3xx or lacks what the page must show.",
        "",
        f"### Measured run: {result['users']} users with think time for {think['seconds']:.0f} s",
        "",
        f"**{sum(row['count'] for row in _pages(think)):,} requests, "
        f"{sum(row['count'] for row in _pages(think)) / think['seconds']:.1f} requests/s, {think['errors']} errors.** "
        + _cpu_line(result["cpu"].get("think"))
        + " "
        + _probe_line(think),
        "",
        "Times at the client (locust): from sending the request to the last byte of the answer. Inside "
        "Django: the same requests as the server's request log measured them (`sciencecity.ops.logs`, "
        "matched by the X-Request-ID each user sends), without gunicorn's queue, the network and the client.",
        "",
        *_table(_pages(think), target=True),
        "",
        f"### Throughput: the same users without think time, {capacity['seconds']:.0f} s each",
        "",
        f"The role mix: **{result['mix_rps']:.1f} requests/s** ({capacity['errors']} errors). "
        + _cpu_line(result["cpu"].get("capacity")),
        "",
        f"The trivial view (`/health/live/`: a JSON answer after the whole middleware stack, which reads the "
        f"session and user of the signed-in users): **{result['trivial_rps']:.1f} requests/s** "
        f"({trivial['errors']} errors). " + _cpu_line(result["cpu"].get("trivial")),
        "",
        f"**Ratio: {result['ratio']:.0%}** of the trivial view's throughput (target ≥ {TARGET_RATIO:.0%}).",
        "",
        "<details><summary>Per page without think time</summary>",
        "",
        *_table(
            capacity["rows"] + [row for row in trivial["rows"] if row["name"].startswith("trivial view")],
            target=False,
        ),
        "",
        "</details>",
        "",
        "### Each page alone (one request at a time, the test client in-process, after the run)",
        "",
        "What a page costs without the others: its SQL statements, and the median of "
        f"{PROFILED} requests' time and the CPU time of the Django process (the database's own not included).",
        "",
        "| page | SQL statements | p50 ms | CPU ms |",
        "|---|---:|---:|---:|",
        *[
            f"| {row['name']} | {row['statements']} | {row['p50']:.1f} | {row.get('cpu', 0):.1f} |"
            for row in result["alone"]
        ],
        "",
        "### Writes",
        "",
        "Each write is posted by the page's own form; it is confirmed when the page it leads to shows the "
        "success message; the rows changed are counted in the database after the run. Every confirmed write "
        "must have changed its row, and no row may have changed without a write (a write cut off by the end "
        "of the run may be posted and done without its confirmation).",
        "",
        "| write | posted | confirmed by the page | rows changed | inconsistent |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {row['name']} | {row['posted']} | {row['confirmed']} | {row['changed']} | {len(row['violations'])} |"
            for row in result["writes"]
        ],
        "",
        "Prepared work left at the end: "
        + ", ".join(f"{name} {value}" for name, value in result["left"].items())
        + f". Logins: {phases['login']['requests']} requests, {phases['login']['errors']} errors.",
        "",
        "### Verdict",
        "",
        f"- Errors: **{result['errors']}** (target 0): "
        + ("met." if result["errors"] == 0 else "**missed**."),
        f"- p95 ≤ {TARGET_P95_MS:.0f} ms for every page and action at {result['users']} users: "
        + (
            "met."
            if not result["slow"]
            else f"**missed** by {len(result['slow'])}: " + ", ".join(result["slow"]) + "."
        ),
        f"- Throughput ≥ {TARGET_RATIO:.0%} of the trivial view's: {result['ratio']:.0%}, "
        + ("met." if result["ratio"] >= TARGET_RATIO else "**missed**."),
        "- Every confirmed write changed its row: "
        + ("yes." if not result["writes_wrong"] else "**no**: " + ", ".join(result["writes_wrong"]) + "."),
        "",
    ]
    for phase in phases:
        for row in phases[phase]["rows"]:
            for message in row["messages"]:
                lines.append(f"- error ({phase}, {row['name']}): `{message}`")
    if any(row["messages"] for phase in phases.values() for row in phase["rows"]):
        lines.append("")
    lines += _reasons(result)
    lines.append(
        f"Set-up: demo {result['timings']['demo_s']:.0f} s, scale-up and prepared work "
        f"{result['timings']['world_s']:.0f} s; the whole run {result['total_seconds'] / 60:.1f} min."
    )
    lines.append("")
    return lines


def _cpu_ms_per_request(result: dict, phase: str, group: str, requests: float) -> float | None:
    """The CPU time `group` spent per request in `phase`, from the sampled shares of the machine."""
    cpu = result["cpu"].get(phase)
    if not cpu or not requests:
        return None
    seconds = result["phases"][phase]["seconds"]
    return cpu["groups"].get(group, 0.0) * (result["cpus"] or 1) * seconds * 1000 / requests


def _reasons(result: dict) -> list[str]:
    """Where a target is missed: what the run measured that explains it, and the next steps."""
    if not result["slow"] and result["ratio"] >= TARGET_RATIO:
        return []
    phases = result["phases"]
    lines = ["### Where a target is missed: the measured reason and the next step", ""]
    think = result["cpu"].get("think")
    alone = {row["name"]: row for row in result["alone"]}
    if result["slow"]:
        rows = [row for row in _pages(phases["think"]) if row["name"] in result["slow"]]
        inside = [row["server_p50"] for row in rows if row.get("server_p50") is not None]
        alone_cpu = [row["cpu"] for name, row in alone.items() if name in result["slow"] and "cpu" in row]
        if think:
            outside = think["groups"].get("everything else on the machine", 0.0)
            worker = think["groups"].get("task worker", 0.0)
            lines.append(
                f"- p95: during the measured run the machine's CPUs were {think['busy']:.0%} busy, "
                f"{outside:.0%} of their time taken by processes outside the run and {worker:.0%} by the task "
                f"worker (certificates rendered after each approval, notifications), against "
                f"{think['groups'].get('gunicorn', 0.0):.0%} for the server. " + _probe_line(phases["think"])
            )
        if inside and alone_cpu:
            lines.append(
                f"  The pages that missed spent {min(inside):.0f}–{max(inside):.0f} ms (p50) inside Django under "
                f"the load, against {min(alone_cpu):.0f}–{max(alone_cpu):.0f} ms of CPU alone: their requests "
                "mostly waited for a CPU, behind each other and the rest of the machine, and the rest of their "
                "time at the client is gunicorn's queue."
            )
        few = [row for row in rows if row["count"] < FEW_REQUESTS]
        if few:
            named = "; ".join(
                f"{row['name']}: {row['count']} requests, p50 {row['p50']:.0f} ms, slowest {row['max']:.0f} ms"
                for row in few
            )
            lines.append(
                f"  {len(few)} of them had fewer than {FEW_REQUESTS} requests in the run ({named}): their p95 is "
                "their slowest one or two requests, a pause of one worker (a garbage collection, a certificate "
                "rendered beside it) as much as the page; a longer run (LOAD_SECONDS) tells the two apart."
            )
        heaviest = sorted((row for row in alone.values() if "cpu" in row), key=lambda row: -row["cpu"])[:3]
        worker_share = f"{think['groups'].get('task worker', 0.0):.0%} of the CPUs" if think else "its share"
        lines.append(
            "  Next: the task worker on a machine of its own (the certificates it renders after each approval "
            f"took {worker_share} during the run, even below the pages' priority); the heaviest pages alone ("
            + ", ".join(
                f"{row['name']} {row['cpu']:.0f} ms of CPU, {row['statements']} statements"
                for row in heaviest
            )
            + "): fewer statements, and the rows' links and labels computed once per page rather than per row."
        )
    if result["ratio"] < TARGET_RATIO:
        mix = _cpu_ms_per_request(result, "capacity", "gunicorn", phases["capacity"]["requests"])
        trivial = _cpu_ms_per_request(
            result, "trivial", "gunicorn", result["trivial_rps"] * phases["trivial"]["seconds"]
        )
        database = _cpu_ms_per_request(result, "capacity", "PostgreSQL", phases["capacity"]["requests"])
        if mix and trivial:
            lines.append(
                f"- Throughput: a request of the mix cost the server {mix:.1f} ms of CPU and PostgreSQL "
                f"{database or 0:.1f} ms, the trivial view's {trivial:.1f} ms: the ratio of the throughputs "
                f"({result['ratio']:.0%}) is that of these costs on CPUs that both runs share. A page's CPU goes to "
                "rendering its template (each `{% url %}`, `{% translate %}` and variable of every row) and to "
                "compiling its 6–20 SQL statements; the trivial view has none of either."
            )
        lines.append(
            "  Next: fewer statements per page (the per-request ones are down to the session, the user, the "
            "roles with the permissions, the unread count, and a party post or membership for those outside the "
            "civil service); server-side binding (psycopg's prepared statements: "
            "PostgreSQL plans a repeated statement once per connection); the rows' URLs and labels computed "
            "once per page rather than per row in the templates; the navigation of a role cached."
        )
    lines.append("")
    return lines


def _locust_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("locust")
    except PackageNotFoundError:
        return "(not installed)"


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--world":
        Path(sys.argv[2]).write_text(json.dumps(build_world()), encoding="utf-8")
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        world = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
        drive = json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
        print(json.dumps(check(world, drive)))
        return 0
    started = time.perf_counter()
    lines = [
        f"# Benchmarks {datetime.date.today():%Y-%m-%d}",
        "",
        f"Database: postgresql (a throwaway durable cluster); Python {sys.version.split()[0]}; {os.cpu_count()} CPUs.",
        "",
    ]
    figures: dict = {}
    result = run(lines, figures)
    lines.append(
        f"Total run time of `python -m bench.load`: {(time.perf_counter() - started) / 60:.1f} minutes."
    )
    RESULTS.mkdir(exist_ok=True)
    name = os.environ.get("BENCH_NAME") or f"{datetime.date.today():%Y-%m-%d}-load"
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=1, default=str) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwritten to {RESULTS / name}.md")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
