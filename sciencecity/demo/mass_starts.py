"""The zone's mass starts (集中开工) in the demo, from the seed's construction timeline, recorded through
`projects.services.mass_starts` (which dates each project's start):

- 2020-09-11, the mobilisation meeting (西部(重庆)科学城建设动员大会): 79 major projects with 科学大道 and
  科学谷, 1,300亿元 in all;
- 2021-04-15, the year's key projects with the 中电重庆软件园 start: 107 key projects;
- 2021-05-27, 重庆's first large science facility, 超瞬态实验装置, with 7 other major projects: 283.6亿元;
- and the latest spring's key projects (this year's, or last year's autumn early in a year), the projects
  still in the 开工 phase.

Projects are chosen among those already started (their phase stays as the world made it); the seed totals
are met exactly: each project enters with its total investment, the event's largest ones with the part
that makes up the seed's figure. A project chosen for a 2020 or 2021 event whose code was issued later
gets a code of the event's year (a project is filed before it starts), through `registry.update_project`.
Runs before `projects.create_escort`, whose schedules keep the starts dated here; the completed key projects
get their completion (and operation) dates. Deterministic from the seed.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from sciencecity.projects.models import Milestone, MilestoneKind, Project
from sciencecity.projects.services import mass_starts, next_project_code, registry, schedule
from sciencecity.workdays import clock

P = Project.Phase
STARTED_BEFORE = (P.UNDER_CONSTRUCTION, P.COMPLETED, P.IN_OPERATION)
PLACE = "重庆高新区"


@dataclass(frozen=True)
class Seed:
    name: str
    held_on: datetime.date
    place: str
    organizer: str
    description: str
    projects: int
    total: Decimal | None  # 万元; None: what the projects add up to
    named: tuple[str, ...]  # demo projects it must hold


SEEDS = (
    Seed(
        "西部(重庆)科学城建设动员大会暨重大项目集中开工",
        datetime.date(2020, 9, 11),
        "西部(重庆)科学城科学大道施工现场",
        "西部(重庆)科学城建设领导小组办公室",
        "西部(重庆)科学城建设动员大会召开,科学大道、科学谷等79个重大项目集中开工,总投资1300亿元。",
        79,
        Decimal("13000000"),
        ("科学大道二期工程", "科学谷(一期)"),
    ),
    Seed(
        "2021年重点项目集中开工暨中电重庆软件园开工活动",
        datetime.date(2021, 4, 15),
        "中电重庆软件园项目现场",
        "西部(重庆)科学城管委会",
        "西部(重庆)科学城举行2021年重点项目集中开工暨中电重庆软件园开工活动,107个重点项目集中开工。",
        107,
        None,
        (),
    ),
    Seed(
        "超瞬态实验装置等重大项目集中开工",
        datetime.date(2021, 5, 27),
        "重庆大学超瞬态实验装置项目现场",
        "西部(重庆)科学城管委会、重庆大学",
        "重庆首个大科学装置——超瞬态实验装置项目等8个重大项目在西部(重庆)科学城集中开工,总投资达283.6亿元;"
        "该装置由重庆大学牵头分两期建设。",
        8,
        Decimal("2836000"),
        ("超瞬态实验装置",),
    ),
)


@dataclass
class MassStartsSummary:
    events: int = 0
    projects: int = 0
    total: Decimal = Decimal("0")


def _moment(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(9, 30), tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )


def _subset(pool: list, count: int, target: Decimal, fixed: list) -> list:
    """`count` projects (the `fixed` ones among them) whose totals reach `target` closely: start from the
    largest, then swap large ones for smaller ones (none below a quarter of the mean) while the sum stays at
    or above the target; what is left over is trimmed from the largest projects' investment (`_amounts`)."""
    chosen = list(fixed)
    rest = [p for p in sorted(pool, key=lambda p: (-p.total_investment, p.code)) if p not in chosen]
    chosen += rest[: count - len(chosen)]
    spare = rest[count - len(fixed) :]
    total = sum(p.total_investment for p in chosen)
    if total < target:
        raise RuntimeError(f"the demo's projects cannot reach {target} with {count} projects")
    floor = target / count / 4
    for index in [*range(len(fixed), len(chosen))] * 3:
        surplus = total - target
        big = chosen[index]
        fitting = [
            p
            for p in spare
            if max(floor, big.total_investment - surplus) <= p.total_investment < big.total_investment
        ]
        if not fitting:
            continue
        small = min(fitting, key=lambda p: (p.total_investment, p.code))
        spare.remove(small)
        spare.append(big)
        chosen[index] = small
        total += small.total_investment - big.total_investment
    return chosen


def _amounts(chosen: list, target: Decimal | None) -> list:
    """Each project's investment in the event: its total, the largest ones' trimmed (each to no less than
    half its total, then all alike) to meet the target."""
    amounts = {p.pk: p.total_investment for p in chosen}
    if target is not None:
        surplus = sum(amounts.values()) - target
        for project in sorted(chosen, key=lambda p: (-p.total_investment, p.code)):
            if surplus <= 0:
                break
            cut = min(surplus, (project.total_investment / 2).quantize(Decimal("0.01")))
            amounts[project.pk] -= cut
            surplus -= cut
        if surplus > 0:  # more than half of everything: every project's part alike
            share = target / sum(amounts.values())
            amounts = {pk: (amount * share).quantize(Decimal("0.01")) for pk, amount in amounts.items()}
            largest = max(chosen, key=lambda p: (p.total_investment, p.code))
            amounts[largest.pk] += target - sum(amounts.values())
    return [mass_starts.Entry(p, amounts[p.pk]) for p in chosen]


def _filed_before(rng, project: Project, year: int) -> None:
    """A project started in `year` was filed by then: a code of that year (or the year before) if its own is
    later."""
    if int(project.code[:4]) <= year:
        return
    _year, region, industry, kind, _serial = project.code.split("-")
    code = next_project_code(
        rng.choice((year - 1, year)), region, industry, kind, first_serial=rng.randint(1, 60_000)
    )
    registry.update_project(None, project, code=code)
    project.refresh_from_db()


def _plan_start(rng, project: Project, day: datetime.date) -> None:
    """The start planned a little before the event (the event then dates it)."""
    schedule.set_milestone(
        None, project, "start", planned_on=day - datetime.timedelta(days=rng.choice((0, 0, 15, 30, 60)))
    )


def _recent_day(today: datetime.date) -> datetime.date:
    spring = datetime.date(today.year, 3, 16)
    return spring if spring <= today - datetime.timedelta(days=14) else datetime.date(today.year - 1, 10, 22)


def create_mass_starts(seed: int, steps) -> MassStartsSummary:
    rng = random.Random(f"{seed}:mass-starts")
    today = clock.today()
    summary = MassStartsSummary()
    by_name = {p.name: p for p in Project.objects.filter(name__in=[n for s in SEEDS for n in s.named])}
    pool = list(Project.objects.filter(phase__in=STARTED_BEFORE).order_by("code"))
    later = list(Project.objects.filter(phase=P.STARTED).order_by("code"))
    used: set[int] = set()
    plans = []
    # The 8 with the science facility first (the largest projects), then the 79, then the 107 key projects.
    for seed_event in (SEEDS[2], SEEDS[0], SEEDS[1]):
        fixed = [by_name[name] for name in seed_event.named if name in by_name]
        candidates = [p for p in pool if p.pk not in used]
        if (
            len(candidates) < seed_event.projects
        ):  # the 开工 phase's longest-running projects make up the rest
            candidates += [p for p in later if p.pk not in used]
        if seed_event.total is None:
            # That year's key projects: those long under way first, today's key projects first among them (a
            # project completed since may have left the list).
            ordered = sorted(candidates, key=lambda p: (p.phase == P.STARTED, not p.is_key, p.code))
            chosen = (fixed + [p for p in ordered if p not in fixed])[: seed_event.projects]
        else:
            chosen = _subset(candidates, seed_event.projects, seed_event.total, fixed)
        used.update(p.pk for p in chosen)
        plans.append((seed_event, chosen))
    recent = [p for p in later if p.pk not in used and p.is_key]
    steps.start(_("集中开工"), len(plans) + 1)
    with clock.frozen_at(_moment(min(datetime.date(today.year, 1, 5), today - datetime.timedelta(days=1)))):
        for seed_event, chosen in sorted(plans, key=lambda plan: plan[0].held_on):
            for project in chosen:
                _filed_before(rng, project, seed_event.held_on.year)
                _plan_start(rng, project, seed_event.held_on)
            event = mass_starts.record_mass_start(
                None,
                name=seed_event.name,
                held_on=seed_event.held_on,
                place=seed_event.place,
                organizer=seed_event.organizer,
                description=seed_event.description,
                projects=_amounts(chosen, seed_event.total),
            )
            summary.events += 1
            summary.projects += event.project_count
            summary.total += event.total_investment
            steps.advance()
    _completions(rng, today)
    day = _recent_day(today)
    if recent:
        with clock.frozen_at(
            _moment(max(day, min(datetime.date(today.year, 1, 5), today - datetime.timedelta(days=1))))
        ):
            for project in recent:
                _plan_start(rng, project, day)
            event = mass_starts.record_mass_start(
                None,
                name=f"{day.year}年{'一季度' if day.month <= 3 else '四季度'}重点项目集中开工",
                held_on=day,
                place=PLACE,
                organizer="西部(重庆)科学城管委会",
                description=f"西部(重庆)科学城{len(recent)}个重点项目集中开工,涵盖先进制造、科技创新和城市基础设施。",
                projects=_amounts(recent, None),
            )
            summary.events += 1
            summary.projects += event.project_count
            summary.total += event.total_investment
    steps.advance()
    return summary


def _completions(rng, today: datetime.date) -> None:
    """The completed and operating key projects' dates: a start where no mass start dated one, completion
    acceptance (this year for those just completed, earlier for those in operation) and operation."""
    projects = Project.objects.filter(is_key=True, phase__in=(P.COMPLETED, P.IN_OPERATION)).order_by("code")
    starts = dict(
        Milestone.objects.filter(
            project__in=projects,
            stage__isnull=True,
            kind__marks=MilestoneKind.Mark.START,
            actual_on__isnull=False,
        ).values_list("project_id", "actual_on")
    )
    latest = today - datetime.timedelta(days=1)
    for project in projects:
        started = starts.get(project.pk)
        if project.phase == P.COMPLETED:  # this year's (the year's plan says 竣工), or late last year's
            accepted = max(
                latest - datetime.timedelta(days=rng.randint(10, 300)), datetime.date(today.year - 1, 11, 1)
            )
        else:
            accepted = latest - datetime.timedelta(days=rng.randint(400, 1400))
        if started is None:
            started = accepted - datetime.timedelta(days=rng.randint(540, 1100))
            schedule.set_milestone(None, project, "start", planned_on=started, actual_on=started)
        accepted = max(accepted, started + datetime.timedelta(days=365))
        accepted = min(accepted, latest)
        schedule.set_milestone(None, project, "acceptance", planned_on=accepted, actual_on=accepted)
        if project.phase == P.IN_OPERATION:
            opened = min(accepted + datetime.timedelta(days=rng.randint(20, 120)), latest)
            schedule.set_milestone(None, project, "operation", planned_on=opened, actual_on=opened)
