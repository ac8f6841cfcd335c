"""The key projects' year in the demo: the seeds' named projects, an escort team "1+N+5" for each of the 169
key projects, the year's plans, monthly reports from January up to the present, service logs, help-and-do for
the applicant's key project, supervision notes, and the warnings those records make — every write through the
project services, each on the day it happened (`clock.frozen_at`).

- **Named projects** (from the seed articles): six key projects under construction are renamed 科学大道二期,
  科学谷(一期), 坪山大道, 科学城隧道, 超瞬态实验装置 and 航空发动机维修基地 (built in three phases, each with its
  own milestones), each under its task force (专班). Roads and tunnels are linear works (their own milestones).
- **Teams**: a lead from five leading officials (the `leader` account among them), one to three service
  specialists from the departments' reviewers (the `specialist` account escorts the applicant's key project
  and a score of others), and a party-building instructor (the `party` account and four colleagues).
- **Reports and colours**: most projects report on time and keep pace with their plan (green); some fall 10–30
  points behind the time schedule (yellow), a few more than 30 (red), some miss the last month's report
  (yellow), and some of those not yet started are past their planned start (yellow, over three months red).
- Deterministic from the seed: one `random.Random(f"{seed}:projects")`, projects taken in code order.
"""

import datetime
import random
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

from sciencecity.accounts.models import User
from sciencecity.approvals.services import help as help_services
from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.problems.models import ProblemCategory
from sciencecity.projects.models import Milestone, MilestoneKind, Project
from sciencecity.projects.services import escort, inspections, registry, reports, schedule, warnings
from sciencecity.workdays import clock

from . import applications as demo_applications

P = Project.Phase
REPORTING = (P.STARTED, P.UNDER_CONSTRUCTION)
NOT_STARTED = (P.SIGNED, P.LAND_SUPPLIED, P.APPROVAL)
# How late a key project not started yet is (`_late_starts`).
ON_TIME, YELLOW_LATE, RED_LATE = "on_time", "yellow", "red"

# The seeds' named key projects: (name, task force, linear work?, phases).
NAMED = (
    ("科学大道二期工程", "科学大道专班", True, 0),
    ("科学谷(一期)", "科学谷专班", False, 0),
    ("坪山大道", "重大基础设施专班", True, 0),
    ("科学城隧道", "重大基础设施专班", True, 0),
    ("超瞬态实验装置", "大科学装置专班", False, 0),
    ("航空发动机维修基地", "航空产业专班", False, 3),
)
TASK_FORCES = ("西永微电园专班", "大学城专班", "金凤片区专班", "科学谷专班", "重大基础设施专班")
LEADS = (
    ("leader", None),
    ("leader-2", "刘建华"),
    ("leader-3", "陈国庆"),
    ("leader-4", "冉志刚"),
    ("leader-5", "谭晓东"),
)
INSTRUCTORS = (
    ("party", None),
    ("party-2", "向红梅"),
    ("party-3", "秦文静"),
    ("party-4", "袁海燕"),
    ("party-5", "彭德明"),
)
LINEAR_WORDS = ("道路", "大道", "隧道", "管廊", "雨污")
VISITS = (
    "上门指导施工许可申报材料准备,现场核对总平面图与规划条件。",
    "走访项目现场,了解塔吊、临水临电接入进度。",
    "对接建设单位,梳理联合验收所需资料清单。",
    "现场协调施工便道占道事宜,约定由城管局现场踏勘。",
)
SUPERVISIONS = (
    "督促总包单位按周计划增加作业面和劳动力。",
    "督促建设单位按期报送月报并补齐形象进度照片。",
    "督促落实雨季施工安全措施和进度纠偏计划。",
)
COORDINATIONS = (
    "协调供电公司为项目增容报装开辟绿色通道。",
    "协调规划和自然资源局解决红线外临时用地问题。",
)
EVALUATIONS = ("专员响应及时,材料一次性告知清楚。", "服务到位,协调解决了用电接入问题。")
NOTES = (
    "抽查护航服务记录,月报报送滞后,已提醒牵头负责人督促整改。",
    "跟进项目投资进度,要求专班说明滞后原因和追赶措施。",
)


@dataclass
class ProjectsSummary:
    teams: int = 0
    reports: int = 0
    logs: int = 0
    inspections: int = 0
    green: int = 0
    yellow: int = 0
    red: int = 0


def _moment(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=demo_applications.ZONE)


def _amount(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _people(password_hash) -> dict:
    """The leading officials and party-building instructors of the teams (characters, no login, besides the
    demo's `leader` and `party` accounts)."""
    groups = {group.name: group for group in Group.objects.filter(name__in=("leader", "party_officer"))}
    found = {}
    for usernames, role in ((LEADS, "leader"), (INSTRUCTORS, "party_officer")):
        for username, name in usernames:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, display_name=name)
                user.set_unusable_password()
                user.save()
                user.groups.add(groups[role])
                record(
                    None,
                    "demo.create_user",
                    user,
                    after={**snapshot(user, fields=["username", "display_name"]), "groups": [role]},
                )
            found[username] = user
    return found


def name_seed_projects() -> None:
    """Rename six key projects under construction after the seeds' named projects (before the applications
    are played, so their forms carry the names)."""
    candidates = list(
        Project.objects.filter(
            is_key=True, phase=P.UNDER_CONSTRUCTION, investment_type="government"
        ).order_by("code")
    )
    linear = schedule.ensure_type("linear")
    for project, (name, task_force, is_linear, _phases) in zip(candidates, NAMED, strict=False):
        fields = {"name": name, "task_force": task_force}
        if is_linear:
            fields["project_type"] = linear
        registry.update_project(None, project, **fields)


def create_escort(seed: int, steps, password_hash=None) -> ProjectsSummary:
    rng = random.Random(f"{seed}:projects")
    today = clock.today()
    summary = ProjectsSummary()
    people = _people(password_hash)
    leads = [people[username] for username, _name in LEADS]
    instructors = [people[username] for username, _name in INSTRUCTORS]
    specialist = User.objects.get(username="specialist")
    reviewers = list(
        User.objects.filter(groups__name="department_reviewer", department__isnull=False).order_by("username")
    )
    applicant = User.objects.get(username="applicant")
    categories = list(ProblemCategory.objects.reportable().order_by("code"))
    site_category = next(
        (c for c in categories if "site" in c.code or "construction" in c.code),
        categories[0] if categories else None,
    )
    linear = schedule.ensure_type("linear")
    inspectors = list(
        User.objects.filter(groups__name="inspector")
        .filter(username__startswith="site-inspector-")
        .order_by("username")
    )
    inspectors = inspectors or list(User.objects.filter(username="inspector"))
    projects = list(Project.objects.filter(is_key=True).select_related("enterprise").order_by("code"))
    steps.start(_("重点项目护航"), len(projects))
    named = {name: (task_force, phases) for name, task_force, _linear, phases in NAMED}
    lateness = _late_starts(seed, projects)
    for index, project in enumerate(projects):
        with clock.frozen_at(
            _moment(min(datetime.date(today.year, 1, 6), today - datetime.timedelta(days=1)))
        ):
            _team(rng, project, leads, instructors, specialist, reviewers, applicant, index, named, linear)
        summary.teams += 1
        _schedule(rng, project, today, named, lateness.get(project.pk, ON_TIME))
        summary.reports += _reports(rng, project, today, applicant, site_category)
        summary.logs += _logs(rng, project, today)
        summary.inspections += _inspections(rng, project, today, inspectors, site_category)
        steps.advance()
    _help_and_do(applicant, specialist, today)
    with clock.frozen_at(demo_applications.NOW):
        warnings.refresh(today=today)
        supervisor = User.objects.get(username="supervisor")
        flagged = Project.objects.filter(is_key=True).exclude(warning_level="green").order_by("code")[:8]
        for number, project in enumerate(flagged):
            escort.add_supervision_note(supervisor, project, NOTES[number % len(NOTES)])
        demo_applications.read_what_came_before(demo_applications.NOW - demo_applications.READ_BEFORE)
    key = Counter(Project.objects.filter(is_key=True).values_list("warning_level", flat=True))
    summary.green, summary.yellow, summary.red = key["green"], key["yellow"], key["red"]
    return summary


def _team(rng, project, leads, instructors, specialist, reviewers, applicant, index, named, linear) -> None:
    task_force = named[project.name][0] if project.name in named else TASK_FORCES[index % len(TASK_FORCES)]
    fields = {"task_force": task_force}
    if project.project_type_id is None and any(word in project.name for word in LINEAR_WORDS):
        fields["project_type"] = linear
    registry.update_project(None, project, **fields)
    escort.set_member(None, project, leads[index % len(leads)], "lead", "牵头协调项目推进")
    own = project.enterprise_id == applicant.enterprise_id
    chosen = [specialist] if own or index % 7 == 0 else []
    for reviewer in rng.sample(reviewers, k=rng.randint(1, 2)):
        if reviewer not in chosen:
            chosen.append(reviewer)
    for person in chosen:
        duty = "审批代办" if person == specialist else f"{person.department.name}事项指导"
        escort.set_member(None, project, person, "specialist", duty)
    escort.set_member(
        None, project, instructors[index % len(instructors)], "instructor", "党建指导“一对一”服务"
    )


def _late_starts(seed: int, projects) -> dict[int, str]:
    """{project id: how late its start is} for the key projects not started yet: a tenth over three months
    past their planned start (red), a fifth a month or two (yellow), the others planned ahead. Dealt from a
    shuffled deck rather than drawn one by one, so that every world has late ones of both colours whatever day
    it is built on (early in a year they are its only red projects: no plan can lag yet)."""
    waiting = [project.pk for project in projects if project.phase in NOT_STARTED]
    red = max(1, round(len(waiting) * 0.1))
    yellow = max(1, round(len(waiting) * 0.2))
    deck = [RED_LATE] * red + [YELLOW_LATE] * yellow + [ON_TIME] * max(0, len(waiting) - red - yellow)
    random.Random(f"{seed}:late-starts").shuffle(deck)
    return dict(zip(waiting, deck, strict=False))


def _schedule(rng, project, today, named, late: str = ON_TIME) -> None:
    year = today.year
    start_of_year = _moment(min(datetime.date(year, 1, 8), today - datetime.timedelta(days=1)))
    total = float(project.total_investment)
    with clock.frozen_at(start_of_year):
        if project.phase in REPORTING:
            started = datetime.date(year - rng.randint(0, 2), rng.randint(1, 12), rng.randint(1, 28))
            started = min(started, start_of_year.date() - datetime.timedelta(days=3))
            drawn_category = "new" if started.year == year else "continuing"
            kept = _dated_start(project)  # a mass start dated it (`demo.mass_starts`): kept as it is
            planned_start = started - datetime.timedelta(days=rng.choice((0, 0, 10, 30)))
            if kept is None:
                schedule.set_milestone(None, project, "start", planned_on=planned_start, actual_on=started)
            else:
                started = planned_start = kept
            schedule.set_milestone(
                None,
                project,
                "land",
                planned_on=min(planned_start - datetime.timedelta(days=120), start_of_year.date()),
                actual_on=min(
                    planned_start - datetime.timedelta(days=rng.randint(90, 150)), start_of_year.date()
                ),
            )
            finish = datetime.date(year + rng.randint(0, 2), rng.randint(1, 12), 28)
            schedule.set_milestone(None, project, "acceptance", planned_on=finish)
            category = "new" if started.year == year else "continuing"
            share = rng.uniform(0.18, 0.32)
            schedule.set_plan(
                None,
                project,
                year,
                category,
                _amount(min(total, total * share)),
                "主体结构施工,年底完成形象进度目标",
            )
            drawn = rng.uniform(0.1, 0.3) if drawn_category == "continuing" else 0.2
            # Years under way since a mass start: more of the total spent before this year.
            running = year - started.year - 1 if kept is not None else 0
            prior = total * min(0.8, drawn + 0.1 * max(0, running)) if category == "continuing" else 0
            registry.update_project(None, project, prior_investment=_amount(prior))
            stages = named.get(project.name, (None, 0))[1]
        else:
            stages = 0
    with clock.frozen_at(_moment(today - datetime.timedelta(days=1))):
        for number in range(1, stages + 1):
            stage = schedule.add_stage(None, project, f"{'一二三四'[number - 1]}期")
            planned = datetime.date(year - 2 + number, 3, 1)
            actual = (
                planned + datetime.timedelta(days=20)
                if planned + datetime.timedelta(days=20) < today
                else None
            )
            schedule.set_milestone(None, project, "start", stage=stage, planned_on=planned, actual_on=actual)
            schedule.set_milestone(
                None, project, "acceptance", stage=stage, planned_on=datetime.date(year + number, 6, 30)
            )
    if project.phase in REPORTING:
        return
    with clock.frozen_at(start_of_year):
        if project.phase in NOT_STARTED:
            # Some are past their planned start (`_late_starts`): a month or two (yellow), or over three
            # months (red).
            if late == YELLOW_LATE:
                planned = today - datetime.timedelta(days=rng.randint(20, 80))
            elif late == RED_LATE:
                planned = today - datetime.timedelta(days=rng.randint(100, 200))
            else:
                planned = today + datetime.timedelta(days=rng.randint(30, 300))
            schedule.set_milestone(None, project, "start", planned_on=planned)
            schedule.set_plan(
                None, project, year, "preparing", _amount(total * 0.02), "完成前期手续,具备开工条件"
            )
        else:
            schedule.set_plan(
                None,
                project,
                year,
                "completing",
                _amount(total * rng.uniform(0.03, 0.08)),
                "完成竣工验收并投用",
            )


def _dated_start(project):
    """The actual start already dated (by a mass start), or None."""
    return (
        Milestone.objects.filter(
            project=project, stage__isnull=True, kind__marks=MilestoneKind.Mark.START, actual_on__isnull=False
        )
        .values_list("actual_on", flat=True)
        .first()
    )


def _reports(rng, project, today, applicant, site_category) -> int:
    """Monthly reports from January to the present, each on its day; the project's pace decides its colour."""
    if project.phase not in REPORTING:
        return 0
    plan = project.plans.get(year=today.year)
    pace = rng.choices((1.02, 0.78, 0.5), weights=(78, 14, 8))[0] * rng.uniform(0.95, 1.05)
    skip_last = rng.random() < 0.08
    report_day = warnings.report_day()
    due = [datetime.date(today.year, m, 1) for m in range(1, today.month + 1)]
    due = [month for month in due if month.replace(day=report_day) < today]
    if skip_last and due:
        due = due[:-1]  # the last month due is missing: yellow
    if report_day - 7 < today.day <= report_day and rng.random() < 0.3:
        due.append(today.replace(day=1))  # this month's, reported early
    unit = applicant if project.enterprise_id == applicant.enterprise_id else None
    progress = rng.randint(10, 40)
    written = 0
    for month in due:
        last_day = min(
            report_day, (today - datetime.timedelta(days=1)).day if month.month == today.month else 28
        )
        day = month.replace(day=rng.randint(min(report_day - 7, last_day), last_day))
        progress = min(100, progress + rng.randint(2, 7))
        investment = float(plan.planned) / 12 * pace * rng.uniform(0.85, 1.15)
        raised = []
        if site_category is not None and rng.random() < 0.02 and month.month >= today.month - 1:
            raised.append(
                reports.RaisedProblem(
                    site_category,
                    "施工用电增容未落实",
                    "二号地块施工用电增容报装两周未接通,影响主体结构施工。",
                )
            )
        with clock.frozen_at(_moment(day, 16)):
            reports.submit_report(
                unit,
                project,
                month,
                investment=_amount(investment),
                progress_percent=progress,
                progress_text=f"主体结构施工,累计完成形象进度 {progress}%",
                workforce=rng.randint(80, 600),
                problems=raised,
            )
        written += 1
    return written


def _logs(rng, project, today) -> int:
    members = list(project.escort_members.select_related("user").order_by("role", "id"))
    team = [member.user for member in members if member.role in ("lead", "specialist")]
    written = 0
    for _n in range(rng.randint(2, 5)):
        day = today - datetime.timedelta(days=rng.randint(1, 300))
        kind = rng.choice(("visit", "visit", "supervise", "coordinate"))
        text = rng.choice({"visit": VISITS, "supervise": SUPERVISIONS, "coordinate": COORDINATIONS}[kind])
        with clock.frozen_at(_moment(day, 15)):
            escort.log_service(rng.choice(team), project, kind, text, served_on=day)
        written += 1
    return written


INSPECTION_NOTES = {
    "quality": ("钢筋保护层厚度抽检合格,混凝土试块按规定留置送检。", "砌体灰缝饱满度抽检合格率 90%。"),
    "safety": ("脚手架搭设规范,安全帽佩戴率 100%。", "临时用电三级配电两级保护到位,基坑监测数据正常。"),
}
FINDINGS = {
    "quality": ("二层梁底钢筋保护层不足", "抽检二层 KL-3 梁底钢筋保护层厚度 15mm,小于设计要求 25mm。"),
    "safety": ("临边防护缺失", "五层楼板东侧临边未设防护栏杆,存在高处坠落隐患。"),
}


def _inspections(rng, project, today, inspectors, site_category) -> int:
    """A quality and a safety inspection or two this year for projects under way; a few with a finding."""
    if project.phase not in REPORTING or not inspectors:
        return 0
    written = 0
    for kind in ("quality", "safety"):
        for _n in range(rng.randint(1, 2)):
            day = today - datetime.timedelta(days=rng.randint(3, 300))
            score = rng.choices(
                (rng.randint(90, 99), rng.randint(75, 89), rng.randint(55, 74)), weights=(60, 30, 10)
            )[0]
            raised = []
            if site_category is not None and score < 80 and day > today - datetime.timedelta(days=30):
                raised.append(reports.RaisedProblem(site_category, *FINDINGS[kind]))
            inspect_on(rng, day, inspectors, project, kind, score, raised)
            written += 1
    return written


def inspect_on(rng, day, inspectors, project, kind, score, raised=()) -> None:
    """An inspection recorded on the day it took place, by one of the inspectors."""
    with clock.frozen_at(_moment(day, 10)):
        inspections.record_inspection(
            rng.choice(inspectors),
            project,
            kind,
            score,
            rng.choice(INSPECTION_NOTES[kind]),
            inspected_on=day,
            problems=raised,
        )


def _help_and_do(applicant, specialist, today) -> None:
    """The applicant's key project: its enterprise consents, the specialist prepares the joint acceptance
    application, which waits in the applicant's drafts; the enterprise rates the escort."""
    project = (
        Project.objects.filter(enterprise_id=applicant.enterprise_id, is_key=True).order_by("code").first()
    )
    version = CatalogVersion.objects.effective_on(today)
    bundle = Bundle.objects.filter(version=version, code="joint-acceptance").first() if version else None
    if project is None or bundle is None:
        return
    with clock.frozen_at(_moment(today - datetime.timedelta(days=12), 9)):
        escort.grant_consent(applicant, project, "联合验收一件事等审批事项的申请材料准备")
    with clock.frozen_at(_moment(today - datetime.timedelta(days=5), 14)):
        help_services.prepare_application(specialist, project, bundle, idempotency_key="demo-help")
    with clock.frozen_at(_moment(today - datetime.timedelta(days=3), 11)):
        escort.log_service(applicant, project, "evaluation", EVALUATIONS[0], score=5)
