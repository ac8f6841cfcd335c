"""Public pages: the home with the bundle guide and one guide page per bundle (no login). (The signed-in
user's notifications are `sciencecity.notifications.views`.)

The guide answers the situation questions without JavaScript (a plain GET form) and with htmx (the same
form asks the `bundle_guide_result` fragment on every change). Both read the same `guide_context()`, so the
page and the fragment can never disagree. Only the catalog version in force today is shown: drafts and
expired versions never reach these pages.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sciencecity.catalog.models import Bundle, BundleItem, CatalogVersion, MaterialSpec, SituationQuestion
from sciencecity.catalog.selectors import replaced_items
from sciencecity.workdays import clock

from .. import selectors

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
    replaced = replaced_items(item.pk for item in items)  # 三评合一: what a merged review replaces

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
        "items": [
            {"item": item, "mandatory": item.pk in mandatory, "replaces": replaced.get(item.pk, [])}
            for item in items
        ],
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


urlpatterns = [
    path("", home, name="public_home"),
    path("guide/<slug:bundle_code>/", bundle_guide, name="bundle_guide"),
    path("guide/<slug:bundle_code>/result/", bundle_guide_result, name="bundle_guide_result"),
]
