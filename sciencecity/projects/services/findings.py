"""Problems found on a project — in its monthly report, or by an inspection — enter the closed loop: each is
reported through `problems.services.lifecycle.report_problem` with the project, its enterprise and its place,
and routed to its department by the routing rules like any other problem."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from sciencecity.problems.models import ProblemCategory
from sciencecity.problems.services import lifecycle

MAX_PROBLEMS = 10


@dataclass
class RaisedProblem:
    category: ProblemCategory
    title: str
    description: str


def errors_of(raised: list[RaisedProblem]) -> dict:
    """{field: message} for what is wrong with the raised problems (`problems.<n>.<field>`, from 1)."""
    errors = {}
    if len(raised) > MAX_PROBLEMS:
        errors["problems"] = _("一次最多反映 %(n)s 个问题。") % {"n": MAX_PROBLEMS}
    reportable = set(ProblemCategory.objects.reportable().values_list("pk", flat=True))
    for index, item in enumerate(raised, start=1):
        if item.category.pk not in reportable:
            errors[f"problems.{index}.category"] = _("该问题类别不可选。")
        if not (item.title or "").strip():
            errors[f"problems.{index}.title"] = _("请填写问题标题。")
        if not (item.description or "").strip():
            errors[f"problems.{index}.description"] = _("请描述问题。")
    return errors


def raise_problems(user, project, raised: list[RaisedProblem], source: str) -> list:
    """Report each raised problem for the project (inside the caller's transaction); returns the problems.
    Entered by the platform (`user` None: a ledger import), the project unit is the contact."""
    return [
        lifecycle.report_problem(
            user,
            lifecycle.Report(
                category=item.category,
                title=item.title,
                description=item.description,
                source=source,
                enterprise=project.enterprise,
                project=project,
                address=project.location,
                reporter_name="" if user is not None else project.enterprise.name[:50],
                reporter_phone="" if user is not None else (project.enterprise.contact_phone or "-"),
            ),
        )
        for item in raised
    ]
