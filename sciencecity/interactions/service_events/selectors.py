"""Reads of service events that the pages, the API and the enterprise file share: the search of the list, the
figures of the demands raised at events (from their problems' states), and the participants counted by role —
each one grouped query for any number of events."""

import datetime
from dataclasses import asdict, dataclass

from django.db.models import Count, Q
from django.utils import timezone

from sciencecity.problems.models import CLOCKED_STATES, OPEN_STATES, Problem
from sciencecity.workdays import clock

from ..models import EventDemand, EventParticipant, ServiceEvent

WHEN = ("upcoming", "past")


def search(
    queryset,
    *,
    q: str = "",
    kind: str = "",
    status: str = "",
    department=None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    when: str = "",
    enterprise=None,
    user=None,
    mine: bool = False,
):
    """The events of `queryset` that match the list's filters, the newest first (the upcoming ones soonest
    first): by text (number, title, place), kind, state, organising department, the days they start (a
    period), upcoming or past, an enterprise taking part, and `mine` (recorded by `user` or with `user` as
    escort staff)."""
    if q := (q or "").replace("\x00", "").strip()[:100]:
        queryset = queryset.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(place__icontains=q))
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if department is not None:
        queryset = queryset.filter(department=department)
    if since:
        queryset = queryset.filter(starts_at__gte=_start_of(since))
    if until:
        queryset = queryset.filter(starts_at__lt=_start_of(until + datetime.timedelta(days=1)))
    if enterprise is not None:
        queryset = queryset.filter(
            pk__in=EventParticipant.objects.filter(enterprise=enterprise).values("event_id")
        )
    if mine and user is not None:
        queryset = queryset.filter(
            Q(created_by=user) | Q(pk__in=EventParticipant.objects.filter(user=user).values("event_id"))
        )
    now = clock.now()
    if when == "upcoming":
        return queryset.filter(starts_at__gte=now, status=ServiceEvent.Status.SCHEDULED).order_by(
            "starts_at", "id"
        )
    if when == "past":
        queryset = queryset.filter(starts_at__lt=now)
    return queryset.order_by("-starts_at", "-id")


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class DemandFigures:
    """The demands raised at an event, by their problems' states now: closed (verified), still open, of the open
    ones past their deadline with the clock running, and those ended otherwise (merged into another, dismissed)."""

    raised: int = 0
    closed: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def ended_otherwise(self) -> int:
        return self.raised - self.closed - self.open

    @property
    def closed_rate(self) -> float | None:
        return round(self.closed * 100 / self.raised, 1) if self.raised else None

    def as_dict(self) -> dict:
        return {**asdict(self), "ended_otherwise": self.ended_otherwise, "closed_rate": self.closed_rate}


def demand_figures(demands, event_ids, today: datetime.date | None = None) -> dict[int, DemandFigures]:
    """{event id: DemandFigures} of `demands` (a scoped EventDemand queryset) at the events `event_ids`, in one
    grouped query."""
    today = today or clock.today()
    rows = (
        demands.filter(event_id__in=list(event_ids))
        .order_by()
        .values("event_id")
        .annotate(
            raised=Count("pk"),
            closed=Count("pk", filter=Q(problem__status=Problem.Status.CLOSED)),
            open=Count("pk", filter=Q(problem__status__in=OPEN_STATES)),
            overdue=Count("pk", filter=Q(problem__status__in=CLOCKED_STATES, problem__due_date__lt=today)),
        )
    )
    figures = {event_id: DemandFigures() for event_id in event_ids}
    for row in rows:
        figures[row["event_id"]] = DemandFigures(row["raised"], row["closed"], row["open"], row["overdue"])
    return figures


def demand_figures_from(demands, today: datetime.date | None = None) -> DemandFigures:
    """The figures of demands already read with their problems (an event's page), without a query."""
    today = today or clock.today()
    figures = DemandFigures(raised=len(demands))
    for demand in demands:
        problem = demand.problem
        figures.closed += problem.status == Problem.Status.CLOSED
        figures.open += problem.status in OPEN_STATES
        figures.overdue += bool(
            problem.status in CLOCKED_STATES and problem.due_date is not None and problem.due_date < today
        )
    return figures


def figures_of(demands, event: ServiceEvent, today: datetime.date | None = None) -> DemandFigures:
    return demand_figures(demands, [event.pk], today)[event.pk]


def participant_counts(event_ids) -> dict[int, dict[str, int]]:
    """{event id: {role: count}} in one grouped query."""
    counts = {event_id: dict.fromkeys(EventParticipant.Role.values, 0) for event_id in event_ids}
    for row in (
        EventParticipant.objects.filter(event_id__in=list(event_ids))
        .order_by()
        .values("event_id", "role")
        .annotate(n=Count("pk"))
    ):
        counts[row["event_id"]][row["role"]] = row["n"]
    return counts


def demands_of(user, event: ServiceEvent):
    """The demands raised at `event` that `user` reads, with their problems (category, department) joined."""
    return (
        EventDemand.objects.for_user(user)
        .filter(event=event)
        .select_related("enterprise", "problem", "problem__category", "problem__department", "raised_by")
        .order_by("raised_at", "id")
    )


def readable_problems(user, demands) -> set[int]:
    """The ids of the demands' problems that `user` may open (the problems' own scope), in one query."""
    ids = [demand.problem_id for demand in demands]
    if not ids:
        return set()
    return set(Problem.objects.for_user(user).filter(pk__in=ids).values_list("pk", flat=True))


def participants_of(event: ServiceEvent):
    return event.participants.select_related("enterprise", "user", "user__department").order_by("role", "id")
