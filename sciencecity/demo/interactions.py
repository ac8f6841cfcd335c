"""A year of the government–business interaction register, played through its services on the days it
happened: officials of the reviewing departments, specialists, inspectors and leaders visit enterprises
(those with key projects most), hold meetings and events; most records are entered the same or the next
working day, about one in twenty late, about one in seventy touches the negative list (a working meal taken
at the enterprise's expense, a gift). The demo applicant's enterprise answers the visits to it — confirmed,
one disputed, the newest still to confirm — and the supervisor has looked into most flagged records.
"""

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

from sciencecity.accounts.models import User
from sciencecity.enterprises.models import Enterprise
from sciencecity.interactions import services
from sciencecity.interactions.models import Interaction
from sciencecity.projects.models import Project
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import add_working_days, is_working_day

from . import applications as demo_applications
from .projects import _moment

PER_WORKING_DAY = 2.2
LATE_SHARE = 0.05
FORBIDDEN_SHARE = 0.015

PURPOSES = {
    "visit": [
        "了解{project}建设进度和用工、用电需求",
        "走访企业,听取对营商环境的意见建议",
        "了解企业研发投入和高新技术企业认定准备情况",
        "了解企业扩产计划和用地需求",
    ],
    "meeting": [
        "召开{project}开工前协调会,梳理审批事项",
        "惠企政策宣讲座谈会,解读研发费用加计扣除",
        "召开企业家座谈会,听取一件事一次办改革意见",
    ],
    "event": ["科学家·创业者·陪跑人交流对话会", "科技成果转化路演活动", "集中开工仪式现场服务"],
    "inspection": ["{project}施工现场安全质量检查", "环评批复落实情况现场核查", "消防设施验收前现场踏勘"],
    "service": ["上门指导开工一件事申报材料", "上门帮助企业申报研发投入补贴", "上门协调供电接入方案"],
}
PLACES = {
    "visit": ["企业会议室", "企业生产车间", "企业研发中心"],
    "meeting": ["科学城政务服务中心会议室", "管委会三楼会议室", "企业会议室"],
    "event": ["科学会堂", "金凤实验室报告厅", "项目施工现场"],
    "inspection": ["项目施工现场", "企业生产车间", "项目临时办公区"],
    "service": ["企业办公室", "项目现场办公室"],
}
OUTCOMES = [
    "企业反映的用电接入问题已转供电公司,约定两周内答复。",
    "现场解答政策问题,企业将于下月提交申请。",
    "梳理出 6 项审批事项,约定由项目服务专员代办。",
    "企业提出的道路占用问题已纳入问题闭环办理。",
    "未发现问题。",
    "提出整改意见 2 条,企业当场签收。",
]
TITLES = ["总经理", "副总经理", "项目经理", "行政主管", "技术负责人", "财务总监"]
ENCOURAGED_BY_KIND = {
    "visit": ["enc-visit", "enc-solve"],
    "meeting": ["enc-consult", "enc-policy"],
    "event": ["enc-consult", "enc-protect"],
    "inspection": ["enc-approve", "enc-solve"],
    "service": ["enc-approve", "enc-policy"],
}
FORBIDDEN = ["for-gifts", "for-expenses", "for-leisure"]
KIND_WEIGHTS = {"visit": 40, "meeting": 20, "event": 8, "inspection": 20, "service": 12}
RECORDING_ROLES = ("department_reviewer", "department_head", "project_specialist", "inspector", "leader")


@dataclass
class InteractionSummary:
    records: int = 0
    late: int = 0
    forbidden: int = 0
    confirmed: int = 0
    disputed: int = 0
    findings: int = 0


def _officials() -> list[User]:
    groups = Group.objects.filter(name__in=RECORDING_ROLES)
    return list(User.objects.filter(groups__in=groups, is_active=True).distinct().order_by("username"))


def _recorded_on(rng, occurred_on: datetime.date, today: datetime.date) -> datetime.date:
    """Most the same or the next working day; some within the limit; one in twenty late."""
    draw = rng.random()
    if draw < LATE_SHARE:
        day = add_working_days(occurred_on, rng.randint(5, 15))
    elif draw < 0.6:
        day = occurred_on
    elif draw < 0.9:
        day = add_working_days(occurred_on, 1)
    else:
        day = add_working_days(occurred_on, rng.randint(2, 3))
    return min(day, today)


def create_interactions(seed: int, steps, person_name) -> InteractionSummary:
    rng = random.Random(f"{seed}:interactions")
    today = clock.today()
    summary = InteractionSummary()
    officials = _officials()
    supervisor = User.objects.filter(username="supervisor").first()
    applicant = User.objects.filter(username="applicant").select_related("enterprise").first()
    if not officials:
        return summary
    key_enterprises = list(
        Enterprise.objects.filter(pk__in=Project.objects.filter(is_key=True).values("enterprise_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    others = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
    projects = {}
    for enterprise_id, name in (
        Project.objects.filter(is_key=True).order_by("pk").values_list("enterprise_id", "name")
    ):
        projects.setdefault(enterprise_id, name)
    days = [today - datetime.timedelta(days=back) for back in range(364, -1, -1)]
    working = [day for day in days if is_working_day(day)]
    plan = []
    for day in working:
        for _n in range(int(PER_WORKING_DAY) + (rng.random() < PER_WORKING_DAY % 1)):
            plan.append(day)
    steps.start(_("政商交往登记"), len(plan))
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    by_enterprise_applicant = []
    for index, occurred_on in enumerate(plan):
        official = rng.choice(officials)
        if applicant is not None and applicant.enterprise_id and index % 23 == 5:
            enterprise_id = applicant.enterprise_id
        elif rng.random() < 0.7 and key_enterprises:
            enterprise_id = rng.choice(key_enterprises)
        else:
            enterprise_id = rng.choice(others)
        kind = rng.choices(kinds, weights)[0]
        project = projects.get(enterprise_id, "研发中心")
        items = [rng.choice(ENCOURAGED_BY_KIND[kind])]
        if rng.random() < 0.3:
            items.append("enc-policy" if items[0] != "enc-policy" else "enc-visit")
        if rng.random() < FORBIDDEN_SHARE:
            items.append(rng.choice(FORBIDDEN))
        recorded_on = _recorded_on(rng, occurred_on, today)
        colleague = rng.choice(officials)
        present = f"{official.display_name}"
        if colleague != official and rng.random() < 0.5:
            present += f"、{colleague.display_name}"
        with clock.frozen_at(_moment(recorded_on, rng.choice((9, 11, 15, 17)))):
            interaction = services.record_interaction(
                official,
                enterprise=Enterprise.objects.get(pk=enterprise_id),
                kind=kind,
                occurred_on=occurred_on,
                place=rng.choice(PLACES[kind]),
                purpose=rng.choice(PURPOSES[kind]).format(project=project),
                items=items,
                officials_present=present,
                enterprise_attendees=f"{person_name(rng)}({rng.choice(TITLES)})",
                outcome=rng.choice(OUTCOMES) if occurred_on < today else "",
            )
        summary.records += 1
        summary.late += interaction.late
        summary.forbidden += interaction.forbidden
        if interaction.enterprise_id == getattr(applicant, "enterprise_id", None):
            by_enterprise_applicant.append(interaction)
        if (
            interaction.flagged
            and supervisor is not None
            and occurred_on < today - datetime.timedelta(days=10)
        ):
            with clock.frozen_at(_moment(add_working_days(recorded_on, 2), 16)):
                services.add_finding(
                    supervisor,
                    interaction,
                    "concern" if interaction.forbidden else rng.choice(("note", "cleared")),
                    _finding_text(interaction),
                )
            summary.findings += 1
        steps.advance()
    # The demo applicant's enterprise answers: confirmed, one disputed, the newest left to confirm.
    for position, interaction in enumerate(by_enterprise_applicant[:-1]):
        action = "dispute" if position == 3 else "confirm"
        note = "当天仅电话沟通,未到企业走访。" if action == "dispute" else ""
        with clock.frozen_at(_moment(add_working_days(interaction.recorded_at.date(), 1), 14)):
            services.respond(applicant, interaction, action, note)
        summary.confirmed += action == "confirm"
        summary.disputed += action == "dispute"
    with clock.frozen_at(demo_applications.NOW):  # what the supervisors were told before last week is read
        demo_applications.read_what_came_before(demo_applications.NOW - demo_applications.READ_BEFORE)
    return summary


def _finding_text(interaction: Interaction) -> str:
    if interaction.forbidden:
        return "涉及负面清单条目,已约谈登记人了解情况,请所在部门说明并报送整改情况。"
    return "逾期登记,已提醒登记人按规定时限登记。"
