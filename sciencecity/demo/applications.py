"""The demo's applications: a year of bundled approval (一件事一次办) played through the real services.

What it makes
-------------
About 120 applications of the two demo bundles (开工一件事, 联合验收一件事) on the demo projects, over the
last eleven months up to the demo's present, `NOW` (11:30 on the day the demo is built), in every state:

- delivered (出件), most of them rated (好差评), two poorly, which opened a problem (差评整改) for the lead
  department (one rectified by the head of housing and verified by the rater, one still waiting to be accepted); concluded and waiting for the window to deliver;
- in review: tasks pending, in review, waiting for their prerequisites, some overdue (red, and escalated to the
  leaders after a whole working day), some due today or tomorrow (yellow), one paused for a supplement the
  applicant has not answered, one whose items are all decided but whose tolerated gap (容缺) is still missing,
  one whose gap was supplied and waits for the window;
- at intake (one past its intake deadline), in correction (补正), drafts, refused, withdrawn, cancelled.

Along the way the history is what the platform would have recorded: corrections answered, pledges (告知承诺),
supplements answered, deadlines extended by the head, a few items rejected (their dependents not started),
decisions taken late, site inspections and opinions, certificates issued and reused by a later application of
the same project (免提交), and the deadline scan run every working morning at 08:00, so the warnings,
escalations and notifications of the year are there too.

The demo accounts have work: `applicant` (a high-tech chip company with three projects) has a delivered and
rated start-construction, a joint acceptance in review that reuses that application's certificates and waits
for its answer to a supplement request, a start-construction in correction, a withdrawn one and a draft;
`window` has applications to take in, a supplied gap to check and results to deliver; the reviewers
(`reviewer` of housing, `reviewer-planning`, ...) have tasks to claim or decide; `head` (housing) has an
escalated task to extend or chase and a poor rating's problem to accept; `leader` has the escalations.

The demo lives in the present: it is built along a timeline that ends on the day it is run (`set_present`),
so deadlines that reach a year whose official holidays are not published yet are counted provisionally and
shown as 暂定, as they would be in a real zone in December.

How
---
Every write is a call of `sciencecity.approvals.services`, by the person whose action it is (the enterprise's
applicant, the window clerk, the department's reviewer, the head, the administrator), never a row written here.
Enterprises other than the demo applicant's get an applicant account when they first apply (`applicant-<credit
code>`, no usable password: they are the other side of the story, not logins for the demo).

Each application is a script, a generator that yields the moment of its next step; a `Timeline` runs all
steps of all scripts in the order of those moments, with the platform clock (`sciencecity.workdays.clock`)
frozen at each, so every stored date and deadline is the one the services computed on that day, and the
running numbers follow the calendar. Review tasks get their own scripts when they are released, and the
morning deadline scan is one more script. Whatever a script would do after `NOW` is the future: the timeline
stops there. Applications that must be finished by `NOW` (delivered, concluded) have their later steps pulled
in before it.

Determinism: each application draws from its own `random.Random` seeded from the world's seed, the order of
steps is fixed by their moments and, for equal moments, by the order the scripts were added; nothing depends
on database ids or the real clock. What the services date is the story's time (submitted, accepted, decided,
concluded, delivered, deadlines, pauses, certificates, follow-ups, and the approvals rows' own creation
times: notifications, correction notices, uploads, task records, the delivery and rating rows, and the audit
events, which default to the platform clock); the timestamps Django fills in itself on save (`auto_now_add`
and `auto_now`: registry rows' `created_at`, `updated_at`) are the real time of generation, and are left out of
the fingerprint. Notifications older than a week before the present are marked read an hour after they came.

Files: every uploaded material is a tiny valid PDF (every upload material of the demo catalog accepts PDF).
Certificates' PDFs are not rendered here: the services enqueue their rendering after commit, so they wait in
the task queue for `manage.py db_worker`, and a download renders a missing one on demand.
"""

import bisect
import datetime
import heapq
import itertools
import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils.translation import gettext as _

from sciencecity.accounts.models import User
from sciencecity.approvals import selectors
from sciencecity.approvals.models import (
    Application,
    Certificate,
    ReviewTask,
    SubmittedMaterial,
)
from sciencecity.approvals.services import applications as app_services
from sciencecity.approvals.services import delivery, intake, ratings, review
from sciencecity.approvals.services.deadlines import scan_deadlines
from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.catalog.models import Bundle, CatalogVersion, FormField
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.services import link_user_to_enterprise
from sciencecity.notifications.models import Notification
from sciencecity.problems.services import lifecycle
from sciencecity.projects.models import Project
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import is_working_day

ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)
# The stories below were written against Tuesday 24 November 2026 (`STORY_PRESENT`), and the demo's first
# working day is 5 January 2026. The demo is built in the present instead: `set_present(day)` (called by
# `create_applications` with the platform clock's today) moves every date of the stories by the same number
# of days, so that the same seed gives the same world relative to the day it is built, and its yellow, red
# and escalated tasks, intake deadlines and "as of" dates are true on that day.
STORY_PRESENT = datetime.date(2026, 11, 24)
STORY_TIME = datetime.time(11, 30)
DEMO_TODAY = STORY_PRESENT  # the present of the demo world (set_present)
NOW = datetime.datetime.combine(DEMO_TODAY, STORY_TIME, tzinfo=ZONE)
FIRST_DAY = datetime.date(2026, 1, 5)


def story_day(month: int, day: int) -> datetime.date:
    """A day of the stories, written as a day of 2026, moved to the demo's present."""
    return DEMO_TODAY - (STORY_PRESENT - datetime.date(2026, month, day))


def set_present(today: datetime.date) -> None:
    """Make `today` the demo's present (11:30 that day): every date of the stories moves with it."""
    global DEMO_TODAY, NOW, FIRST_DAY
    DEMO_TODAY = today
    NOW = datetime.datetime.combine(today, STORY_TIME, tzinfo=ZONE)
    FIRST_DAY = story_day(1, 5)


SCAN_TIME = datetime.time(8, 0)  # the morning deadline scan (approvals.deadline_tasks.SCAN_TIME)

START, JOINT = "start-construction", "joint-acceptance"
A = Application.Status
T = ReviewTask.Status

# Fates: the state an application has reached by NOW.
DRAFT, SUBMITTED, CORRECTION, IN_REVIEW = "draft", "submitted", "correction", "in_review"
CONCLUDED, DELIVERED, REFUSED, WITHDRAWN, CANCELLED = (
    "concluded",
    "delivered",
    "refused",
    "withdrawn",
    "cancelled",
)
FINISHED = (CONCLUDED, DELIVERED)


# --- working days ------------------------------------------------------------------------------------------


class WorkingDays:
    """The working days of the demo year, read once from the platform calendar (overrides included), so that
    stepping n working days forward or back is a list lookup; forward steps agree with `add_working_days`."""

    def __init__(self, first: datetime.date, last: datetime.date):
        day, self.days = first, []
        while day <= last:
            if is_working_day(day):
                self.days.append(day)
            day += datetime.timedelta(days=1)

    def shift(self, day: datetime.date, n: int) -> datetime.date:
        """The n-th working day after `day` (n > 0), before it (n < 0), or `day` itself if it is a working day
        and else the next one (n == 0)."""
        if n > 0:
            return self.days[bisect.bisect_right(self.days, day) + n - 1]
        index = bisect.bisect_left(self.days, day) + n
        if index < 0:
            raise IndexError(f"{day} {n:+d} working days is before the demo year")
        return self.days[index]

    def between(self, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        return self.days[bisect.bisect_left(self.days, first) : bisect.bisect_right(self.days, last)]


# --- the timeline ------------------------------------------------------------------------------------------


class Timeline:
    """Runs scripts step by step in the order of the moments they yield, with the platform clock frozen at
    each moment, up to `end`. A script yields its first moment before it writes anything; a step may add
    scripts (they start from that moment)."""

    def __init__(self, end: datetime.datetime, on_time=None):
        self.end = end
        self.on_time = on_time
        self._queue: list = []
        self._order = itertools.count()
        self._current: datetime.datetime | None = None

    def add(self, script) -> None:
        when = next(script, None)
        if when is not None:
            self._push(when, script)

    def _push(self, when, script) -> None:
        if self._current is not None and when < self._current:
            raise ValueError(f"a script went back in time: {when} after {self._current}")
        heapq.heappush(self._queue, (when, next(self._order), script))

    def run(self) -> None:
        while self._queue:
            when, _order, script = heapq.heappop(self._queue)
            if when > self.end:
                break  # this and everything after it is the future
            self._current = when
            if self.on_time is not None:
                self.on_time(when)
            with clock.frozen_at(when):
                following = next(script, None)
            if following is not None:
                self._push(following, script)
        self._queue.clear()


# --- files -------------------------------------------------------------------------------------------------


def tiny_pdf(title: str) -> bytes:
    """A minimal valid one-page PDF 1.4 (catalog, pages, page, content, font; a correct xref and trailer)
    whose page reads `title` (ASCII)."""
    text = (
        title.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    )
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_upload(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.pdf", tiny_pdf(title), content_type="application/pdf")


# --- texts -------------------------------------------------------------------------------------------------

# fmt: off
CORRECTION_PROBLEMS = {
    "legal-representative-id": "法定代表人身份证明已过有效期,请提交有效期内的身份证明。",
    "land-title": "不动产权证书扫描件不清晰,证书编号无法辨认,请重新扫描上传。",
    "construction-contract": "施工合同缺少双方盖章页,请提交完整合同及中标通知书。",
    "supervision-contract": "监理合同未载明总监理工程师,请补充完整。",
    "design-scheme": "设计方案总平面图未标注用地红线坐标,请补充后重新提交。",
    "construction-drawings": "施工图设计文件缺少消防专篇,请补充后重新提交。",
    "as-built-survey": "竣工规划核实测量报告未附房屋面积测绘成果,请补充。",
    "completion-report": "工程竣工验收报告缺少勘察单位签章,请补充完整。",
    "archives-list": "城建档案移交目录与竣工图册数不一致,请核对后重新提交。",
    "quality-warranty": "工程质量保修书未载明保修期限,请补充。",
}
FORM_PROBLEM = "申请表中联系电话无法接通,请核实后更正。"
FIXED_PHONE_NOTE = "联系电话已更正。"
REFUSALS = {
    START: "经核查,项目尚未取得建设用地规划许可证,不符合开工一件事的申请条件;请取得用地规划许可后再行申请。",
    JOINT: "经核查,工程尚未组织五方主体竣工验收,不符合联合验收一件事的申请条件。",
}
WITHDRAW_REASONS = (
    "项目设计方案调整,撤回后重新申请。",
    "建设单位内部决策调整,暂缓办理。",
    "申请事项选择有误,撤回后重新申请。",
)
CANCEL_REASONS = {
    IN_REVIEW: "项目建设主体发生变更(股权转让),经原申请企业书面申请并核实,本件作废,由新主体重新申请。",
    CORRECTION: "申请人逾期 60 日未按补正告知补正,经多次联系未果,按规定作废。",
}
SUPPLEMENTS = {
    "design-scheme-review": "请补充日照分析报告及建筑退让红线尺寸说明。",
    "engineering-planning-permit": "请补充总平面图中地下车库出入口的交通影响说明。",
    "construction-drawing-review": "请补充结构计算书及超限高层抗震设防专项审查意见。",
    "special-fire-design-review": "请补充消防车道及登高操作场地的专项说明。",
    "sewage-discharge-permit": "请补充污水预处理设施的工艺流程及设计参数。",
    "eia-approval": "请补充施工期扬尘和噪声防治措施的专章。",
    "planning-verification": "请补充竣工测量报告中地下室部分的面积测绘成果。",
    "special-fire-acceptance": "请补充消防设施联动调试检测报告。",
    "urban-archives-acceptance": "请补充隐蔽工程验收记录的原件扫描件。",
}
SUPPLEMENT_ANSWER = "已按要求补充相关材料,请审查。"
OPINIONS = (
    "经审查,申请材料齐全,符合法定条件和标准。",
    "材料齐全,符合要求,拟准予许可。",
    "经审查符合相关规划和技术规范要求。",
)
INSPECTED_ITEMS = {
    "planning-verification": "现场核实建筑位置、层数、高度与规划许可一致。",
    "special-fire-acceptance": "现场抽查消防设施运行正常,与设计文件一致。",
    "sewage-discharge-permit": "现场核查预处理设施已建成,接驳井位置与图纸一致。",
    "road-occupation-excavation": "现场勘查占道范围与施工设计图一致,交通组织可行。",
    "urban-archives-acceptance": "现场抽查档案原件齐全、组卷规范。",
}
REJECTIONS = {
    "sewage-discharge-permit": "预处理设施设计不满足《污水排入城镇下水道水质标准》,请完善后另行申请。",
    "eia-approval": "环境影响报告书对周边敏感目标的影响分析不充分,不予批准。",
    "soil-water-conservation": "水土保持方案弃渣场选址位于河道管理范围内,不予批准。",
    "construction-waste-disposal": "建筑垃圾运输单位不具备核准资质,不予核准。",
}
EXTENSION_REASONS = (
    "项目涉及超限高层建筑,需组织专家论证,申请延长办理期限。",
    "需会同相关部门开展联合现场核查,申请延长办理期限。",
)
GOOD_COMMENTS = (
    "窗口一次告知、材料一次提交,办理效率很高。",
    "已有证照直接调用,不用重复提交材料,省了不少事。",
    "帮办代办很贴心,全程没有跑腿。",
    "审批进度随时可查,每一步都有通知。",
    "",
)
FAIR_COMMENTS = (
    "整体顺畅,个别事项审查时间略长。",
    "办理时限基本满足,补充材料的要求可以说得更具体一些。",
)
POOR_RATINGS = (
    (2, "施工图审查超过承诺期限才办结,期间多次电话催办。"),
    (1, "补充材料要求前后不一致,来回提交了两次,进度也没有人主动告知。"),
)
FOLLOW_UP_RESOLUTION = "已约谈承办人员,优化施工图审查内部流转,承诺超期前主动告知企业;已向企业当面说明并致歉。"
FOLLOW_UP_VERIFIED = "已接到部门回访,整改情况属实。"
SUPERVISORS = (
    "重庆市建设监理有限公司", "重庆赛迪工程咨询有限公司", "重庆联盛建设项目管理有限公司",
    "重庆华兴工程咨询有限公司", "重庆正信建设监理有限公司", "重庆西南工程项目管理有限公司",
)
# fmt: on


# --- the cast ----------------------------------------------------------------------------------------------


class Cast:
    """The people who act: the demo's officers, and an applicant for each enterprise that applies."""

    def __init__(self, name_rng: random.Random, person_name):
        users = {user.username: user for user in User.objects.select_related("department", "enterprise")}
        self.clerk = users["window"]
        self.admin = users["admin"]
        self.head = users["head"]
        self.demo_applicant = users["applicant"]
        self.reviewers = {
            user.department.code: user
            for user in users.values()
            if user.department_id and (user.username == "reviewer" or user.username.startswith("reviewer-"))
        }
        self._applicants = {self.demo_applicant.enterprise_id: self.demo_applicant}
        self._group = Group.objects.get(name="applicant")
        self._rng = name_rng
        self._person_name = person_name

    def reviewer(self, department_code: str) -> User:
        return self.reviewers[department_code]

    def applicant_for(self, enterprise: Enterprise) -> User:
        """The enterprise's applicant account, created (and audited) the first time it is needed."""
        user = self._applicants.get(enterprise.pk)
        if user is None:
            user = User(
                username=f"applicant-{enterprise.credit_code.lower()}",
                display_name=self._person_name(self._rng),
            )
            user.set_unusable_password()  # a character of the story, not a login of the demo
            user.full_clean(exclude=["password"])
            user.save()
            user.groups.add(self._group)
            record(
                None,
                "demo.create_user",
                user,
                after={**snapshot(user, fields=["username", "display_name"]), "groups": ["applicant"]},
            )
            user = link_user_to_enterprise(None, user, enterprise)
            self._applicants[enterprise.pk] = user
        return user


# --- answers and forms -------------------------------------------------------------------------------------

CIVIL_INDUSTRIES = {"65", "73", "72", "70"}  # software, technical services, business services, real estate
MANUFACTURING = {"26", "27", "33", "34", "36", "38", "39"}


def _industry(project: Project) -> str:
    return project.code.split("-")[2]


def _is_civil(project: Project) -> bool:
    """A civil building (民用建筑, which must build a civil air-defence basement): housing, schools, hospitals,
    offices and R&D buildings; not factories, roads, pipes or parks."""
    if project.floor_area is None:
        return False
    if project.investment_type == Project.InvestmentType.GOVERNMENT:
        return True
    return _industry(project) in CIVIL_INDUSTRIES


def _is_public(project: Project) -> bool:
    words = ("小学", "中学", "医院", "科创中心", "人才公寓", "商业综合体")
    return project.floor_area is not None and any(word in project.name for word in words)


def _is_linear(project: Project) -> bool:
    return any(word in project.name for word in ("道路", "管廊", "雨污", "公园"))


def _with(answers: dict, force: dict) -> dict:
    """`answers` with the forced ones: a value replaces a single answer and joins a multiple one."""
    for code, value in force.items():
        if isinstance(answers.get(code), list):
            chosen = [v for v in answers[code] if v != "none"]
            answers[code] = chosen if value in chosen else [*chosen, value]
        else:
            answers[code] = value
    return answers


def start_answers(rng: random.Random, project: Project, force: dict) -> dict:
    land = float(project.land_area or 0)
    works = [
        work
        for work, chance in (("waste", 0.7), ("sewage", 0.3), ("earthwork", 0.5 if land >= 5000 else 0.1))
        if rng.random() < chance
    ]
    weights = (3, 5, 1, 1) if _industry(project) in MANUFACTURING else (1, 3, 4, 2)
    answers = {
        "land_with_scheme": "yes" if rng.random() < 0.5 else "no",
        "new_civil_building": "yes" if _is_civil(project) else "no",
        "special_construction": "yes" if _is_public(project) or rng.random() < 0.15 else "no",
        "security_sites": "yes" if any(word in project.name for word in ("小学", "中学", "医院")) else "no",
        "occupy_road": "yes" if _is_linear(project) or rng.random() < 0.15 else "no",
        "site_works": works or ["none"],
        "eia_category": rng.choices(("report", "table", "registration", "exempt"), weights=weights)[0],
        "need_agency": "yes" if rng.random() < 0.2 else "no",
    }
    return _with(answers, force)


def joint_answers(rng: random.Random, project: Project, force: dict) -> dict:
    utilities = [
        kind for kind, chance in (("power", 0.6), ("water", 0.5), ("gas", 0.15)) if rng.random() < chance
    ]
    answers = {
        "special_construction": "yes" if _is_public(project) or rng.random() < 0.15 else "no",
        "has_civil_defense_works": "yes" if _is_civil(project) else "no",
        "utilities": utilities or ["none"],
    }
    return _with(answers, force)


def building_use(project: Project) -> str:
    if any(word in project.name for word in ("公寓", "住宅", "社区")):
        return "residential"
    if project.investment_type == Project.InvestmentType.GOVERNMENT:
        return "public"
    return "mixed" if _industry(project) in CIVIL_INDUSTRIES else "industrial"


# --- one application's story -------------------------------------------------------------------------------


@dataclass
class Story:
    """One application's life up to NOW: who applies for what, the state it reaches, and what happens on the
    way (see `plan_stories`)."""

    index: int
    fate: str
    bundle_code: str
    project: Project
    user: User
    rng: random.Random
    answers: dict
    start: datetime.date
    items: list[str] = field(default_factory=list)  # the codes of the items the answers select
    submit_at: datetime.datetime | None = None  # the first submission (else soon after the start)
    resubmit_at: datetime.datetime | None = None  # the submission after correction (else a few days later)
    accept_day: datetime.date | None = None  # the day the window accepts (else the intake limit)
    correction: bool = False  # the window asks for a correction first
    left_at: str = ""  # withdrawn or cancelled: the state it left
    hold: str = ""  # an item claimed on release and not decided by NOW
    supplement: str = ""  # an item whose reviewer asks for a supplement
    supplement_open: bool = False  # ... that the applicant has not answered by NOW
    gap: str = ""  # tolerated gap: "closed" (supplied, accepted), "supplied" (waits for the window), "open"
    pledge: bool = False  # the funding pledge instead of a document; the permit approved on pledge
    reject: str = ""  # an item rejected (its dependents are not started)
    extend: bool = False  # the head extends a housing task
    late: bool = False  # one task is decided after its deadline
    rating: tuple[int, str] | None = None
    follow_up_closed: bool = False  # a poor rating's problem rectified and verified by the rater
    finish_by: datetime.datetime | None = None  # every step pulled in before this moment (finished fates)
    # While it runs.
    application: Application | None = None
    scripted: set = field(default_factory=set)
    delivering: bool = False

    def moment(self, day: datetime.date, first_hour: int = 9, last_hour: int = 17) -> datetime.datetime:
        """A moment of `day` between the hours, pulled in to `finish_by`, and a few minutes after the current
        moment at the earliest (a script never goes back in time)."""
        minute = self.rng.randint(first_hour * 60, last_hour * 60 - 1)
        when = datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), tzinfo=ZONE)
        if self.finish_by is not None:
            when = min(when, self.finish_by)
        if clock.is_frozen():
            when = max(when, clock.now() + datetime.timedelta(minutes=self.rng.randint(3, 25)))
        return when


class Stage:
    """What the scripts share: the cast, the calendar, the bundles, the timeline."""

    def __init__(self, cast: Cast, days: WorkingDays, bundles: dict, timeline: Timeline):
        self.cast = cast
        self.days = days
        self.bundles = bundles
        self.timeline = timeline
        self.contractors = list(
            Enterprise.objects.filter(industry="建筑业")
            .order_by("credit_code")
            .values_list("name", flat=True)
        )

    def later(self, story: Story, low: int, high: int, hours=(9, 17)) -> datetime.datetime:
        """A moment `low` to `high` working days after today (0: today, or the next working day)."""
        day = self.days.shift(clock.today(), story.rng.randint(low, high))
        return story.moment(day, *hours)

    # --- the applicant ----------------------------------------------------------------------------------

    def form_values(self, story: Story, application: Application) -> dict:
        """Values for the merged form's fields that have none yet (the prefilled ones keep theirs)."""
        rng, project = story.rng, story.project
        items = selectors.selected_items(application.bundle, application.answers, complete=False)
        form = selectors.merged_form(
            application.bundle, items, application.enterprise, project, application.form_data
        )
        today = clock.today()
        investment = float(project.total_investment)
        floor = float(project.floor_area or 0)
        permit = Certificate.objects.filter(
            project=project, certificate_code="construction-permit", status=Certificate.Status.VALID
        ).first()
        region = project.code.split("-")[1]
        values = {
            "floor_area": "0",  # roads, pipes and parks have no floor area to speak of
            "building_use": building_use(project),
            "civil_defense_area": f"{floor * rng.uniform(0.04, 0.08):.1f}",
            "contractor_name": rng.choice(self.contractors) if self.contractors else "中建三局集团有限公司",
            "supervisor_name": rng.choice(SUPERVISORS),
            "contract_price": f"{investment * rng.uniform(0.35, 0.65):.2f}",
            "planned_start": today + datetime.timedelta(days=rng.randint(20, 45)),
            "planned_completion": today + datetime.timedelta(days=rng.randint(300, 900)),
            "road_occupation_area": str(rng.randint(150, 3000)),
            "road_occupation_days": rng.randint(30, 180),
            "waste_volume": str(rng.randint(500, 30000)),
            "daily_discharge": str(rng.randint(20, 900)),
            "earthwork_volume": str(rng.randint(2000, 90000)),
            "agency_needs": "请窗口协助准备各事项材料并跟踪办理进度。",
            "construction_permit_number": permit.number
            if permit
            else f"{region}{today.year - 1}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(1, 99):04d}",
            "completion_date": today - datetime.timedelta(days=rng.randint(5, 40)),
            "power_capacity": str(rng.choice((630, 800, 1250, 2000, 2500, 4000, 6300))),
            "water_demand": str(rng.randint(20, 600)),
            "gas_demand": str(rng.randint(50, 2000)),
        }
        fallback = {
            FormField.Kind.NUMBER: 1,
            FormField.Kind.DECIMAL: "1",
            FormField.Kind.DATE: today,
            FormField.Kind.BOOLEAN: True,
        }
        data = {}
        for entry in form:
            if entry.value not in (None, ""):
                continue
            if entry.code in values:
                data[entry.code] = values[entry.code]
            elif entry.field.kind == FormField.Kind.CHOICE:
                data[entry.code] = entry.field.choices[0]["value"]
            elif entry.required:
                data[entry.code] = fallback.get(entry.field.kind, "—")
        return data

    def prepare(self, story: Story, application: Application, *, share: float = 1.0) -> None:
        """Fill the form and provide the materials: a tiny PDF for each one to upload, or the funding pledge;
        a gap the window is to tolerate is left out; `share` below 1 leaves a draft half done."""
        user = story.user
        data = self.form_values(story, application)
        if share < 1:
            data = dict(list(data.items())[: int(len(data) * share)])
        if data:
            application = app_services.save_form(user, application, data)
        items = selectors.selected_items(application.bundle, application.answers, complete=share >= 1)
        notice = selectors.material_notice(application.bundle, items, application.enterprise, story.project)
        needed = [entry for entry in notice if entry.needs_submission]
        if share < 1:
            needed = needed[: int(len(needed) * share)]
        for entry in needed:
            if story.gap and entry.gap_tolerated and entry.code == GAP_MATERIAL:
                continue
            if story.pledge and entry.pledge_allowed:
                app_services.pledge_material(user, application, entry.code)
                continue
            title = f"{entry.code} / {story.project.code} / demo {story.index:03d}"
            app_services.upload_material(user, application, entry.code, pdf_upload(entry.spec.name, title))

    def submit(self, story: Story, application: Application) -> Application:
        key = f"demo-{story.index:03d}-submit-{application.submission_count + 1}"
        return app_services.submit_application(story.user, application, idempotency_key=key)

    def correct_and_resubmit(self, story: Story, application: Application) -> Application:
        """Answer the correction notice: each material named uploaded again, the form fixed, resubmitted."""
        notice = application.correction_notices.order_by("-issued_at", "-id").first()
        for problem in notice.problems:
            code = problem["material"]
            if code:
                spec = app_services.bundle_spec(application, code)
                title = f"{code} corrected / demo {story.index:03d}"
                app_services.upload_material(story.user, application, code, pdf_upload(spec.name, title))
            else:
                phone = f"023-6{story.rng.randint(0, 9_999_999):07d}"
                app_services.save_form(story.user, application, {"contact_phone": phone})
        return self.submit(story, application)

    # --- the window -------------------------------------------------------------------------------------

    def accept_materials(self, application: Application) -> None:
        pending = application.materials.filter(is_current=True, verdict=SubmittedMaterial.Verdict.PENDING)
        verdicts = {material.spec.code: ("accepted", "") for material in pending.select_related("spec")}
        if verdicts:
            intake.record_verdicts(self.cast.clerk, application, verdicts)

    def request_correction(self, story: Story, application: Application) -> None:
        """One notice listing every problem: a material found wanting and, sometimes, the form."""
        current = app_services.current_materials(application)
        wanting = [
            code for code in CORRECTION_PROBLEMS if code in current and current[code].source == "upload"
        ]
        problems = [{"material": code, "problem": CORRECTION_PROBLEMS[code]} for code in wanting[:1]]
        if not problems or story.rng.random() < 0.4:
            problems.append({"material": "", "problem": FORM_PROBLEM})
        intake.request_correction(
            self.cast.clerk, application, problems, note="请按本告知一次性补正后重新提交。"
        )


GAP_MATERIAL = "quality-safety-measures"  # tolerated as a gap by the construction permit (容缺)


# --- the scripts -------------------------------------------------------------------------------------------


def application_script(story: Story, stage: Stage):
    """The application's own steps: start, submit, correction, intake; the review is in `task_script`s."""
    cast, rng, user = stage.cast, story.rng, story.user
    yield story.moment(story.start)
    application = app_services.start_application(
        user, story.project, stage.bundles[story.bundle_code], idempotency_key=f"demo-{story.index:03d}"
    )
    story.application = application
    if story.fate == DRAFT:
        answers = story.answers
        if rng.random() < 0.4:
            answers = dict(list(answers.items())[: rng.randint(1, len(answers) - 1)])
        application = app_services.save_answers(user, application, answers)
        if rng.random() < 0.7:
            stage.prepare(story, application, share=rng.choice((0.3, 0.6, 0.9)))
        return
    application = app_services.save_answers(user, application, story.answers)
    story.application = application
    stage.prepare(story, application)
    if story.left_at == DRAFT:
        yield stage.later(story, 3, 12)
        app_services.withdraw_application(user, application, rng.choice(WITHDRAW_REASONS))
        return

    yield story.submit_at or stage.later(story, 0, 1)
    application = stage.submit(story, application)
    if story.fate == SUBMITTED and not story.correction:
        return
    if story.left_at == SUBMITTED:
        yield story.moment(clock.today(), min(clock.now().hour + 1, 17), 18)
        app_services.withdraw_application(user, application, rng.choice(WITHDRAW_REASONS))
        return

    # Intake within its limit (the same or the next working day), or on the day a profile needs.
    if story.accept_day is not None and not story.correction:
        yield story.moment(story.accept_day, 9, 11)
    else:
        yield stage.later(story, 0, 1)
    if story.fate == REFUSED:
        intake.refuse_application(cast.clerk, application, REFUSALS[story.bundle_code])
        return
    if story.correction:
        stage.request_correction(story, application)
        if story.fate == CORRECTION:
            return
        if story.left_at == CORRECTION:
            if story.fate == WITHDRAWN:
                yield stage.later(story, 3, 10)
                app_services.withdraw_application(user, application, rng.choice(WITHDRAW_REASONS))
            else:  # cancelled by the administrator: the applicant never answered
                yield stage.later(story, 42, 45)
                app_services.cancel_application(cast.admin, application, CANCEL_REASONS[CORRECTION])
            return
        yield story.resubmit_at or stage.later(story, 1, 4)
        application = stage.correct_and_resubmit(story, application)
        if story.fate == SUBMITTED:
            return
        yield story.moment(story.accept_day, 9, 11) if story.accept_day else stage.later(story, 0, 1)

    stage.accept_materials(application)
    if story.gap:
        due = stage.days.shift(clock.today(), 10)
        application = intake.accept_with_gaps(cast.clerk, application, {GAP_MATERIAL: due})
        stage.timeline.add(gap_script(story, stage))
    else:
        application = intake.accept_application(cast.clerk, application)
    story.application = application
    follow(story, stage)
    if story.left_at == IN_REVIEW:
        yield stage.later(story, 2, 4)
        if story.fate == WITHDRAWN:
            app_services.withdraw_application(user, application, rng.choice(WITHDRAW_REASONS))
        else:
            app_services.cancel_application(cast.admin, application, CANCEL_REASONS[IN_REVIEW])


def follow(story: Story, stage: Stage) -> None:
    """After a step that may have released tasks or concluded the application: a script for each task just
    released; delivery and rating for an application just concluded (if its story goes that far)."""
    application = story.application
    application.refresh_from_db(fields=["status"])
    if application.status not in (A.IN_REVIEW, A.CONCLUDED):
        return
    released = (
        ReviewTask.objects.filter(application=application, status=T.PENDING)
        .exclude(pk__in=story.scripted)
        .select_related("item", "department")
        .order_by("item__code")
    )
    for task in released:
        story.scripted.add(task.pk)
        stage.timeline.add(task_script(story, stage, task))
    if application.status == A.CONCLUDED and story.fate == DELIVERED and not story.delivering:
        story.delivering = True
        stage.timeline.add(delivery_script(story, stage))


def _still(task: ReviewTask, status: str) -> bool:
    """Whether the task is still in `status` (a withdrawal or cancellation may have closed it meanwhile)."""
    task.refresh_from_db(fields=["status"])
    return task.status == status


def task_script(story: Story, stage: Stage, task: ReviewTask):
    """A released task: claimed by its department's reviewer, reviewed (an opinion or a site inspection, a
    supplement, an extension by the head) and decided, within its deadline unless the story says otherwise."""
    rng, days = story.rng, stage.days
    reviewer = stage.cast.reviewer(task.department.code)
    code = task.item.code
    claim_day = days.shift(
        task.started_on, rng.choice((0, 0, 1)) if task.promised_deadline > task.started_on else 0
    )
    yield story.moment(claim_day)
    if not _still(task, T.PENDING):
        return
    review.claim_task(reviewer, task)
    if code == story.hold:
        return  # still in review at NOW: overdue, due soon, or closed by a withdrawal

    if code == story.supplement:
        yield stage.later(story, 0, 1)
        if not _still(task, T.IN_REVIEW):
            return
        review.request_supplement(reviewer, task, SUPPLEMENTS.get(code, "请补充相关证明材料。"))
        if story.supplement_open:
            return
        yield stage.later(story, 1, 4)
        if not _still(task, T.SUPPLEMENT):
            return
        spec = next(
            (
                use.material
                for use in task.item.item_materials.select_related("material").order_by("material__code")
                if use.material.source == "upload" and use.material.code != GAP_MATERIAL
            ),
            None,
        )
        title = f"supplement / demo {story.index:03d}"
        files = {spec.code: pdf_upload(spec.name, title)} if spec else {}
        review.answer_supplement(story.user, task, SUPPLEMENT_ANSWER, files)

    if story.extend and code in EXTENDED_ITEMS:
        story.extend = False
        yield stage.later(story, 0, 1)
        if not _still(task, T.IN_REVIEW):
            return
        review.extend_deadline(stage.cast.head, task, rng.choice((3, 5)), rng.choice(EXTENSION_REASONS))

    task.refresh_from_db()
    today, deadline = clock.today(), task.promised_deadline
    if story.late and rng.random() < 0.5:
        story.late = False
        decide_day = days.shift(max(deadline, today), rng.randint(1, 3))
    else:
        decide_day = rng.choice(days.between(today, deadline) or [days.shift(today, 0)])
    if code in INSPECTED_ITEMS or rng.random() < 0.3:
        yield story.moment(rng.choice(days.between(today, decide_day) or [decide_day]), 9, 12)
        if not _still(task, T.IN_REVIEW):
            return
        if code in INSPECTED_ITEMS:
            review.record_site_inspection(reviewer, task, clock.today(), INSPECTED_ITEMS[code], True)
        else:
            review.add_opinion(reviewer, task, rng.choice(OPINIONS))
    yield story.moment(decide_day, 13, 18)
    if not _still(task, T.IN_REVIEW):
        return
    if code == story.reject:
        review.reject_task(reviewer, task, REJECTIONS[code])
    elif task.item.pledge_allowed and (
        (story.pledge and code == "construction-permit") or rng.random() < 0.1
    ):
        review.approve_task_on_pledge(reviewer, task, "申请人已书面承诺符合条件,准予许可。")
    else:
        review.approve_task(reviewer, task, rng.choice(OPINIONS))
    follow(story, stage)


EXTENDED_ITEMS = ("construction-drawing-review", "special-fire-design-review", "urban-archives-acceptance")


def gap_script(story: Story, stage: Stage):
    """The tolerated gap: supplied by the applicant, then accepted by the window (which may conclude the
    application); or supplied yesterday and waiting for the window; or never supplied."""
    if story.gap == "open":
        return
    if story.gap == "supplied":
        yield story.moment(stage.days.shift(DEMO_TODAY, -1))
    else:
        yield stage.later(story, 3, 8)
    title = f"gap / demo {story.index:03d}"
    material = intake.supply_tolerated_material(
        story.user, story.application, GAP_MATERIAL, pdf_upload("工程质量安全保证措施", title)
    )
    if story.gap == "supplied":
        return
    yield stage.later(story, 0, 1)
    intake.accept_supplied_gap(stage.cast.clerk, material)
    follow(story, stage)


def delivery_script(story: Story, stage: Stage):
    """Unified delivery by the window, the applicant's rating, and a poor rating's problem closed."""
    rng = story.rng
    yield stage.later(story, 0, 2)
    method = rng.choices(("electronic", "window", "post"), weights=(6, 3, 2))[0]
    delivery.deliver_application(
        stage.cast.clerk,
        story.application,
        method=method,
        recipient=story.user.display_name if method == "window" else "",
        address=story.project.enterprise.address if method == "post" else "",
        tracking_number=f"SF{rng.randint(10**11, 10**12 - 1)}" if method == "post" else "",
    )
    if story.rating is None:
        return
    yield stage.later(story, 0, 4)
    rating = ratings.rate_application(story.user, story.application, *story.rating)
    if story.follow_up_closed:
        # The poor rating's problem closed in the problems' loop: the lead department's head accepts and
        # rectifies it, the rater verifies (回访).
        problem = ratings.problem_of(rating)
        yield stage.later(story, 0, 1)
        lifecycle.accept_problem(stage.cast.head, problem)
        yield stage.later(story, 1, 3)
        lifecycle.rectify_problem(stage.cast.head, problem, FOLLOW_UP_RESOLUTION)
        yield stage.later(story, 0, 2)
        lifecycle.verify_problem(story.user, problem, True, FOLLOW_UP_VERIFIED)


def scan_script(days: WorkingDays):
    """The deadline scan at 08:00 as the background task runs it, on each working day (it runs every morning;
    on a rest day it finds nothing that the next working day's scan would not, since every threshold counts
    working days)."""
    for day in days.between(FIRST_DAY, DEMO_TODAY):
        yield datetime.datetime.combine(day, SCAN_TIME, tzinfo=ZONE)
        scan_deadlines()


# --- the plan ----------------------------------------------------------------------------------------------

# In-review profiles timed against NOW: the item held in review, the working days from its deadline to
# DEMO_TODAY (positive: past), and answers that select the item with no prerequisite before it.
# fmt: off
TIMED_HOLDS = (
    # escalated (overdue for a whole working day or more): the leaders are told
    (JOINT, "urban-archives-acceptance", 3, {}),  # housing: the head's to extend
    (START, "engineering-planning-permit", 2, {"land_with_scheme": "yes"}),
    (START, "sewage-discharge-permit", 4, {"site_works": "sewage"}),
    (JOINT, "planning-verification", 2, {}),
    # red: the deadline was the last working day
    (START, "soil-water-conservation", 1, {"site_works": "earthwork"}),
    (JOINT, "power-connection", 1, {"utilities": "power"}),
    # yellow: due today or on the next working day
    (START, "sewage-discharge-permit", 0, {"site_works": "sewage"}),
    (JOINT, "special-fire-acceptance", -1, {"special_construction": "yes"}),
    (START, "security-design-review", 0, {"security_sites": "yes"}),
)
# fmt: on
ANSWERS = {START: start_answers, JOINT: joint_answers}
DONE_PHASES = {
    START: (Project.Phase.STARTED, Project.Phase.UNDER_CONSTRUCTION),
    JOINT: (Project.Phase.COMPLETED, Project.Phase.IN_OPERATION),
}
OPEN_PHASES = {
    START: (Project.Phase.APPROVAL, Project.Phase.LAND_SUPPLIED, Project.Phase.STARTED),
    JOINT: (Project.Phase.UNDER_CONSTRUCTION,),
}


class Projects:
    """The projects the stories apply for: the demo applicant's by phase; the others shuffled, each used by
    one story (or one pair: start-construction, then joint acceptance of the same project)."""

    def __init__(self, rng: random.Random, demo_enterprise_id: int):
        projects = list(Project.objects.select_related("enterprise").order_by("code"))
        self.mine = {}
        for project in projects:
            if project.enterprise_id == demo_enterprise_id:
                self.mine.setdefault(project.phase, project)
        self.others = [project for project in projects if project.enterprise_id != demo_enterprise_id]
        rng.shuffle(self.others)
        self.used: set[int] = set()

    def take(self, phases) -> Project:
        project = next(p for p in self.others if p.phase in phases and p.pk not in self.used)
        self.used.add(project.pk)
        return project

    def demo(self, phase, fallback=()) -> Project:
        for wanted in (phase, *fallback):
            if wanted in self.mine:
                return self.mine[wanted]
        return next(iter(self.mine.values()))


def plan_stories(rng: random.Random, cast: Cast, days: WorkingDays, bundles: dict) -> list[Story]:
    """The ~120 stories: who applies for which project, when, and what becomes of it (see the module
    docstring); every random choice is drawn from `rng` here or from the story's own generator."""
    d0 = DEMO_TODAY
    last_evening = datetime.datetime.combine(days.shift(d0, -1), datetime.time(17, 30), tzinfo=ZONE)
    projects = Projects(rng, cast.demo_applicant.enterprise_id)
    stories: list[Story] = []

    def at(day, first=9, last=17) -> datetime.datetime:
        minute = rng.randint(first * 60, last * 60 - 1)
        return datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), tzinfo=ZONE)

    def add(fate, bundle, project, start, *, force=None, **profile) -> Story:
        story_rng = random.Random(rng.getrandbits(64))
        force = dict(force or {})
        answers = ANSWERS[bundle](story_rng, project, force)
        items = [item.code for item in selectors.selected_items(bundles[bundle], answers)]
        story = Story(
            index=len(stories) + 1,
            fate=fate,
            bundle_code=bundle,
            project=project,
            user=cast.applicant_for(project.enterprise),
            rng=story_rng,
            answers=answers,
            start=days.shift(start, 0),  # a working day
            items=items,
            **profile,
        )
        stories.append(story)
        return story

    def spread(n: int, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        """n working days spread evenly between first and last, each jittered within its share."""
        pool = days.between(first, last)
        share = len(pool) / n
        return [pool[int(i * share) + rng.randrange(max(1, int(share)))] for i in range(n)]

    def timed(bundle, project, accept_day, **profile) -> Story:
        submit_day = days.shift(accept_day, -1)
        start = days.shift(submit_day, -rng.randint(1, 3))
        return add(
            IN_REVIEW, bundle, project, start, submit_at=at(submit_day), accept_day=accept_day, **profile
        )

    # The demo applicant: a key project under construction, one in approval, one just signed.
    building = projects.demo(Project.Phase.UNDER_CONSTRUCTION, (Project.Phase.STARTED,))
    approving = projects.demo(Project.Phase.APPROVAL, (Project.Phase.LAND_SUPPLIED,))
    signed = projects.demo(Project.Phase.SIGNED, (Project.Phase.LAND_SUPPLIED,))
    add(DELIVERED, START, building, story_day(1, 12), pledge=True, rating=(5, GOOD_COMMENTS[0]))
    add(
        WITHDRAWN,
        START,
        approving,
        story_day(4, 7),
        left_at=IN_REVIEW,
        hold="engineering-planning-permit",
        force={"land_with_scheme": "yes"},
    )
    timed(JOINT, building, days.shift(d0, -5), supplement="planning-verification", supplement_open=True)
    add(CORRECTION, START, approving, days.shift(d0, -8), submit_at=at(days.shift(d0, -4)), correction=True)
    add(DRAFT, START, signed, days.shift(d0, -3))

    # Delivered: across the year, most of them rated; three projects got both bundles (certificates reused).
    for start in spread(3, story_day(1, 6), story_day(2, 27)):
        project = projects.take((Project.Phase.COMPLETED,))
        add(DELIVERED, START, project, start)
        add(DELIVERED, JOINT, project, start + datetime.timedelta(days=rng.randint(190, 230)))
    poor_closed = add(
        DELIVERED,
        START,
        projects.take(DONE_PHASES[START]),
        story_day(6, 8),
        late=True,
        extend=True,
        rating=POOR_RATINGS[0],
        follow_up_closed=True,
    )
    poor_open = add(
        DELIVERED,
        START,
        projects.take(DONE_PHASES[START]),
        days.shift(d0, -26),
        supplement="construction-drawing-review",
        rating=POOR_RATINGS[1],
    )
    bundles_of_delivered = [START] * 26 + [JOINT] * 18
    rng.shuffle(bundles_of_delivered)
    for bundle, start in zip(bundles_of_delivered, spread(44, FIRST_DAY, days.shift(d0, -45)), strict=True):
        add(DELIVERED, bundle, projects.take(DONE_PHASES[bundle]), start)
    # Concluded lately, waiting for the window to deliver.
    for bundle in (START, START, START, START, START, JOINT, JOINT, JOINT):
        back = rng.randint(26, 32) if bundle == START else rng.randint(15, 18)
        add(CONCLUDED, bundle, projects.take(DONE_PHASES[bundle]), days.shift(d0, -back))

    # In review: overdue, due soon, a supplement unanswered, gaps, and fresh ones.
    for bundle, item, overdue, force in TIMED_HOLDS:
        deadline = days.shift(d0, -overdue)
        limit = bundles[bundle].items.get(code=item).promised_limit_days
        timed(
            bundle, projects.take(OPEN_PHASES[bundle]), days.shift(deadline, -limit), hold=item, force=force
        )
    timed(
        START,
        projects.take(OPEN_PHASES[START]),
        days.shift(d0, -3),
        supplement="design-scheme-review",
        supplement_open=True,
        force={"land_with_scheme": "no"},
    )
    timed(START, projects.take(OPEN_PHASES[START]), days.shift(d0, -16), gap="open", finish_by=last_evening)
    timed(START, projects.take(OPEN_PHASES[START]), days.shift(d0, -12), gap="supplied")
    for bundle in [START] * 8 + [JOINT] * 6:
        timed(bundle, projects.take(OPEN_PHASES[bundle]), days.shift(d0, -rng.randint(0, 9)))

    # At the window: past the intake deadline, due today, due tomorrow; two resubmitted after correction.
    for bundle, back, correction in (
        (START, 2, False),
        (JOINT, 2, True),
        (START, 1, False),
        (JOINT, 1, False),
        (START, 1, True),
        (START, 0, False),
        (JOINT, 0, False),
    ):
        day = days.shift(d0, -back)
        moment = at(day, 8, 11) if back == 0 else at(day)
        project = projects.take(OPEN_PHASES[bundle])
        if correction:
            add(
                SUBMITTED,
                bundle,
                project,
                days.shift(day, -rng.randint(7, 9)),
                correction=True,
                resubmit_at=moment,
            )
        else:
            add(SUBMITTED, bundle, project, days.shift(day, -rng.randint(1, 4)), submit_at=moment)
    # In correction, waiting for the applicant.
    for bundle in (START, START, START, JOINT, JOINT):
        day = days.shift(d0, -rng.randint(2, 9))
        add(
            CORRECTION,
            bundle,
            projects.take(OPEN_PHASES[bundle]),
            days.shift(day, -rng.randint(1, 5)),
            submit_at=at(day),
            correction=True,
        )
    # Drafts: some abandoned months ago, most recent.
    for bundle, start in zip(
        (START, JOINT, START), spread(3, story_day(3, 2), story_day(7, 31)), strict=True
    ):
        add(DRAFT, bundle, projects.take(OPEN_PHASES[bundle]), start)
    for bundle in (START, START, JOINT, START, JOINT):
        add(DRAFT, bundle, projects.take(OPEN_PHASES[bundle]), days.shift(d0, -rng.randint(1, 15)))
    # Refused at intake, withdrawn, cancelled.
    for bundle, start in zip(
        (START, JOINT, START, JOINT),
        spread(4, story_day(2, 2), story_day(10, 30)),
        strict=True,
    ):
        add(REFUSED, bundle, projects.take(OPEN_PHASES[bundle]), start)
    add(WITHDRAWN, START, projects.take(OPEN_PHASES[START]), story_day(6, 15), left_at=DRAFT)
    add(WITHDRAWN, JOINT, projects.take(OPEN_PHASES[JOINT]), story_day(8, 10), left_at=SUBMITTED)
    add(
        WITHDRAWN,
        START,
        projects.take(OPEN_PHASES[START]),
        story_day(9, 14),
        left_at=CORRECTION,
        correction=True,
    )
    add(
        CANCELLED,
        START,
        projects.take(OPEN_PHASES[START]),
        story_day(6, 1),
        left_at=IN_REVIEW,
        hold="construction-drawing-review",
    )
    add(
        CANCELLED,
        JOINT,
        projects.take(OPEN_PHASES[JOINT]),
        story_day(7, 6),
        left_at=CORRECTION,
        correction=True,
    )

    # What happens on the way to the end, for the finished ones (drawn per story, in story order).
    for story in stories:
        if story.fate not in FINISHED:
            continue
        story.finish_by = last_evening
        if story in (poor_closed, poor_open):
            continue
        r = story.rng
        story.correction = story.correction or r.random() < 0.15
        if story.bundle_code == START:
            story.pledge = story.pledge or r.random() < 0.35
            story.gap = "closed" if r.random() < 0.08 else ""
            rejectable = [code for code in REJECTIONS if code in story.items]
            if rejectable and r.random() < 0.1:
                story.reject = r.choice(rejectable)
        if r.random() < 0.2:
            story.supplement = r.choice([code for code in SUPPLEMENTS if code in story.items])
        story.extend = r.random() < 0.15 and any(code in story.items for code in EXTENDED_ITEMS)
        story.late = r.random() < 0.12
        if story.fate == DELIVERED and story.rating is None and r.random() < 0.75:
            score = r.choices((5, 4, 3), weights=(62, 27, 11))[0]
            story.rating = (score, r.choice(GOOD_COMMENTS if score == 5 else FAIR_COMMENTS))
    for story in stories:
        if story.fate == IN_REVIEW and not story.hold and not story.supplement and not story.gap:
            r = story.rng
            if r.random() < 0.2:
                story.supplement = r.choice([code for code in SUPPLEMENTS if code in story.items] or [""])
    return stories


# --- running it --------------------------------------------------------------------------------------------


@dataclass
class ApplicationsSummary:
    """What the demo's year of applications left: counts by state and bundle, and by what waits for whom."""

    by_status: dict = field(default_factory=dict)  # {status: {bundle code: count}}
    bundles: dict = field(default_factory=dict)  # {bundle code: name}
    total: int = 0
    note: str = ""  # why there are none


def create_applications(seed: int, steps, person_name, scripts=()) -> ApplicationsSummary:
    """Play the year of applications up to NOW (see the module docstring); returns the counts by state.

    `scripts`: more stories told on the same timeline, each a callable (stage, seed) → scripts (generators
    like `application_script`), so that their steps interleave with the year's in time (running numbers and
    the morning deadline scan included), e.g. `demo.handovers.scripts`."""
    set_present(clock.today())
    version = CatalogVersion.objects.effective_on(DEMO_TODAY)
    bundles = {bundle.code: bundle for bundle in version.bundles.all()} if version else {}
    if START not in bundles or JOINT not in bundles:
        return ApplicationsSummary(note=_("未生成办件:演示目录中没有开工一件事和联合验收一件事。"))
    rng = random.Random(f"{seed}:applications")
    # From before the first story to well after the present: deadlines of the last stories reach next year,
    # counted provisionally while its official schedule is not published (workdays.calendar).
    days = WorkingDays(FIRST_DAY - datetime.timedelta(days=60), DEMO_TODAY + datetime.timedelta(days=500))
    cast = Cast(random.Random(f"{seed}:applicants"), person_name)
    stories = plan_stories(rng, cast, days, bundles)

    total_days = (DEMO_TODAY - FIRST_DAY).days + 1
    steps.start(_("办件(逐日模拟至 %(day)s)") % {"day": DEMO_TODAY.isoformat()}, total_days)
    timeline = Timeline(NOW, on_time=lambda when: steps.advance_to((when.date() - FIRST_DAY).days))
    stage = Stage(cast, days, bundles, timeline)
    for story in stories:
        timeline.add(application_script(story, stage))
    for make in scripts:
        for script in make(stage, seed):
            timeline.add(script)
    timeline.add(scan_script(days))
    timeline.run()
    read_what_came_before(NOW - READ_BEFORE)
    steps.advance_to(total_days)
    return summarize(bundles)


# People who have worked in the zone all year have read what reached them before the last week: the demo's
# inboxes hold the last week's news unread, not the year's (each notification read an hour after it came).
READ_BEFORE = datetime.timedelta(days=7)


def read_what_came_before(moment: datetime.datetime) -> int:
    return Notification.objects.filter(read_at__isnull=True, created_at__lt=moment).update(
        read_at=F("created_at") + datetime.timedelta(hours=1)
    )


def summarize(bundles: dict) -> ApplicationsSummary:
    """The applications by state and bundle."""
    counts = Counter(Application.objects.values_list("status", "bundle__code"))
    # 开工 and 联合验收 first, then every other bundle the demo applied for (交地即领证, 一业一证 …), so that
    # the columns add up to the total.
    others = sorted({code for _status, code in counts} - {START, JOINT})
    names = dict(
        Bundle.objects.filter(code__in=others).order_by("version__number").values_list("code", "name")
    )
    summary = ApplicationsSummary(
        bundles={code: bundles[code].name for code in (START, JOINT)} | {code: names[code] for code in others}
    )
    for status in A.values:
        summary.by_status[status] = {code: counts.get((status, code), 0) for code in summary.bundles}
    summary.total = sum(counts.values())
    return summary
