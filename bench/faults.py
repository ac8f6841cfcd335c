"""Crash fault injection (issue 17, "Crashes"): lifecycles through the API while processes are SIGKILLed.

    python -m bench.faults        # FAULTS_LIFECYCLES (300) lifecycles of each machine; bench/results/<date>-faults.md
    make faults                   # the same with a small count, for CI (a few minutes)

A throwaway PostgreSQL cluster with fsync on (`scripts/pgcluster.py`, durable: we are testing crashes) is
migrated and given a small world (the demo departments and published catalog, enterprises with projects,
staff of each role, each person with an API token; built directly, `--world`). Then gunicorn (two sync
workers on a free local port) and `manage.py worker` (db_worker that waits out database outages) run as child processes, exactly as in production,
and FAULTS_CLIENTS client threads drive FAULTS_LIFECYCLES lifecycles of each state machine through /api/v1/
only:

- applications: start, answers, form, materials and a pledge, submit; the window's verdicts and acceptance;
  every review task claimed, given an opinion and approved as its prerequisites allow (certificates issued
  and rendered in the background); the window's delivery;
- problems: an inspector reports (some routed by rule, some waiting for the dispatch centre, which
  dispatches); the department accepts, notes its progress, rectifies; the inspector verifies (closed);
- redemptions: an enterprise starts a claim (免申即享: confirms it; 快申快享: submits), the paying department
  approves it and records the payment; the enterprise corrects its file (a background refresh of verdicts);
- the fund: an enterprise applies; the task force's diligence and report; three committee votes; approval;
  the agreement in two tranches, each milestone met and disbursed; conversion.

Every POST carries an Idempotency-Key; after a connection error (a killed worker, a restarting server, a
time-out) the client sends the same request again with the same key, as a client that got no answer must.
Meanwhile a chaos thread SIGKILLs, at random moments, a gunicorn worker (the master starts another), the
gunicorn master (its workers leave, a new gunicorn starts) or the task worker (a new one starts; as it is idle
most of the time, the moment is one when it runs a task, if it runs one within three seconds).

At the end the killing stops and the queue drains: the tasks a killed worker abandoned are put back by the
platform's own recovery (`sciencecity.ops.recovery`: a worker sweeps when it starts a task, and a refresh duty
every OVERVIEW_REFRESH_MINUTES, set to 1 here) and run again. Then the run checks, by queries: the platform's invariants (`manage.py check_invariants`, the same
command operators run on production) and the clients' ledger — each creating request made one object whatever
its retries, each request without a key of its own done once (a progress note, a vote), every lifecycle in its
final state. It prints and writes the counts: kills by kind, requests, retries, lifecycles completed per
machine, invariants checked, violations.

Sizes: FAULTS_LIFECYCLES (per machine, default 300), FAULTS_CLIENTS (4), FAULTS_SEED (17), FAULTS_KILL_EVERY
(mean seconds between kills, 3; 0: no kills, for comparison), FAULTS_DRAIN_SECONDS (how long the queue may take to drain, 240);
FAULTS_KEEP=1 keeps the cluster's directory (its path is printed) for a look afterwards. The parent process
never loads Django: the world, the server, the worker and the checks are child processes on the cluster's
DATABASE_URL, so the run is also a section of `make bench` (whose own database is another cluster).
"""

import contextlib
import datetime
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from bench import serving
from bench.serving import PYTHON, ROOT, alive, children_of, manage

RESULTS = ROOT / "bench" / "results"

LIFECYCLES = int(os.environ.get("FAULTS_LIFECYCLES", "300"))
CLIENTS = int(os.environ.get("FAULTS_CLIENTS", "4"))
SEED = int(os.environ.get("FAULTS_SEED", "17"))
KILL_EVERY = float(os.environ.get("FAULTS_KILL_EVERY", "3"))
DRAIN_SECONDS = float(os.environ.get("FAULTS_DRAIN_SECONDS", "240"))
KEEP = os.environ.get("FAULTS_KEEP", "") == "1"

MACHINES = ("applications", "problems", "redemptions", "fund")
KILL_KINDS = {"web worker": 0.55, "gunicorn master": 0.15, "task worker": 0.30}
# How long one request may take, retries included, before its lifecycle counts as failed.
REQUEST_PATIENCE = 180.0
# The client's wait for an answer: longer than any request takes on a busy machine, so that a retry follows
# a lost answer (a killed process), not a slow one.
ANSWER_TIMEOUT = 60.0

# Answers of 开工一件事 that select its mandatory items only: three review tasks in three dependency rounds.
START_MINIMAL = {
    "land_with_scheme": "yes",
    "new_civil_building": "no",
    "special_construction": "no",
    "security_sites": "no",
    "occupy_road": "no",
    "site_works": ["none"],
    "eia_category": "exempt",
    "need_agency": "no",
}
FILLERS = {"text": "科学城建设有限公司", "textarea": "请协助办理。", "number": 30, "decimal": "1200.5"}
FILLERS |= {"date": "2026-07-01", "boolean": True}
# The same bytes as sciencecity.demo.samples (which imports the catalog's models, so not from here).
SAMPLES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n",
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32,
    "dwg": b"AC1032" + b"\x00" * 32,
}


# --- the world (a child process with Django, on the cluster's DATABASE_URL) ------------------------------


def build_world(lifecycles: int) -> dict:
    """Departments, the published demo catalog, enterprises (tech enterprises with a project each), staff of
    every role the lifecycles need and one API token each, problem categories, policies in force. Made
    directly (the world a deployment starts with), fast: no passwords, no audit of the set-up beyond what the
    services used here record themselves."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciencecity.settings")
    django.setup()
    import yaml
    from django.contrib.auth.models import Group, Permission
    from django_tasks_db.models import DBTaskResult

    from sciencecity.accounts.models import Department, User
    from sciencecity.api.services import create_token
    from sciencecity.catalog.models import Bundle, CatalogVersion
    from sciencecity.catalog.services import import_catalog
    from sciencecity.enterprises.models import Enterprise
    from sciencecity.enterprises.validators import make_credit_code
    from sciencecity.policies.services.policies import save_policy
    from sciencecity.problems.models import ProblemCategory, RoutingRule
    from sciencecity.projects.models import Project
    from sciencecity.workdays import clock

    data = ROOT / "sciencecity" / "demo" / "data"
    for row in yaml.safe_load((data / "departments.yaml").read_text(encoding="utf-8")):
        Department.objects.get_or_create(code=row["code"], defaults=row)
    command, _ = Department.objects.get_or_create(
        code="command",
        defaults={"name": "科学城综合指挥中心", "name_en": "Command Centre", "kind": "government"},
    )
    finance, _ = Department.objects.get_or_create(
        code="finance",
        defaults={"name": "科学城金融服务局", "name_en": "Financial Services", "kind": "government"},
    )
    today = clock.today()
    version = CatalogVersion.objects.effective_on(today) or import_catalog(
        (data / "catalog.yaml").read_text(encoding="utf-8"), publish=True, valid_from=today
    )
    bundle = Bundle.objects.get(version=version, code="start-construction")
    groups = {group.name: group for group in Group.objects.all()}
    tokens: dict = {}

    def person(username, role, **fields):
        user = User(username=username, display_name=username, **fields)
        user.set_unusable_password()
        user.save()
        user.groups.add(groups[role])
        user = User.objects.get(pk=user.pk)
        tokens[username] = create_token(user, "faults")[1]
        return tokens[username]

    enterprises = max(8, min(40, lifecycles // 8))
    world: dict = {"bundle": bundle.pk, "answers": START_MINIMAL, "enterprises": []}
    for n in range(enterprises):
        enterprise = Enterprise.objects.create(
            name=f"重庆故障注入科技有限公司{n}",
            credit_code=make_credit_code("500106", 61_000_000 + n),
            legal_representative="赵六",
            address="科学大道1号",
            founded_on=datetime.date(2018, 5, 1),
            is_high_tech=True,
            is_tech_based=True,
        )
        project = Project.objects.create(
            code=f"2026-500106-47-01-{610000 + n:06d}",
            name=f"故障注入项目{n}",
            enterprise=enterprise,
            total_investment=50000,
            land_area=20000,
            floor_area=60000,
            location="重庆市沙坪坝区西永街道",
        )
        world["enterprises"].append(
            {
                "id": enterprise.pk,
                "project": project.pk,
                "token": person(f"faults-applicant-{n}", "applicant", enterprise=enterprise),
            }
        )
    world["clerk"] = person("faults-window", "window_clerk", department=Department.objects.get(code="window"))
    item_departments = set(bundle.items.values_list("department__code", flat=True))
    world["reviewers"] = {
        code: person(
            f"faults-reviewer-{code}", "department_reviewer", department=Department.objects.get(code=code)
        )
        for code in sorted(item_departments)
    }
    # Problems: one category routed by its rule to the urban management bureau, one that waits for the dispatch
    # centre, which sends it to the water resources bureau; an inspector reports and verifies.
    world["inspector"] = person("faults-inspector", "inspector", department=command)
    world["dispatcher"] = person("faults-dispatcher", "dispatcher", department=command)
    world["handlers"] = {
        code: person(
            f"faults-handler-{code}", "department_reviewer", department=Department.objects.get(code=code)
        )
        for code in ("urban", "water")
    }
    routed = ProblemCategory.objects.create(
        code="faults-road",
        name="道路破损",
        name_en="Damaged roads",
        deadline_days=5,
        verifier="inspector",
        evidence_required=False,
    )
    RoutingRule.objects.create(category=routed, area="", department=Department.objects.get(code="urban"))
    ProblemCategory.objects.create(
        code="faults-river",
        name="河道问题",
        name_en="River problems",
        deadline_days=5,
        verifier="inspector",
        evidence_required=False,
    )
    world["categories"] = [
        {"code": "faults-road", "department": None},
        {"code": "faults-river", "department": "water"},
    ]
    # Redemption: policies of the finance bureau that every enterprise of the world qualifies for, half paid
    # without application (the claim is filled in and confirmed), half applied for; one claim per policy,
    # enterprise and year (this year and the last), so enough policies for every lifecycle.
    world["policy_reviewer"] = person("faults-policy-reviewer", "department_reviewer", department=finance)
    policies = -(-lifecycles // (2 * enterprises)) + 1
    world["policies"] = []
    for n in range(policies):
        policy = save_policy(
            None,
            f"faults-policy-{n}",
            conditions=[{"fact": "is_high_tech", "operator": "==", "value": True}],
            publish=True,
            title=f"故障注入政策{n}",
            area="innovation",
            text="对高新技术企业给予支持。",
            beneficiaries="高新技术企业",
            requirements="高新技术企业",
            amount=10,
            amount_text="10万元",
            budget=100000,
            valid_from=today - datetime.timedelta(days=30),
            valid_until=datetime.date(today.year + 1, 12, 31),
            department=finance,
            time_limit_days=15,
            address="科学大道1号",
            phone="023-12345678",
            mode="all",
            automatic=n % 2 == 0,
            materials=[],
        )
        world["policies"].append({"id": policy.pk, "automatic": policy.automatic})
    world["periods"] = [today.year - 1, today.year]
    # The fund: its task force (`fund.manage_fund`, given by administrators) and three committee members.
    manage = Permission.objects.get(content_type__app_label="fund", codename="manage_fund")
    world["fund_manager"] = person("faults-fund-manager", "department_reviewer", department=finance)
    User.objects.get(username="faults-fund-manager").user_permissions.add(manage)
    world["committee"] = [person(f"faults-leader-{n}", "leader") for n in range(3)]
    world["today"] = today.isoformat()
    world["task_table"] = DBTaskResult._meta.db_table
    return world


# --- the HTTP client ---------------------------------------------------------------------------------------


class LifecycleError(Exception):
    pass


class Ledger:
    """What the clients did, counted under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        self.errors: list[str] = []
        self.created: dict[str, set] = {machine: set() for machine in MACHINES}

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def error(self, message: str) -> None:
        with self.lock:
            self.counts["lifecycle errors"] += 1
            if len(self.errors) < 20:
                self.errors.append(message)


def encode_multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One client thread's connection to the server: every request retried after a lost answer, a POST
    always with the same Idempotency-Key as its first attempt."""

    def __init__(self, port: int, ledger: Ledger, rng: random.Random):
        self.port = port
        self.ledger = ledger
        self.rng = rng
        self.connection = None

    def _send(self, method, path, token, body, content_type, key):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=ANSWER_TIMEOUT)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if key:
            headers["Idempotency-Key"] = key
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        raw = response.read()
        return response.status, raw, response.getheader("Idempotent-Replayed") == "true"

    def request(self, method, path, token, *, json_body=None, fields=None, files=None, key=None):
        """(status, body, attempts) of one request; retried with the same key after a connection error."""
        body, content_type = None, None
        if files is not None:
            body, content_type = encode_multipart(fields or {}, files)
        elif json_body is not None:
            body, content_type = json.dumps(json_body).encode(), "application/json"
        if method != "GET" and key is None:
            key = f"faults-{uuid.uuid4().hex}"
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            try:
                status, raw, replayed = self._send(method, path, token, body, content_type, key)
            except (OSError, http.client.HTTPException) as error:
                # Refused (the server restarts), reset or cut off (a worker killed mid-request), timed out.
                with contextlib.suppress(Exception):
                    self.connection.close()
                self.connection = None
                self.ledger.add("connection errors")
                if time.monotonic() - started > REQUEST_PATIENCE:
                    raise LifecycleError(
                        f"{method} {path}: no answer in {REQUEST_PATIENCE:.0f} s ({error!r})"
                    ) from error
                time.sleep(min(2.0, 0.1 * 2 ** min(attempts, 5)) * (0.5 + self.rng.random()))
                continue
            if status == 429:
                time.sleep(0.5)
                continue
            self.ledger.add("requests")
            if attempts > 1:
                self.ledger.add("requests retried")
                self.ledger.add("retries", attempts - 1)
            if replayed:
                self.ledger.add("answers replayed (Idempotent-Replayed)")
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = raw[:200]
            return status, data, attempts

    def get(self, path, token):
        status, data, _attempts = self.request("GET", path, token)
        if status != 200:
            raise LifecycleError(f"GET {path}: {status} {str(data)[:300]}")
        return data

    def act(self, label, method, path, token, *, ok=(200,), done=None, **kwargs):
        """A step of a lifecycle. When a retry after a lost answer is refused because the state has moved on
        (409), `done()` reads the object back: the lost attempt did it (done once, the retry refused), or the
        lifecycle failed."""
        status, data, attempts = self.request(method, path, token, **kwargs)
        if status in ok:
            return data
        if status == 409 and attempts > 1 and done is not None:
            fresh = done()
            if fresh:
                self.ledger.add("retries refused (409) after the lost attempt did it")
                return fresh
        raise LifecycleError(f"{label}: {method} {path} → {status} {str(data)[:300]}")


# --- the lifecycles ----------------------------------------------------------------------------------------

A = "/api/v1/"


def _status_is(client, path, token, *statuses):
    def done():
        data = client.get(path, token)
        return data if data.get("status") in statuses else None

    return done


def application_lifecycle(client: Client, world: dict, n: int) -> None:
    enterprise = world["enterprises"][n % len(world["enterprises"])]
    applicant, clerk = enterprise["token"], world["clerk"]
    start = {"project": enterprise["project"], "bundle": world["bundle"]}
    app = client.act("start", "POST", f"{A}applications/", applicant, ok=(201,), json_body=start)
    client.ledger.created["applications"].add(app["id"])
    url = f"{A}applications/{app['id']}/"
    client.act("answers", "PUT", f"{url}answers/", applicant, json_body={"answers": world["answers"]})
    needs = client.get(f"{url}requirements/", applicant)
    form = {
        entry["code"]: entry["choices"][0]["value"] if entry["kind"] == "choice" else FILLERS[entry["kind"]]
        for entry in needs["form"]
        if entry["required"] and entry["value"] in (None, "")
    }
    if "planned_completion" in form:
        form["planned_completion"] = "2027-12-31"
    client.act("form", "PUT", f"{url}form/", applicant, json_body={"data": form})
    for entry in needs["notice"]:
        if not entry["needs_submission"]:
            continue
        if entry["pledge_allowed"]:
            body = {"spec_code": entry["code"], "text": "本企业承诺建设资金已全部落实。"}
            client.act("pledge", "POST", f"{url}pledges/", applicant, ok=(201,), json_body=body)
        else:
            kind = next((k for k in entry.get("formats") or ["pdf"] if k in SAMPLES), "pdf")
            files = {"file": (f"{entry['code']}.{kind}", SAMPLES[kind])}
            client.act(
                "upload",
                "POST",
                f"{url}materials/",
                applicant,
                ok=(201,),
                fields={"spec_code": entry["code"]},
                files=files,
            )
    client.act("submit", "POST", f"{url}submit/", applicant)
    detail = client.get(url, clerk)
    pending = [m["spec"] for m in detail["materials"] if m["verdict"] == "pending"]
    if pending:
        verdicts = {code: {"verdict": "accepted", "note": ""} for code in pending}
        client.act("verdicts", "POST", f"{url}verdicts/", clerk, json_body={"verdicts": verdicts})
    client.act("accept", "POST", f"{url}accept/", clerk, done=_status_is(client, url, clerk, "in_review"))
    while True:
        tasks = client.get(f"{A}tasks/?application={app['id']}&status=pending&page_size=200", clerk)[
            "results"
        ]
        if not tasks:
            break
        for task in tasks:
            reviewer = world["reviewers"][task["department"]["code"]]
            task_url = f"{A}tasks/{task['id']}/"
            claimed = _status_is(client, task_url, reviewer, "in_review", "approved")
            client.act("claim", "POST", f"{task_url}claim/", reviewer, done=claimed)
            opinion = {"text": "材料齐全,符合法定形式。"}
            client.act("opinion", "POST", f"{task_url}opinion/", reviewer, ok=(201,), json_body=opinion)
            approved = _status_is(client, task_url, reviewer, "approved")
            client.act(
                "approve",
                "POST",
                f"{task_url}approve/",
                reviewer,
                json_body={"opinion": "准予许可。"},
                done=approved,
            )
    concluded = client.get(url, clerk)
    if concluded["status"] != "concluded":
        raise LifecycleError(f"application {app['id']} is {concluded['status']}, not concluded")
    client.act("delivery", "POST", f"{url}delivery/", clerk, ok=(201,), json_body={"method": "electronic"})


def problem_lifecycle(client: Client, world: dict, n: int) -> None:
    category = world["categories"][n % len(world["categories"])]
    inspector = world["inspector"]
    report = {
        "category": category["code"],
        "title": f"故障注入问题{n}",
        "description": "巡查发现路面破损,影响通行。",
        "source": "supervision",
    }
    problem = client.act("report", "POST", f"{A}problems/", inspector, ok=(201,), json_body=report)
    client.ledger.created["problems"].add(problem["id"])
    url = f"{A}problems/{problem['id']}/"
    department = category["department"]
    if department is None:
        department = "urban"  # routed by the category's rule when it was reported
    else:
        dispatched = _status_is(client, url, world["dispatcher"], "dispatched")
        body = {"department": department, "note": "请及时处置。"}
        client.act(
            "dispatch", "POST", f"{url}dispatch/", world["dispatcher"], json_body=body, done=dispatched
        )
    handler = world["handlers"][department]
    client.act(
        "accept",
        "POST",
        f"{url}accept/",
        handler,
        json_body={"note": ""},
        done=_status_is(client, url, handler, "rectifying"),
    )
    client.act("progress", "POST", f"{url}progress/", handler, json_body={"note": "已安排人员现场处置。"})
    client.act(
        "rectify",
        "POST",
        f"{url}rectify/",
        handler,
        json_body={"note": "已修复。"},
        done=_status_is(client, url, handler, "rectified"),
    )
    body = {"passed": True, "note": "核查通过。"}
    client.act(
        "verify",
        "POST",
        f"{url}verify/",
        inspector,
        json_body=body,
        done=_status_is(client, url, inspector, "closed"),
    )


def claim_lifecycle(client: Client, world: dict, n: int) -> None:
    enterprises, policies, periods = world["enterprises"], world["policies"], world["periods"]
    enterprise = enterprises[n % len(enterprises)]
    policy = policies[(n // len(enterprises)) % len(policies)]
    period = periods[(n // (len(enterprises) * len(policies))) % len(periods)]
    applicant, officer = enterprise["token"], world["policy_reviewer"]
    body = {"policy": policy["id"], "period": period}
    claim = client.act("start", "POST", f"{A}policy-claims/", applicant, ok=(201,), json_body=body)
    client.ledger.created["redemptions"].add(claim["id"])
    url = f"{A}policy-claims/{claim['id']}/"
    step = "confirm" if claim["status"] == "offered" else "submit"
    client.act(step, "POST", f"{url}{step}/", applicant, done=_status_is(client, url, applicant, "submitted"))
    client.act(
        "approve",
        "POST",
        f"{url}approve/",
        officer,
        json_body={},
        done=_status_is(client, url, officer, "approved"),
    )
    body = {"reference": f"ZF{n:08d}"}
    client.act(
        "pay", "POST", f"{url}pay/", officer, json_body=body, done=_status_is(client, url, officer, "paid")
    )
    if n % 4 == 0:
        # The enterprise corrects its file: its verdicts are refreshed by a background task.
        body = {"employees": 100 + n}
        client.act(
            "profile", "PATCH", f"{A}enterprises/{enterprise['id']}/profile/", applicant, json_body=body
        )


def fund_lifecycle(client: Client, world: dict, n: int) -> None:
    enterprise = world["enterprises"][n % len(world["enterprises"])]
    applicant, manager = enterprise["token"], world["fund_manager"]
    body = {"title": f"故障注入投资{n}", "summary": "量子传感器研发。", "requested": "100.00"}
    investment = client.act("apply", "POST", f"{A}fund-investments/", applicant, ok=(201,), json_body=body)
    client.ledger.created["fund"].add(investment["id"])
    url = f"{A}fund-investments/{investment['id']}/"

    def at(*statuses):
        return _status_is(client, url, manager, *statuses)

    client.act("diligence", "POST", f"{url}start-diligence/", manager, done=at("due_diligence"))
    body = {"report": "尽职调查完成,建议投资。"}
    client.act("to committee", "POST", f"{url}to-committee/", manager, json_body=body, done=at("committee"))
    for token in world["committee"]:
        client.act("vote", "POST", f"{url}vote/", token, json_body={"choice": "for", "comment": "同意。"})
    client.act(
        "approve", "POST", f"{url}approve/", manager, json_body={"note": "通过。"}, done=at("approved")
    )
    today = datetime.date.fromisoformat(world["today"])
    agreement = {
        "amount": "100.00",
        "signed_on": today.isoformat(),
        "trigger": "next_round",
        "valuation_cap": "50000.00",
        "repayment_date": today.replace(year=today.year + 3).isoformat(),
        "tranches": [
            {"amount": "60.00", "milestone": "样机完成"},
            {"amount": "40.00", "milestone": "首批订单"},
        ],
    }
    client.act("sign", "POST", f"{url}sign/", manager, json_body=agreement, done=at("invested"))
    for number in (1, 2):

        def tranche(status, number=number):
            def done():
                data = client.get(url, manager)
                rows = [row for row in data["tranches"] if row["number"] == number]
                return data if rows and rows[0]["status"] in status else None

            return done

        body = {"evidence": "验收报告。"}
        client.act(
            "meet",
            "POST",
            f"{url}tranches/{number}/meet/",
            manager,
            json_body=body,
            done=tranche(("met", "disbursed")),
        )
        body = {"reference": f"BK{n:06d}{number}"}
        client.act(
            "disburse",
            "POST",
            f"{url}tranches/{number}/disburse/",
            manager,
            json_body=body,
            done=tranche(("disbursed",)),
        )
    body = {"equity_percent": "5.000", "note": "A轮融资触发转股。"}
    client.act("convert", "POST", f"{url}convert/", manager, json_body=body, done=at("converted"))


LIFECYCLE_OF = {
    "applications": application_lifecycle,
    "problems": problem_lifecycle,
    "redemptions": claim_lifecycle,
    "fund": fund_lifecycle,
}


# --- the processes: gunicorn, the task worker, and the chaos that kills them --------------------------------------


class Processes:
    """The server and the task worker as production runs them, started, killed and started again."""

    def __init__(
        self, env: dict, workdir: Path, port: int, rng: random.Random, cluster=None, table: str = ""
    ):
        self.env, self.workdir, self.port, self.rng = env, workdir, port, rng
        self.cluster, self.table = cluster, table
        self.gunicorn: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.orphans: list[tuple[int, float]] = []  # workers of a killed master, with when they were orphaned
        self.log = open(workdir / "processes.log", "ab")  # noqa: SIM115 - closed in stop()

    def start_gunicorn(self) -> None:
        extra = ("--timeout", "60", "--graceful-timeout", "10", "--reuse-port", "--log-level", "warning")
        command = serving.gunicorn_command(self.port, 2, *extra)
        self.gunicorn = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)

    def start_worker(self) -> None:
        command = serving.worker_command()
        self.worker = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)

    def wait_serving(self, timeout: float = 90) -> None:
        serving.wait_serving(self.port, timeout)

    def web_workers(self) -> list[int]:
        return children_of(self.gunicorn.pid) if self.gunicorn and self.gunicorn.poll() is None else []

    def kill(self, kind: str) -> bool:
        """SIGKILL one process of `kind` and start what production's supervisor would start; False when there
        was nothing of that kind to kill at this moment."""
        self.reap_orphans()
        if kind == "web worker":
            workers = self.web_workers()
            if not workers:
                return False
            os.kill(self.rng.choice(workers), signal.SIGKILL)  # the master starts another
            return True
        if kind == "gunicorn master":
            workers = self.web_workers()
            os.kill(self.gunicorn.pid, signal.SIGKILL)
            self.gunicorn.wait()
            # Its workers notice their parent is gone and leave after their current request.
            self.orphans += [(pid, time.monotonic()) for pid in workers]
            self.start_gunicorn()
            self.wait_serving()
            return True
        # The worker is idle most of the time (its tasks take a fraction of a second): the moment is chosen at
        # random among those it is running one, when it does within a few seconds.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not self.busy():
            time.sleep(0.05)
        os.kill(self.worker.pid, signal.SIGKILL)
        self.worker.wait()
        self.start_worker()
        return True

    def busy(self) -> bool:
        return self.cluster is not None and queue_state(self.cluster, self.table)[1] > 0

    def reap_orphans(self, patience: float = 15) -> None:
        for pid, since in list(self.orphans):
            if not alive(pid):
                self.orphans.remove((pid, since))
            elif time.monotonic() - since > patience:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def ensure_running(self) -> None:
        if self.gunicorn is None or self.gunicorn.poll() is not None:
            self.start_gunicorn()
        if self.worker is None or self.worker.poll() is not None:
            self.start_worker()
        self.wait_serving()

    def stop(self) -> None:
        for process in (self.gunicorn, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()
        for process in (self.gunicorn, self.worker):
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for pid, _since in self.orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.log.close()


class Chaos(threading.Thread):
    """SIGKILLs a gunicorn worker, the gunicorn master or the task worker at random moments."""

    def __init__(self, processes: Processes, rng: random.Random):
        super().__init__(daemon=True)
        self.processes, self.rng = processes, rng
        self.halt = threading.Event()
        self.kills = Counter()
        self.failure: BaseException | None = None

    def run(self) -> None:
        kinds, weights = list(KILL_KINDS), list(KILL_KINDS.values())
        if KILL_EVERY <= 0:
            return  # FAULTS_KILL_EVERY=0: the same run without faults, for comparison
        try:
            while not self.halt.wait(max(0.3, self.rng.expovariate(1 / KILL_EVERY))):
                kind = self.rng.choices(kinds, weights)[0]
                if self.processes.kill(kind):
                    self.kills[kind] += 1
        except BaseException as error:  # a server that does not come back ends the run, loudly
            self.failure = error

    def stop(self) -> None:
        self.halt.set()
        self.join()


# --- the run ----------------------------------------------------------------------------------------------


def psql(cluster, sql: str) -> str:
    """`cluster.psql`, with the server's complaint in the error."""
    try:
        return cluster.psql(sql)
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"psql failed ({error.returncode}): {error.stderr}\n{sql}") from None


def queue_state(cluster, table: str) -> tuple[int, int]:
    """(tasks due and waiting, tasks running) in the database backend's queue; the recurring chain's next
    runs, deferred to later, are not due."""
    row = psql(
        cluster,
        "SELECT count(*) FILTER (WHERE status = 'READY' AND run_after <= now()), "
        f"count(*) FILTER (WHERE status = 'RUNNING') FROM {table}",
    )
    due, running = row.split("|")
    return int(due), int(running)


def drain(cluster, table: str, processes: Processes, seconds: float) -> dict:
    """Wait until no task is due or running (twice in a row): the worker has run what waits, and the tasks a
    killed worker abandoned have been put back by the platform's recovery and run again."""
    started = time.monotonic()
    quiet = 0
    due = running = 0
    while time.monotonic() - started < seconds:
        processes.ensure_running()
        due, running = queue_state(cluster, table)
        quiet = quiet + 1 if due == 0 and running == 0 else 0
        if quiet >= 2:
            break
        time.sleep(2)
    return {"seconds": time.monotonic() - started, "drained": quiet >= 2, "due": due, "running": running}


def ledger_checks(cluster, ledger: Ledger, completed: Counter) -> list[tuple[str, list[str]]]:
    """The clients' view against the database: what each request did, counted once."""

    def rows(sql: str) -> list[list[str]]:
        output = psql(cluster, sql)
        return [line.split("|") for line in output.splitlines() if line]

    checks = []
    tables = {
        "applications": ("approvals_application", "delivered"),
        "problems": ("problems_problem", "closed"),
        "redemptions": ("policies_claim", "paid"),
        "fund": ("fund_investment", "converted"),
    }
    for machine, (table, final) in tables.items():
        made = int(psql(cluster, f"SELECT count(*) FROM {table}"))
        finished = int(psql(cluster, f"SELECT count(*) FROM {table} WHERE status = '{final}'"))
        violations = []
        if made != len(ledger.created[machine]):
            violations.append(
                f"{machine}: {made} rows for {len(ledger.created[machine])} creating requests answered "
                "(a retried request made a second object)"
            )
        if finished != completed[machine]:
            violations.append(
                f"{machine}: {finished} {final} in the database, {completed[machine]} lifecycles completed"
            )
        checks.append(
            (
                f"ledger: one {machine[:-1] if machine != 'fund' else 'investment'} per creating request, "
                f"each completed lifecycle {final}",
                violations,
            )
        )
    doubled = rows(
        "SELECT problem_id, count(*) FROM problems_problemevent WHERE action = 'progress' "
        "GROUP BY problem_id HAVING count(*) <> 1"
    )
    checks.append(
        (
            "ledger: each progress note sent once is recorded once",
            [
                f"problem {pid}: {n} progress notes for 1 request (a retry after a lost answer did it again)"
                for pid, n in doubled
            ],
        )
    )
    doubled = rows(
        "SELECT e.target_id, u.username, count(*) FROM audit_auditevent e JOIN accounts_user u ON u.id = e.actor_id "
        "WHERE e.action = 'fund.vote' GROUP BY e.target_id, u.username HAVING count(*) <> 1"
    )
    checks.append(
        (
            "ledger: each committee vote sent once is recorded once",
            [f"investment {iid}: {who} voted {n} times for 1 request" for iid, who, n in doubled],
        )
    )
    return checks


def run(lines: list | None = None, figures: dict | None = None) -> dict:
    """The whole run; its section appended to `lines` (bench/run.py) and its figures to `figures`."""
    sys.path.insert(0, str(ROOT))
    from scripts.pgcluster import Cluster

    started = time.monotonic()
    rng = random.Random(SEED)
    cluster = Cluster(durable=True, prefix="sciencecity-faults-").initdb().start()
    workdir = Path(tempfile.mkdtemp(prefix="sciencecity-faults-"))
    processes = None
    try:
        url = cluster.createdb()
        port = serving.free_port()
        env = serving.server_env(url, port, workdir / "media", OVERVIEW_REFRESH_MINUTES="1")
        print(
            f"faults: PostgreSQL on 127.0.0.1:{cluster.port} (fsync on), files in {workdir}", file=sys.stderr
        )
        manage(env, "migrate", "--no-input", "-v", "0")
        world_run = subprocess.run(
            [PYTHON, "-m", "bench.faults", "--world", str(LIFECYCLES)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        world = json.loads(world_run.stdout.strip().splitlines()[-1])
        manage(env, "refresh_overview", "--schedule")  # the chain that carries the recovery duty
        setup_seconds = time.monotonic() - started

        processes = Processes(env, workdir, port, rng, cluster, world["task_table"])
        processes.start_gunicorn()
        processes.start_worker()
        processes.wait_serving()
        ledger = Ledger()
        jobs = [(machine, n) for machine in MACHINES for n in range(LIFECYCLES)]
        rng.shuffle(jobs)
        completed = Counter()
        job_lock = threading.Lock()

        def client_thread(number: int) -> None:
            client = Client(port, ledger, random.Random(SEED * 1000 + number))
            while True:
                with job_lock:
                    if not jobs:
                        return
                    machine, n = jobs.pop()
                try:
                    LIFECYCLE_OF[machine](client, world, n)
                except (LifecycleError, KeyError, TypeError, ValueError) as error:
                    ledger.error(f"{machine} #{n}: {error!r}"[:500])
                    continue
                with job_lock:
                    completed[machine] += 1

        chaos = Chaos(processes, rng)
        drive_started = time.monotonic()
        chaos.start()
        threads = [threading.Thread(target=client_thread, args=(n,), daemon=True) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            if chaos.failure is not None:
                raise RuntimeError(f"the chaos thread failed: {chaos.failure!r}")
            time.sleep(0.5)
        chaos.stop()
        drive_seconds = time.monotonic() - drive_started
        print(
            f"faults: lifecycles driven in {drive_seconds:.0f} s; kills {dict(chaos.kills)}", file=sys.stderr
        )
        drained = drain(cluster, world["task_table"], processes, DRAIN_SECONDS)
        recovered = _recovered(cluster, world["task_table"])
        processes.stop()
        processes = None
        checked = manage(env, "check_invariants", "--json", check=False)
        try:
            invariants = json.loads(checked.stdout)
        except ValueError:
            raise RuntimeError(f"check_invariants failed:\n{checked.stdout}\n{checked.stderr}") from None
        ledger_results = ledger_checks(cluster, ledger, completed)
        if not drained["drained"]:
            ledger_results.append(
                (
                    "the queue drains once the killing stops",
                    [
                        f"after {drained['seconds']:.0f} s: {drained['due']} tasks due, {drained['running']} running"
                    ],
                )
            )
        result = {
            "lifecycles": LIFECYCLES,
            "clients": CLIENTS,
            "seed": SEED,
            "kill_every": KILL_EVERY,
            "setup_seconds": setup_seconds,
            "drive_seconds": drive_seconds,
            "drain": drained,
            "recovered_tasks": recovered,
            "kills": dict(chaos.kills),
            "counts": dict(ledger.counts),
            "completed": dict(completed),
            "errors": ledger.errors,
            "invariants": invariants,
            "ledger": [{"name": name, "violations": found} for name, found in ledger_results],
            "seconds": time.monotonic() - started,
        }
        result["violations"] = invariants["violations"] + sum(len(found) for _name, found in ledger_results)
        result["checked"] = invariants["checked"] + len(ledger_results)
    finally:
        if processes is not None:
            processes.stop()
        if KEEP:
            print(f"faults: kept the cluster's directory {cluster.workdir} and {workdir}", file=sys.stderr)
            with contextlib.suppress(Exception):
                cluster.stop("fast")
        else:
            cluster.remove()
            subprocess.run(["rm", "-rf", str(workdir)], check=False)
    section = report(result)
    if lines is not None:
        lines += section
    if figures is not None:
        figures["faults"] = result
    return result


def _recovered(cluster, table: str) -> int:
    """How many tasks ran again after their worker was killed: claimed by more than one worker (each claim
    appends the worker's id), after the platform's recovery put them back."""
    output = psql(cluster, f"SELECT count(*) FROM {table} WHERE jsonb_array_length(worker_ids) > 1")
    return int(output or 0)


def report(result: dict) -> list[str]:
    counts, kills = result["counts"], result["kills"]
    invariants = result["invariants"]
    lines = [
        "## 12. Crash fault injection",
        "",
        f"`python -m bench.faults` (`make faults`): a durable PostgreSQL cluster (fsync on), gunicorn with two "
        f"workers and the task worker (`manage.py worker`) as child processes, {result['clients']} clients driving "
        f"{result['lifecycles']} lifecycles of each state machine through `/api/v1/` (every POST with an "
        "Idempotency-Key, retried with the same key after a lost answer), while processes were SIGKILLed at "
        f"random moments (one every {result['kill_every']:g} s on average; seed {result['seed']}). Then the "
        "killing stopped, the queue drained, and the invariants were checked by queries "
        "(`manage.py check_invariants`) with the clients' ledger.",
        "",
        "| kills | count |",
        "|---|---:|",
        *[f"| {kind} | {kills.get(kind, 0)} |" for kind in KILL_KINDS],
        f"| **all** | **{sum(kills.values())}** |",
        "",
        "| requests | count |",
        "|---|---:|",
        f"| answered | {counts.get('requests', 0):,} |",
        f"| connection errors (no answer) | {counts.get('connection errors', 0):,} |",
        f"| requests retried with the same key | {counts.get('requests retried', 0):,} |",
        f"| retries | {counts.get('retries', 0):,} |",
        f"| answers replayed (`Idempotent-Replayed`) | {counts.get('answers replayed (Idempotent-Replayed)', 0):,} |",
        f"| retries refused (409) after the lost attempt did it | "
        f"{counts.get('retries refused (409) after the lost attempt did it', 0):,} |",
        "",
        "| state machine | lifecycles | completed | failed |",
        "|---|---:|---:|---:|",
        *[
            f"| {machine} | {result['lifecycles']} | {result['completed'].get(machine, 0)} | "
            f"{result['lifecycles'] - result['completed'].get(machine, 0)} |"
            for machine in MACHINES
        ],
        "",
        f"Drive {result['drive_seconds']:.0f} s; the queue drained in {result['drain']['seconds']:.0f} s after "
        f"the last kill ({result['recovered_tasks']} tasks abandoned by a killed task worker were put back in "
        "the queue by the platform's recovery and run again); "
        f"set-up {result['setup_seconds']:.0f} s; the whole run {result['seconds'] / 60:.1f} min.",
        "",
        f"**Invariants checked: {result['checked']}; violations: {result['violations']}.**",
        "",
        "| invariant | violations |",
        "|---|---:|",
        *[f"| {row['name']} | {row['count']} |" for row in invariants["invariants"]],
        *[f"| {row['name']} | {len(row['violations'])} |" for row in result["ledger"]],
        "",
    ]
    found = [(row["name"], row["violations"]) for row in invariants["invariants"] if row["violations"]]
    found += [(row["name"], row["violations"]) for row in result["ledger"] if row["violations"]]
    for name, violations in found:
        lines += [f"Violations of “{name}”:", "", *[f"- {text}" for text in violations[:20]], ""]
    if result["errors"]:
        lines += ["Lifecycles that failed:", "", *[f"- `{text}`" for text in result["errors"]], ""]
    return lines


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--world":
        print(json.dumps(build_world(int(sys.argv[2]))))
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
        f"Total run time of `python -m bench.faults`: {(time.perf_counter() - started) / 60:.1f} minutes."
    )
    RESULTS.mkdir(exist_ok=True)
    name = os.environ.get("BENCH_NAME") or f"{datetime.date.today():%Y-%m-%d}-faults"
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=1, default=str) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwritten to {RESULTS / name}.md")
    return 1 if result["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
