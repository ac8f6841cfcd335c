"""The demo's invest-first fund (先投后股): the fund's task force (the finance bureau's head and reviewer, given
`fund.manage_fund`), a committee of three (`leader` and two members), and thirteen cases of young tech
enterprises in every state, played through the fund's services on their days — among them the case that got a
young company its first 1,000,000 yuan (its first tranche of 100 万元), conversions, a repayment, a write-off,
a repayment date within three months (the morning scan warns), and a case waiting for `leader`'s vote."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext as _

from sciencecity.accounts.models import User
from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.enterprises.models import Enterprise
from sciencecity.fund.models import Investment
from sciencecity.fund.services import investments as fund
from sciencecity.workdays import clock

from . import applications as demo_applications
from .projects import _moment

# (title, requested 万元, the state it reaches, days since the application)
CASES = (
    ("高性能碳化硅功率芯片中试", 300, "converted", 700),
    ("细胞治疗CAR-T工艺放大", 500, "converted", 640),
    ("工业视觉检测算法产业化", 200, "repaid", 760),
    ("柔性钙钛矿电池组件试制", 150, "written_off", 720),
    ("量子精密测量传感器样机", 100, "first_tranche", 200),
    ("智能网联汽车线控底盘验证", 400, "invested", 420),
    ("高端医疗影像探测器研发", 300, "due_soon", 1000),
    ("工业软件仿真内核开发", 200, "invested", 300),
    ("新型固态电解质材料中试", 250, "approved", 60),
    ("脑机接口柔性电极研发", 180, "committee", 40),
    ("航空发动机叶片增材修复", 350, "due_diligence", 25),
    ("生物可降解医用材料", 120, "applied", 6),
    ("区块链供应链金融平台", 200, "rejected", 150),
)


@dataclass
class FundSummary:
    investments: int = 0
    disbursed: Decimal = Decimal("0")
    converted: int = 0


def _committee(rng, person_name, password_hash) -> list[User]:
    members = [User.objects.get(username="leader")]
    group = Group.objects.get(name="leader")
    for username in ("committee-tech", "committee-finance"):
        user = User(username=username, display_name=person_name(rng))
        user.set_unusable_password()  # a character of the story, not a login of the demo
        user.full_clean(exclude=["password"])
        user.save()
        user.groups.add(group)
        record(
            None,
            "demo.create_user",
            user,
            after={**snapshot(user, fields=["username", "display_name"]), "groups": ["leader"]},
        )
        members.append(user)
    return members


def create_fund(seed: int, steps, person_name, password_hash) -> FundSummary:
    rng = random.Random(f"{seed}:fund")
    today = clock.today()
    summary = FundSummary()
    permission = Permission.objects.get(codename="manage_fund", content_type__app_label="fund")
    managers = list(
        User.objects.filter(username__in=("head-finance", "reviewer-finance")).order_by("username")
    )
    for manager in managers:
        manager.user_permissions.add(permission)
    manager = User.objects.get(pk=managers[0].pk)
    members = _committee(rng, person_name, password_hash)
    young = list(
        Enterprise.objects.filter(is_tech_based=True)
        .exclude(founded_on__isnull=True)
        .order_by("-founded_on", "pk")[: len(CASES)]
    )
    steps.start(_("先投后股"), len(CASES))
    for (title, requested, goal, days), enterprise in zip(CASES, young, strict=False):
        _play(
            rng,
            manager,
            members,
            enterprise,
            title,
            Decimal(requested),
            goal,
            today - datetime.timedelta(days=days),
            today,
        )
        summary.investments += 1
        steps.advance()
    summary.disbursed = sum(
        (t.amount for inv in Investment.objects.all() for t in inv.tranches.filter(status="disbursed")),
        Decimal("0"),
    )
    summary.converted = Investment.objects.filter(status="converted").count()
    demo_applications.read_what_came_before(demo_applications.NOW - demo_applications.READ_BEFORE)
    return summary


def _at(day, hour=10):
    return clock.frozen_at(_moment(day, hour))


def _play(rng, manager, members, enterprise, title, requested, goal, start, today):
    day = start
    with _at(day, 9):
        case = fund.apply(
            None,
            enterprise,
            title=title,
            summary=f"{enterprise.name}申请先投后股资金,用于{title}。",
            requested=requested,
        )
    if goal == "applied":
        return
    day += datetime.timedelta(days=3)
    with _at(day):
        case = fund.start_diligence(manager, case)
    if goal == "due_diligence":
        return
    day += datetime.timedelta(days=14)
    with _at(day):
        if goal == "rejected":
            fund.reject(manager, case, "技术路线尚不成熟,市场空间论证不足,建议完善后再申报。")
            return
        case = fund.to_committee(
            manager, case, "团队以科研人员为主,核心技术有专利支撑;已有意向客户;建议投资。"
        )
    day += datetime.timedelta(days=7)
    voters = members if goal != "committee" else members[1:]  # `leader` has not voted yet
    for member in voters:
        with _at(day, 15):
            fund.vote(member, case, "for" if rng.random() < 0.85 else "abstain", "同意")
    if goal == "committee":
        return
    with _at(day, 17):
        case = fund.approve(manager, case, "投委会同意投资")
    if goal == "approved":
        return
    day += datetime.timedelta(days=10)
    first = Decimal("100") if goal == "first_tranche" else (requested * Decimal("0.6")).quantize(Decimal("1"))
    years = 2 if goal == "due_soon" else 3
    repayment = day + datetime.timedelta(days=365 * years)
    if goal == "due_soon":
        repayment = today + datetime.timedelta(days=45)
    with _at(day):
        case = fund.sign(
            manager,
            case,
            amount=requested,
            signed_on=day,
            trigger="next_round",
            trigger_note="企业完成不低于2000万元的下一轮股权融资",
            discount=Decimal("20"),
            valuation_cap=requested * 50,
            repayment_date=repayment,
            tranches=[
                {
                    "amount": first,
                    "milestone": "完成中试线建设并通过验收",
                    "expected_on": day + datetime.timedelta(days=60),
                },
                *(
                    [
                        {
                            "amount": requested - first,
                            "milestone": "产品通过客户验证并取得首批订单",
                            "expected_on": day + datetime.timedelta(days=300),
                        }
                    ]
                    if requested > first
                    else []
                ),
            ],
        )
    tranches = list(case.tranches.order_by("number"))
    day += datetime.timedelta(days=45)
    if day >= today:
        return
    with _at(day):
        fund.meet_milestone(manager, tranches[0], "中试线已建成,专家验收通过。")
    with _at(day + datetime.timedelta(days=3), 15):
        fund.disburse(manager, tranches[0], f"XTBF{day:%Y%m%d}01")
    if goal in ("first_tranche", "due_soon"):
        return
    day += datetime.timedelta(days=200)
    if len(tranches) > 1 and day < today and goal != "written_off":
        with _at(day):
            fund.meet_milestone(manager, tranches[1], "产品通过客户验证,取得首批订单。")
        with _at(day + datetime.timedelta(days=3), 15):
            fund.disburse(manager, tranches[1], f"XTBF{day:%Y%m%d}02")
    day += datetime.timedelta(days=60)
    if day >= today or goal == "invested":
        return
    with _at(day):
        if goal == "converted":
            fund.convert(
                manager,
                case,
                equity_percent=Decimal(str(round(rng.uniform(2, 8), 3))),
                note="A轮融资完成,按约定折扣转股。",
            )
        elif goal == "repaid":
            fund.repay(manager, case, amount=fund.disbursed_of(case), note="未触发转股,企业按期归还。")
        elif goal == "written_off":
            fund.write_off(manager, case, "企业经营困难停止研发,经投委会同意核销。")
