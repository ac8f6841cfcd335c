"""Service rating (好差评): the applicant rates a concluded application once; a poor rating opens a follow-up
(差评整改) for the bundle's lead department, which its head closes with what was done."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.notifications.services import notify
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import deadline_after
from sciencecity.workdays.display import deadline_text
from sciencecity.workflow.transitions import IllegalTransition

from ..models import Application, Rating, RatingFollowUp

RATEABLE_STATUSES = (Application.Status.CONCLUDED, Application.Status.DELIVERED)
# Scores 1–5; 1 and 2 are poor (差评) and open a follow-up due this many working days later.
MIN_SCORE, MAX_SCORE = 1, 5
POOR_SCORE = 2
FOLLOW_UP_WORKING_DAYS = 5


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


def department_heads(department_id: int):
    return get_user_model().objects.filter(
        department_id=department_id, groups__name="department_head", is_active=True
    )


def rate_application(user, application: Application, score, comment: str = "") -> Rating:
    """Rate a concluded (or delivered) application, 1–5 with an optional comment, once.

    A rating of 2 or less opens a `RatingFollowUp` for the bundle's lead department, due 5 working days later
    on the Chinese calendar, and notifies that department's heads.
    """
    score = _check_score(score)
    comment = (comment or "").strip()
    with transaction.atomic():
        application = (
            Application.objects.select_related("bundle__lead_department")
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
            _open_follow_up(user, application, rating)
    return rating


def _open_follow_up(user, application: Application, rating: Rating) -> RatingFollowUp:
    department = application.bundle.lead_department
    due = deadline_after(clock.today(), FOLLOW_UP_WORKING_DAYS)
    follow_up = RatingFollowUp.objects.create(
        rating=rating, department=department, due_date=due.day, due_date_provisional=due.provisional
    )
    record(
        user,
        "approvals.open_rating_follow_up",
        follow_up,
        after={
            "department": department.pk,
            "due_date": follow_up.due_date.isoformat(),
            "score": rating.score,
        },
    )
    notify(
        department_heads(department.pk),
        "rating_follow_up",
        lambda: (
            _("收到差评,请整改"),
            _("办件 %(number)s 收到 %(score)s 分评价:%(comment)s。请于 %(due)s 前办结整改。")
            % {
                "number": application.number,
                "score": rating.score,
                "comment": rating.comment or _("(无评价内容)"),
                "due": deadline_text(follow_up.due_date, follow_up.due_date_provisional),
            },
        ),
        about=application,
        dedupe_key=f"rating-follow-up:{follow_up.pk}",
    )
    return follow_up


def close_follow_up(head, follow_up: RatingFollowUp, resolution: str) -> RatingFollowUp:
    """Close an open follow-up with what was done; only a head of the responsible department may. The rater
    is told the outcome."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("请填写整改情况。")})
    with transaction.atomic():
        follow_up = (
            RatingFollowUp.objects.select_related("rating__application", "rating__rated_by")
            .select_for_update(of=("self",))
            .get(pk=follow_up.pk)
        )
        if (
            head is None
            or not head.is_authenticated
            or not head.has_role("department_head")
            or head.department_id != follow_up.department_id
        ):
            raise PermissionDenied(_("只有责任部门的负责人可以办结差评整改。"))
        if follow_up.status != RatingFollowUp.Status.OPEN:
            raise IllegalTransition(follow_up, "close", _("该差评整改已办结,不能重复办结。"))
        follow_up.status = RatingFollowUp.Status.CLOSED
        follow_up.resolution = resolution
        follow_up.closed_by = head
        follow_up.closed_at = clock.now()
        follow_up.save(update_fields=["status", "resolution", "closed_by", "closed_at"])
        record(
            head,
            "approvals.close_rating_follow_up",
            follow_up,
            before={"status": RatingFollowUp.Status.OPEN.value},
            after={"status": follow_up.status, "resolution": resolution},
        )
        application = follow_up.rating.application
        notify(
            [follow_up.rating.rated_by],
            "rating_follow_up_closed",
            lambda: (
                _("您的评价已整改反馈"),
                _("办件 %(number)s 的差评整改已办结:%(resolution)s")
                % {"number": application.number, "resolution": resolution},
            ),
            about=application,
        )
    return follow_up
