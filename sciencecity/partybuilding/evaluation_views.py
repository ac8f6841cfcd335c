"""Evaluation pages: the schemes (defined by the keepers of their owner organization), a scheme's indicators and
results with its opening and publication, and one evaluation with the self-assessment and review forms.
Everything goes through `services.evaluations`; its refusals come back as messages or form errors."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.workdays import clock
from sciencecity.workflow.errors import ACTION_REFUSALS, fetch_in_scope, post_only, refusal_message
from sciencecity.workflow.paging import page_of

from .access import keeps
from .models import Activity, Evaluation, EvaluationScheme, Indicator, Organization
from .services import evaluations as schemes
from .team_views import _kept_choices
from .views import PAGE_SIZE, done, require_reader

SOURCES = {str(label): value for value, label in Indicator.Source.choices} | {
    "自评": "manual",
    "活动": "activity",
    "成效": "outcome",
    "否决": "veto",
}


def _activity_kind(text: str) -> str:
    text = text.strip()
    for value, label in Activity.Kind.choices:
        if text in (value, str(label)):
            return value
    return text


def _outcome(text: str) -> str:
    text = text.strip()
    for value, label in schemes.OUTCOME_RATES.items():
        if text in (value, str(label)):
            return value
    return text


class SchemeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("方案名称"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("方案类别"), choices=EvaluationScheme.Kind.choices)
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    subject_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("参评组织类别"),
        choices=Organization.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("党组织星级评定填写;党员积分和“六好党员”评议的对象是组织内的全体党员"),
    )
    base_points = forms.DecimalField(label=gettext_lazy("基础分"), max_digits=6, decimal_places=1, initial=0)
    thresholds = forms.CharField(
        label=gettext_lazy("星级分数线"),
        required=False,
        help_text=gettext_lazy("每星级一项,例如:5:90, 4:80, 3:70"),
    )
    quota_percent = forms.IntegerField(
        label=gettext_lazy("最高等次名额比例(%)"), min_value=1, max_value=100, required=False
    )
    indicators = forms.CharField(
        label=gettext_lazy("指标(每行一项)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "每行:指标名称|计分方式|分值上限|每次得分|组织生活类别或成效指标。计分方式为 自评、活动、成效 或 否决;"
            "例如:组织生活规范|活动|20|2|主题党日;问题按期办结|成效|20||问题按期办结率;发生严重违纪|否决"
        ),
    )

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = forms.ModelChoiceField(
            label=gettext_lazy("组织评定的党组织"),
            queryset=owners,
            widget=forms.Select(attrs={"data-user-text": ""}),
        )
        self.order_fields(["owner", "name", "kind", "year"])

    def clean_thresholds(self):
        rows = []
        for part in self.cleaned_data["thresholds"].replace(",", ",").split(","):
            if part.strip():
                stars, _sep, minimum = part.replace(":", ":").partition(":")
                rows.append([stars.strip(), minimum.strip()])
        return rows

    def clean_indicators(self):
        rows = []
        for line in self.cleaned_data["indicators"].splitlines():
            if not line.strip():
                continue
            cells = [cell.strip() for cell in line.replace("|", "|").split("|")] + [""] * 5
            name, source, cap, per_item, target = cells[:5]
            source = SOURCES.get(source, source)
            row = {"name": name, "source": source, "cap": cap or 0, "per_item": per_item or None}
            if source == "activity":
                row["activity_kind"] = _activity_kind(target)
            if source == "outcome":
                row["outcome"] = _outcome(target)
            rows.append(row)
        return rows


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def scheme_list(request):
    user = request.user
    require_reader(user)
    owners = _kept_choices(user) if user.has_perm("partybuilding.keep_party") else None
    form = (
        SchemeForm(request.POST or None, owners=owners, initial={"year": clock.today().year})
        if owners
        else None
    )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("只有党务工作人员可以制定评定方案。"))
        if form.is_valid():
            made = {}
            data = form.cleaned_data

            def perform():
                made["scheme"] = schemes.define_scheme(
                    user,
                    data["owner"],
                    name=data["name"],
                    kind=data["kind"],
                    year=data["year"],
                    subject_kinds=data["subject_kinds"],
                    base_points=data["base_points"],
                    thresholds=data["thresholds"],
                    quota_percent=data["quota_percent"],
                    indicators=data["indicators"],
                )

            response = done(request, reverse("party:schemes"), perform, _("已制定评定方案。"), form=form)
            if response is not None:
                return redirect("party:scheme", made["scheme"].pk) if "scheme" in made else response
    rows = EvaluationScheme.objects.for_user(user).select_related("owner").order_by("-year", "kind", "pk")
    context = {"page": page_of(request, rows, PAGE_SIZE), "form": form}
    return render(request, "party/schemes.html", context, status=400 if request.method == "POST" else 200)


def _scheme(request, pk) -> EvaluationScheme:
    require_reader(request.user)
    return fetch_in_scope(EvaluationScheme.objects.for_user(request.user).select_related("owner"), pk)


@require_safe
@login_required
def scheme_page(request, pk):
    scheme = _scheme(request, pk)
    user = request.user
    rows = (
        Evaluation.objects.for_user(user)
        .filter(scheme=scheme)
        .select_related("organization", "member__organization")
        .order_by("-total", "pk")
    )
    status = request.GET.get("status", "")
    if status in Evaluation.Status.values:
        rows = rows.filter(status=status)
    context = {
        "scheme": scheme,
        "indicators": list(scheme.indicators.all()),
        "page": page_of(request, rows, PAGE_SIZE),
        "counts": {
            value: scheme.evaluations.filter(status=value).count()
            for value, _label in Evaluation.Status.choices
        },
        "statuses": Evaluation.Status.choices,
        "status": status,
        "owner_keeper": keeps(user, scheme.owner) and user.has_perm("partybuilding.keep_party"),
        "outcome_names": schemes.OUTCOME_RATES,
    }
    return render(request, "party/scheme.html", context)


@post_only("party:scheme", "pk")
@login_required
def scheme_act(request, pk, action):
    scheme = _scheme(request, pk)
    url = reverse("party:scheme", args=[scheme.pk])
    if action == "open":
        try:
            count = schemes.open_scheme(request.user, scheme)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, request.user))
        else:
            messages.success(request, _("已启动评定:新建 %(n)s 份,参评组织和党员可以自评。") % {"n": count})
        return redirect(url)
    if action == "publish":
        return done(request, url, lambda: schemes.publish(request.user, scheme), _("已公布评定结果。"))
    raise PermissionDenied(_("没有这个操作。"))


def _evaluation(request, pk) -> Evaluation:
    require_reader(request.user)
    rows = Evaluation.objects.for_user(request.user).select_related(
        "scheme__owner", "organization", "member__organization", "reviewed_by"
    )
    return fetch_in_scope(rows, pk)


def _may_self(user, evaluation) -> bool:
    try:
        schemes.require_self(user, evaluation)
    except PermissionDenied:
        return False
    return True


def _may_review(user, evaluation) -> bool:
    try:
        schemes.require_reviewer(user, evaluation)
    except PermissionDenied:
        return False
    return user.has_perm("partybuilding.keep_party")


@require_safe
@login_required
def evaluation_page(request, pk):
    evaluation = _evaluation(request, pk)
    user = request.user
    scores = {row.indicator_id: row for row in evaluation.scores.all()}
    lines = [(indicator, scores.get(indicator.pk)) for indicator in evaluation.scheme.indicators.all()]
    context = {
        "evaluation": evaluation,
        "lines": lines,
        "may_self": evaluation.status == Evaluation.Status.DRAFT and _may_self(user, evaluation),
        "may_review": evaluation.status == Evaluation.Status.SUBMITTED and _may_review(user, evaluation),
        "outcome_names": schemes.OUTCOME_RATES,
    }
    return render(request, "party/evaluation.html", context)


def _numbers(request, prefix: str) -> dict:
    return {
        key[len(prefix) :]: value
        for key, value in request.POST.items()
        if key.startswith(prefix) and value != ""
    }


@post_only("party:evaluation", "pk")
@login_required
def evaluation_act(request, pk, action):
    evaluation = _evaluation(request, pk)
    user = request.user
    url = reverse("party:evaluation", args=[evaluation.pk])
    note = request.POST.get("note", "")
    if action == "submit":
        perform = lambda: schemes.submit(  # noqa: E731
            user,
            evaluation,
            claimed=_numbers(request, "claimed-"),
            evidence=_numbers(request, "evidence-"),
            note=note,
        )
        message = _("已提交自评,等待上级审核。")
    elif action == "review":
        perform = lambda: schemes.review(  # noqa: E731
            user,
            evaluation,
            granted=_numbers(request, "granted-"),
            vetoes=request.POST.getlist("veto"),
            note=note,
        )
        message = _("已审核。")
    elif action == "return":
        perform = lambda: schemes.send_back(user, evaluation, note=note)  # noqa: E731
        message = _("已退回重新自评。")
    else:
        raise PermissionDenied(_("没有这个操作。"))
    try:
        perform()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, user))
    else:
        messages.success(request, message)
    return redirect(url)
