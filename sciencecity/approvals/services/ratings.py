"""Service rating (好差评): the applicant rates a concluded application once; a poor rating opens a problem
(差评整改) for the bundle's lead department, closed in the problems' loop: the department rectifies, the rater
verifies (回访)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.problems.models import Problem
from sciencecity.problems.services.lifecycle import report_poor_rating
from sciencecity.workflow.transitions import IllegalTransition

from ..models import Application, Rating

RATEABLE_STATUSES = (Application.Status.CONCLUDED, Application.Status.DELIVERED)
# Scores 1–5; 1 and 2 are poor (差评) and open a problem.
MIN_SCORE, MAX_SCORE = 1, 5
POOR_SCORE = 2


def _check_score(score) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise ValidationError(
            {"score": _("评分须为 %(low)s 到 %(high)s 的整数。") % {"low": MIN_SCORE, "high": MAX_SCORE}}
        )
    return score


def _check_rater(user, application: Application) -> None:
    """The applicant side of the application's enterprise, with the rating permission."""
    if (
        user is None
        or not user.is_authenticated
        or not user.has_role("applicant")
        or user.enterprise_id != application.enterprise_id
        or not user.has_perm("approvals.rate_application")
    ):
        raise PermissionDenied(_("只有申请企业的申请人可以评价该办件。"))


def rate_application(user, application: Application, score, comment: str = "") -> Rating:
    """Rate a concluded (or delivered) application, 1–5 with an optional comment, once.

    A rating of 2 or less opens a problem for the bundle's lead department (the category `service-rating`:
    due 5 working days later on the Chinese calendar, verified by the rater), and tells that department.
    """
    score = _check_score(score)
    comment = (comment or "").strip()
    with transaction.atomic():
        application = (
            Application.objects.select_related("bundle__lead_department", "enterprise")
            .select_for_update(of=("self",))
            .get(pk=application.pk)
        )
        _check_rater(user, application)
        if application.status not in RATEABLE_STATUSES:
            raise IllegalTransition(
                application,
                "rate",
                _("办件“%(number)s”当前状态为“%(state)s”,办结后才能评价。")
                % {"number": application.number, "state": application.get_status_display()},
            )
        if Rating.objects.filter(application=application).exists():
            raise IllegalTransition(
                application,
                "rate",
                _("办件“%(number)s”已评价,每个办件只能评价一次。") % {"number": application.number},
            )
        rating = Rating.objects.create(application=application, score=score, comment=comment, rated_by=user)
        record(
            user,
            "approvals.rate_application",
            application,
            after={"rating": rating.pk, "score": score, "comment": comment},
        )
        if score <= POOR_SCORE:
            _open_problem(user, application, rating)
    return rating


def problem_of(rating: Rating | None):
    """The problem a poor rating opened, or None."""
    if rating is None or rating.score > POOR_SCORE:
        return None
    return Problem.objects.filter(rating_id=rating.pk).first()


def _open_problem(user, application: Application, rating: Rating) -> None:
    """The poor rating becomes a problem of the bundle's lead department (`problems.report_poor_rating`), so
    that it is dispatched, rectified, verified by the rater and counted like every other problem."""
    values = {
        "number": application.number,
        "score": rating.score,
        "comment": rating.comment or _("(无评价内容)"),
    }
    report_poor_rating(
        user,
        rating.pk,
        application.bundle.lead_department,
        _("差评整改:办件 %(number)s") % values,
        _("办件 %(number)s 收到 %(score)s 分评价:%(comment)s") % values,
        enterprise=application.enterprise,
    )
