"""The cockpit's figures of mass starts (集中开工), each one queryset (see `figures`): the events held in the
period, their projects and their investment. The figures' definitions are in `figures.FIGURES`."""

from sciencecity.projects.models import MassStart, MassStartProject


def mass_starts(period, today):
    """The mass starts held in the period."""
    return MassStart.objects.filter(held_on__gte=period.start, held_on__lt=period.end)


def mass_start_projects(period, today):
    """The projects started at the period's mass starts, each with its investment in the event."""
    return MassStartProject.objects.filter(event__held_on__gte=period.start, event__held_on__lt=period.end)
