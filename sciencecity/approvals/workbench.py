"""What bundled approval puts on the workbench (工作台) and in the main menu, by role (registered with
`accounts.workbench` in `ApprovalsConfig.ready`)."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import is_civil_servant, sees_everything
from sciencecity.accounts.workbench import MenuEntry, card, menu_entry
from sciencecity.accounts.workbench import count as _count
from sciencecity.enterprises.sections import Row, Section, section
from sciencecity.workdays import clock

from . import target_dates
from .models import Application, ReviewTask, SubmittedMaterial
from .notifications import application_links

FILE_ROWS = 10  # rows of a section on the enterprise file

# --- cards ----------------------------------------------------------------------------------------------


@card(10)
def applicant_card(user):
    if not (user.has_perm("approvals.submit_application") and user.enterprise_id):
        return None
    A = Application.Status
    counts = (
        Application.objects.for_user(user)
        .filter(enterprise_id=user.enterprise_id)
        .aggregate(
            drafts=Count("pk", filter=Q(status=A.DRAFT)),
            corrections=Count("pk", filter=Q(status=A.CORRECTION)),
            open=Count("pk", filter=Q(status__in=Application.OPEN_STATUSES)),
        )
    )
    supplements = (
        ReviewTask.objects.for_user(user)
        .filter(application__enterprise_id=user.enterprise_id, status=ReviewTask.Status.SUPPLEMENT)
        .count()
    )
    return {
        "title": _("企业服务"),
        "url": reverse("approvals:portal_home"),
        "description": _("登记项目、在线申请一件事、查看办理进度、补正和补充材料。"),
        "counts": [
            _count(_("草稿"), counts["drafts"]),
            _count(_("办理中"), counts["open"]),
            _count(_("待补正"), counts["corrections"]),
            _count(_("待补充材料"), supplements),
        ],
    }


@card(20)
def window_card(user):
    if not user.has_perm("approvals.intake_application"):
        return None
    A = Application.Status
    # Only the two states counted are read (application_status_idx): the window's scope is every application.
    counts = (
        Application.objects.for_user(user)
        .filter(status__in=(A.SUBMITTED, A.CONCLUDED))
        .aggregate(
            submitted=Count("pk", filter=Q(status=A.SUBMITTED)),
            concluded=Count("pk", filter=Q(status=A.CONCLUDED)),
        )
    )
    gaps = (
        SubmittedMaterial.objects.filter(
            application__in=Application.objects.for_user(user).filter(status__in=Application.OPEN_STATUSES),
            is_current=True,
            gap_due_date__isnull=False,
        )
        .exclude(verdict=SubmittedMaterial.Verdict.ACCEPTED)
        .count()
    )
    return {
        "title": _("综合窗口"),
        "url": reverse("approvals:window_queue"),
        "description": _("受理申请、跟踪容缺材料、出件。"),
        "counts": [
            _count(_("待受理"), counts["submitted"], reverse("approvals:window_queue")),
            _count(_("容缺待补齐"), gaps, reverse("approvals:window_gaps")),
            _count(_("待出件"), counts["concluded"], reverse("approvals:window_delivery")),
            _count(
                _("定日出件有风险"),
                target_dates.at_risk(Application.objects.for_user(user)).count(),
                reverse("approvals:window_targets") + "?risk=at_risk",
            ),
        ],
    }


@card(30)
def department_card(user):
    if not (user.has_perm("approvals.review_task") and user.department_id):
        return None
    T = ReviewTask.Status
    worklist = reverse("approvals:department_worklist")
    counts = (
        ReviewTask.objects.for_user(user)
        .filter(department_id=user.department_id, status__in=ReviewTask.OPEN_STATUSES)
        .aggregate(
            open=Count("pk"),
            mine=Count("pk", filter=Q(assignee=user)),
            unclaimed=Count("pk", filter=Q(status=T.PENDING)),
            overdue=Count(
                "pk", filter=Q(status__in=ReviewTask.RUNNING_STATUSES, promised_deadline__lt=clock.today())
            ),
        )
    )
    return {
        "title": _("部门审批"),
        "url": worklist,
        "description": _("认领和审查本部门的审批任务,作出审批决定。"),
        "counts": [
            _count(_("本部门办理中"), counts["open"], worklist),
            _count(_("我承办的"), counts["mine"], f"{worklist}?who=mine"),
            _count(_("未认领"), counts["unclaimed"], f"{worklist}?who=unclaimed"),
            _count(_("超期"), counts["overdue"], f"{worklist}?light=red"),
        ],
    }


def _leads(user) -> bool:
    return user.has_perm("approvals.view_application") and sees_everything(user)


@card(40)
def leaders_card(user):
    if not _leads(user):
        return None
    return {
        "title": _("审批办件总览"),
        "url": reverse("approvals:leaders_overview"),
        "description": _("全区办件总览、时限预警、部门办理情况和审计记录。"),
        "counts": [
            _count(
                _("定日出件有风险"),
                target_dates.at_risk(Application.objects.for_user(user)).count(),
                reverse("approvals:leaders_applications") + "?at_risk=on",
            )
        ],
    }


# --- menu entries ---------------------------------------------------------------------------------------


@menu_entry(10)
def guide_entry(user):
    return MenuEntry(_("办事指南"), reverse("approvals:public_home"))


@menu_entry(30)
def portal_entry(user):
    if user.is_authenticated and user.has_perm("approvals.submit_application"):
        return MenuEntry(_("企业服务"), reverse("approvals:portal_home"))
    return None


@menu_entry(40)
def window_entry(user):
    if user.is_authenticated and user.has_perm("approvals.intake_application"):
        return MenuEntry(_("综合窗口"), reverse("approvals:window_queue"))
    return None


@menu_entry(50)
def department_entry(user):
    if user.is_authenticated and user.has_perm("approvals.review_task"):
        return MenuEntry(_("部门审批"), reverse("approvals:department_worklist"))
    return None


@menu_entry(60)
def leaders_entry(user):
    """For those whose only work here is reading the zone (a clerk or reviewer reaches it elsewhere)."""
    if not user.is_authenticated or not user.has_perm("approvals.view_application"):
        return None
    if any(
        user.has_perm(p)
        for p in ("approvals.submit_application", "approvals.review_task", "approvals.intake_application")
    ):
        return None
    if user.has_perm("cockpit.view_cockpit"):
        return None  # the cockpit's entry leads there, and the cockpit links to this overview
    return MenuEntry(_("审批办件总览"), reverse("approvals:leaders_overview"))


@menu_entry(61)
def powers_entry(user):
    """The devolved powers' list and how they are used, for those who answer for it: the zone-wide roles and
    department heads (everyone else reaches the public list from the guide's home page)."""
    if not user.is_authenticated:
        return None
    if sees_everything(user) or (user.department_id and user.has_role("department_head")):
        return MenuEntry(_("下放权力"), reverse("approvals:powers"))
    return None


@section(30)
def enterprise_applications(user, enterprise):
    """The enterprise's latest applications on its file, each opening the page the reader's role uses."""

    applications = list(
        Application.objects.for_user(user)
        .filter(enterprise=enterprise)
        .select_related("bundle")
        .order_by("-created_at", "-id")[:FILE_ROWS]
    )
    if not applications and not (user.enterprise_id == enterprise.pk or is_civil_servant(user)):
        return None
    links = application_links(user, applications)
    return Section(
        key="applications",
        title=_("办件"),
        rows=[
            Row(
                f"{application.number} {application.bundle.display_name}",
                links[application.pk].url if application.pk in links else "",
                str(application.get_status_display()),
            )
            for application in applications
        ],
        empty=_("没有可查看的办件。"),
    )
