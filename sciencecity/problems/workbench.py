"""The problems' workbench cards and menu entries (registered in `ProblemsConfig.ready`): the dispatch
centre's queue, the department's worklist with its red and yellow lights, what waits for an inspector's
verification, and the reporter's own problems — each a handful of indexed counts."""

from django.urls import reverse
from django.utils.translation import gettext as _

from sciencecity.accounts.workbench import MenuEntry, card, menu_entry
from sciencecity.accounts.workbench import count as _count
from sciencecity.enterprises.sections import Row, Section, section
from sciencecity.workdays import clock

from . import selectors
from .models import Problem

FILE_ROWS = 10  # rows of a section on the enterprise file

S = Problem.Status


@card(50)
def problems_card(user):
    if not user.has_perm("problems.view_problem"):
        return None
    scoped = Problem.objects.for_user(user)
    counts = []
    url = reverse("problems:list")
    if user.has_perm("problems.dispatch_problem"):
        url = reverse("problems:queue")
        counts.append(_count(_("待派遣"), scoped.filter(status=S.REPORTED).count(), url))
        counts.append(_count(_("被退回"), scoped.filter(status=S.RETURNED).count(), f"{url}?status=returned"))
    if user.has_perm("problems.handle_problem") and user.department_id:
        url = reverse("problems:worklist")
        mine = scoped.filter(department_id=user.department_id)
        counts.append(
            _count(_("待签收"), mine.filter(status=S.DISPATCHED).count(), f"{url}?status=dispatched")
        )
        counts.append(
            _count(_("整改中"), mine.filter(status=S.RECTIFYING).count(), f"{url}?status=rectifying")
        )
        today = clock.today()
        counts.append(
            _count(_("超期"), selectors.light_filter(mine, "red", today).count(), f"{url}?light=red")
        )
        counts.append(
            _count(_("临期"), selectors.light_filter(mine, "yellow", today).count(), f"{url}?light=yellow")
        )
    if user.has_perm("problems.verify_problem"):
        counts.append(
            _count(
                _("待核查"),
                scoped.filter(status=S.RECTIFIED).count(),
                f"{reverse('problems:list')}?status=rectified",
            )
        )
    if not counts:
        counts.append(_count(_("未办结"), scoped.open().count(), f"{url}?status=open"))
    return {
        "title": _("问题闭环"),
        "url": url,
        "description": _("河长巡河、工地检查、督查、企业诉求和群众反映的问题:派遣、整改、核查、办结。"),
        "counts": counts,
    }


@card(95)
def reporter_card(user):
    """Anyone signed in may report a problem; those who reported some see them here."""
    if user.has_perm("problems.view_problem") and not user.has_perm("problems.report_problem"):
        return None
    mine = Problem.objects.filter(reporter=user)
    return {
        "title": _("报告问题"),
        "url": reverse("problems:report"),
        "description": _("发现问题随手拍:拍照、定位,提交后可随时查看办理进度。"),
        "counts": [
            _count(_("我报告的未办结问题"), mine.open().count(), reverse("problems:mine")),
        ],
    }


@menu_entry(55)
def problems_entry(user):
    if not user.is_authenticated or not user.has_perm("problems.view_problem"):
        return None
    if user.has_perm("problems.dispatch_problem"):
        return MenuEntry(_("问题闭环"), reverse("problems:queue"))
    if user.has_perm("problems.handle_problem") and user.department_id:
        return MenuEntry(_("问题闭环"), reverse("problems:worklist"))
    if user.has_perm("problems.report_problem") and not user.has_perm("problems.verify_problem"):
        return MenuEntry(_("问题闭环"), reverse("problems:mine"))
    return MenuEntry(_("问题闭环"), reverse("problems:list"))


@menu_entry(75)
def report_entry(user):
    return MenuEntry(_("我要报告问题"), reverse("problems:report"))


@section(40)
def enterprise_problems(user, enterprise):
    """The enterprise's problems and demands on its file, as far as the reader may see them."""
    problems = list(
        Problem.objects.for_user(user)
        .filter(enterprise=enterprise)
        .select_related("category")
        .order_by("-reported_at", "-id")[:FILE_ROWS]
    )
    if not problems and not user.has_perm("problems.view_problem"):
        return None
    return Section(
        key="problems",
        title=_("问题与诉求"),
        rows=[
            Row(
                f"{problem.number} {problem.title}",
                reverse("problems:detail", args=[problem.pk]),
                problem.get_status_display(),
            )
            for problem in problems
        ],
        empty=_("没有可查看的问题。"),
        # The enterprise's own people raise a demand (source 企业诉求) on the problems' report form.
        action_url=reverse("problems:report") if user.enterprise_id == enterprise.pk else "",
        action=_("提出企业诉求"),
    )
