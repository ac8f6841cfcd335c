"""The zone's construction timeline (建设时间轴), built from the records, never typed: each source below reads
one kind of dated record and gives timeline entries; the page (`/cockpit/timeline/`), the cockpit's panel and
the API (`/api/v1/timeline/`) show the same entries, newest first.

- **集中开工**: each mass start (`projects.MassStart`): its day, projects and investment.
- **项目开工 / 项目竣工 / 项目投用**: the actual dates of key projects' start, completion-acceptance and operation
  milestones (the milestone kinds marked 开工 / 竣工 / 投用), a month's in one entry per kind, each project named
  with its day. A start dated by a mass start is in that mass start's entry, not here again.
- **一件事上线**: the first day a bundle is in force in a published catalog version (开工一件事, 联合验收一件事 …).
- **政策施行**: published enterprise policies (金凤凰 …) by the day they take effect.
- **党组织成立**: the founding of the zone's party working committee (党工委), a public fact.

Each source reads through the reader's scope (`for_user`): an enterprise sees the zone's public records and its
own projects' milestones. Every source is one query (two for the catalog) for any number of rows; a source is
added by appending a function to `SOURCES` (where a new kind of dated record gets its home).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, Min, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.i18n import join_list
from sciencecity.partybuilding.models import Organization
from sciencecity.policies.models import Policy
from sciencecity.projects.models import MassStart, MassStartProject, Milestone, MilestoneKind, Project

KINDS = {
    "mass_start": gettext_lazy("集中开工"),
    "start": gettext_lazy("项目开工"),
    "completion": gettext_lazy("项目竣工"),
    "operation": gettext_lazy("项目投用"),
    "reform": gettext_lazy("一件事上线"),
    "policy": gettext_lazy("政策施行"),
    "party": gettext_lazy("党组织成立"),
}
MARKS = {
    MilestoneKind.Mark.START: "start",
    MilestoneKind.Mark.COMPLETION: "completion",
    MilestoneKind.Mark.OPERATION: "operation",
}
ITEMS_SHOWN = 8  # names listed under one entry; the rest counted


@dataclass
class Item:
    label: str
    url: str = ""
    day: datetime.date | None = None


@dataclass
class Entry:
    day: datetime.date  # the day it happened (for a month's entry: its latest day)
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    month_only: bool = False  # a month's records together: shown as YYYY-MM
    count: int = 1
    amount: object = None  # 万元, where the entry has an investment
    items: list = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.items))

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "month_only": self.month_only,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "title": self.title,
            "detail": self.detail,
            "url": self.url,
            "count": self.count,
            "amount": self.amount,
            "items": [
                {"label": item.label, "url": item.url, "day": item.day.isoformat() if item.day else None}
                for item in self.items
            ],
        }


def _yi(amount) -> str:
    return f"{float(amount or 0) / 10000:,.2f}"


# --- the sources: (user, since, until) → entries of days in [since, until) ---------------------------------


def mass_start_entries(user, since, until) -> list[Entry]:
    events = (
        MassStart.objects.for_user(user).filter(held_on__gte=since, held_on__lt=until).order_by("held_on")
    )
    return [
        Entry(
            day=event.held_on,
            kind="mass_start",
            title=event.name,
            detail=_("%(count)s 个项目集中开工,总投资 %(amount)s 亿元;%(place)s")
            % {"count": event.project_count, "amount": _yi(event.total_investment), "place": event.place},
            url=reverse("projects:mass_start", args=[event.pk]),
            count=event.project_count,
            amount=float(event.total_investment),
        )
        for event in events
    ]


def milestone_entries(user, since, until) -> list[Entry]:
    """Key projects' start, completion and operation milestones, a month's of one kind in one entry."""
    by_mass_start = MassStartProject.objects.filter(
        project_id=OuterRef("project_id"), event__held_on=OuterRef("actual_on")
    )
    rows = (
        Milestone.objects.filter(
            stage__isnull=True,
            kind__marks__in=list(MARKS),
            actual_on__gte=since,
            actual_on__lt=until,
            project__is_key=True,
            project__in=Project.objects.for_user(user),
        )
        .annotate(in_mass_start=Exists(by_mass_start))
        .select_related("project", "kind")
        .order_by("actual_on", "project__code")
    )
    groups: dict[tuple, list] = defaultdict(list)
    for row in rows:
        kind = MARKS[row.kind.marks]
        if kind == "start" and row.in_mass_start:
            continue
        groups[(row.actual_on.year, row.actual_on.month, kind)].append(row)
    titles = {
        "start": (_("%(name)s开工"), _("%(count)s 个重点项目开工")),
        "completion": (_("%(name)s竣工验收"), _("%(count)s 个重点项目竣工验收")),
        "operation": (_("%(name)s投用"), _("%(count)s 个重点项目投用")),
    }
    entries = []
    for (_year, _month, kind), group in groups.items():
        one, many = titles[kind]
        title = one % {"name": group[0].project.name} if len(group) == 1 else many % {"count": len(group)}
        entries.append(
            Entry(
                day=group[-1].actual_on,
                kind=kind,
                title=title,
                month_only=len(group) > 1,
                count=len(group),
                amount=float(sum(row.project.total_investment for row in group)),
                url=reverse("approvals:project", args=[group[0].project_id]) if len(group) == 1 else "",
                items=[
                    Item(row.project.name, reverse("approvals:project", args=[row.project_id]), row.actual_on)
                    for row in group[:ITEMS_SHOWN]
                ]
                if len(group) > 1
                else [],
            )
        )
    return entries


def reform_entries(user, since, until) -> list[Entry]:
    """The first day each bundle (一件事) is in force in a published catalog version."""
    published = CatalogVersion.Status.PUBLISHED
    firsts = (
        Bundle.objects.filter(version__status=published, version__valid_from__isnull=False)
        .values("code")
        .annotate(first=Min("version__valid_from"))
        .filter(first__gte=since, first__lt=until)
    )
    first_of = {row["code"]: row["first"] for row in firsts}
    if not first_of:
        return []
    bundles = (
        Bundle.objects.filter(
            code__in=list(first_of), version__status=published, version__valid_from__in=set(first_of.values())
        )
        .select_related("version")
        .order_by("code", "version__number")
    )
    by_day: dict[datetime.date, dict] = defaultdict(dict)
    for bundle in bundles:
        day = first_of[bundle.code]
        if bundle.version.valid_from == day:
            by_day[day].setdefault(bundle.code, bundle)
    return [
        Entry(
            day=day,
            kind="reform",
            title=_("%(names)s上线") % {"names": join_list(b.display_name for b in found.values())},
            detail=_("“一件事一次办”,按目录 v%(version)s 施行")
            % {"version": next(iter(found.values())).version.number},
            count=len(found),
        )
        for day, found in sorted(by_day.items())
    ]


def policy_entries(user, since, until) -> list[Entry]:
    policies = (
        Policy.objects.for_user(user)
        .filter(is_published=True, valid_from__gte=since, valid_from__lt=until)
        .order_by("valid_from", "code")
    )
    by_day: dict[datetime.date, list] = defaultdict(list)
    for policy in policies:
        by_day[policy.valid_from].append(policy)
    entries = []
    for day, found in sorted(by_day.items()):
        items = [Item(p.title, reverse("policies:detail", args=[p.code])) for p in found[:ITEMS_SHOWN]]
        entries.append(
            Entry(
                day=day,
                kind="policy",
                title=_("%(count)s 项惠企政策施行") % {"count": len(found)}
                if len(found) > 1
                else _("%(title)s施行") % {"title": found[0].title},
                url=items[0].url if len(found) == 1 else "",
                count=len(found),
                items=items if len(found) > 1 else [],
            )
        )
    return entries


def party_entries(user, since, until) -> list[Entry]:
    committees = Organization.objects.filter(
        kind=Organization.Kind.WORKING_COMMITTEE, established_on__gte=since, established_on__lt=until
    ).order_by("established_on", "path")
    return [
        Entry(
            day=organization.established_on,
            kind="party",
            title=_("%(name)s成立") % {"name": organization.name},
        )
        for organization in committees
    ]


SOURCES = (mass_start_entries, milestone_entries, reform_entries, policy_entries, party_entries)


def build(user, since: datetime.date, until: datetime.date, kinds=None) -> list[Entry]:
    """The timeline's entries of days in [since, until), newest first (kinds: only these)."""
    entries = [entry for source in SOURCES for entry in source(user, since, until)]
    if kinds:
        entries = [entry for entry in entries if entry.kind in kinds]
    order = list(KINDS)
    return sorted(entries, key=lambda e: (e.day, -order.index(e.kind)), reverse=True)


def first_year(user, today: datetime.date) -> int:
    """The earliest year the timeline has a record of (this year when it has none)."""
    days = [
        MassStart.objects.for_user(user).aggregate(first=Min("held_on"))["first"],
        Milestone.objects.filter(
            stage__isnull=True, kind__marks__in=list(MARKS), project__is_key=True, actual_on__isnull=False
        )
        .filter(project__in=Project.objects.for_user(user))
        .aggregate(first=Min("actual_on"))["first"],
        Policy.objects.for_user(user).filter(is_published=True).aggregate(first=Min("valid_from"))["first"],
        Organization.objects.filter(kind=Organization.Kind.WORKING_COMMITTEE).aggregate(
            first=Min("established_on")
        )["first"],
    ]
    found = [day for day in days if day is not None]
    return min(found).year if found else today.year
