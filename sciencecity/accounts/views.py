from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sciencecity.i18n import join_list

from .forms import LoginForm
from .roles import role_label
from .scoping import sees_everything


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


def _count(label, number, url=""):
    return {"label": label, "number": number, "url": url}


def _applicant_work(user):
    from sciencecity.approvals.models import Application, ReviewTask

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


def _window_work(user):
    from sciencecity.approvals.models import Application, SubmittedMaterial

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
        ],
    }


def _department_work(user):
    from sciencecity.approvals.models import ReviewTask
    from sciencecity.workdays import clock

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


def workbench(user) -> list[dict]:
    """The work areas of the user's roles, each with its page and, where one query counts them, what waits
    there; then the notifications. A handful of COUNT queries, whatever the data."""
    areas = []
    if user.has_perm("approvals.submit_application") and user.enterprise_id:
        areas.append(_applicant_work(user))
    if user.has_perm("approvals.intake_application"):
        areas.append(_window_work(user))
    if user.has_perm("approvals.review_task") and user.department_id:
        areas.append(_department_work(user))
    if user.has_perm("approvals.view_application") and sees_everything(user):
        areas.append(
            {
                "title": _("领导驾驶舱"),
                "url": reverse("approvals:leaders_overview"),
                "description": _("全区办件总览、时限预警、部门办理情况和审计记录。"),
                "counts": [],
            }
        )
    if user.is_staff:
        areas.append(
            {
                "title": _("管理后台"),
                "url": reverse("admin:index"),
                "description": _("用户与角色、事项目录、节假日安排等基础数据。"),
                "counts": [],
            }
        )
    roles = user.role_codes()
    if "project_specialist" in roles:
        areas.append(
            {
                "title": _("项目服务"),
                "url": "",
                "description": _(
                    "项目“1+N+5”护航、进度报告和问题闭环尚在建设中,开通后在这里列出您服务的项目;"
                    "目前可从通知和办件页面打开项目页,查看项目信息和办件进度。"
                ),
                "counts": [],
            }
        )
    if "party_officer" in roles:
        areas.append(
            {
                "title": _("党建工作"),
                "url": "",
                "description": _(
                    "党组织、党员、红岩先锋队和党建联建尚在建设中,开通后在这里列出您的组织和工作;目前可查看通知。"
                ),
                "counts": [],
            }
        )
    areas.append(_notification_work(user))
    return areas


WORKBENCH_NOTIFICATION_KINDS = 3


def _notification_work(user):
    """The unread notifications: how many, and the kinds with the most of them, each linking to that kind's
    unread ones (one GROUP BY on notification_kind_idx)."""
    from sciencecity.approvals.selectors import unread_by_kind

    page = reverse("approvals:notifications")
    groups = unread_by_kind(user)
    biggest = sorted(groups, key=lambda group: (-group.unread, group.kind))[:WORKBENCH_NOTIFICATION_KINDS]
    return {
        "title": pgettext("plural", "通知"),
        "url": page,
        "description": _("与您有关的办件动态和提醒,按类型归组,可一次将一类标为已读。"),
        "counts": [
            _count(_("未读"), sum(group.unread for group in groups), page if groups else ""),
            *(
                _count(
                    group.label, group.unread, f"{page}?{urlencode({'kind': group.kind, 'state': 'unread'})}"
                )
                for group in biggest
            ),
        ],
    }


@login_required
def home(request):
    """The signed-in landing page (工作台): who you are and where your work is, with what waits there."""
    user = request.user
    return render(
        request,
        "accounts/home.html",
        {
            "roles": join_list(sorted(role_label(code) for code in user.role_codes())),
            "areas": workbench(user),
        },
    )
