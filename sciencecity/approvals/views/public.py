"""Public pages: the home with the bundle guide, one guide page per bundle (no login), and the signed-in
user's notifications, grouped by kind, and marking them read (all, or one kind).

The guide answers the situation questions without JavaScript (a plain GET form) and with htmx (the same
form asks the `bundle_guide_result` fragment on every change). Both read the same `guide_context()`, so the
page and the fragment can never disagree. Only the catalog version in force today is shown: drafts and
expired versions never reach these pages.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sciencecity.accounts.scoping import sees_everything
from sciencecity.catalog.models import Bundle, BundleItem, CatalogVersion, MaterialSpec, SituationQuestion
from sciencecity.workdays import clock
from sciencecity.workflow.errors import post_only

from .. import selectors
from ..forms.public import READ, UNREAD, NotificationFilterForm
from ..models import Notification, ReviewTask, notification_kind_label
from ..services import notifications as notification_services

NOTIFICATIONS_PER_PAGE = 20


# --- the catalog in force -----------------------------------------------------------------------------------


def version_in_force():
    """The published catalog version in force today, or None."""
    return CatalogVersion.objects.effective_on(clock.today())


def bundle_in_force(user, code: str) -> Bundle:
    """The bundle with `code` in the version in force; 404 when there is none (drafts included)."""
    version = version_in_force()
    if version is None:
        raise Http404(_("当前没有生效的事项目录。"))
    bundle = (
        Bundle.objects.for_user(user)
        .filter(version=version, code=code)
        .select_related("lead_department", "version")
        .first()
    )
    if bundle is None:
        raise Http404(_("没有这个一件事。"))
    return bundle


# --- the situation guide --------------------------------------------------------------------------------


def _english() -> bool:
    return (get_language() or "").startswith("en")


@dataclass
class Choice:
    value: str
    label: str
    checked: bool = False


@dataclass
class QuestionField:
    """A situation question as the form shows it: its choices, what was answered, and its errors."""

    question: SituationQuestion
    choices: list[Choice]
    errors: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.question.code

    @property
    def multiple(self) -> bool:
        return self.question.kind == SituationQuestion.Kind.MULTIPLE

    @property
    def input_type(self) -> str:
        return "checkbox" if self.multiple else "radio"


def _choices_of(question: SituationQuestion) -> list[Choice]:
    if question.kind == SituationQuestion.Kind.YES_NO:
        return [Choice("yes", _("是")), Choice("no", _("否"))]
    english = _english()
    return [
        Choice(
            str(option["value"]),
            str((english and option.get("label_en")) or option.get("label") or option["value"]),
        )
        for option in question.options
    ]


def _answers_from(query, questions) -> dict:
    """The answers in the query string, keyed by question code; other parameters are ignored."""
    answers = {}
    for question in questions:
        if question.kind == SituationQuestion.Kind.MULTIPLE:
            values = [value for value in query.getlist(question.code) if value != ""]
            if values:
                answers[question.code] = values
        else:
            value = query.get(question.code, "")
            if value != "":
                answers[question.code] = value
    return answers


def _messages_by_code(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {code: [str(message) for message in messages] for code, messages in error.message_dict.items()}
    return {"__all__": [str(message) for message in error.messages]}


def _notice_rows(entries):
    """The complete notice with, per material, how an anonymous visitor is spared handing it in."""
    rows = []
    for entry in entries:
        spec = entry.spec
        spared = ""
        certain = True
        if entry.produced_by is not None:
            spared = _("由本次办理的“%(item)s”出具,无需提交") % {"item": entry.produced_by.display_name}
        elif spec.source == MaterialSpec.Source.ENTERPRISE:
            spared = _("平台已有数据可免提交:取自企业信息")
        elif spec.source == MaterialSpec.Source.PROJECT:
            spared = _("平台已有数据可免提交:取自项目信息")
        elif spec.source == MaterialSpec.Source.CERTIFICATE:
            # Held only if this enterprise already obtained it on the platform: say so, do not promise.
            spared = _("平台已有数据可免提交:已在平台取得的证照由平台直接调取,尚未取得的需上传")
            certain = False
        rows.append({"entry": entry, "spec": spec, "spared": spared, "certain": certain})
    return rows


def guide_context(bundle, query) -> dict:
    """Everything the guide page and its fragment show for the answers in `query`.

    Invalid answers are reported on their questions and left out, so the visitor still sees what the valid
    answers select.
    """
    questions = list(bundle.questions.all())
    answers = _answers_from(query, questions)
    errors: dict[str, list[str]] = {}
    try:
        items = selectors.selected_items(bundle, answers, complete=False)
    except ValidationError as error:
        errors = _messages_by_code(error)
        valid = {code: value for code, value in answers.items() if code not in errors}
        try:
            items = selectors.selected_items(bundle, valid, complete=False)
        except ValidationError:  # pragma: no cover - the remaining answers were each valid
            items = selectors.selected_items(bundle, {}, complete=False)
    mandatory = set(
        BundleItem.objects.filter(bundle=bundle, mandatory=True).values_list("item_id", flat=True)
    )
    notice = selectors.material_notice(bundle, items, None, None)

    fields = []
    for question in questions:
        answer = answers.get(question.code)
        chosen = set(answer) if isinstance(answer, list) else {answer}
        choices = _choices_of(question)
        for choice in choices:
            choice.checked = choice.value in chosen
        fields.append(QuestionField(question, choices, errors.get(question.code, [])))
    return {
        "bundle": bundle,
        "fields": fields,
        "answered": bool(answers),
        "errors": errors,
        "form_errors": errors.get("__all__", []),
        "items": [{"item": item, "mandatory": item.pk in mandatory} for item in items],
        "notice": _notice_rows(notice),
        "required_count": sum(1 for entry in notice if entry.required),
    }


# --- pages ----------------------------------------------------------------------------------------------


@require_GET
def home(request):
    version = version_in_force()
    bundles = []
    if version is not None:
        bundles = (
            Bundle.objects.for_user(request.user)
            .filter(version=version)
            .select_related("lead_department")
            .annotate(item_count=Count("bundle_items"))
            .order_by("code")
        )
    # The version's label is entered by administrators in Chinese: data, marked as such inside the sentence.
    label = format_html("<span data-user-text>{}</span>", version.label) if version is not None else ""
    return render(
        request, "public/home.html", {"version": version, "version_label": label, "bundles": bundles}
    )


@require_GET
def bundle_guide(request, bundle_code):
    bundle = bundle_in_force(request.user, bundle_code)
    return render(request, "public/bundle_guide.html", guide_context(bundle, request.GET))


@require_GET
def bundle_guide_result(request, bundle_code):
    """The items and the checklist only: the fragment that htmx swaps in (a plain GET gets it too)."""
    bundle = bundle_in_force(request.user, bundle_code)
    response = render(request, "public/_guide_result.html", guide_context(bundle, request.GET))
    if request.headers.get("HX-Request"):
        # The address bar shows the full guide page with these answers: reloadable, shareable, bookmarkable.
        page = reverse("approvals:bundle_guide", args=[bundle.code])
        query = request.GET.urlencode()
        response["HX-Replace-Url"] = f"{page}?{query}" if query else page
    return response


def link_notifications(user, notifications) -> None:
    """Give each notification the address of its application's page that `user` can open (`link`, empty
    when none): the applicant's portal page for their enterprise's applications; the intake page for the
    window; the task page for a department's reviewers and heads (the notification's task, else their
    department's first task in the application); the leaders' page for leaders and supervisors. At most one
    query, whatever the number of notifications."""
    rows = [notification for notification in notifications if notification.application_id]
    for notification in notifications:
        notification.link = ""
    own_tasks = {}  # application → the first task of the user's department in it
    if rows and user.department_id and user.has_perm("approvals.review_task"):
        for task_pk, application_pk in (
            ReviewTask.objects.for_user(user)
            .filter(department_id=user.department_id, application_id__in={row.application_id for row in rows})
            .order_by("-pk")
            .values_list("pk", "application_id")
        ):
            own_tasks[application_pk] = task_pk  # ordered downwards: the lowest is written last
    for notification in rows:
        notification.link = _page_of(user, notification, own_tasks)


def _page_of(user, notification, own_tasks) -> str:
    application_pk = notification.application_id
    if (
        user.enterprise_id
        and notification.application.enterprise_id == user.enterprise_id
        and user.has_perm("approvals.submit_application")
    ):
        return reverse("approvals:portal_application", args=[application_pk])
    if user.has_perm("approvals.intake_application"):
        return reverse("approvals:window_intake", args=[application_pk])
    if application_pk in own_tasks:
        task_pk = own_tasks[application_pk]
        if notification.task_id is not None and notification.task.department_id == user.department_id:
            task_pk = notification.task_id
        return reverse("approvals:department_task", args=[task_pk])
    if user.has_perm("approvals.view_application") and sees_everything(user):
        return reverse("approvals:leaders_application", args=[application_pk])
    return ""


@login_required
@require_GET
def notifications(request):
    """The signed-in user's notifications. Unread ones grouped by kind (each group: its name, how many, the
    newest few, a link to the whole kind, a button marking the kind read), or, filtered by kind or read
    state (and when nothing is unread), one paginated list. A fixed number of queries whatever the number
    of notifications: the unread counts per kind (one GROUP BY), then the newest of each kind or the page."""
    user = request.user
    form = NotificationFilterForm(request.GET)
    form.is_valid()  # an invalid filter is ignored, the valid ones apply
    kind = form.cleaned_data.get("kind") or ""
    state = form.cleaned_data.get("state") or ""
    groups = selectors.unread_by_kind(user)
    unread_count = sum(group.unread for group in groups)
    context = {"form": form, "unread_count": unread_count, "kind": kind, "state": state}
    if not kind and (state == UNREAD or (not state and unread_count)):
        link_notifications(user, selectors.with_latest(user, groups))
        context["groups"] = groups
    else:
        rows = Notification.objects.for_user(user)
        if kind:
            rows = rows.filter(kind=kind)
        if state in (UNREAD, READ):
            rows = rows.filter(read_at__isnull=state == UNREAD)
        rows = rows.select_related("application", "task").order_by("-created_at", "-id")
        page = Paginator(rows, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        link_notifications(user, page.object_list)
        context["page"] = page
        if kind:
            context["kind_label"] = notification_kind_label(kind)
            context["kind_unread"] = next((group.unread for group in groups if group.kind == kind), 0)
    return render(request, "public/notifications.html", context)


def _back_to_notifications(request) -> str:
    """Where a mark-read form leads back: the notifications page it was posted from (its filters kept)."""
    page = reverse("approvals:notifications")
    target = request.POST.get("next", "")
    if target.startswith(page) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return page


@login_required
@post_only("approvals:notifications")
def notifications_mark_all_read(request):
    """Mark the user's unread notifications read: those of one kind when the form names it, else all."""
    kind = request.POST.get("kind", "")
    if kind:
        try:
            count = notification_services.mark_kind_read(request.user, kind)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(_back_to_notifications(request))
        messages.success(
            request,
            _("已将 %(count)s 条“%(kind)s”通知标为已读。")
            % {"count": count, "kind": notification_kind_label(kind)},
        )
    else:
        count = notification_services.mark_all_read(request.user)
        messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": count})
    return redirect(_back_to_notifications(request))


urlpatterns = [
    path("", home, name="public_home"),
    path("guide/<slug:bundle_code>/", bundle_guide, name="bundle_guide"),
    path("guide/<slug:bundle_code>/result/", bundle_guide_result, name="bundle_guide_result"),
    path("notifications/", notifications, name="notifications"),
    path("notifications/read-all/", notifications_mark_all_read, name="notifications_mark_all_read"),
]
