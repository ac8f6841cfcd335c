"""The demo world: a believable Western (Chongqing) Science City, generated from a seed.

What it makes, and why these numbers
------------------------------------
- **Departments** from `data/departments.yaml`, and the **catalog** from `data/catalog.yaml`, imported and
  published through `sciencecity.catalog.services.import_catalog` (skipped with a message while that
  function or file does not exist).
- **One account per role** with memorable user names (`admin`, `applicant`, `window`, `reviewer`, `head`,
  `specialist`, `party`, `leader`, `supervisor`), plus a reviewer for every other department that reviews
  items: the government departments, the window's assisted service and the utilities (`reviewer-planning`,
  `reviewer-power`, ...). All share the password `DEMO_PASSWORD` (hashed once for all of them). The
  administrator is a superuser; every administrator-role account is `is_staff` (it may use the admin site).
- **Enterprises at 1/8 of the real zone.** The seeds report 3,325 tech-based (科技型) and 702 high-tech (高新技术)
  enterprises; high-tech enterprises are counted here among the tech-based ones, as the zone's statistics
  do. One eighth gives 416 tech-based enterprises, 88 of them high-tech, plus 84 others (construction, real
  estate, logistics, traditional manufacturing, services and six state-owned development companies that own
  the government-invested projects): 500 in all. Credit codes are valid (`make_credit_code`) and carry the
  region of one of the five districts the science city spans.
- **Projects exactly as in the seeds: 343, of which 169 are key projects.** Key projects are mostly under
  construction ("169 key projects under construction"), the others spread from signing to operation; about
  a quarter are government-invested (roads, schools, hospitals, parks, utility tunnels, talent housing,
  laboratories), the rest enterprise-invested factories, R&D centres and parks. Each has a valid unified
  project code (year-region-industry-type-serial) whose industry is the owner's GB/T 4754 division and
  whose type is 01 审批 for government investment and 02 核准 / 03 备案 for enterprises.
- The `applicant` account belongs to a high-tech integrated-circuit enterprise that owns three projects
  (one key project under construction, one in approval, one just signed).
- **About 120 applications** of both bundles in every state, played through the approval services over eleven months
  up to the demo's present, 11:30 on the day it is built (`applications.NOW`): see `sciencecity.demo.applications`.

Determinism: everything is drawn from one `random.Random(seed)` in a fixed order (the applications from
generators seeded from it), with no uuid, real clock or database-order dependence in the generated data: the
applications run on the platform clock frozen at the story's moments. So the same seed on an empty database
gives the same world, application numbers, states and dates included (`world_digest()` fingerprints it).

Write path: enterprises and projects are created through `enterprises.services.register_enterprise` and
`projects.services.register_project` (validated and audited like any other registration), the applicant is
linked through `link_user_to_enterprise`. That is about 4,500 queries, a few seconds on SQLite, so no bulk
creation is needed. Departments and users have no service module yet; they are created here and each gets
an audit event (`demo.create_department`, `demo.create_user`). Everything runs in one transaction: a failure
leaves the database as it was.
"""

import hashlib
import importlib.util
import json
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from sciencecity.accounts.models import Department, User
from sciencecity.accounts.roles import ROLES
from sciencecity.approvals.models import Application, Certificate, Rating, ReviewTask
from sciencecity.approvals.services.applications import has_real_number
from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.catalog.models import Bundle
from sciencecity.enterprises.models import Enterprise
from sciencecity.enterprises.services import link_user_to_enterprise, register_enterprise
from sciencecity.enterprises.validators import make_credit_code
from sciencecity.problems.models import Problem
from sciencecity.projects.models import Project
from sciencecity.projects.services import next_project_code, register_project
from sciencecity.workdays import clock

from . import applications as demo_applications
from . import campaign as demo_campaign
from . import enterprises as demo_enterprises
from . import fund as demo_fund
from . import handovers as demo_handovers
from . import interactions as demo_interactions
from . import mass_starts as demo_mass_starts
from . import party as demo_party
from . import policies as demo_policies
from . import powers as demo_powers
from . import problems as demo_problems
from . import projects as demo_projects
from . import reforms as demo_reforms
from . import rivers as demo_rivers
from . import service_events as demo_service_events

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_SEED = 2026
DEMO_PASSWORD = "demo12345"

# Scale: one eighth of the zone's real enterprise figures (3,325 tech-based, 702 high-tech).
TECH_BASED = 416
HIGH_TECH = 88  # counted among TECH_BASED
OTHER_ENTERPRISES = 84  # includes the development companies below
PROJECTS = 343
KEY_PROJECTS = 169

# Phase of the projects, (key, non-key) per phase; sums 169 and 174.
PHASE_COUNTS = {
    Project.Phase.SIGNED: (8, 30),
    Project.Phase.LAND_SUPPLIED: (10, 22),
    Project.Phase.APPROVAL: (18, 34),
    Project.Phase.STARTED: (25, 18),
    Project.Phase.UNDER_CONSTRUCTION: (90, 40),
    Project.Phase.COMPLETED: (10, 14),
    Project.Phase.IN_OPERATION: (8, 16),
}
GOVERNMENT_KEY = 45  # of the key projects, government-invested
GOVERNMENT_OTHER = 35  # of the other projects, government-invested
# The year a project's code was issued, by phase: projects further along were filed earlier.
CODE_YEARS = {
    Project.Phase.SIGNED: (2025, 2026),
    Project.Phase.LAND_SUPPLIED: (2024, 2026),
    Project.Phase.APPROVAL: (2024, 2026),
    Project.Phase.STARTED: (2023, 2025),
    Project.Phase.UNDER_CONSTRUCTION: (2022, 2025),
    Project.Phase.COMPLETED: (2020, 2024),
    Project.Phase.IN_OPERATION: (2019, 2023),
}

# The five districts of the science city: region code, name, weight, towns and streets, roads.
# fmt: off
DISTRICTS = (
    ("500106", "沙坪坝区", 35, ("西永街道", "虎溪街道", "曾家镇", "陈家桥街道", "土主街道", "回龙坝镇"),
     ("西永大道", "大学城中路", "科学大道", "虎溪大道", "曾家大道", "微电园路")),
    ("500107", "九龙坡区", 30, ("含谷镇", "金凤镇", "白市驿镇", "巴福镇", "走马镇"),
     ("金凤大道", "含谷大道", "高新大道", "白市驿大道", "科城路")),
    ("500109", "北碚区", 15, ("歇马街道", "澄江镇", "蔡家岗街道", "龙凤桥街道"),
     ("缙云大道", "歇马大道", "蔡家大道", "云汉大道")),
    ("500116", "江津区", 10, ("双福街道", "德感街道", "珞璜镇"), ("双福大道", "津福大道", "滨江大道")),
    ("500120", "璧山区", 10, ("璧泉街道", "青杠街道", "大路街道"), ("璧青路", "东林大道", "黛山大道")),
)
# fmt: on


@dataclass(frozen=True)
class Industry:
    name: str  # the enterprise's industry field
    code: str  # GB/T 4754 division, the industry part of project codes
    tech_weight: int  # share among tech-based enterprises that are not high-tech
    high_tech_weight: int  # share among high-tech enterprises
    other_weight: int  # share among the other enterprises
    words: tuple[str, ...]  # what the name says the company does
    products: tuple[str, ...]  # what its projects build


# fmt: off
INDUSTRIES = (
    # name, GB/T 4754 division, weights (tech-based, high-tech, other), name words, project products
    Industry("集成电路", "39", 8, 16, 0, ("微电子", "半导体", "集成电路", "芯片", "光电"),
             ("12英寸功率半导体芯片", "集成电路封装测试", "化合物半导体外延片", "MEMS传感器芯片", "显示驱动芯片")),
    Industry("电子信息", "39", 12, 14, 0, ("电子", "智能科技", "光电科技", "显示技术"),
             ("智能终端整机", "新型显示模组", "笔记本电脑整机", "服务器整机", "柔性显示面板")),
    Industry("软件信息", "65", 26, 18, 0, ("软件", "信息技术", "数据科技", "网络科技", "云计算"),
             ("软件研发中心", "大数据中心", "工业互联网平台", "数字孪生研发基地", "智能算力中心")),
    Industry("生物医药", "27", 12, 16, 0, ("生物医药", "生物科技", "制药", "医疗器械", "基因科技"),
             ("创新药研发及产业化基地", "高端医疗器械生产基地", "生物制剂生产基地", "体外诊断试剂生产", "疫苗研发生产基地")),
    Industry("智能网联汽车", "36", 10, 12, 0, ("汽车科技", "智能驾驶", "汽车电子", "动力科技"),
             ("智能网联汽车零部件", "车规级芯片模组", "自动驾驶测试基地", "新能源汽车电驱系统", "智能座舱")),
    Industry("新能源", "38", 8, 8, 0, ("新能源", "储能科技", "电池科技", "氢能科技", "光伏科技"),
             ("动力电池生产基地", "储能系统集成", "氢燃料电池电堆", "高效光伏组件", "充换电设备")),
    Industry("新材料", "26", 7, 6, 0, ("新材料", "材料科技", "复合材料"),
             ("高性能复合材料", "电子化学品", "碳纤维制品", "特种功能膜材料")),
    Industry("高端装备", "34", 9, 8, 0, ("智能装备", "机器人", "精密机械", "自动化"),
             ("工业机器人", "智能装备制造基地", "精密数控机床", "智能仓储装备")),
    Industry("科技服务", "73", 8, 2, 0, ("检测技术", "科技服务", "工程技术", "技术转移"),
             ("检验检测认证中心", "中试基地", "科技企业孵化器", "研发总部")),
    Industry("建筑业", "47", 0, 0, 20, ("建设工程", "建筑工程", "市政工程"), ("装配式建筑构件生产基地", "建筑产业化基地")),
    Industry("房地产", "70", 0, 0, 14, ("置业", "房地产开发"), ("住宅小区", "商业综合体", "人才社区")),
    Industry("商贸物流", "59", 0, 0, 18, ("物流", "供应链管理", "商贸"), ("智慧物流园", "冷链物流中心", "供应链服务中心")),
    Industry("传统制造", "33", 0, 0, 16, ("机械制造", "金属制品", "包装材料"), ("生产线技术改造", "标准厂房")),
    Industry("商务服务", "72", 0, 0, 10, ("商务服务", "企业管理", "酒店管理"), ("商务楼宇", "酒店")),
)
# fmt: on
DEVELOPMENT_INDUSTRY = "城市建设投资"
# The state-owned companies that build government-invested projects (the rest of OTHER_ENTERPRISES).
DEVELOPMENT_COMPANIES = (
    "重庆科学城城市建设投资集团有限公司",
    "重庆科学城产业发展投资集团有限公司",
    "重庆科学城教育投资发展有限公司",
    "重庆科学城医疗健康投资有限公司",
    "重庆科学城水务建设有限公司",
    "重庆科学城交通建设开发有限公司",
)


@dataclass(frozen=True)
class GovernmentKind:
    """A kind of government-invested project: name template ({place}, {road}, {river}), industry division,
    index of the development company that builds it, investment range (万元), land per 万元 (m²) and plot
    ratio range (None: roads, pipes and parks have no floor area to speak of)."""

    template: str
    industry: str
    developer: int
    investment: tuple[int, int]
    land_per_10k: float
    plot_ratio: tuple[float, float] | None


GOVERNMENT_KINDS = (
    GovernmentKind("科学城{road}道路工程", "48", 5, (5_000, 300_000), 1.2, None),
    GovernmentKind("{place}片区综合管廊工程", "48", 5, (8_000, 150_000), 0.4, None),
    GovernmentKind("科学城{place}实验小学新建工程", "83", 2, (8_000, 40_000), 1.6, (0.8, 1.2)),
    GovernmentKind("科学城{place}中学新建工程", "83", 2, (15_000, 80_000), 1.4, (0.8, 1.2)),
    GovernmentKind("科学城{place}医院建设项目", "84", 3, (30_000, 250_000), 0.5, (1.5, 2.5)),
    GovernmentKind("{river}生态修复及滨河公园工程", "78", 4, (5_000, 80_000), 5.0, None),
    GovernmentKind("科学城{place}人才公寓", "47", 0, (20_000, 150_000), 0.4, (2.5, 3.5)),
    GovernmentKind("科学城{place}科创中心", "73", 1, (30_000, 300_000), 0.35, (2.0, 3.5)),
    GovernmentKind("{place}片区雨污分流改造工程", "46", 4, (3_000, 40_000), 0.6, None),
)
RIVERS = ("梁滩河", "虎溪河", "大溪河", "璧南河", "双溪河", "清水溪", "肖家河", "跳磴河")
STAGES = ("(一期)", "(二期)", "(三期)", "(四期)", "(扩建)")

BRAND_FIRST = tuple(
    "华芯智瑞博睿联创航宇鑫恒泰晟达迈锐凌启云天星光中新金凤西永嘉盛元弘思康健力德卓越海英诺微"
)
BRAND_SECOND = tuple("源芯创达科图讯通昇辉能驰维捷杰峰宸禾景安泽信和成佳鸿锦远望邦致誉擎翼动川楚")
SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高谢唐邓冉谭向秦袁蒋彭")
# fmt: off
GIVEN_NAMES = (
    "伟", "敏", "静", "磊", "军", "洋", "勇", "杰", "涛", "超", "强", "平", "刚", "欣", "婷",
    "建国", "志强", "秀英", "丽娟", "海燕", "俊杰", "晓明", "雪梅", "文静", "建华", "国庆", "红梅", "晓东",
    "子涵", "浩然", "宇航", "佳怡", "思远", "明辉", "春燕", "玉兰", "德明", "永红", "少华", "家乐",
)
# fmt: on


@dataclass(frozen=True)
class AccountSpec:
    username: str
    role: str
    display_name: str
    department: str | None = None  # department code


# One account per role; the reviewers of the other government departments are added from the YAML.
ACCOUNTS = (
    AccountSpec("admin", "administrator", "周敏"),
    AccountSpec("applicant", "applicant", "李娜"),
    AccountSpec("window", "window_clerk", "陈静", "window"),
    AccountSpec("reviewer", "department_reviewer", "王磊", "housing"),
    AccountSpec("head", "department_head", "张伟", "housing"),
    AccountSpec("specialist", "project_specialist", "刘洋", "development"),
    AccountSpec("party", "party_officer", "杨帆"),
    AccountSpec("leader", "leader", "赵志强"),
    AccountSpec("supervisor", "supervisor", "孙丽"),
)


@dataclass
class DemoAccount:
    username: str
    password: str
    role: str
    role_label: str
    place: str  # department or enterprise


@dataclass
class WorldSummary:
    seed: int
    accounts: list[DemoAccount] = field(default_factory=list)
    departments: int = 0
    enterprises: int = 0
    tech_based: int = 0
    high_tech: int = 0
    projects: int = 0
    key_projects: int = 0
    catalog: str = ""
    applications: demo_applications.ApplicationsSummary | None = None
    problems: demo_problems.ProblemsSummary | None = None
    escort: demo_projects.ProjectsSummary | None = None
    campaign: demo_campaign.CampaignSummary | None = None
    files: demo_enterprises.EnterpriseFilesSummary | None = None
    policies: demo_policies.PoliciesSummary | None = None
    fund: demo_fund.FundSummary | None = None
    party: demo_party.PartySummary | None = None
    interactions: demo_interactions.InteractionSummary | None = None
    report: str = ""  # the month of the monthly report generated
    digest: str = ""


class _Steps:
    """Reports progress to an optional `rich.progress.Progress`."""

    def __init__(self, progress):
        self.progress = progress
        self.task = None

    def start(self, description: str, total: int) -> None:
        if self.progress is not None:
            self.task = self.progress.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, amount)

    def advance_to(self, completed: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=completed)


def demo_usernames() -> list[str]:
    return [spec.username for spec in ACCOUNTS]


def demo_users():
    """The demo accounts present in the database."""
    return User.objects.filter(
        Q(username__in=[*demo_usernames(), *demo_problems.LOGIN_USERNAMES])
        | Q(username__startswith="reviewer-")
        | Q(username__startswith="head-")
        | Q(username__in=[username for username, _name in (*demo_projects.LEADS, *demo_projects.INSTRUCTORS)])
    )


def world_exists() -> bool:
    """Whether the database already holds enterprises, projects or demo accounts (the demo then does nothing)."""
    return Enterprise.objects.exists() or Project.objects.exists() or demo_users().exists()


def build_world(
    seed: int = DEFAULT_SEED, progress=None, problems: int = demo_problems.PROBLEMS
) -> WorldSummary:
    """Create the whole demo world in one transaction; the database must not hold one already. `problems` is
    how many closed-loop problems to play (the tests ask for a few hundred)."""
    if world_exists():
        raise RuntimeError("the database already holds enterprises, projects or demo accounts")
    rng = random.Random(seed)
    steps = _Steps(progress)
    summary = WorldSummary(seed=seed)
    with transaction.atomic():
        departments = _create_departments(steps)
        summary.departments = len(departments)
        summary.catalog = _load_catalog(steps)
        enterprises = _create_enterprises(rng, steps)
        applicant_enterprise = enterprises["applicant"]
        # One hash for the one shared password: hashing it per account (Argon2) would cost seconds.
        password = make_password(DEMO_PASSWORD)
        summary.accounts = _create_accounts(rng, steps, departments, applicant_enterprise, password)
        _create_projects(rng, steps, enterprises)
        demo_projects.name_seed_projects()
        demo_mass_starts.create_mass_starts(seed, steps)  # before the schedules, which keep its starts
        summary.applications = demo_applications.create_applications(
            seed, steps, _person_name, scripts=[demo_handovers.scripts, demo_reforms.scripts]
        )
        # Before the problems: the river patrols' problems name their monitoring section.
        demo_rivers.create_rivers(seed, steps, _person_name)
        summary.problems = demo_problems.create_problems(seed, steps, _person_name, password, count=problems)
        summary.escort = demo_projects.create_escort(seed, steps)
        summary.campaign = demo_campaign.create_campaign(seed, steps)
        summary.files = demo_enterprises.create_files(seed, steps)
        # After the files: the verdicts are computed once from complete files.
        summary.policies = demo_policies.create_policies(seed, steps, password, _person_name)
        summary.fund = demo_fund.create_fund(seed, steps, _person_name, password)
        summary.party = demo_party.create_party(seed, steps, _person_name, password)
        summary.interactions = demo_interactions.create_interactions(seed, steps, _person_name)
        demo_service_events.create_service_events(seed, steps, _person_name)  # after the register's year
        demo_powers.create_powers(seed, steps)  # the 418 devolved powers, linked to the catalog's items
        summary.report = _cockpit(steps)
        if summary.problems is not None and summary.problems.total:
            summary.problems = demo_problems.count_problems(
                summary.problems.photos, summary.problems.accounts
            )
        if summary.applications is not None and not summary.applications.note:
            # Help-and-do prepared one more draft: the printed counts are those of the database.
            summary.applications = demo_applications.summarize(
                {
                    bundle.code: bundle
                    for bundle in Bundle.objects.filter(code__in=summary.applications.bundles)
                }
            )
        summary.accounts += [
            DemoAccount(username, DEMO_PASSWORD, role, str(ROLES[role].label), place)
            for username, role, place in [
                *summary.problems.accounts,
                *summary.policies.accounts,
                *summary.party.accounts,
            ]
        ]
        summary.departments = Department.objects.count()
        summary.enterprises = Enterprise.objects.count()
        summary.tech_based = Enterprise.objects.filter(is_tech_based=True).count()
        summary.high_tech = Enterprise.objects.filter(is_high_tech=True).count()
        summary.projects = Project.objects.count()
        summary.key_projects = Project.objects.filter(is_key=True).count()
        summary.digest = world_digest()
    return summary


def _cockpit(steps) -> str:
    """Count the cockpit's periods, and render last month's report as the first working day would have."""
    from sciencecity.cockpit import services as cockpit_services
    from sciencecity.cockpit import snapshots
    from sciencecity.cockpit.periods import MONTH, period_of

    steps.start(_("领导驾驶舱"), 2)
    snapshots.refresh()
    steps.advance()
    last_month = period_of(MONTH, clock.today()).previous()
    report = cockpit_services.request_report(None, last_month)
    cockpit_services.generate_report(report.pk)
    steps.advance()
    return last_month.key


# --- departments and catalog -------------------------------------------------------------------------


def _create_departments(steps) -> dict[str, Department]:
    rows = yaml.safe_load((DATA_DIR / "departments.yaml").read_text(encoding="utf-8"))
    steps.start(_("部门"), len(rows))
    departments = {}
    for row in rows:
        department = Department.objects.filter(code=row["code"]).first()
        if department is None:
            department = Department(**row)
            department.full_clean()
            department.save()
            record(None, "demo.create_department", department, after=snapshot(department))
        departments[department.code] = department
        steps.advance()
    return departments


def _load_catalog(steps) -> str:
    """Import and publish the demo catalog; say why not when the import service or file is missing."""
    steps.start(_("事项目录"), 1)
    path = DATA_DIR / "catalog.yaml"
    # find_spec rather than catching ImportError: a real error inside the catalog services must surface.
    if importlib.util.find_spec("sciencecity.catalog.services") is None:
        steps.advance()
        return _("未导入事项目录:目录导入功能(sciencecity.catalog.services.import_catalog)尚未提供。")
    from sciencecity.catalog import services as catalog_services

    import_catalog = getattr(catalog_services, "import_catalog", None)
    if import_catalog is None:
        steps.advance()
        return _("未导入事项目录:目录导入功能(sciencecity.catalog.services.import_catalog)尚未提供。")
    if not path.exists():
        steps.advance()
        return _("未导入事项目录:找不到目录文件 %(path)s。") % {"path": path.name}
    result = import_catalog(path.read_text(encoding="utf-8"), user=None, publish=True)
    steps.advance()
    return _("已导入并发布事项目录:%(result)s。") % {"result": result}


# --- enterprises -------------------------------------------------------------------------------------


def _person_name(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _district(rng):
    return rng.choices(DISTRICTS, weights=[district[2] for district in DISTRICTS])[0]


def _company_name(rng, industry: Industry, used: set[str]) -> tuple[str, str]:
    """A unique company name and its two-character brand, e.g. ("重庆芯源微电子有限公司", "芯源")."""
    while True:
        brand = rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)
        word = rng.choice(industry.words)
        form = rng.choices(("plain", "joint_stock", "branch", "tech"), weights=(60, 15, 12, 13))[0]
        if form == "joint_stock":
            name = f"重庆{brand}{word}股份有限公司"
        elif form == "branch":
            name = f"{brand}{word}(重庆)有限公司"
        elif form == "tech" and "科技" not in word:
            name = f"重庆{brand}{word}科技有限公司"
        else:
            name = f"重庆{brand}{word}有限公司"
        if name not in used:
            used.add(name)
            return name, brand


def _industry_weight(industry: Industry, kind: str) -> int:
    if kind == "high_tech":
        return industry.high_tech_weight
    return industry.tech_weight if kind == "tech" else industry.other_weight


def _create_enterprises(rng, steps) -> dict:
    """Register the enterprises; returns them grouped for project ownership, and the applicant's."""
    total = TECH_BASED + OTHER_ENTERPRISES
    steps.start(_("企业"), total)
    kinds = (
        ["high_tech"] * HIGH_TECH
        + ["tech"] * (TECH_BASED - HIGH_TECH)
        + ["development"] * len(DEVELOPMENT_COMPANIES)
        + ["other"] * (OTHER_ENTERPRISES - len(DEVELOPMENT_COMPANIES))
    )
    serials = rng.sample(range(10_000_000, 100_000_000), total)
    used_names: set[str] = set()
    groups: dict = {"high_tech": [], "tech": [], "other": [], "development": []}
    development_names = iter(DEVELOPMENT_COMPANIES)
    for kind, serial in zip(kinds, serials, strict=True):
        district = _district(rng)
        if kind == "development":
            # The development companies are registered where the science city's administration sits.
            district = DISTRICTS[0]
            industry, name, brand = None, next(development_names), ""
        else:
            weights = [_industry_weight(item, kind) for item in INDUSTRIES]
            industry = rng.choices(INDUSTRIES, weights=weights)[0]
            name, brand = _company_name(rng, industry, used_names)
        region, district_name, _weight, streets, roads = district
        street = rng.choice(streets)
        enterprise = register_enterprise(
            None,
            name=name,
            credit_code=make_credit_code(region, serial),
            legal_representative=_person_name(rng),
            industry=industry.name if industry else DEVELOPMENT_INDUSTRY,
            is_high_tech=kind == "high_tech",
            is_tech_based=kind in ("high_tech", "tech"),
            address=f"重庆市{district_name}{street}{rng.choice(roads)}{rng.randint(1, 399)}号",
            contact_phone=f"023-6{rng.randint(0, 9_999_999):07d}",
        )
        groups[kind].append((enterprise, industry, brand, district))
        steps.advance()
    # The applicant's enterprise: the first high-tech integrated-circuit company (any seed has one in practice).
    groups["applicant"] = next(
        (entry for entry in groups["high_tech"] if entry[1].name == "集成电路"), groups["high_tech"][0]
    )
    return groups


# --- accounts ----------------------------------------------------------------------------------------


def _create_accounts(rng, steps, departments, applicant_entry, password) -> list[DemoAccount]:
    specs = list(ACCOUNTS)
    for code in departments:
        # Every department that reviews items (government, the window's assisted service, the utilities).
        if code != "housing":
            specs.append(
                AccountSpec(
                    f"reviewer-{code.replace('_', '-')}", "department_reviewer", _person_name(rng), code
                )
            )
    steps.start(_("演示账号"), len(specs))
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    accounts = []
    for spec in specs:
        department = departments.get(spec.department) if spec.department else None
        user = User(
            username=spec.username,
            display_name=spec.display_name,
            department=department,
            is_staff=spec.role == "administrator",
            is_superuser=spec.username == "admin",
        )
        user.password = password
        user.full_clean(exclude=["password"])
        user.save()
        user.groups.add(groups[spec.role])
        record(
            None,
            "demo.create_user",
            user,
            after={
                **snapshot(
                    user, fields=["username", "display_name", "department", "is_staff", "is_superuser"]
                ),
                "groups": [spec.role],
            },
        )
        place = department.name if department else ""
        if spec.role == "applicant":
            enterprise = applicant_entry[0]
            link_user_to_enterprise(None, user, enterprise)
            place = enterprise.name
        accounts.append(
            DemoAccount(spec.username, DEMO_PASSWORD, spec.role, str(ROLES[spec.role].label), place)
        )
        steps.advance()
    return accounts


# --- projects ----------------------------------------------------------------------------------------


def _log_uniform(rng, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _amount(value: float, step: int = 10) -> Decimal:
    return Decimal(max(step, int(value) // step * step))


def _unique(base: str, stage: str, used: set[str]) -> str:
    """`base` + `stage`, or the first later stage not used yet ("(二期)" after "(一期)"), then a number."""
    candidates = [base + stage] + [base + other for other in STAGES if other != stage]
    candidates += [f"{base}({number})" for number in range(2, 1000)]
    name = next(candidate for candidate in candidates if candidate not in used)
    used.add(name)
    return name


def _place(street: str) -> str:
    return street.removesuffix("街道").removesuffix("镇")


def _create_projects(rng, steps, enterprises) -> None:
    steps.start(_("项目"), PROJECTS)
    slots = []  # (is_key, phase)
    for phase, (key_count, other_count) in PHASE_COUNTS.items():
        slots += [(True, phase)] * key_count + [(False, phase)] * other_count
    assert len(slots) == PROJECTS and sum(is_key for is_key, _phase in slots) == KEY_PROJECTS
    rng.shuffle(slots)
    key_slots = [index for index, (is_key, _phase) in enumerate(slots) if is_key]
    other_slots = [index for index, (is_key, _phase) in enumerate(slots) if not is_key]
    government = set(rng.sample(key_slots, GOVERNMENT_KEY) + rng.sample(other_slots, GOVERNMENT_OTHER))

    # Owners of enterprise-invested projects: high-tech companies carry most key projects.
    applicant = enterprises["applicant"]
    owners = {}
    applicant_wants = [
        (True, Project.Phase.UNDER_CONSTRUCTION),
        (False, Project.Phase.APPROVAL),
        (False, Project.Phase.SIGNED),
    ]
    for index, slot in enumerate(slots):
        if index in government:
            continue
        if slot in applicant_wants:
            applicant_wants.remove(slot)
            owners[index] = applicant
            continue
        is_key = slot[0]
        weights = (6, 3, 1) if is_key else (2, 5, 3)
        pool = rng.choices(("high_tech", "tech", "other"), weights=weights)[0]
        owners[index] = rng.choice([entry for entry in enterprises[pool] if entry is not applicant])

    used_names: set[str] = set()
    for index, (is_key, phase) in enumerate(slots):
        year = rng.randint(*CODE_YEARS[phase])
        if index in government:
            fields = _government_project(rng, enterprises["development"], is_key, used_names)
        else:
            fields = _enterprise_project(rng, owners[index], is_key, used_names)
        fields["code"] = next_project_code(
            year,
            fields.pop("region"),
            fields.pop("industry"),
            fields.pop("project_type"),
            first_serial=rng.randint(1, 60_000),
        )
        register_project(None, phase=phase, is_key=is_key, **fields)
        steps.advance()


def _location(rng, district) -> str:
    _region, district_name, _weight, streets, _roads = district
    street = rng.choice(streets)
    letter = rng.choice("ABCDEFGHJKLM")
    return f"重庆市{district_name}{street}{_place(street)}组团{letter}分区{letter}{rng.randint(1, 40):02d}-{rng.randint(1, 9)}号地块"


def _government_project(rng, developers, is_key: bool, used_names: set[str]) -> dict:
    kind = rng.choice(GOVERNMENT_KINDS)
    district = _district(rng)
    street = rng.choice(district[3])
    base = kind.template.format(place=_place(street), road=rng.choice(district[4]), river=rng.choice(RIVERS))
    stage = rng.choices(("", "(一期)", "(二期)"), weights=(60, 25, 15))[0]
    low, high = kind.investment
    middle = math.sqrt(low * high)  # key projects are the larger half of the range
    investment = _log_uniform(rng, middle, high) if is_key else _log_uniform(rng, low, middle)
    land = investment * kind.land_per_10k * rng.uniform(0.7, 1.3)
    return {
        "name": _unique(base, stage, used_names),
        "enterprise": developers[kind.developer][0],
        "investment_type": Project.InvestmentType.GOVERNMENT,
        "total_investment": _amount(investment),
        "land_area": _amount(land, 1),
        "floor_area": _amount(land * rng.uniform(*kind.plot_ratio), 1) if kind.plot_ratio else None,
        "location": _location(rng, district),
        "region": district[0],
        "industry": kind.industry,
        "project_type": "01",
    }


def _enterprise_project(rng, owner, is_key: bool, used_names: set[str]) -> dict:
    enterprise, industry, brand, district = owner
    product = rng.choice(industry.products)
    stage = rng.choices(("", "(一期)", "(二期)", "(三期)"), weights=(60, 20, 15, 5))[0]
    name = _unique(f"{brand}{product}项目", stage, used_names)
    investment = _log_uniform(rng, 30_000, 600_000) if is_key else _log_uniform(rng, 1_000, 30_000)
    # Investment intensity: 250-550万元 per mu (666.7 m²) of industrial land; offices, R&D, software and
    # housing invest more per mu and build higher.
    if industry.code in ("65", "73", "72", "70"):
        land = investment / rng.uniform(800, 2_000) * 666.7
        plot_ratio = rng.uniform(2.0, 4.0)
    else:
        land = investment / rng.uniform(250, 550) * 666.7
        plot_ratio = rng.uniform(1.0, 2.2)
    return {
        "name": name,
        "enterprise": enterprise,
        "investment_type": Project.InvestmentType.ENTERPRISE,
        "total_investment": _amount(investment),
        "land_area": _amount(land, 1),
        "floor_area": _amount(land * plot_ratio, 1),
        "location": _location(rng, district),
        "region": district[0],
        "industry": industry.code,
        "project_type": rng.choices(("03", "02"), weights=(85, 15))[0],
    }


# --- fingerprint -------------------------------------------------------------------------------------


def world_digest() -> str:
    """A SHA-256 over the generated data (names, codes, figures, accounts, applications with their numbers,
    states, dates and tasks, certificates, ratings), independent of ids, random tokens and real times."""
    data = {
        **_applications_digest_data(),
        "problems": _problems_digest_data(),
        "departments": sorted(Department.objects.values_list("code", "name")),
        "users": sorted(
            (
                user.username,
                user.display_name,
                sorted(group.name for group in user.groups.all()),
                user.department.code if user.department else "",
                user.enterprise.credit_code if user.enterprise else "",
            )
            for user in User.objects.select_related("department", "enterprise").prefetch_related("groups")
        ),
        "enterprises": sorted(
            Enterprise.objects.values_list(
                "credit_code",
                "name",
                "legal_representative",
                "industry",
                "is_high_tech",
                "is_tech_based",
                "address",
                "contact_phone",
            )
        ),
        "projects": sorted(
            (
                code,
                name,
                credit_code,
                investment_type,
                str(investment),
                str(land),
                str(floor),
                location,
                phase,
                key,
            )
            for code, name, credit_code, investment_type, investment, land, floor, location, phase, key in (
                Project.objects.values_list(
                    "code",
                    "name",
                    "enterprise__credit_code",
                    "investment_type",
                    "total_investment",
                    "land_area",
                    "floor_area",
                    "location",
                    "phase",
                    "is_key",
                )
            )
        ),
        "party": demo_party.digest_data(),
    }
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, default=str).encode()).hexdigest()


def _applications_digest_data() -> dict:
    """The applications part of the fingerprint: everything the services dated on the story's clock.
    A draft's number is a random placeholder, so drafts are named by project and bundle instead."""

    def number(application) -> str:
        return application.number if has_real_number(application) else ""

    applications = Application.objects.select_related("bundle", "project")
    tasks = ReviewTask.objects.select_related("application", "item", "assignee")
    return {
        "applications": _rows(
            (
                number(application),
                application.bundle.code,
                application.project.code,
                application.status,
                application.answers,
                application.submission_count,
                application.submitted_at,
                application.accepted_at,
                application.concluded_at,
                application.delivered_at,
                application.intake_deadline,
                application.promised_deadline,
            )
            for application in applications
        ),
        "tasks": _rows(
            (
                task.application.number,
                task.item.code,
                task.status,
                task.assignee.username if task.assignee else "",
                task.started_on,
                task.promised_deadline,
                task.legal_deadline,
                task.extension_days,
                task.warning_level,
                task.decided_at,
            )
            for task in tasks
        ),
        "certificates": _rows(
            Certificate.objects.values_list("number", "certificate_code", "application__number", "issued_at")
        ),
        "ratings": _rows(Rating.objects.values_list("application__number", "score", "comment")),
    }


def _problems_digest_data() -> list[str]:
    """The problems: what the services stored on the story's days (their numbers carry database ids, and
    their follow-up codes are random, so neither is fingerprinted)."""
    return _rows(
        Problem.objects.values_list(
            "title",
            "category__code",
            "source",
            "status",
            "area",
            "department__code",
            "enterprise__credit_code",
            "reporter__username",
            "reported_at",
            "dispatched_at",
            "closed_at",
            "due_date",
            "escalated_at",
            "long_term",
            "rework_count",
            "reopen_count",
            "satisfaction",
            "parent__title",
            "merged_into__title",
        )
    )


def _rows(rows) -> list[str]:
    """Rows as JSON text, sorted: rows holding None, dates and dicts sort without comparing them."""
    return sorted(json.dumps(row, ensure_ascii=False, default=str, sort_keys=True) for row in rows)
