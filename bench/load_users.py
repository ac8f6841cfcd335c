"""The virtual users of `bench.load`, driven by locust as a library (no web UI), in a process of their own.

    python -m bench.load_users <world.json> <port> <results.json>

Run by `bench.load`, which prepares the world and serves the platform on 127.0.0.1:<port>. Importing locust
patches the standard library with gevent, which is why this module runs alone and imports locust first.

Each user is of one role (`bench.load.ROLE_WEIGHTS`), takes an account of its own from the world (its
prepared work with it), logs in through the login form (visitors stay anonymous) and then repeats one
action at a time, chosen by the weights of `bench.load.ACTIONS`, waiting a think time between requests. The
main greenlet moves everyone through the phases (login, warm-up, think, capacity, trivial); every request's
time is recorded under the phase in which it ended, with locust's request event. An answer that is not 2xx
or 3xx, or lacks what the page must show (a heading, the row asked for, the success message after a write),
is an error; so is an action whose prepared work ran out.
"""

import locust  # noqa: I001 - first: locust patches the standard library with gevent on import

import html
import json
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from itertools import count
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, task
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment

from bench import load

PHASES = ("login", "warmup", "think", "capacity", "trivial")
SUMMARIZED = (*PHASES, "done")  # "done": what the last actions sent after the end (their errors count)
TRIVIAL = "/health/live/"
PROBE = "probe: trivial view, anonymous, twice a second"  # the machine's floor while the users run
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTMX = {"HX-Request": "true"}


class Run:
    """What every user shares: the phase, the world's accounts still free, the samples and the writes."""

    def __init__(self):
        self.phase = "login"
        self.world: dict = {}
        self.pools: dict[str, list] = {}
        self.logged_in = 0
        self.numbers = count()
        self.samples: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.messages: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.writes: Counter = Counter()
        self.written: dict[str, list[int]] = defaultdict(list)  # confirmed by the page after the write
        self.attempted: dict[str, list[int]] = defaultdict(list)  # posted (whatever the answer)
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.wall_started: dict[str, float] = {}  # time.time(), for the CPU samples of `bench.load`
        self.wall_ended: dict[str, float] = {}
        self.busy = 0  # users in the middle of an action (the run ends when none is)
        # Each request's id (sent as X-Request-ID, which the server's request log repeats) with its phase,
        # name and time at the client, to set beside the time the server spent inside Django.
        self.ids = count(1)
        self.requests: list[tuple[str, str, int, float]] = []

    def on_request(
        self, request_type, name, response_time, response_length, exception=None, context=None, **kwargs
    ):
        key = (self.phase, name)
        self.samples[key].append(response_time)
        if context and "rid" in context:
            self.requests.append((self.phase, name, context["rid"], response_time))
        if exception is not None:
            self.errors[key] += 1
            if len(self.messages[key]) < 5:
                self.messages[key].append(str(exception)[:300])

    def think(self) -> float:
        return random.uniform(*load.THINK) if self.phase in ("login", "warmup", "think") else 0.0

    def on_user_error(self, user_instance, exception, tb, **kwargs):
        key = (self.phase, f"{getattr(user_instance, 'role', '?')}: (user error)")
        self.samples[key].append(0.0)
        self.errors[key] += 1
        if len(self.messages[key]) < 5:
            self.messages[key].append(repr(exception)[:300])


RUN = Run()


class Person(FastHttpUser):
    """A virtual user: an account of its role (none for visitors), its own random choices, its session."""

    abstract = True
    role = ""
    network_timeout = 120.0
    connection_timeout = 60.0

    def wait_time(self):
        return RUN.think()

    def on_start(self):
        self.number = next(RUN.numbers)
        self.rng = random.Random(load.SEED * 1000 + self.number)
        self.account = None
        pool = RUN.pools.get(self.role)
        if pool is not None:
            if not pool:
                raise RuntimeError(f"no account left for a {self.role}")
            self.account = pool.pop(0)
            self.login()
        RUN.logged_in += 1

    @task
    def act(self):
        if RUN.phase == "done":  # the run is ending: no new action, the last ones finish
            gevent.sleep(1)
            return
        RUN.busy += 1
        try:
            self._act()
        finally:
            RUN.busy -= 1

    def _act(self):
        if RUN.phase == "trivial":
            self.fetch(TRIVIAL, "trivial view (/health/live/)", expect=('"ok"',), prefix=False)
            return
        actions = load.ACTIONS[self.role]
        name = self.rng.choices(list(actions), weights=[weight for weight, _n in actions.values()])[0]
        try:
            getattr(self, name)()
        except Exception as error:  # a bug of the client is an error of the run, loudly, not a silent skip
            self.environment.events.request.fire(
                request_type="ACTION",
                name=f"{self.role}: {name} (client error)",
                response_time=0,
                response_length=0,
                exception=error,
                context={},
            )

    # --- requests ---------------------------------------------------------------------------------------

    def fetch(self, path, name, *, expect=(), status=(200,), headers=None, location=None, prefix=True):
        """A GET, named `role: name`, checked: its status among `status`, every string of `expect` in its
        body, its redirect's target ending with `location`. Returns the response, or None after marking it
        failed."""
        label = f"{self.role}: {name}" if prefix else name
        rid = next(RUN.ids)
        with self.client.request(
            "GET",
            path,
            name=label,
            headers={**(headers or {}), "X-Request-ID": f"L{rid}"},
            catch_response=True,
            allow_redirects=False,
            context={"rid": rid},
        ) as response:
            if response.status_code not in status:
                response.failure(f"HTTP {response.status_code} for GET {path} (expected {status})")
                return None
            text = response.text or ""
            for marker in expect:
                if marker not in text and html.escape(marker) not in text:
                    response.failure(f"GET {path}: {marker!r} not in the page")
                    return None
            target = response.headers.get("Location", "") if response.headers else ""
            if location is not None and not target.endswith(location):
                response.failure(f"GET {path}: redirected to {target!r}, not to {location}")
                return None
            response.success()
            return response

    def post(self, path, name, data, *, redirect_to, kind="", pk=None):
        """A form's POST with the session's CSRF token, answered by a redirect to `redirect_to`; the write
        of `kind` on row `pk` counts as attempted."""
        if kind:
            RUN.attempted[kind].append(pk)
        data = {"csrfmiddlewaretoken": self.csrf_token(), **data}
        rid = next(RUN.ids)
        with self.client.request(
            "POST",
            path,
            name=f"{self.role}: {name}",
            data=urlencode(data, doseq=True),
            headers={**FORM, "X-Request-ID": f"L{rid}"},
            catch_response=True,
            allow_redirects=False,
            context={"rid": rid},
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code != 302 or not location.endswith(redirect_to):
                response.failure(
                    f"POST {path}: HTTP {response.status_code} to {location!r}, not to {redirect_to}"
                )
                return False
            response.success()
            return True

    def confirm(self, kind: str, pk: int, path: str, name: str, *expect: str) -> bool:
        """The page a write redirected to, with its success message: the write is counted as done."""
        if self.fetch(path, name, expect=expect) is None:
            return False
        RUN.writes[kind] += 1
        RUN.written[kind].append(pk)
        return True

    def csrf_token(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    def pause(self) -> None:
        gevent.sleep(RUN.think())

    def ran_out(self, name: str) -> None:
        self.environment.events.request.fire(
            request_type="ACTION",
            name=f"{self.role}: {name} (prepared work ran out)",
            response_time=0,
            response_length=0,
            exception=RuntimeError(f"{self.account['username']}: no prepared work left"),
            context={},
        )

    def login(self) -> None:
        self.fetch("/login/", "login page", prefix=False)
        credentials = {"username": self.account["username"], "password": RUN.world["password"]}
        self.post("/login/", "login", credentials, redirect_to="/me/")


class Visitor(Person):
    """Anonymous: the home page, the bundle guide (the page and its htmx fragment) and verification."""

    weight = load.ROLE_WEIGHTS["visitor"]
    role = "visitor"

    def home(self):
        self.fetch("/", "home", expect=("/guide/start-construction/",))

    def _guide(self):
        guide = self.rng.choice(RUN.world["guide"])
        return guide["bundle"], urlencode(guide["answers"], doseq=True)

    def guide(self):
        bundle, query = self._guide()
        self.fetch(f"/guide/{bundle}/?{query}", "bundle guide", expect=(f"/guide/{bundle}/result/",))

    def guide_fragment(self):
        bundle, query = self._guide()
        self.fetch(
            f"/guide/{bundle}/result/?{query}",
            "bundle guide, htmx fragment",
            expect=("<table",),
            headers=HTMX,
        )

    def verify(self):
        certificate = self.rng.choice(RUN.world["certificates"])
        self.fetch(f"/verify/{certificate['code']}/", "verify by QR code", expect=(certificate["number"],))

    def lookup(self):
        certificate = self.rng.choice(RUN.world["certificates"])
        query = urlencode({"number": certificate["number"], "code": certificate["check"]})
        target = f"/verify/{certificate['code']}/"
        name = "verify by number and check code"
        if self.fetch(f"/verify/?{query}", name, status=(302,), location=target) is not None:
            self.fetch(target, "verify by QR code", expect=(certificate["number"],))


class Applicant(Person):
    """An enterprise's applicant: the portal, its applications and project, certificates; submits drafts."""

    weight = load.ROLE_WEIGHTS["applicant"]
    role = "applicant"

    def home(self):
        self.fetch("/portal/", "portal home", expect=(self.account["enterprise"],))

    def application(self):
        pk, number = self.rng.choice(self.account["applications"])
        self.fetch(f"/portal/applications/{pk}/", "application", expect=(number,))

    def project(self):
        pk, name = self.account["project"]
        self.fetch(f"/portal/projects/{pk}/", "project", expect=(name,))

    def certificates(self):
        self.fetch("/portal/certificates/", "certificates", expect=("我的证照",))

    def apply(self):
        self.fetch("/portal/apply/", "apply (start page)", expect=("申请办理一件事",))

    def submit(self):
        if not self.account["drafts"]:
            return self.ran_out("submit")
        pk = self.account["drafts"].pop()
        page = self.fetch(
            f"/portal/applications/{pk}/edit/",
            "draft (edit page)",
            expect=(f"/portal/applications/{pk}/submit/",),
        )
        if page is None:
            return
        found = re.search(
            rf'/portal/applications/{pk}/submit/".*?name="key" value="([^"]+)"', page.text, re.S
        )
        if found is None:
            raise RuntimeError(f"no submit key on the edit page of draft {pk}")
        self.pause()
        target = f"/portal/applications/{pk}/"
        submit = f"/portal/applications/{pk}/submit/"
        if self.post(submit, "submit (POST)", {"key": found[1]}, redirect_to=target, kind="submitted", pk=pk):
            self.confirm("submitted", pk, target, "application (after submit)", "申请已提交")


class Clerk(Person):
    """A window clerk: the queues; opens a submitted application, marks every material conforming, accepts."""

    weight = load.ROLE_WEIGHTS["clerk"]
    role = "clerk"

    def queue(self):
        self.fetch("/window/", "intake queue", expect=("queue-heading",))

    def delivery(self):
        self.fetch("/window/delivery/", "delivery queue", expect=("delivery-heading",))

    def gaps(self):
        self.fetch("/window/gaps/", "tolerated gaps", expect=("gaps-heading",))

    def accept(self):
        if not self.account["applications"]:
            return self.ran_out("accept")
        pk = self.account["applications"].pop()
        page = self.fetch(f"/window/applications/{pk}/intake/", "intake page", expect=('name="outcome"',))
        if page is None:
            return
        verdicts = sorted(set(re.findall(r'name="(verdict_[^"]+)"', page.text)))
        self.pause()
        data = dict.fromkeys(verdicts, "accepted") | {"outcome": "accept"}
        intake = f"/window/applications/{pk}/intake/"
        if self.post(intake, "accept (POST)", data, redirect_to="/window/", kind="accepted", pk=pk):
            self.confirm("accepted", pk, "/window/", "intake queue (after accepting)", "已受理")


class Reviewer(Person):
    """A department reviewer: the worklist and its filters, tasks; claims a pending task and approves it."""

    weight = load.ROLE_WEIGHTS["reviewer"]
    role = "reviewer"

    def worklist(self):
        self.fetch("/department/", "worklist", expect=("部门审批工作台",))

    def worklist_filtered(self):
        filters = self.rng.choice(
            [
                {"who": "mine"},
                {"who": "unclaimed"},
                {"light": "red"},
                {"q": self.rng.choice(self.account["searches"])},
            ]
        )
        htmx = self.rng.random() < 0.5  # changing a filter on the page asks htmx for the rows only
        name = "worklist filtered" + (", htmx rows" if htmx else "")
        self.fetch(
            f"/department/?{urlencode(filters)}",
            name,
            expect=("worklist-results",),
            headers=HTMX if htmx else None,
        )

    def task(self):
        if not self.account["open_tasks"]:
            return self.worklist()
        pk = self.rng.choice(self.account["open_tasks"])
        self.fetch(f"/department/tasks/{pk}/", "task page", expect=("task-heading",))

    def decide(self):
        if not self.account["tasks"]:
            return self.ran_out("claim and decide")
        pk = self.account["tasks"].pop()
        page = f"/department/tasks/{pk}/"
        if self.fetch(page, "task page (to claim)", expect=(f"{page}claim/",)) is None:
            return
        self.pause()
        if not self.post(f"{page}claim/", "claim (POST)", {}, redirect_to=page, kind="claimed", pk=pk):
            return
        if not self.confirm("claimed", pk, page, "task page (claimed)", "已认领任务", f"{page}decision/"):
            return
        self.pause()
        decision = {"decision": "approve", "reasons": "材料齐全,符合要求,准予许可。"}
        if self.post(f"{page}decision/", "decide (POST)", decision, redirect_to=page, kind="decided", pk=pk):
            self.confirm("decided", pk, page, "task page (decided)", "已作出审批决定")


class Leader(Person):
    """A leader: the approvals overview, all applications (filtered, searched), overdue tasks, one
    application with its audit trail, and the cockpit."""

    weight = load.ROLE_WEIGHTS["leader"]
    role = "leader"

    def overview(self):
        self.fetch("/leaders/", "approvals overview", expect=("审批办件总览",))

    def applications(self):
        query = self.rng.choice(
            ["", "?status=in_review", "?status=submitted&bundle=start-construction", "?overdue=on"]
        )
        self.fetch(f"/leaders/applications/{query}", "all applications (filtered)", expect=("全部办件",))

    def search(self):
        term = self.rng.choice(RUN.world["leader_searches"])
        htmx = self.rng.random() < 0.5
        name = "search applications" + (", htmx rows" if htmx else "")
        marker = "applications-results" if htmx else "全部办件"
        self.fetch(
            f"/leaders/applications/?{urlencode({'q': term})}",
            name,
            expect=(marker,),
            headers=HTMX if htmx else None,
        )

    def department_tasks(self):
        state = self.rng.choice(["overdue", "escalated", "open"])
        self.fetch(f"/leaders/tasks/?state={state}", "department tasks", expect=("在办任务",))

    def application(self):
        pk, number = self.rng.choice(RUN.world["leader_applications"])
        self.fetch(f"/leaders/applications/{pk}/", "application with audit trail", expect=(number,))

    def cockpit(self):
        self.fetch("/cockpit/", "cockpit", expect=("领导驾驶舱",))


def probe(environment, host: str) -> None:
    """The trivial view, anonymous, twice a second while the users think and read: what any request waits
    for on this machine at that moment (its CPUs shared with the server, the database, the users and
    whatever else runs), apart from what the pages do."""
    session = FastHttpSession(host, environment.events.request, user=None)
    while RUN.phase not in ("capacity", "trivial", "done"):
        rid = next(RUN.ids)
        session.get(TRIVIAL, name=PROBE, headers={"X-Request-ID": f"L{rid}"}, context={"rid": rid})
        gevent.sleep(0.5)


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted `samples`."""
    if not samples:
        return 0.0
    return samples[max(0, min(len(samples) - 1, round(fraction * len(samples)) - 1))]


def summarize() -> dict:
    phases = {}
    RUN.ended["done"] = time.monotonic()
    RUN.started["done"] = RUN.ended.get("trivial", RUN.ended["done"])
    for phase in SUMMARIZED:
        seconds = RUN.ended.get(phase, time.monotonic()) - RUN.started.get(phase, time.monotonic())
        rows = []
        for (name_phase, name), samples in sorted(RUN.samples.items()):
            if name_phase != phase:
                continue
            ordered = sorted(samples)
            rows.append(
                {
                    "name": name,
                    "count": len(ordered),
                    "errors": RUN.errors[(phase, name)],
                    "messages": RUN.messages[(phase, name)],
                    "rps": len(ordered) / seconds if seconds > 0 else 0.0,
                    "mean": statistics.fmean(ordered) if ordered else 0.0,
                    "p50": percentile(ordered, 0.50),
                    "p95": percentile(ordered, 0.95),
                    "p99": percentile(ordered, 0.99),
                    "max": ordered[-1] if ordered else 0.0,
                }
            )
        requests = sum(row["count"] for row in rows)
        phases[phase] = {
            "seconds": seconds,
            "requests": requests,
            "rps": requests / seconds if seconds > 0 else 0.0,
            "errors": sum(row["errors"] for row in rows),
            "rows": rows,
        }
    left = {
        "drafts": sum(len(account["drafts"]) for account in RUN.world["applicants"]),
        "submitted": sum(len(account["applications"]) for account in RUN.world["clerks"]),
        "pending tasks": sum(len(account["tasks"]) for account in RUN.world["reviewers"]),
    }
    return {
        "phases": phases,
        "writes": dict(RUN.writes),
        "written": dict(RUN.written),
        "attempted": dict(RUN.attempted),
        "left": left,
        "requests": RUN.requests,
    }


def main(world_path: str, port: int, output: str) -> int:
    with open(world_path, encoding="utf-8") as file:
        RUN.world = json.load(file)
    RUN.pools = {
        "applicant": list(RUN.world["applicants"]),
        "clerk": list(RUN.world["clerks"]),
        "reviewer": list(RUN.world["reviewers"]),
        "leader": list(RUN.world["leaders"]),
    }
    environment = Environment(
        user_classes=[Visitor, Applicant, Clerk, Reviewer, Leader],
        host=f"http://127.0.0.1:{port}",
        events=locust.events,
    )
    environment.events.request.add_listener(RUN.on_request)
    environment.events.user_error.add_listener(RUN.on_user_error)
    runner = environment.create_local_runner()
    gevent.spawn(probe, environment, environment.host)
    RUN.started["login"] = time.monotonic()
    RUN.wall_started["login"] = time.time()
    runner.start(load.USERS, spawn_rate=max(load.USERS / 10, 1))
    deadline = time.monotonic() + 180
    while RUN.logged_in < load.USERS and time.monotonic() < deadline:
        gevent.sleep(0.2)
    for phase, seconds in (
        ("warmup", load.WARMUP_SECONDS),
        ("think", load.SECONDS),
        ("capacity", load.CAPACITY_SECONDS),
        ("trivial", load.CAPACITY_SECONDS),
    ):
        previous = PHASES[PHASES.index(phase) - 1]
        RUN.ended[previous] = RUN.started[phase] = time.monotonic()
        RUN.wall_ended[previous] = RUN.wall_started[phase] = time.time()
        RUN.phase = phase
        print(f"load: {phase} for {seconds:g} s ({RUN.logged_in} users)", file=sys.stderr, flush=True)
        gevent.sleep(seconds)
    RUN.ended["trivial"] = time.monotonic()
    RUN.wall_ended["trivial"] = time.time()
    RUN.phase = "done"
    deadline = time.monotonic() + 120  # the actions under way finish (a write and the page confirming it)
    while RUN.busy and time.monotonic() < deadline:
        gevent.sleep(0.2)
    runner.quit()
    result = summarize()
    result["users"] = RUN.logged_in
    result["wall"] = {phase: [RUN.wall_started.get(phase), RUN.wall_ended.get(phase)] for phase in PHASES}
    with open(output, "w", encoding="utf-8") as file:
        json.dump(result, file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
