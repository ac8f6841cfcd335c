"""Reform metrics (改革成效): how much a bundle (一件事) saves, from the catalog and from real applications.

The zone proves its reform with these figures (the seeds claim −14 steps, −25% materials, −70% time), so the
rules are stated here and printed with every report (`manage.py reform_report`).

**From the catalog**, for a set of the bundle's items, two ways of applying are compared.

*Each item applied for separately* (逐项单独办理):

- steps: per item, its ItemStep rows plus one delivery (出件). An item's steps are its department's own
  procedure and include its own intake: the first of two or more steps is that intake (受理; every multi-step
  item of the catalog is written this way), and an item with a single step does everything on the spot
  (即办: intake and decision at once). No step is a delivery: handing over the result always adds one. An
  item with no steps counts as one on-the-spot step. So an item with n steps costs max(n, 1) + 1.
- materials: per item, its required materials; a material that several items require counts once per item
  (each application hands it in again), whether or not the platform holds it.
- time: each item costs the intake time plus its promised limit; the catalog has no intake limit per item,
  so each separate application waits the bundle's own intake limit. Items run serially only where a
  dependency requires it; items without a dependency between them run in parallel in both ways, so the
  time is the longest path through the dependency graph.

*Bundled* (一件事集成办理):

- steps: one intake at the window, then each item's review steps (its steps without its own intake: n − 1
  for n ≥ 2, and 1 for an on-the-spot item, whose single step the department still takes), counted once
  each although they run in parallel, then one unified delivery: 2 + Σ review steps.
- materials: the de-duplicated set of required materials minus those the platform holds: materials whose
  source is enterprise data, project data or a certificate (issued earlier, or by an item of the same
  bundle) are not handed in.
- time: the bundle's intake limit plus the critical path through the parallel tasks by promised limits
  (serial where dependencies require). The bundle's own promised limit is printed beside it.

Differences: steps saved (absolute), materials and time reduction in percent of the separate figure.

Which items: the mandatory items, and all items of the bundle (an upper bound: situational items may exclude
each other), or the items that a given set of situation answers selects. A dependency on an item outside the
set is ignored, as when the application is split into tasks.

**From real applications** of the bundle (that catalog row): how many were submitted (drafts excluded) and
concluded; for the concluded ones the elapsed working days from the (last) submission to the conclusion,
local dates, not counting the days on which any of its tasks was paused for a supplement (the applicant's
time; this favours the administration when other tasks ran on meanwhile); their median against the promised
limit (the bundle's intake limit plus its promised limit, since the elapsed time includes intake) and the
legal limit (the intake limit plus the critical path of its own items' legal limits, an item without a legal
limit counting its promised one), and the share concluded within each. Per item: the decided tasks' median
duration from their start to the decision, pauses excluded, against the item's promised and legal limits,
and the share decided within the promised limit. With no applications every such figure is None.

**A merged review (三评合一)**: an item that replaces several items which used to be reviewed separately
(`ServiceItem.replaces`; the zone's example merges the environmental impact assessment, the soil and water
conservation plan and the river outfall review into one) is compared with them the same way:

- before: each replaced item applied for separately, by the rules above — steps max(n, 1) + 1 each, its
  required materials each (a material two of them require counts twice), time the longest of their promised
  limits (they have no dependency between them, so they run in parallel);
- after: the merged item applied for alone, by the same rules: max(n, 1) + 1 steps, its required materials,
  its promised limit.

The intake wait is left out on both sides: the catalog has no intake limit per item, and every application
waits for one, before as after. The legal limits compared are the longest legal limit of the replaced items
(their promised one where the law sets none) and the merged item's. From real applications: the merged
item's decided tasks, in every bundle that holds it, with their median duration as for the items of a bundle
and the share decided within its promised limit. The figures of a bundle's own comparison count a merged item
as the one item it is; its report lists the comparison of each merged item among its items beside them.
"""

import datetime
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.catalog.models import (
    BundleItem,
    ItemDependency,
    ItemMaterial,
    ItemStep,
    MaterialSpec,
    ReplacedItem,
)
from sciencecity.i18n import in_language
from sciencecity.workdays.calendar import working_days_between

from ..models import Application, ApplicationItem, ReviewTask, TaskPause

ONE_DAY = datetime.timedelta(days=1)
HELD_SOURCES = frozenset(
    {MaterialSpec.Source.ENTERPRISE, MaterialSpec.Source.PROJECT, MaterialSpec.Source.CERTIFICATE}
)


@dataclass(frozen=True)
class ReferenceFigures:
    """The results the seeds claim for the science city: printed beside the computed ones."""

    steps_saved: int = 14
    materials_reduction_pct: int = 25
    time_reduction_pct: int = 70
    # What they were claimed for: the project approvals of the six departments (主流程+辅助流程), which the
    # catalog models as 开工一件事; beside another bundle (a licence, a land handover) they mean nothing.
    bundles: tuple[str, ...] = ("start-construction",)


REFERENCE = ReferenceFigures()


def reduction_pct(before: int, after: int) -> Decimal | None:
    """(before − after) / before in percent, one decimal rounded half up; None when there is nothing before."""
    if not before:
        return None
    return (Decimal(before - after) * 100 / Decimal(before)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def share_pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _median(values: list) -> int | float | None:
    return statistics.median(values) if values else None


# --- catalog facts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFacts:
    """What the metrics need of one item of the bundle."""

    pk: int
    code: str
    name: str
    mandatory: bool
    step_count: int
    promised_days: int
    legal_days: int | None
    required_materials: tuple[tuple[int, str], ...]  # (material pk, source)

    @property
    def separate_steps(self) -> int:
        """Its steps (its own intake included) plus its own delivery."""
        return max(self.step_count, 1) + 1

    @property
    def review_steps(self) -> int:
        """Its steps without its own intake, which the window's one intake replaces in a bundle."""
        return self.step_count - 1 if self.step_count >= 2 else 1

    @property
    def legal_or_promised_days(self) -> int:
        return self.legal_days if self.legal_days is not None else self.promised_days

    @property
    def required_material_count(self) -> int:
        return len(self.required_materials)


@dataclass(frozen=True)
class BundleFacts:
    bundle: object
    items: tuple[ItemFacts, ...]  # in the bundle's order
    prerequisites: dict  # item pk -> frozenset of the pks it depends on (within the bundle)

    def by_pk(self) -> dict[int, ItemFacts]:
        return {item.pk: item for item in self.items}


def _step_counts_and_materials(item_ids) -> tuple[dict, dict]:
    """{item pk: its number of steps} and {item pk: [(material pk, source) of its required materials]}: two
    queries."""
    steps = dict(
        ItemStep.objects.filter(item_id__in=item_ids)
        .values("item_id")
        .annotate(count=Count("id"))
        .values_list("item_id", "count")
    )
    materials: dict[int, list] = defaultdict(list)
    for item_id, material_id, source in (
        ItemMaterial.objects.filter(item_id__in=item_ids, required=True)
        .order_by("item_id", "material__code")
        .values_list("item_id", "material_id", "material__source")
    ):
        materials[item_id].append((material_id, source))
    return steps, materials


def _facts(item, mandatory: bool, steps: dict, materials: dict) -> ItemFacts:
    return ItemFacts(
        pk=item.pk,
        code=item.code,
        name=item.name,
        mandatory=mandatory,
        step_count=steps.get(item.pk, 0),
        promised_days=item.promised_limit_days,
        legal_days=item.legal_limit_days,
        required_materials=tuple(materials.get(item.pk, ())),
    )


def bundle_facts(bundle) -> BundleFacts:
    """The bundle's items with their step counts, required materials and limits, and its dependencies.
    Four queries whatever the size of the bundle."""
    uses = list(BundleItem.objects.filter(bundle=bundle).select_related("item").order_by("position", "id"))
    steps, materials = _step_counts_and_materials([use.item_id for use in uses])
    prerequisites: dict[int, set] = defaultdict(set)
    for item_id, prerequisite_id in ItemDependency.objects.filter(bundle=bundle).values_list(
        "item_id", "depends_on_id"
    ):
        prerequisites[item_id].add(prerequisite_id)
    items = tuple(_facts(use.item, use.mandatory, steps, materials) for use in uses)
    return BundleFacts(
        bundle=bundle,
        items=items,
        prerequisites={pk: frozenset(found) for pk, found in prerequisites.items()},
    )


def longest_path(items: Iterable[ItemFacts], prerequisites: dict, cost: Callable[[ItemFacts], int]) -> int:
    """The largest sum of `cost` along a chain of dependencies among `items` (0 for no items); a dependency
    on an item outside `items` is ignored. Raises ValueError on a cycle (the catalog refuses them)."""
    by_pk = {item.pk: item for item in items}
    finish: dict[int, int] = {}
    visiting: set[int] = set()

    def finish_of(pk: int) -> int:
        if pk in finish:
            return finish[pk]
        if pk in visiting:
            raise ValueError(f"dependency cycle through item {pk}")
        visiting.add(pk)
        before = [finish_of(other) for other in prerequisites.get(pk, ()) if other in by_pk]
        visiting.discard(pk)
        finish[pk] = max(before, default=0) + cost(by_pk[pk])
        return finish[pk]

    return max((finish_of(pk) for pk in by_pk), default=0)


# --- catalog comparison -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Way:
    """One way of applying: steps, materials handed in, promised working days."""

    steps: int
    materials: int
    days: int


@dataclass(frozen=True)
class Scenario:
    """The two ways compared for one set of items."""

    key: str  # "mandatory", "all" or "answers"
    label: str
    items: tuple[ItemFacts, ...]
    separately: Way
    bundled: Way
    distinct_materials: int  # the de-duplicated set, before removing what the platform holds
    held_materials: int  # of which the platform holds these
    bundle_promised_days: int
    legal_days: int  # the bundle's intake limit + the critical path of legal limits

    @property
    def steps_saved(self) -> int:
        return self.separately.steps - self.bundled.steps

    @property
    def materials_reduction_pct(self) -> Decimal | None:
        return reduction_pct(self.separately.materials, self.bundled.materials)

    @property
    def time_reduction_pct(self) -> Decimal | None:
        return reduction_pct(self.separately.days, self.bundled.days)


def compare(facts: BundleFacts, items: Iterable[ItemFacts], *, key: str, label: str) -> Scenario:
    """Both ways for `items` of the bundle, by the rules of the module docstring."""
    items = tuple(items)
    intake = facts.bundle.intake_limit_days
    prerequisites = facts.prerequisites
    distinct = {material: source for item in items for material, source in item.required_materials}
    held = sum(1 for source in distinct.values() if source in HELD_SOURCES)
    separately = Way(
        steps=sum(item.separate_steps for item in items),
        materials=sum(len(item.required_materials) for item in items),
        days=longest_path(items, prerequisites, lambda item: intake + item.promised_days),
    )
    bundled = Way(
        steps=(2 + sum(item.review_steps for item in items)) if items else 0,
        materials=len(distinct) - held,
        days=(intake + longest_path(items, prerequisites, lambda item: item.promised_days)) if items else 0,
    )
    return Scenario(
        key=key,
        label=label,
        items=items,
        separately=separately,
        bundled=bundled,
        distinct_materials=len(distinct),
        held_materials=held,
        bundle_promised_days=facts.bundle.promised_limit_days,
        legal_days=(intake + longest_path(items, prerequisites, lambda item: item.legal_or_promised_days))
        if items
        else 0,
    )


def catalog_scenarios(
    bundle, answers: dict | None = None, *, facts: BundleFacts | None = None
) -> list[Scenario]:
    """The mandatory items and all items (one scenario when every item is mandatory); or, with `answers`
    (validated like an application's), the items those answers select."""
    facts = facts or bundle_facts(bundle)
    if answers is not None:
        from ..selectors import selected_items

        chosen = {item.pk for item in selected_items(bundle, answers)}
        items = [item for item in facts.items if item.pk in chosen]
        return [
            compare(
                facts,
                items,
                key="answers",
                label=_("按情形回答选定的事项(%(count)s 项)") % {"count": len(items)},
            )
        ]
    mandatory = [item for item in facts.items if item.mandatory]
    if len(mandatory) == len(facts.items):
        return [
            compare(
                facts,
                facts.items,
                key="all",
                label=_("全部事项(均为必办,%(count)s 项)") % {"count": len(mandatory)},
            )
        ]
    return [
        compare(
            facts, mandatory, key="mandatory", label=_("必办事项(%(count)s 项)") % {"count": len(mandatory)}
        ),
        compare(
            facts,
            facts.items,
            key="all",
            label=_("全部事项(含全部选办事项,%(count)s 项)") % {"count": len(facts.items)},
        ),
    ]


# --- merged reviews (三评合一) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MergedActuals:
    """The merged item's decided tasks (in every bundle that holds it)."""

    decided: int
    median_days: int | float | None
    within_promised_pct: Decimal | None


@dataclass(frozen=True)
class MergedComparison:
    """A merged item's single review against the separate reviews it replaces (see the module docstring)."""

    item: ItemFacts
    replaced: tuple[ItemFacts, ...]
    separately: Way  # the replaced items, each applied for separately
    merged: Way  # the merged item
    distinct_materials: int  # the replaced items' required materials without repeats
    legal_days_separately: int
    legal_days_merged: int
    actuals: MergedActuals | None = None
    item_name_en: str = ""
    replaced_names_en: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return in_language(self.item.name, self.item_name_en)

    @property
    def replaced_display_names(self) -> list[str]:
        return [
            in_language(other.name, english)
            for other, english in zip(self.replaced, self.replaced_names_en, strict=True)
        ]

    @property
    def steps_saved(self) -> int:
        return self.separately.steps - self.merged.steps

    @property
    def materials_reduction_pct(self) -> Decimal | None:
        return reduction_pct(self.separately.materials, self.merged.materials)

    @property
    def time_reduction_pct(self) -> Decimal | None:
        return reduction_pct(self.separately.days, self.merged.days)


def _separately(items: Iterable[ItemFacts]) -> Way:
    items = tuple(items)
    return Way(
        steps=sum(item.separate_steps for item in items),
        materials=sum(len(item.required_materials) for item in items),
        days=max((item.promised_days for item in items), default=0),
    )


def merged_comparisons(*, version=None, item_ids=None, with_actuals: bool = False) -> list[MergedComparison]:
    """The comparison of each merged item of a catalog version (or of those of `item_ids` that are merged
    items), in catalog order: three queries, plus the actuals' few when asked for."""
    links = ReplacedItem.objects.select_related("item", "replaced").order_by(
        "item__stage", "item__code", "position", "id"
    )
    if version is not None:
        links = links.filter(item__version=version)
    if item_ids is not None:
        links = links.filter(item_id__in=list(item_ids))
    links = list(links)
    if not links:
        return []
    merged: dict[int, object] = {}
    replaced: dict[int, list] = defaultdict(list)
    for link in links:
        merged.setdefault(link.item_id, link.item)
        replaced[link.item_id].append(link.replaced)
    every = {item.pk for item in merged.values()} | {item.pk for found in replaced.values() for item in found}
    steps, materials = _step_counts_and_materials(every)
    actuals = _merged_actuals(merged.values()) if with_actuals else {}
    comparisons = []
    for pk, item in merged.items():
        facts = _facts(item, True, steps, materials)
        before = tuple(_facts(other, True, steps, materials) for other in replaced[pk])
        comparisons.append(
            MergedComparison(
                item=facts,
                replaced=before,
                separately=_separately(before),
                merged=_separately((facts,)),
                distinct_materials=len({m for other in before for m, _source in other.required_materials}),
                legal_days_separately=max(other.legal_or_promised_days for other in before),
                legal_days_merged=facts.legal_or_promised_days,
                actuals=actuals.get(pk),
                item_name_en=item.name_en,
                replaced_names_en=tuple(other.name_en for other in replaced[pk]),
            )
        )
    return comparisons


def _decided_tasks(**which) -> tuple[list[tuple], dict[int, list]]:
    """The decided review tasks chosen by `which` as (pk, item pk, started on, decided on), and their pauses
    by task: two queries, for counting the working days each took."""
    decided = ReviewTask.objects.filter(
        status__in=ReviewTask.DECIDED_STATUSES, started_on__isnull=False, decided_at__isnull=False, **which
    )
    tasks = [
        (pk, item_id, started_on, _local_date(decided_at))
        for pk, item_id, started_on, decided_at in decided.values_list(
            "pk", "item_id", "started_on", "decided_at"
        )
    ]
    pauses: dict[int, list] = defaultdict(list)
    for task_id, start, end in TaskPause.objects.filter(task__in=decided.values("pk")).values_list(
        "task_id", "started_on", "ended_on"
    ):
        pauses[task_id].append((start, end))
    return tasks, pauses


def _merged_actuals(items) -> dict[int, MergedActuals]:
    """{merged item pk: figures of its decided tasks}: two queries and the calendar."""
    promised = {item.pk: item.promised_limit_days for item in items}
    tasks, pauses = _decided_tasks(item_id__in=list(promised))
    needed: list[datetime.date] = []
    for pk, _item_id, start, end in tasks:
        needed += WorkingDayCounter.needed(start, end, pauses.get(pk, ()))
    counter = WorkingDayCounter(needed)
    durations: dict[int, list[int]] = defaultdict(list)
    for pk, item_id, start, end in tasks:
        if end >= start:
            durations[item_id].append(counter.between(start, end, pauses.get(pk, ())))
    return {
        pk: MergedActuals(
            decided=len(durations.get(pk, [])),
            median_days=_median(durations.get(pk, [])),
            within_promised_pct=share_pct(
                sum(1 for days in durations.get(pk, []) if days <= limit), len(durations.get(pk, []))
            ),
        )
        for pk, limit in promised.items()
    }


# --- real applications --------------------------------------------------------------------------------


class WorkingDayCounter:
    """Working days between many pairs of dates with a handful of calendar reads: the count from the first
    date to each date of interest is worked out once, in date order, and every span is a difference."""

    def __init__(self, days: Iterable[datetime.date]):
        self._upto: dict[datetime.date, int] = {}
        total, previous = 0, None
        for day in sorted(set(days)):
            if previous is not None:
                total += working_days_between(previous, day)
            self._upto[day] = total
            previous = day

    @staticmethod
    def needed(a: datetime.date, b: datetime.date, pauses=()) -> list[datetime.date]:
        """The dates `between(a, b, pauses)` will ask about."""
        days = [a, b]
        for start, end in pauses:
            days += [start - ONE_DAY, end if end is not None else b]
        return days

    def between(self, a: datetime.date, b: datetime.date, pauses=()) -> int:
        """Working days d with a < d <= b outside the pauses ((first, last) pairs, both days included; a
        pause still open ends at b); all dates must have been given to the constructor (see `needed`)."""
        count = self._upto[b] - self._upto[a]
        for start, end in merge_pauses(pauses, b):
            low, high = max(a, start - ONE_DAY), min(b, end)
            if high > low:
                count -= self._upto[high] - self._upto[low]
        return count


def merge_pauses(pauses, open_end: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """Pauses as sorted, non-overlapping (first, last) pairs; a pause still open ends at `open_end`."""
    merged: list[list[datetime.date]] = []
    for start, end in sorted((start, end if end is not None else open_end) for start, end in pauses):
        if merged and start <= merged[-1][1] + ONE_DAY:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


@dataclass(frozen=True)
class ItemActuals:
    code: str
    name: str
    promised_days: int
    legal_days: int | None
    decided: int
    median_days: int | float | None
    within_promised_pct: Decimal | None


@dataclass(frozen=True)
class Actuals:
    """Figures from the bundle's real applications (see the module docstring)."""

    applications: int
    concluded: int
    median_elapsed_days: int | float | None
    promised_limit_days: int
    median_legal_limit_days: int | float | None
    within_promised_pct: Decimal | None
    within_legal_pct: Decimal | None
    items: tuple[ItemActuals, ...] = field(default_factory=tuple)


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def actual_figures(bundle, *, facts: BundleFacts | None = None) -> Actuals:
    """Counts, medians and shares from the applications of `bundle`; a fixed number of queries plus one
    calendar read per distinct date involved."""
    facts = facts or bundle_facts(bundle)
    by_pk = facts.by_pk()
    intake = bundle.intake_limit_days
    A = Application.Status
    submitted = Application.objects.filter(bundle=bundle).exclude(status=A.DRAFT)
    concluded_qs = submitted.filter(
        status__in=(A.CONCLUDED, A.DELIVERED), submitted_at__isnull=False, concluded_at__isnull=False
    )
    concluded = {
        pk: (_local_date(submitted_at), _local_date(concluded_at))
        for pk, submitted_at, concluded_at in concluded_qs.values_list("pk", "submitted_at", "concluded_at")
    }
    items_of: dict[int, list[int]] = defaultdict(list)
    for application_id, item_id in (
        ApplicationItem.objects.filter(application__in=concluded_qs.values("pk"))
        .values_list("application_id", "item_id")
        .order_by()
    ):
        items_of[application_id].append(item_id)
    application_pauses: dict[int, list] = defaultdict(list)
    for application_id, start, end in TaskPause.objects.filter(
        task__application__in=concluded_qs.values("pk")
    ).values_list("task__application_id", "started_on", "ended_on"):
        application_pauses[application_id].append((start, end))

    tasks, task_pauses = _decided_tasks(application__bundle=bundle)

    needed: list[datetime.date] = []
    for pk, (start, end) in concluded.items():
        needed += WorkingDayCounter.needed(start, end, application_pauses.get(pk, ()))
    for pk, _item_id, start, end in tasks:
        needed += WorkingDayCounter.needed(start, end, task_pauses.get(pk, ()))
    counter = WorkingDayCounter(needed)

    promised_limit = intake + bundle.promised_limit_days
    elapsed, legal_limits, within_promised, within_legal = [], [], 0, 0
    for pk, (start, end) in concluded.items():
        if end < start:
            continue
        days = counter.between(start, end, application_pauses.get(pk, ()))
        own_items = [by_pk[item_id] for item_id in items_of.get(pk, ()) if item_id in by_pk]
        legal = intake + longest_path(
            own_items, facts.prerequisites, lambda item: item.legal_or_promised_days
        )
        elapsed.append(days)
        legal_limits.append(legal)
        within_promised += days <= promised_limit
        within_legal += days <= legal

    durations: dict[int, list[int]] = defaultdict(list)
    for pk, item_id, start, end in tasks:
        if end >= start:
            durations[item_id].append(counter.between(start, end, task_pauses.get(pk, ())))
    item_figures = tuple(
        ItemActuals(
            code=item.code,
            name=item.name,
            promised_days=item.promised_days,
            legal_days=item.legal_days,
            decided=len(durations.get(item.pk, [])),
            median_days=_median(durations.get(item.pk, [])),
            within_promised_pct=share_pct(
                sum(1 for days in durations.get(item.pk, []) if days <= item.promised_days),
                len(durations.get(item.pk, [])),
            ),
        )
        for item in facts.items
    )
    return Actuals(
        applications=submitted.count(),
        concluded=len(elapsed),
        median_elapsed_days=_median(elapsed),
        promised_limit_days=promised_limit,
        median_legal_limit_days=_median(legal_limits),
        within_promised_pct=share_pct(within_promised, len(elapsed)),
        within_legal_pct=share_pct(within_legal, len(elapsed)),
        items=item_figures,
    )


# --- the whole report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleReport:
    bundle: object
    scenarios: tuple[Scenario, ...]
    actuals: Actuals
    reference: ReferenceFigures = REFERENCE
    merged_items: tuple[MergedComparison, ...] = ()  # 三评合一: the merged reviews among its items


def reform_report(bundle, answers: dict | None = None) -> BundleReport:
    """The catalog comparison (see `catalog_scenarios`) and the real-application figures of one bundle, with
    the comparison of each merged review (三评合一) among its items."""
    facts = bundle_facts(bundle)
    return BundleReport(
        bundle=bundle,
        scenarios=tuple(catalog_scenarios(bundle, answers, facts=facts)),
        actuals=actual_figures(bundle, facts=facts),
        merged_items=tuple(merged_comparisons(item_ids=[item.pk for item in facts.items], with_actuals=True)),
    )


def rules_text() -> list[str]:
    """The counting rules in a few lines, for the printed report."""
    return [
        _(
            "环节:单独办理时每个事项计其办理环节(两个及以上环节的第一个为该事项自身的受理;单环节事项即来即办)"
            "再加一次出件;集成办理计一次综合受理、各事项除自身受理外的审查环节(并联,各计一次)和一次统一出件。"
        ),
        _(
            "材料:单独办理时逐事项累计必交材料(重复材料重复计);集成办理为去重后的必交材料,"
            "减去平台已有的企业信息、项目信息和证照。"
        ),
        _(
            "时间:单独办理时每个事项计受理时限(取一件事的受理时限)加承诺时限;集成办理为受理时限加并联审批关键路径;"
            "两种方式均仅在存在前置关系时串行。"
        ),
        _(
            "实际办件:用时为自最后一次提交至办结的工作日,扣除任一审批任务暂停(补充材料)的日期;"
            "承诺时限含受理时限;法定时限为受理时限加所办事项法定时限的关键路径(无法定时限的按承诺时限)。"
        ),
        _(
            "合并审批(如“三评合一”):合并前为被替代的各事项分别单独办理(环节、必交材料逐项累计,"
            "时间取各自承诺时限中最长者,互不串行);合并后为合并事项单独办理;两者均不计受理等待时间。"
        ),
    ]
