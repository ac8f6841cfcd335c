"""What the problems tell the notifications app (registered in `ProblemsConfig.ready`): the names of their
kinds, and where each reader opens a problem a notification is about — the problem's page, for whoever may see
it (the department, the dispatch centre, the inspectors, the leaders, the reporter)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.notifications import kinds, subjects
from sciencecity.notifications.subjects import Link

from .models import Problem
from .services.notices import ProblemNoticeKind


def problem_links(user, problems) -> dict[int, Link]:
    """{pk: link} for the problems `user` may open: one query for the whole batch."""
    visible = set(
        Problem.objects.for_user(user).filter(pk__in=[p.pk for p in problems]).values_list("pk", flat=True)
    )
    return {
        problem.pk: Link(
            reverse("problems:detail", args=[problem.pk]),
            _("查看问题 %(number)s") % {"number": problem.number},
        )
        for problem in problems
        if problem.pk in visible
    }


def register() -> None:
    kinds.register(ProblemNoticeKind)
    subjects.register(Problem, links=problem_links, queryset=Problem.objects.only("id", "number"))
