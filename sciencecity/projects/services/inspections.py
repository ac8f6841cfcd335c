"""Quality and safety inspections (质量安全检查) of a project's site by inspectors (`projects.inspect_project`):
a score out of 100, what was seen, and the findings — each a closed-loop problem of source 质量检查 / 安全检查,
routed to its department (`findings`). Checked before anything is written; one transaction; audited."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.problems.models import Problem
from sciencecity.workdays import clock

from ..models import Inspection, Project
from . import findings
from .escort import clean_text

INSPECT = "projects.inspect_project"
SOURCES = {
    Inspection.Kind.QUALITY: Problem.Source.QUALITY_INSPECTION,
    Inspection.Kind.SAFETY: Problem.Source.SAFETY_INSPECTION,
}


def record_inspection(
    user,
    project: Project,
    kind: str,
    score: int,
    summary: str,
    *,
    inspected_on: datetime.date | None = None,
    problems: list[findings.RaisedProblem] = (),
) -> Inspection:
    """Record an inspection of the project and open a problem for each finding."""
    if user is None or not user.has_perm(INSPECT):
        raise PermissionDenied(_("只有质量安全检查人员可以记录检查。"))
    raised = list(problems or ())
    inspected_on = inspected_on or clock.today()
    errors = {}
    if kind not in Inspection.Kind.values:
        errors["kind"] = _("未知的检查类型:%(kind)s。") % {"kind": kind}
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        errors["score"] = _("得分应为 0 到 100 之间的整数。")
    if inspected_on > clock.today():
        errors["inspected_on"] = _("检查日期不能晚于今天。")
    try:
        summary = clean_text("summary", summary)
    except ValidationError as error:
        errors.update(error.message_dict)
    errors.update(findings.errors_of(raised))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        inspection = Inspection.objects.create(
            project=project,
            kind=kind,
            inspected_on=inspected_on,
            inspector=user,
            score=score,
            summary=summary,
        )
        found = findings.raise_problems(user, project, raised, SOURCES[kind])
        inspection.problems.add(*found)
        record(
            user,
            "projects.record_inspection",
            project,
            after={
                "inspection": inspection.pk,
                "kind": kind,
                "inspected_on": inspected_on.isoformat(),
                "score": score,
                "problems": [problem.pk for problem in found],
            },
        )
    return inspection
