"""The demo's closed-loop problems (问题闭环): six years of the zone's river patrols, site inspections,
supervision, enterprises' demands and citizens' reports, played through the problem services.

What it makes
-------------
- **The dispatch set-up as data** (`data/problems.yaml`): the departments the routing needs beyond
  `departments.yaml` (the command and dispatch centre, emergency management, transport, human resources,
  financial services), sixteen categories with their deadlines, verifiers, evidence rule and the 散乱污 ledger
  flag, and routing rules category × area → department, some for one area only; 噪声扰民 has no rule, so its
  reports wait for the dispatch centre.
- **Accounts**: `dispatcher` (指挥中心调度员) and `inspector` (巡查检查人员) of the command centre, a head for
  every department that handles problems (`head-ecology`, `head-urban`, ...) and a reviewer for each new one
  (`reviewer-emergency`, ...), all with the demo password; and characters without a usable password who
  report and verify on the way: river chiefs (河长) and site inspectors (`patrol-1`, `site-inspector-1`, ...).
- **About `PROBLEMS` (4,000) problems** from the first working week of 2021 to the demo's present (moved with
  it like the applications' stories), in the seeds' proportions of sources: river patrol ~40 %, site
  inspections ~20 %, supervision ~10 %, enterprises' demands collected door to door (上门问需) ~12 %, citizens
  ~15 %, escort teams ~3 %. Points are drawn inside their area's polygon; titles, descriptions and addresses
  come from templates with the zone's rivers, roads and places; demands and 散乱污 name an enterprise, site
  inspections a project under construction.
- **Every state at the present**: most closed (the closed-loop rate of past years about 95 %), the recent ones
  open (waiting at the dispatch centre, returned, dispatched, rectifying, waiting for verification), some
  overdue and escalated, long-term plans, reworked (~6 %), reopened (~2 %), returned and re-dispatched,
  merged duplicates, a few split into sub-problems, dismissed reports, satisfaction ratings, and a 散乱污
  ledger of a few hundred rows. Photos: a few dozen problems (the evidence 入河排污口 requires and some
  patrol photos), small JPEGs drawn by Pillow.

How
---
Every write is a call of `sciencecity.problems.services.lifecycle` (and the deadline scan), by the person whose
action it is, with the platform clock frozen at the step's moment by the applications' `Timeline`: events,
audit rows, deadlines and notifications carry the story's days. The deadline scan runs at 08:00 on every
working day of the last month, every Monday of the last year and the first Monday of each month before
(`scan_script`). Notifications older than a week are marked read, as for the applications.

Cost: the services cost about 20 ms of CPU per problem on SQLite (report and route, accept, rectify, verify:
each locks, writes its event and audit row and notifies), so the full 4,000 take a minute or more on a
2-core machine; the tests play a few hundred (`count`).

Each problem draws from its own `random.Random` seeded from the world's seed, so the same seed gives the same
problems; nothing depends on database ids or the real clock.
"""

import datetime
import io
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import shapely
import yaml
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw
from shapely.geometry import shape

from sciencecity.accounts.models import Department, User
from sciencecity.accounts.roles import ROLES
from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.enterprises.models import Enterprise
from sciencecity.problems import geo
from sciencecity.problems.models import Problem, ProblemCategory, RoutingRule
from sciencecity.problems.services import lifecycle
from sciencecity.problems.services.deadlines import scan_problem_deadlines
from sciencecity.projects.models import Project
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import WorkingCalendar

from . import applications as demo_applications
from . import rivers as demo_rivers

DATA = Path(__file__).resolve().parent / "data" / "problems.yaml"
PROBLEMS = 4000  # at full size; the tests build a few hundred
S = Problem.Status
SRC = Problem.Source

# The first problems were reported in the first working week of 2021, written against the stories' present
# (24 November 2026) and moved with the demo's present like every story date.
STORY_FIRST = datetime.date(2021, 1, 4)

# Sources (their share of all problems) and the categories each finds (weights within the source).
# fmt: off
SOURCES = {
    SRC.RIVER_PATROL: (40, {"river-floating": 52, "riverbank-waste": 30, "scattered": 15, "river-outfall": 3}),
    SRC.QUALITY_INSPECTION: (8, {"site-quality": 1}),
    SRC.SAFETY_INSPECTION: (12, {"site-safety": 60, "dust": 25, "muck-transport": 15}),
    SRC.SUPERVISION: (10, {"scattered": 40, "dust": 15, "river-outfall": 3, "muck-transport": 15,
                           "municipal": 12, "riverbank-waste": 15}),
    SRC.ENTERPRISE_DEMAND: (12, {"demand-land": 25, "demand-labour": 30, "demand-finance": 25,
                                 "demand-approval": 20}),
    SRC.CITIZEN: (15, {"municipal": 30, "traffic": 20, "noise": 20, "greenery": 12, "dust": 10,
                       "riverbank-waste": 8}),
    SRC.ESCORT_TEAM: (3, {"demand-approval": 40, "site-quality": 20, "site-safety": 20, "traffic": 20}),
}
AREA_WEIGHTS = {"huxi": 16, "xiyong": 14, "xianglushan": 12, "zengjia": 10, "hangu": 11, "jinfeng": 11,
                "baishiyi": 9, "bafu": 6, "zouma": 6, "shiban": 5}
WORKSHOPS = ("五金加工作坊", "塑料颗粒加工点", "废品回收站", "家具喷漆作坊", "小型洗砂场", "石材切割作坊",
             "废旧电瓶拆解点", "小电镀作坊", "豆制品加工作坊", "无证洗车场", "小型铸造作坊", "废旧轮胎炼油点")
RETURN_REASONS = ("经现场核实,该问题不属于本部门职责范围,建议派遣至{department}。",
                  "该点位属{department}管辖,请重新派遣。")
DISMISS_REASONS = ("经核实属邻里纠纷,建议通过社区人民调解解决,不纳入问题闭环。",
                   "现场核查未发现所反映的问题,报告内容不属实。",
                   "该问题已在办理中的问题中反映,且报告信息不全,无法核实。")
FAIL_NOTES = ("复查发现整改不到位,仍有残留,请继续整改。", "现场复核与整改报告不符,请补充整改并重新上报。",
              "整改措施未落实到位,群众仍有反映,请继续整改。")
REOPEN_REASONS = ("问题又出现了,和之前一样,请再处理一下。", "整改没几天又恢复原样,请彻底解决。")
PROGRESS_NOTES = ("已完成现场勘查,制定整改方案,正在组织实施。", "整改工作已完成约一半,预计按期完成。",
                  "已下达整改通知书,责任单位正在整改。")
LONG_TERM_PLANS = ("需实施管网改造工程,已纳入年度建设计划,分段实施。", "涉及企业搬迁入园,需协调用地和过渡安置,分阶段推进。",
                   "需结合片区道路改造工程同步实施,已完成方案设计。")
SPLIT_PARTS = (("{road}{place}段路面塌陷修复", "urban"), ("{road}{place}段排水管网破损修复", "water"),
               ("{road}{place}段交通安全设施恢复", "transport"))
# fmt: on

SITE_SOURCES = (SRC.QUALITY_INSPECTION, SRC.SAFETY_INSPECTION, SRC.ESCORT_TEAM)
SITE_CATEGORIES = ("site-quality", "site-safety", "dust", "demand-approval")

# Fates: the state a problem has reached at the present. CLOSED problems reported lately are still on their
# way (the timeline stops at the present); the others stop where they are named.
CLOSED, DISMISSED, MERGED, SPLIT, LONG_TERM, STUCK = (
    "closed",
    "dismissed",
    "merged",
    "split",
    "long_term",
    "stuck",
)
WAITING, RETURNED, DISPATCHED, RECTIFYING, RECTIFIED = (
    "waiting",
    "returned",
    "dispatched",
    "rectifying",
    "rectified",
)
# The present's open problems, kept at every size so that each state is there: (fate, category, source,
# working days before the present it was reported).
PRESENT = (
    (WAITING, "noise", SRC.CITIZEN, 0),
    (WAITING, "noise", SRC.CITIZEN, 0),
    (RETURNED, "riverbank-waste", SRC.RIVER_PATROL, 2),
    (DISPATCHED, "river-floating", SRC.RIVER_PATROL, 0),
    (DISPATCHED, "municipal", SRC.CITIZEN, 0),
    (RECTIFYING, "traffic", SRC.CITIZEN, 3),
    (RECTIFYING, "site-safety", SRC.SAFETY_INSPECTION, 2),
    (RECTIFIED, "river-floating", SRC.RIVER_PATROL, 4),
    (RECTIFIED, "municipal", SRC.CITIZEN, 4),
    (SPLIT, "municipal", SRC.CITIZEN, 3),
)


@dataclass
class Plan:
    index: int
    rng: random.Random
    source: str
    category: str
    reported_at: datetime.datetime
    fate: str = CLOSED
    returned: bool = False
    rework: bool = False
    reopen: bool = False
    late: bool = False
    long_term: bool = False
    rate: bool = False
    photo: bool = False
    present: bool = False
    into: "Plan | None" = None
    problem: Problem | None = None
    words: dict = field(default_factory=dict)  # the template words of its texts


@dataclass
class ProblemsSummary:
    total: int = 0
    by_status: dict = field(default_factory=dict)
    by_source: dict = field(default_factory=dict)
    ledger: int = 0
    photos: int = 0
    accounts: list = field(default_factory=list)  # (username, role, department name)


def load_data() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


# --- set-up: departments, categories, rules, accounts ---------------------------------------------------


def _create_departments(rows) -> dict[str, Department]:
    for row in rows:
        if not Department.objects.filter(code=row["code"]).exists():
            department = Department(**row)
            department.full_clean()
            department.save()
            record(None, "demo.create_department", department, after=snapshot(department))
    return {department.code: department for department in Department.objects.all()}


def _create_categories(rows, departments) -> dict[str, ProblemCategory]:
    categories = {}
    for order, row in enumerate(rows, start=1):
        category = ProblemCategory(
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            deadline_days=row["deadline_days"],
            verifier=row["verifier"],
            evidence_required=row["evidence_required"],
            in_remediation_ledger=row.get("ledger", False),
            order=order * 10,
        )
        category.full_clean()
        category.save()
        record(None, "demo.create_problem_category", category, after=snapshot(category))
        for area, department in row["rules"].items():
            rule = RoutingRule.objects.create(
                category=category, area=area, department=departments[department]
            )
            record(None, "demo.create_routing_rule", rule, after=snapshot(rule))
        categories[category.code] = category
    return categories


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    department: str | None
    login: bool  # printed with the demo password; else a character without a usable password


# Departments that handle problems get a head; the new ones a reviewer too (the old ones have theirs).
HANDLING = ("ecology", "urban", "water", "planning", "development", "police")
NEW_HANDLING = ("emergency", "transport", "human_resources", "finance")
LOGIN_USERNAMES = ("dispatcher", "inspector")
PATROLS = 5
SITE_INSPECTORS = 3


def people() -> list[Person]:
    cast = [
        Person("dispatcher", "dispatcher", "command", True),
        Person("inspector", "inspector", "command", True),
    ]
    for code in HANDLING + NEW_HANDLING:
        cast.append(Person(f"head-{code.replace('_', '-')}", "department_head", code, True))
    for code in NEW_HANDLING:
        cast.append(Person(f"reviewer-{code.replace('_', '-')}", "department_reviewer", code, True))
    cast += [Person(f"patrol-{n}", "inspector", "water", False) for n in range(1, PATROLS + 1)]
    cast += [
        Person(f"site-inspector-{n}", "inspector", "housing", False) for n in range(1, SITE_INSPECTORS + 1)
    ]
    return cast


def _create_people(rng, departments, password_hash, person_name) -> list[tuple[str, str, str]]:
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    printed = []
    for person in people():
        department = departments[person.department] if person.department else None
        user = User(username=person.username, display_name=person_name(rng), department=department)
        if person.login:
            user.password = password_hash
        else:
            user.set_unusable_password()  # a character of the story, not a login of the demo
        user.full_clean(exclude=["password"])
        user.save()
        user.groups.add(groups[person.role])
        record(
            None,
            "demo.create_user",
            user,
            after={
                **snapshot(user, fields=["username", "display_name", "department"]),
                "groups": [person.role],
            },
        )
        if person.login:
            printed.append((person.username, person.role, department.name if department else ""))
    return printed


# --- places and texts -----------------------------------------------------------------------------------


class Places:
    """Points drawn inside each area's polygon, and the area's rivers, roads and landmarks."""

    def __init__(self, places: dict):
        with open(geo.geojson_path(), encoding="utf-8") as file:
            features = json.load(file)["features"]
        self.polygons = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
        for polygon in self.polygons.values():
            shapely.prepare(polygon)
        self.areas = {area.code: area for area in geo.areas()}
        self.places = places
        self.codes = [code for code in self.polygons if code in places]
        self.weights = [AREA_WEIGHTS.get(code, 5) for code in self.codes]

    def area(self, rng) -> str:
        return rng.choices(self.codes, weights=self.weights)[0]

    def point(self, rng, code: str) -> tuple[float, float]:
        polygon = self.polygons[code]
        west, south, east, north = polygon.bounds
        while True:
            x, y = round(rng.uniform(west, east), 6), round(rng.uniform(south, north), 6)
            if polygon.contains(shapely.Point(x, y)) and geo.area_at(y, x) is not None:
                found = geo.area_at(y, x)
                if found.code == code:
                    return y, x

    def near(self, rng, code: str, latitude: float, longitude: float) -> tuple[float, float]:
        """A point some tens of metres from the given one, in the same area (else the point itself)."""
        y, x = (
            round(latitude + rng.uniform(-0.0004, 0.0004), 6),
            round(longitude + rng.uniform(-0.0004, 0.0004), 6),
        )
        found = geo.area_at(y, x)
        return (y, x) if found is not None and found.code == code else (latitude, longitude)

    def words(self, rng, code: str) -> dict:
        place = self.places[code]
        area = self.areas[code]
        roads = place["roads"]
        road = rng.choice(roads)
        others = [other for other in roads if other != road] or roads
        short = area.name.removesuffix("街道").removesuffix("镇")
        return {
            "area": area.name,
            "place": rng.choice([short, *place["spots"]]),
            "river": rng.choice(place["rivers"]),
            "road": road,
            "road2": rng.choice(others),
            "bank": rng.choice("左右"),
            "n": rng.randint(2, 9),
            "m": rng.randint(2, 9),
            "workshop": rng.choice(WORKSHOPS),
        }


def _fill(template: str, words: dict) -> str:
    return template.format(**words)


# --- photos ---------------------------------------------------------------------------------------------


def _jpeg_bytes(rng) -> bytes:
    """A small landscape-like JPEG: sky, water or ground, a few shapes (the demo's 'photo')."""
    image = Image.new(
        "RGB", (160, 120), (rng.randint(150, 210), rng.randint(180, 220), rng.randint(200, 240))
    )
    draw = ImageDraw.Draw(image)
    ground = (rng.randint(60, 120), rng.randint(90, 140), rng.randint(50, 110))
    draw.rectangle((0, rng.randint(50, 80), 160, 120), fill=ground)
    for _i in range(rng.randint(3, 7)):
        x, y = rng.randint(0, 150), rng.randint(40, 110)
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        draw.ellipse((x, y, x + rng.randint(4, 18), y + rng.randint(3, 10)), fill=colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


class Photos:
    def __init__(self, rng):
        self.variants = [_jpeg_bytes(rng) for _i in range(6)]
        self.count = 0

    def upload(self, rng) -> list:
        self.count += 1
        return [SimpleUploadedFile("IMG.jpg", rng.choice(self.variants), content_type="image/jpeg")]


# --- planning -------------------------------------------------------------------------------------------


def _report_moment(rng, days, first: datetime.date, last: datetime.date, staff: bool) -> datetime.datetime:
    """A moment between the days, more of them in the early years (the campaign of 2021–2022 found most);
    staff report on working days in office hours, citizens any day from 7 to 22."""
    span = (last - first).days
    while True:
        offset = rng.randrange(span + 1)
        if rng.random() < 1.25 - 0.5 * offset / span:
            break
    day = first + datetime.timedelta(days=offset)
    if staff:
        day = days.shift(day, 0)
        if day > last:
            day = days.shift(last, -1)
        minute = rng.randint(8 * 60 + 30, 17 * 60)
    else:
        minute = rng.randint(7 * 60, 22 * 60)
    return datetime.datetime.combine(
        day, datetime.time(minute // 60, minute % 60), tzinfo=demo_applications.ZONE
    )


def plan_problems(seed: int, count: int, days, today: datetime.date, now: datetime.datetime) -> list[Plan]:
    rng = random.Random(f"{seed}:problems")
    first = today - (demo_applications.STORY_PRESENT - STORY_FIRST)
    last = today - datetime.timedelta(days=1)
    plans: list[Plan] = []

    def new(source, category, when) -> Plan:
        plan = Plan(len(plans), random.Random(f"{seed}:problem:{len(plans)}"), source, category, when)
        plans.append(plan)
        return plan

    # The present's open problems.
    for fate, category, source, back in PRESENT:
        day = days.shift(today, -back) if back else today
        if back:
            when = datetime.datetime.combine(day, datetime.time(9, rng.randint(0, 50)), tzinfo=now.tzinfo)
        else:
            when = now - datetime.timedelta(minutes=rng.randint(60, 150))
        plan = new(source, category, when)
        plan.fate, plan.present = fate, True
        if fate == RETURNED:
            plan.returned = True
    sources = list(SOURCES)
    shares = [SOURCES[source][0] for source in sources]
    while len(plans) < count:
        source = rng.choices(sources, weights=shares)[0]
        weights = SOURCES[source][1]
        category = rng.choices(list(weights), weights=list(weights.values()))[0]
        staff = source != SRC.CITIZEN
        new(source, category, _report_moment(rng, days, first, last, staff))

    # The fates of the others, drawn in a fixed order over the plans in order of their moments.
    rest = sorted((plan for plan in plans if not plan.present), key=lambda plan: plan.reported_at)

    def pick(n, condition):
        pool = [plan for plan in rest if plan.fate == CLOSED and condition(plan)]
        return rng.sample(pool, min(n, len(pool)))

    def share(rate, minimum):
        return max(minimum, round(count * rate))

    recent = now - datetime.timedelta(days=45)
    three_years = now - datetime.timedelta(days=3 * 365)
    for plan in pick(share(0.0025, 2), lambda p: p.source == SRC.CITIZEN and p.category == "municipal"):
        plan.fate = SPLIT
    for plan in pick(share(0.02, 3), lambda p: p.source == SRC.CITIZEN):
        plan.fate = DISMISSED
    # Still open from earlier years: long-term plans (some past their date) and a few stuck and escalated,
    # few enough that the closed-loop rate of a past year stays about 95 %.
    for plan in pick(share(0.012, 2), lambda p: three_years < p.reported_at < recent):
        plan.fate = LONG_TERM
        plan.long_term = True
    stuck_from = now - datetime.timedelta(days=200)
    for plan in pick(share(0.006, 2), lambda p: stuck_from < p.reported_at < recent):
        plan.fate = STUCK
    # Duplicates: a citizen's or a patrol's report of a problem reported a few hours before.
    targets = pick(
        share(0.02, 3), lambda p: p.category not in ("noise",) and p.source != SRC.ENTERPRISE_DEMAND
    )
    for target in targets:
        duplicate = next(
            (
                p
                for p in rng.sample(rest, len(rest))
                if p.fate == CLOSED and p is not target and p.into is None and p not in targets
            ),
            None,
        )
        if duplicate is None:
            continue
        duplicate.fate = MERGED
        duplicate.into = target
        duplicate.category = target.category
        duplicate.source = SRC.CITIZEN if target.source != SRC.ENTERPRISE_DEMAND else target.source
        duplicate.reported_at = target.reported_at + datetime.timedelta(minutes=rng.randint(60, 20 * 60))
    for plan in rest:
        if plan.fate != CLOSED:
            continue
        r = plan.rng
        plan.returned = r.random() < 0.04
        plan.rework = r.random() < 0.065
        plan.reopen = r.random() < 0.022
        plan.late = r.random() < 0.07
        plan.long_term = r.random() < 0.01 and plan.reported_at < now - datetime.timedelta(days=300)
        plan.rate = plan.source in (SRC.CITIZEN, SRC.ENTERPRISE_DEMAND) and r.random() < 0.7
    # Photos on a few dozen: the evidence 入河排污口 asks for, and some patrols' report photos.
    patrols = [plan for plan in rest if plan.source == SRC.RIVER_PATROL and plan.fate == CLOSED]
    for plan in rng.sample(patrols, min(len(patrols), max(2, count // 200))):
        plan.photo = True
    return plans


# --- the stage ------------------------------------------------------------------------------------------


class Stage:
    def __init__(self, days, timeline, categories, departments, data, places, photos, person_name):
        self.person_name = person_name
        users = {
            user.username: user
            for user in User.objects.filter(
                username__in=["dispatcher", "inspector", "specialist", "applicant"]
                + [f"patrol-{n}" for n in range(1, PATROLS + 1)]
                + [f"site-inspector-{n}" for n in range(1, SITE_INSPECTORS + 1)]
            ).select_related("enterprise")
        }
        self.users = users
        self.dispatcher = users["dispatcher"]
        self.inspectors = [users["inspector"]] + [users[f"patrol-{n}"] for n in range(1, PATROLS + 1)]
        self.site_inspectors = [users["inspector"]] + [
            users[f"site-inspector-{n}"] for n in range(1, SITE_INSPECTORS + 1)
        ]
        self.specialist = users["specialist"]
        # The same instances every time: a user fetched anew would read its groups and permissions again.
        self.by_id = {user.pk: user for user in users.values()}
        self.applicant = users.get("applicant")
        self.handlers: dict[int, list[User]] = {}
        handling = User.objects.filter(
            groups__name__in=("department_reviewer", "department_head"), department__isnull=False
        ).distinct()
        for user in handling.order_by("username"):
            self.handlers.setdefault(user.department_id, []).append(user)
        for group in self.handlers.values():
            group.sort(key=lambda user: (not user.username.startswith("reviewer"), user.username))
        self.days = days
        self.timeline = timeline
        self.categories = categories
        self.departments = departments
        self.data = {row["code"]: row for row in data["categories"]}
        self.places = places
        self.photos = photos
        enterprises = Enterprise.objects.order_by("credit_code")
        self.enterprises = list(enterprises)
        self.small_enterprises = [
            e for e in self.enterprises if not e.is_tech_based and e.industry != "城市建设投资"
        ] or self.enterprises
        self.sites = list(
            Project.objects.filter(phase__in=(Project.Phase.STARTED, Project.Phase.UNDER_CONSTRUCTION))
            .select_related("enterprise")
            .order_by("code")
        ) or list(Project.objects.select_related("enterprise").order_by("code"))
        # A river patrol's problem on a monitored reach (the river in the section's area) names its section.
        self.sections = demo_rivers.patrol_sections()

    def handler(self, rng, problem) -> User:
        people = self.handlers[problem.department_id]
        return people[0] if rng.random() < 0.8 else rng.choice(people)


def _moment(rng, day, first=9, last=17) -> datetime.datetime:
    minute = rng.randint(first * 60, last * 60 - 1)
    when = datetime.datetime.combine(
        day, datetime.time(minute // 60, minute % 60), tzinfo=demo_applications.ZONE
    )
    return max(when, clock.now() + datetime.timedelta(minutes=rng.randint(3, 25)))


def _soon(rng, low=0.3, high=3.0) -> datetime.datetime:
    return clock.now() + datetime.timedelta(hours=rng.uniform(low, high))


def _workday(stage, rng, n: int) -> datetime.datetime:
    """A moment in office hours n working days after today (n == 0: later today if there is time)."""
    now = clock.now().astimezone(demo_applications.ZONE)
    if n <= 0 and stage.days.shift(now.date(), 0) == now.date() and now.hour < 15:
        return now + datetime.timedelta(minutes=rng.randint(20, 120))
    return _moment(rng, stage.days.shift(now.date(), max(n, 1)))


# --- one problem's story --------------------------------------------------------------------------------


def _report(stage, plan: Plan):
    r = plan.rng
    row = stage.data[plan.category]
    category = stage.categories[plan.category]
    words = {}
    enterprise = project = None
    latitude = longitude = None
    address = ""
    reporter, name, phone = None, "", ""
    if plan.into is not None and plan.into.problem is not None:
        target = plan.into.problem
        area = target.area or stage.places.area(r)
        words = {**stage.places.words(r, area), "enterprise": "", "project": ""}
        if target.latitude is not None:
            latitude, longitude = stage.places.near(r, area, float(target.latitude), float(target.longitude))
        title = target.title
        description = f"又有人反映:{target.description}"
        address, enterprise, project = target.address, target.enterprise, target.project
    else:
        area = stage.places.area(r)
        words = stage.places.words(r, area)
        if plan.category == "scattered":
            enterprise = r.choice(stage.small_enterprises)
        elif plan.category.startswith("demand-"):
            enterprise = r.choice(stage.enterprises)
        if plan.source in SITE_SOURCES or plan.category in SITE_CATEGORIES:
            project = r.choice(stage.sites)
            if plan.source == SRC.ESCORT_TEAM or plan.category == "demand-approval":
                enterprise = project.enterprise
        words["enterprise"] = enterprise.name if enterprise else ""
        words["project"] = project.name if project else ""
        title = _fill(r.choice(row["titles"]), words)
        description = _fill(r.choice(row["descriptions"]), words)
        if plan.source != SRC.ENTERPRISE_DEMAND:
            latitude, longitude = stage.places.point(r, area)
            if plan.category.startswith("river") or plan.category == "scattered":
                address = f"重庆市{words['area']}{words['river']}{words['place']}段{words['bank']}岸"
            elif project is not None:
                address = f"{project.name}施工现场({words['area']})"
            else:
                address = f"重庆市{words['area']}{words['road']}{r.randint(1, 399)}号附近"
    if plan.source == SRC.CITIZEN:
        name = stage.person_name(r)
        phone = f"1{r.choice('3589')}{r.randint(0, 999_999_999):09d}"
    elif plan.source == SRC.RIVER_PATROL:
        reporter = r.choice(stage.inspectors[1:]) if r.random() < 0.85 else stage.inspectors[0]
    elif plan.source in (SRC.QUALITY_INSPECTION, SRC.SAFETY_INSPECTION):
        reporter = r.choice(stage.site_inspectors)
    elif plan.source == SRC.SUPERVISION:
        reporter = r.choice(stage.inspectors)
    elif plan.source == SRC.ENTERPRISE_DEMAND:
        # Collected door to door (上门问需) by the service specialist; the demo applicant files its own.
        if stage.applicant is not None and stage.applicant.enterprise_id and r.random() < 0.04:
            reporter, enterprise = stage.applicant, stage.applicant.enterprise
        else:
            reporter = stage.specialist
    else:
        reporter = stage.specialist
    report = lifecycle.Report(
        category=category,
        title=title,
        description=description,
        source=plan.source,
        latitude=latitude,
        longitude=longitude,
        address=address,
        enterprise=enterprise,
        project=project,
        reporter_name=name,
        reporter_phone=phone,
        section=stage.sections.get((words.get("river"), area)) if plan.source == SRC.RIVER_PATROL else None,
    )
    photos = stage.photos.upload(r) if plan.photo else ()
    plan.words = words
    return lifecycle.report_problem(reporter, report, photos)


def _measure(stage, plan) -> str:
    return _fill(
        plan.rng.choice(stage.data[plan.category]["measures"]), {**plan.words, "m": plan.rng.randint(2, 9)}
    )


def _verifier(stage, plan, problem) -> User:
    verifier = lifecycle.verifier_of(problem)
    reporter = _reporter(stage, problem)
    if verifier == "reporter":
        return reporter
    if verifier == "inspector":
        return reporter if reporter in stage.inspectors else plan.rng.choice(stage.inspectors)
    return stage.dispatcher


def _reporter(stage, problem) -> User | None:
    if problem.reporter_id is None:
        return None
    return stage.by_id.get(problem.reporter_id) or problem.reporter


def _return_target(stage, plan, problem) -> Department:
    wanted = stage.data[plan.category].get("return_to") or "urban"
    if stage.departments[wanted].pk == problem.department_id:
        wanted = "urban" if stage.departments["urban"].pk != problem.department_id else "water"
    return stage.departments[wanted]


def problem_script(stage, plan: Plan):
    r = plan.rng
    yield plan.reported_at
    problem = plan.problem = _report(stage, plan)
    dispatcher = stage.dispatcher
    if problem.status == S.REPORTED:  # no rule: the dispatch centre decides
        if plan.fate == WAITING:
            return
        yield _soon(r, 0.2, 2.5)
        if plan.fate == DISMISSED:
            problem = lifecycle.dismiss_problem(dispatcher, problem, r.choice(DISMISS_REASONS))
            return
        choices = stage.data[plan.category].get("dispatch_to") or ["urban"]
        problem = lifecycle.dispatch_problem(dispatcher, problem, stage.departments[r.choice(choices)])
    if plan.fate == MERGED:
        yield _soon(r, 0.3, 3)
        into = plan.into.problem if plan.into else None
        if into is not None:
            into.refresh_from_db(fields=["status", "merged_into"])
        if into is not None and into.status not in (S.CLOSED, S.MERGED, S.DISMISSED, S.SPLIT):
            problem.refresh_from_db(fields=["status"])
            if problem.status in (S.REPORTED, S.RETURNED, S.DISPATCHED):
                lifecycle.merge_problem(dispatcher, problem, into, "与已报告问题为同一问题,合并办理。")
                return
        plan.fate = CLOSED  # nothing to merge into any more: handled on its own
    if plan.returned or plan.fate in (DISMISSED, SPLIT):
        yield _workday(stage, r, r.choice((0, 0, 1)))
        target = _return_target(stage, plan, problem)
        if plan.fate == SPLIT:
            reason = "该问题涉及道路、排水等多个部门,请拆分派遣。"
        elif plan.fate == DISMISSED:
            reason = "经现场核实,未发现所反映的问题。"
        else:
            reason = r.choice(RETURN_REASONS).format(department=target.name)
        problem = lifecycle.return_problem(stage.handler(r, problem), problem, reason)
        if plan.fate == RETURNED:
            return
        yield _soon(r, 0.5, 4)
        if plan.fate == DISMISSED:
            problem = lifecycle.dismiss_problem(dispatcher, problem, r.choice(DISMISS_REASONS))
            return
        if plan.fate == SPLIT:
            words = plan.words
            chosen = SPLIT_PARTS[: r.choice((2, 2, 3))]
            parts = [
                lifecycle.Part(title=_fill(title, words), department=stage.departments[code])
                for title, code in chosen
            ]
            children = lifecycle.split_problem(dispatcher, problem, parts, "按职责拆分派遣。")
            for number, child in enumerate(children):
                child_plan = Plan(
                    index=plan.index,
                    rng=random.Random(f"{plan.index}:{number}:{r.random()}"),
                    source=plan.source,
                    category=plan.category,
                    reported_at=clock.now(),
                    fate=RECTIFYING if plan.present else CLOSED,
                    rate=False,
                )
                child_plan.words = words
                child_plan.problem = child
                stage.timeline.add(_handling(stage, child_plan, child))
            return
        problem = lifecycle.dispatch_problem(dispatcher, problem, target, "按退回意见重新派遣。")
    yield from _handling(stage, plan, problem, first=False)


def _handling(stage, plan: Plan, problem, first: bool = True):
    """The department's part and what follows: accept, (plan,) rectify, verification, rating, reopening."""
    r = plan.rng
    if first:
        yield _soon(r, 0.1, 1)
    if plan.fate == DISPATCHED:
        return
    yield _workday(stage, r, 0 if r.random() < 0.7 else 1)
    handler = stage.handler(r, problem)
    problem = lifecycle.accept_problem(handler, problem)
    deadline = problem.category.deadline_days
    if plan.fate in (RECTIFYING, STUCK):
        if plan.fate == STUCK:
            yield _workday(stage, r, r.randint(2, max(3, deadline)))
            problem = lifecycle.report_progress(handler, problem, r.choice(PROGRESS_NOTES))
        return
    if plan.long_term:
        yield _workday(stage, r, r.randint(1, 3))
        months = r.randint(3, 14) if plan.fate == LONG_TERM else r.randint(2, 6)
        due = stage.days.shift(clock.today() + datetime.timedelta(days=30 * months), 0)
        problem = lifecycle.plan_long_term(handler, problem, r.choice(LONG_TERM_PLANS), due)
        for _i in range(r.randint(1, 3)):
            yield _workday(stage, r, r.randint(15, 40))
            problem = lifecycle.report_progress(handler, problem, r.choice(PROGRESS_NOTES))
        if plan.fate == LONG_TERM:
            return
        yield _moment(r, stage.days.shift(due, -r.randint(1, 10)))
    else:
        if deadline >= 5 and r.random() < 0.25:
            yield _workday(stage, r, max(1, deadline // 3))
            problem = lifecycle.report_progress(handler, problem, r.choice(PROGRESS_NOTES))
        if plan.fate == RECTIFIED:
            steps = 1
        elif plan.late:
            steps = deadline + r.randint(1, 6)
        else:
            steps = max(1, int(deadline * r.uniform(0.2, 0.75)))
        yield _workday(stage, r, steps)
    evidence = problem.category.evidence_required
    problem = lifecycle.rectify_problem(
        handler, problem, _measure(stage, plan), stage.photos.upload(r) if evidence else ()
    )
    if plan.fate == RECTIFIED:
        return
    verifier = _verifier(stage, plan, problem)
    if plan.rework:
        yield _workday(stage, r, r.choice((0, 1, 1, 2)))
        problem = lifecycle.verify_problem(verifier, problem, False, r.choice(FAIL_NOTES))
        yield _workday(stage, r, r.randint(1, 3))
        problem = lifecycle.rectify_problem(
            handler, problem, _measure(stage, plan), stage.photos.upload(r) if evidence else ()
        )
    yield _workday(stage, r, r.choice((0, 0, 1)))
    problem = lifecycle.verify_problem(verifier, problem, True, "经现场核查,整改到位。")
    code = problem.follow_up_code
    reporter = _reporter(stage, problem)
    if plan.rate and not plan.reopen:
        yield _soon(r, 2, 60)
        score = r.choices((5, 4, 3, 2, 1), weights=(60, 27, 9, 3, 1))[0]
        problem = lifecycle.rate_problem(reporter, problem, score, code="" if reporter else code)
    if plan.reopen:
        yield _soon(r, 24, 24 * min(10, problem.category.reopen_days - 1))
        problem = lifecycle.reopen_problem(
            reporter, problem, r.choice(REOPEN_REASONS), code="" if reporter else code
        )
        yield _workday(stage, r, r.randint(1, max(1, deadline - 1)))
        problem = lifecycle.rectify_problem(
            handler, problem, _measure(stage, plan), stage.photos.upload(r) if evidence else ()
        )
        yield _workday(stage, r, r.choice((0, 1)))
        problem = lifecycle.verify_problem(verifier, problem, True, "复查确认问题已解决。")


def _working_days(first: datetime.date, last: datetime.date) -> demo_applications.WorkingDays:
    """The applications' working-day list over six years, read through one calendar (one query for the
    overrides instead of one per day)."""
    calendar = WorkingCalendar(first, last)
    days = demo_applications.WorkingDays(first, first - datetime.timedelta(days=1))
    day = first
    while day <= last:
        if calendar.is_working_day(day):
            days.days.append(day)
        day += datetime.timedelta(days=1)
    return days


def scan_script(days, today: datetime.date, first: datetime.date):
    """The morning deadline scan: every working day of the last month, every Monday of the last year, the
    first Monday of each month before. (Daily for six years would warn nearly every problem and escalate every
    late one: a quarter of the build's time for rows nobody reads.)"""
    daily_from = today - datetime.timedelta(days=31)
    weekly_from = today - datetime.timedelta(days=365)
    for day in days.between(first, today):
        monday = day.weekday() == 0
        if day >= daily_from or (monday and (day >= weekly_from or day.day <= 7)):
            yield datetime.datetime.combine(day, demo_applications.SCAN_TIME, tzinfo=demo_applications.ZONE)
            scan_problem_deadlines()


# --- the whole -----------------------------------------------------------------------------------------


def create_problems(seed: int, steps, person_name, password_hash, count: int = PROBLEMS) -> ProblemsSummary:
    """Set up the dispatch (departments, categories, rules, accounts) and play `count` problems up to the
    present (see the module docstring)."""
    data = load_data()
    departments = _create_departments(data["departments"])
    _create_categories(data["categories"], departments)
    accounts = _create_people(
        random.Random(f"{seed}:problems-people"), departments, password_hash, person_name
    )
    summary = play_problems(seed, steps, person_name, count, data)
    summary.accounts = accounts
    return summary


def play_problems(seed: int, steps, person_name, count: int, data: dict | None = None) -> ProblemsSummary:
    """Play `count` problems up to the present on the set-up `create_problems` made."""
    data = data or load_data()
    if count <= 0:
        return ProblemsSummary()
    departments = {department.code: department for department in Department.objects.all()}
    categories = {category.code: category for category in ProblemCategory.objects.all()}
    today = clock.today()
    now = datetime.datetime.combine(today, demo_applications.STORY_TIME, tzinfo=demo_applications.ZONE)
    first = today - (demo_applications.STORY_PRESENT - STORY_FIRST)
    days = _working_days(first - datetime.timedelta(days=10), today + datetime.timedelta(days=500))
    plans = plan_problems(seed, count, days, today, now)
    total_days = (today - first).days + 1
    steps.start(_("问题闭环"), total_days)
    timeline = demo_applications.Timeline(
        now, on_time=lambda when: steps.advance_to((when.date() - first).days)
    )
    places = Places(data["places"])
    photos = Photos(random.Random(f"{seed}:photos"))
    stage = Stage(days, timeline, categories, departments, data, places, photos, person_name)
    for plan in plans:
        timeline.add(problem_script(stage, plan))
    timeline.add(scan_script(days, today, first))
    timeline.run()
    demo_applications.read_what_came_before(now - demo_applications.READ_BEFORE)
    steps.advance_to(total_days)
    return count_problems(photos=photos.count)


def count_problems(photos: int = 0, accounts=()) -> ProblemsSummary:
    """The problems in the database by state and source (counted again once the projects' monthly reports
    have raised theirs)."""
    return ProblemsSummary(
        total=Problem.objects.count(),
        by_status=dict(Counter(Problem.objects.values_list("status", flat=True))),
        by_source=dict(Counter(Problem.objects.values_list("source", flat=True))),
        ledger=Problem.objects.filter(category__in_remediation_ledger=True).count(),
        photos=photos,
        accounts=list(accounts),
    )
