"""The cockpit's figures of the service events for enterprises (惠企服务活动, `interactions.service_events`): the
events held in the period, and the demands raised at events that entered the closed loop and were closed in the
period. Each is one queryset; `figures.FIGURES` names them in the enterprise services' section, and the demands'
lists are problems (their drill-down opens each problem)."""

from django.db.models import Exists, OuterRef

from sciencecity.interactions.models import EventDemand, ServiceEvent
from sciencecity.problems.models import Problem

from .periods import Period


def _raised_at_an_event():
    return Exists(EventDemand.objects.filter(problem_id=OuterRef("pk")))


def service_events_held(period: Period, today):
    """Events that took place in the period (their outcome recorded)."""
    start, end = period.bounds()
    return ServiceEvent.objects.filter(
        status=ServiceEvent.Status.HELD, starts_at__gte=start, starts_at__lt=end
    )


def event_demands_raised(period: Period, today):
    """Demands raised at service events in the period: problems of source 企业诉求 opened from an event."""
    start, end = period.bounds()
    return Problem.objects.filter(_raised_at_an_event(), reported_at__gte=start, reported_at__lt=end)


def event_demands_closed(period: Period, today):
    """Demands raised at service events whose problems were closed (verified) in the period."""
    start, end = period.bounds()
    return Problem.objects.filter(
        _raised_at_an_event(), status=Problem.Status.CLOSED, closed_at__gte=start, closed_at__lt=end
    )
