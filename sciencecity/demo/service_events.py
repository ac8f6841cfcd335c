"""A year of the zone's service events for enterprises (惠企服务活动), played through their services on the days
they happened: the 科学家·创业者·陪跑人交流对话会 of the science bureau (the seeds' "2025年科学家·创业者·陪跑人交流对话会"
about eleven months before the demo's present, and a biomedicine one since), policy briefings, a bank–enterprise
and an industry–university matchmaking meeting, group visits to the zone's parks, an event called off, one held
the day before yesterday whose outcome nobody has recorded yet, and two ahead with their enterprises invited.

Each event has its enterprises (tech-based ones; the demo applicant's integrated-circuit enterprise at the
dialogue, the chip matchmaking and the next dialogue) with their representatives, scientists and experts by
name and institution, and escort staff (the demo specialist, the party-building instructors, the science
bureau's reviewer). Demands raised there enter the closed loop (`problems.services.lifecycle`) and are played
by the departments the categories route them to — the older ones closed and verified, the recent ones being
rectified, waiting for verification, overdue or just dispatched. Held events have their outcome, and the
organiser enters the meetings into the interaction register the next working day.

Everything is drawn from `random.Random(f"{seed}:service-events")` and enterprises in credit-code order, so the
same seed gives the same events; every step runs with the platform clock frozen at its moment, never after the
demo's present.
"""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext as _

from sciencecity.accounts.models import Department, User
from sciencecity.enterprises.models import Enterprise
from sciencecity.interactions.service_events import services
from sciencecity.problems.models import Problem, ProblemCategory
from sciencecity.problems.services import lifecycle
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import add_working_days, is_working_day

from . import applications as demo_applications
from .projects import _moment

CLOSED, RECTIFIED, RECTIFYING, DISPATCHED = "closed", "rectified", "rectifying", "dispatched"


@dataclass(frozen=True)
class Plan:
    """One event: `days` from the present (negative: past), its kind, title ({year} is its year's), place,
    organising department (code), how many enterprises, its experts (institution, title), escorts, the fates of
    its demands (category code, fate), the outcome (summary, agreements) and the register's list items; `fate`
    of the event itself: held (outcome recorded), waiting (held, outcome not yet recorded), cancelled, ahead."""

    days: int
    hour: int
    kind: str
    title: str
    place: str
    department: str
    enterprises: int
    experts: tuple = ()
    demands: tuple = ()
    outcome: tuple = ("", "")
    items: tuple = ("enc-consult",)
    fate: str = "held"
    applicant: bool = False
    reason: str = ""


UNIVERSITIES = (
    ("重庆大学", "教授"),
    ("西南大学", "教授"),
    ("中国科学院重庆绿色智能技术研究院", "研究员"),
    ("金凤实验室", "首席科学家"),
    ("陆军军医大学", "教授"),
    ("重庆医科大学", "教授"),
    ("嘉陵江实验室", "研究员"),
    ("种质创制大科学中心", "研究员"),
    ("重庆邮电大学", "副教授"),
)
BANKERS = (
    ("重庆银行科学城支行", "行长"),
    ("重庆三峡银行高新区支行", "副行长"),
    ("科学城产业投资基金", "投资总监"),
)

# fmt: off
PLANS = (
    Plan(-340, 14, "dialogue", "{year}年科学家·创业者·陪跑人交流对话会", "科学会堂一楼报告厅", "science", 8,
         experts=UNIVERSITIES[:4], applicant=True,
         demands=(("demand-approval", CLOSED), ("demand-land", CLOSED), ("demand-finance", CLOSED),
                  ("demand-labour", CLOSED), ("demand-finance", CLOSED)),
         outcome=("科学家、创业者和陪跑人围绕成果转化、中试熟化和融资对接交流,现场收集企业诉求 5 条,均已转入问题闭环办理。",
                  "重庆大学与 2 家企业签订联合研发意向\n金凤实验室开放中试平台,企业按需预约\n每季度举办一期对话会,由科技创新局牵头")),
    Plan(-290, 9, "policy_briefing", "“金凤凰”政策宣讲会(科技创新专场)", "科学城政务服务中心报告厅", "science", 12,
         experts=(("科学城科技创新局", "政策专员"),), items=("enc-policy",),
         demands=(("demand-finance", CLOSED), ("demand-approval", CLOSED)),
         outcome=("解读研发投入补贴、首台套和知识产权等 10 条创新政策,现场答疑 20 余个问题。",
                  "对符合条件未申请的企业逐一电话提醒\n编印政策申报指引并上传平台")),
    Plan(-230, 14, "matchmaking", "银企融资对接会", "科学城金融服务中心", "finance", 10,
         experts=BANKERS, items=("enc-consult", "enc-solve"),
         demands=(("demand-finance", CLOSED), ("demand-finance", CLOSED), ("demand-finance", CLOSED)),
         outcome=("3 家银行、1 家产业基金与 10 家科技型企业现场对接,意向授信合计 1.2 亿元。",
                  "银行 2 周内完成尽职调查\n推荐 2 家企业纳入“先投后股”项目库")),
    Plan(-170, 10, "group_visit", "重点项目组团上门服务(西永微电园)", "西永微电园企业现场", "development", 4,
         items=("enc-solve", "enc-approve"),
         demands=(("demand-approval", CLOSED), ("demand-land", CLOSED), ("demand-labour", CLOSED)),
         outcome=("发改、规资、住建、人社组团上门,现场解答开工审批和用工问题。",
                  "开工一件事由服务专员帮办代办\n规资局一周内出具规划条件答复")),
    Plan(-120, 14, "matchmaking", "产学研对接会(集成电路专场)", "金凤实验室报告厅", "science", 6,
         experts=(UNIVERSITIES[0], UNIVERSITIES[8], UNIVERSITIES[2]), applicant=True,
         demands=(("demand-labour", CLOSED), ("demand-approval", CLOSED), ("demand-land", RECTIFYING)),
         outcome=("高校院所发布集成电路领域成果 12 项,企业提出技术需求 8 项,达成合作意向 3 项。",
                  "重庆邮电大学与企业共建联合实验室\n技术需求清单在平台发布,持续对接")),
    Plan(-75, 14, "dialogue", "科学家·创业者·陪跑人交流对话会(生物医药专场)", "金凤生物医药园会议中心", "science", 6,
         experts=(UNIVERSITIES[4], UNIVERSITIES[5], UNIVERSITIES[3]),
         demands=(("demand-finance", CLOSED), ("demand-labour", RECTIFIED), ("demand-land", RECTIFYING),
                  ("demand-approval", CLOSED)),
         outcome=("围绕创新药临床试验、医疗器械注册和人才引进深入交流,收集诉求 4 条。",
                  "陆军军医大学与 1 家企业签订临床合作意向\n人社局开展生物医药专场招聘")),
    Plan(-60, 10, "matchmaking", "新能源汽车产业链对接会", "科学会堂二楼会议室", "economy", 5,
         fate="cancelled", reason="主讲专家行程调整,改期举办,另行通知。"),
    Plan(-30, 9, "policy_briefing", "高校毕业生就业和人才政策宣讲会", "科学城人力资源市场", "human_resources", 8,
         experts=(("重庆大学就业指导中心", "主任"),), items=("enc-policy",),
         demands=(("demand-labour", CLOSED), ("demand-labour", RECTIFYING)),
         outcome=("宣讲人才公寓、落户和社保补贴政策,8 家企业发布岗位 120 个。", "组织企业参加春季校园招聘")),
    Plan(-9, 10, "group_visit", "组团上门服务(金凤生物医药园)", "金凤生物医药园企业现场", "development", 3,
         items=("enc-solve",),
         demands=(("demand-approval", RECTIFYING), ("demand-land", DISPATCHED)),
         outcome=("组团走访 3 家企业,梳理审批、用地问题 2 项,已转入问题闭环。", "")),
    Plan(-2, 14, "policy_briefing", "研发费用加计扣除政策宣讲会", "科学城政务服务中心报告厅", "economy", 9,
         items=("enc-policy",), fate="waiting", demands=(("demand-finance", DISPATCHED),)),
    Plan(6, 14, "dialogue", "科学家·创业者·陪跑人交流对话会(新材料专场)", "科学会堂一楼报告厅", "science", 7,
         experts=(UNIVERSITIES[1], UNIVERSITIES[6]), fate="ahead", applicant=True),
    Plan(20, 9, "matchmaking", "知识产权质押融资对接会", "科学城金融服务中心", "finance", 6,
         experts=BANKERS[:2], fate="ahead"),
)
# fmt: on

TITLES = ("总经理", "副总经理", "技术总监", "研发负责人", "财务总监", "行政主管", "董事长")
DEMANDS = {
    "demand-land": (
        (
            "{enterprise}扩产用地需求",
            "企业产能接近饱和,拟新建生产线,需新增工业用地约{n}0亩,希望协调选址和供地时序。",
        ),
        ("{enterprise}中试基地用地需求", "企业成果进入中试阶段,需租用或新建中试厂房约{n}000平方米。"),
    ),
    "demand-labour": (
        ("{enterprise}技术工人招聘需求", "新产线投产需招聘技术工人约{n}0名,希望协助对接职业院校和招聘会。"),
        ("{enterprise}高层次人才住房需求", "新引进博士{n}名,希望协调人才公寓和子女入学。"),
    ),
    "demand-finance": (
        ("{enterprise}流动资金贷款需求", "订单增长,流动资金缺口约{n}00万元,希望对接银行信用贷款。"),
        ("{enterprise}知识产权质押融资需求", "企业拥有发明专利{n}项,希望办理知识产权质押融资。"),
    ),
    "demand-approval": (
        (
            "{enterprise}新建厂房施工许可咨询",
            "计划{n}个月内开工建设新厂房,希望提前指导施工许可办理并容缺受理。",
        ),
        ("{enterprise}实验室环评手续咨询", "新建研发实验室涉及危险化学品使用,希望明确环评类别和办理路径。"),
    ),
}
MEASURES = {
    "demand-land": "已推荐 {m} 处备选地块,企业完成现场踏勘,纳入下一批供地计划。",
    "demand-labour": "已组织专场招聘,对接 {m} 所职业院校,企业招聘到岗 {m}0 人。",
    "demand-finance": "已组织银企对接,{m} 家银行给予授信,首笔贷款已发放。",
    "demand-approval": "已安排帮办代办专员上门指导,企业已通过开工一件事提交申请。",
}


@dataclass
class EventsSummary:
    events: int = 0
    held: int = 0
    participants: int = 0
    demands: int = 0
    closed: int = 0
    interactions: int = 0


def _working(day: datetime.date) -> datetime.date:
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def _last_working(today: datetime.date) -> datetime.date:
    day = today - datetime.timedelta(days=1)
    while not is_working_day(day):
        day -= datetime.timedelta(days=1)
    return day


def _day(today: datetime.date, days: int) -> datetime.date:
    """The working day of an event `days` from today: the next working day, but for a past event one before
    today (a past event on a weekend or holiday just before the present is held on the working day before it,
    not moved onto the present or after it)."""
    day = _working(today + datetime.timedelta(days=days))
    if days < 0 and day >= today:
        day = _last_working(today + datetime.timedelta(days=days + 1))
    return day


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _organiser(code: str) -> User | None:
    """The head of the organising department (or its reviewer), who records the event."""
    return (
        User.objects.filter(
            department__code=code, is_active=True, groups__name__in=("department_head", "department_reviewer")
        )
        .order_by("groups__name", "username")
        .first()
    )


def _handler(problem: Problem) -> User | None:
    """Someone of the department the demand was routed to, who takes and rectifies it."""
    if problem.department_id is None:
        return None
    groups = Group.objects.filter(name__in=("department_head", "department_reviewer"))
    return (
        User.objects.filter(department_id=problem.department_id, is_active=True, groups__in=groups)
        .order_by("username")
        .first()
    )


def create_service_events(seed: int, steps, person_name) -> EventsSummary:
    rng = random.Random(f"{seed}:service-events")
    summary = EventsSummary()
    today = clock.today()
    now = demo_applications.NOW if demo_applications.NOW.date() == today else clock.now()
    specialist = _user("specialist")
    applicant = User.objects.filter(username="applicant").select_related("enterprise").first()
    escorts = [
        person
        for person in (specialist, _user("reviewer-science"), _user("party-2"), _user("party-3"))
        if person is not None
    ]
    categories = {category.code: category for category in ProblemCategory.objects.filter(code__in=DEMANDS)}
    pool = list(
        Enterprise.objects.filter(Q(is_tech_based=True) | Q(is_high_tech=True))
        .exclude(pk=getattr(applicant, "enterprise_id", None))
        .order_by("credit_code")
    )
    if specialist is None or not pool:
        return summary
    steps.start(_("惠企服务活动"), len(PLANS))
    for plan in PLANS:
        organiser = _organiser(plan.department)
        department = Department.objects.filter(code=plan.department).first()
        if organiser is None or department is None:
            steps.advance()
            continue
        day = _day(today, plan.days)
        starts_at = _moment(day, plan.hour)
        # Recorded two weeks or so ahead, and at the latest the working day before the present.
        recorded_on = min(_working(day - datetime.timedelta(days=rng.randint(10, 16))), _last_working(today))
        enterprises = rng.sample(pool, min(plan.enterprises, len(pool)))
        if plan.applicant and applicant is not None and applicant.enterprise_id:
            enterprises[0] = applicant.enterprise
        title = plan.title.format(year=day.year)
        with clock.frozen_at(_moment(recorded_on, 10)):
            event = services.record_event(
                organiser,
                kind=plan.kind,
                title=title,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=3),
                place=plan.place,
                department=department,
                description=f"{title}:邀请企业、科学家和陪跑人员参加,现场交流并收集企业诉求。",
            )
            for enterprise in enterprises:
                services.add_participant(
                    organiser,
                    event,
                    role="enterprise",
                    enterprise=enterprise,
                    representatives=f"{person_name(rng)}({rng.choice(TITLES)})",
                )
            for institution, title in plan.experts:
                services.add_participant(
                    organiser,
                    event,
                    role="expert",
                    name=person_name(rng),
                    institution=institution,
                    title=title,
                )
            team = [specialist, *rng.sample(escorts[1:], min(2, len(escorts) - 1))]
            for person in team:
                services.add_participant(organiser, event, role="escort", person=person, title="陪跑人员")
        summary.events += 1
        summary.participants += len(enterprises) + len(plan.experts) + len(team)
        if plan.fate == "cancelled":
            with clock.frozen_at(_moment(_working(day - datetime.timedelta(days=5)), 15)):
                services.cancel_event(organiser, event, plan.reason)
            steps.advance()
            continue
        if plan.fate == "ahead":
            steps.advance()
            continue
        raised = []
        for index, (code, fate) in enumerate(plan.demands):
            category = categories.get(code)
            if category is None:
                continue
            enterprise = enterprises[index % len(enterprises)]
            # The demo applicant raises its own enterprise's demand; the escort specialist the others'.
            person = (
                applicant
                if applicant is not None and enterprise.pk == applicant.enterprise_id
                else specialist
            )
            title, text = rng.choice(DEMANDS[code])
            words = {"enterprise": enterprise.name, "n": rng.randint(2, 9)}
            with clock.frozen_at(starts_at + datetime.timedelta(minutes=40 + 15 * index)):
                demand = services.raise_demand(
                    person,
                    event,
                    enterprise=enterprise,
                    category=category,
                    title=title.format(**words),
                    description=text.format(**words),
                )
            raised.append((demand.problem, fate, person))
        summary.demands += len(raised)
        after = _working(day + datetime.timedelta(days=1))
        if plan.fate == "held" and _moment(after, 16) <= now:
            with clock.frozen_at(_moment(after, 16)):
                services.record_outcome(organiser, event, summary=plan.outcome[0], agreements=plan.outcome[1])
            summary.held += 1
        if plan.fate == "held" and _moment(after, 17) <= now:
            names = "、".join(str(person) for person in [organiser, *team[:2]])
            with clock.frozen_at(_moment(after, 17)):
                summary.interactions += len(
                    services.register_interactions(
                        organiser, event, items=list(plan.items), officials_present=names
                    )
                )
        for problem, fate, reporter in raised:
            summary.closed += _play(rng, problem, fate, reporter, day, now)
        steps.advance()
    with clock.frozen_at(demo_applications.NOW):  # what came before last week has been read
        demo_applications.read_what_came_before(demo_applications.NOW - demo_applications.READ_BEFORE)
    return summary


def _play(rng, problem: Problem, fate: str, reporter, day: datetime.date, now) -> int:
    """Take the demand's problem as far as its fate, each step on a working day after the last, never past now."""
    if fate == DISPATCHED:
        return 0
    handler = _handler(problem)
    if handler is None:
        return 0
    accepted = _moment(add_working_days(day, 1), 9)
    if accepted > now:
        return 0
    with clock.frozen_at(accepted):
        problem = lifecycle.accept_problem(handler, problem)
    if fate == RECTIFYING:
        return 0
    measure = MEASURES[problem.category.code].format(m=rng.randint(2, 6))
    rectified = _moment(add_working_days(day, rng.randint(3, max(4, problem.category.deadline_days - 1))), 15)
    if rectified > now:
        return 0
    with clock.frozen_at(rectified):
        problem = lifecycle.rectify_problem(handler, problem, measure)
    if fate == RECTIFIED:
        return 0
    verified = _moment(add_working_days(rectified.date(), rng.randint(1, 2)), 11)
    if verified > now:
        return 0
    with clock.frozen_at(verified):
        problem = lifecycle.verify_problem(reporter, problem, True, "已回访企业,企业对办理结果满意。")
        if rng.random() < 0.8:
            lifecycle.rate_problem(reporter, problem, rng.choice((4, 5, 5)))
    return 1
