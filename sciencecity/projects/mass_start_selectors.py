"""Reads of mass starts (集中开工) that the pages and the API share: the events, an event's projects as the
reader's scope allows, its breakdown by investment type, project type and district, and a project's event.
Each read is a fixed number of queries whatever the number of rows."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from .models import MassStart, MassStartProject, Project, ProjectType
from .regions import district_name
from .services.schedule import DEFAULT_TYPE


def events(user, *, year: int | None = None, q: str = ""):
    """The events the reader may see, newest first (the index `mass_start_day_idx`)."""
    found = MassStart.objects.for_user(user)
    if year:
        found = found.filter(held_on__year=year)
    if q:
        found = found.filter(Q(name__icontains=q) | Q(place__icontains=q) | Q(organizer__icontains=q))
    return found.order_by("-held_on", "-id")


def entries_of(user, event):
    """The event's projects this reader may see, in the order they were added."""
    return (
        MassStartProject.objects.for_user(user)
        .filter(event=event)
        .select_related("project", "project__enterprise", "project__project_type")
        .order_by("id")
    )


def entry_of(project):
    """The event that started the project (a project starts once), or None."""
    return MassStartProject.objects.filter(project=project).select_related("event").first()


@dataclass
class Share:
    key: str
    label: str
    projects: int
    investment: object

    @property
    def investment_yi(self):
        return round(float(self.investment or 0) / 10000, 2)


def breakdown(event) -> dict[str, list[Share]]:
    """The event's projects and investment by investment type, by project type and by district (the region
    of the project code): three grouped queries over all its projects — the event's totals are public."""
    rows = MassStartProject.objects.filter(event=event)
    by_investment = {
        row["project__investment_type"]: row
        for row in rows.values("project__investment_type").annotate(n=Count("id"), amount=Sum("investment"))
    }
    investment_types = [
        Share(value, str(label), by_investment[value]["n"], by_investment[value]["amount"])
        for value, label in Project.InvestmentType.choices
        if value in by_investment
    ]
    by_type = list(
        rows.values("project__project_type__code").annotate(n=Count("id"), amount=Sum("investment"))
    )
    types = {
        t.code: t
        for t in ProjectType.objects.filter(
            code__in=[r["project__project_type__code"] for r in by_type] + [DEFAULT_TYPE]
        )
    }
    merged: dict[str, list] = {}
    for row in by_type:
        code = row["project__project_type__code"] or DEFAULT_TYPE  # no type: the default type
        merged.setdefault(code, [0, 0])
        merged[code][0] += row["n"]
        merged[code][1] += row["amount"] or 0
    project_types = [
        Share(code, types[code].display_name if code in types else code, n, amount)
        for code, (n, amount) in sorted(merged.items(), key=lambda item: -item[1][1])
    ]
    by_district = (
        rows.annotate(region=Substr("project__code", 6, 6))
        .values("region")
        .annotate(n=Count("id"), amount=Sum("investment"))
        .order_by("-amount", "region")
    )
    districts = [
        Share(row["region"], district_name(row["region"]), row["n"], row["amount"]) for row in by_district
    ]
    return {"investment_type": investment_types, "project_type": project_types, "district": districts}
