"""The policies' pages (惠企政策): the list (for an enterprise, the policies it may enjoy and what to complete
for the others; for civil servants, every policy with how many enterprises it finds), a policy's guide page
(with the reader's own verdict, and for its department 政策找企业: the enterprises it finds, filtered, and the
notices sent to them), and the editor of a policy with its conditions as rows. Reads go through `for_user`
(outside the scope: 404); writes through `services`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.enterprises.facts import FACTS, OPERATORS
from sciencecity.enterprises.models import Enterprise
from sciencecity.workdays import clock
from sciencecity.workflow.errors import ACTION_REFUSALS, attach_errors, post_only, refusal_message
from sciencecity.workflow.paging import capped_count, page_of, shown_count

from . import claim_views, selectors
from .forms import ConditionFormSet, FindFilter, PolicyForm, initial_rows
from .models import Claim, Policy, PolicyMatch
from .services import notices, policies
from .services.matching import in_force

app_name = "policies"
PAGE_SIZE = 50


def _policy(request, code) -> Policy:
    policy = Policy.objects.for_user(request.user).filter(code=code).first()
    if policy is None:
        raise Http404(_("惠企政策不存在,或您无权访问。"))
    return policy


@require_safe
@login_required
def policy_list(request):
    user = request.user
    today = clock.today()
    area = request.GET.get("area", "")
    listed = Policy.objects.for_user(user).select_related("department")
    if area in Policy.Area.values:
        listed = listed.filter(area=area)
    context = {
        "area": area,
        "areas": Policy.Area.choices,
        "may_create": user.has_perm(policies.CHANGE),
    }
    if user.enterprise_id and not is_civil_servant(user):
        enterprise = Enterprise.objects.get(pk=user.enterprise_id)
        verdicts = selectors.verdicts_for(enterprise, listed & in_force(today))
        context.update(
            enterprise=enterprise,
            eligible=[row for row in verdicts if row.verdict == PolicyMatch.Verdict.ELIGIBLE],
            incomplete=[row for row in verdicts if row.verdict == PolicyMatch.Verdict.UNKNOWN],
            others=[row for row in verdicts if row.verdict not in selectors.FINDS],
        )
        return render(request, "policies/mine.html", context)
    page = page_of(request, listed.order_by("area", "code"), PAGE_SIZE)
    in_force_ids = set(
        in_force(today).filter(pk__in=[p.pk for p in page["rows"]]).values_list("pk", flat=True)
    )
    for policy in page["rows"]:
        policy.in_force = policy.pk in in_force_ids
    context["page"] = page
    return render(request, "policies/list.html", context)


def _find_context(request, policy) -> dict:
    """政策找企业 for the officers: a page of the enterprises the policy finds, and the notice buttons."""
    form = FindFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    verdict = filters.get("verdict") or PolicyMatch.Verdict.ELIGIBLE
    found = page_of(request, selectors.enterprises_found(policy, verdict=verdict, filters=filters), PAGE_SIZE)
    for row in found["rows"]:
        row.missing_labels = [selectors.fact_label(code) for code in row.missing]
    return {
        "find_form": form,
        "find_verdict": verdict,
        "found": found,
        "may_notify": policies.may_serve(request.user, policy) and verdict == PolicyMatch.Verdict.ELIGIBLE,
        "not_yet_told": shown_count(capped_count(notices.not_yet_told(policy))),
    }


@require_safe
@login_required
def policy_detail(request, code):
    user = request.user
    policy = _policy(request, code)
    today = clock.today()
    context = {
        "policy": policy,
        "conditions": [selectors.describe(row) for row in policy.conditions.all()],
        "in_force": in_force(today).filter(pk=policy.pk).exists(),
        "may_edit": policies.may_keep(user, policy.department_id) and user.has_perm(policies.CHANGE),
    }
    if user.enterprise_id and not is_civil_servant(user):
        enterprise = Enterprise.objects.get(pk=user.enterprise_id)
        context["mine"] = selectors.verdicts_for(enterprise, [policy])[0]
        context["enterprise"] = enterprise
        context["claim"] = (
            Claim.objects.filter(policy=policy, enterprise=enterprise, period=today.year)
            .exclude(status__in=Claim.ENDED)
            .first()
        )
        context["may_claim"] = user.has_perm("policies.claim_policy") and context["in_force"]
    elif is_civil_servant(user) and policy.is_published:
        context.update(_find_context(request, policy))
    return render(request, "policies/policy.html", context)


@post_only("policies:detail", "code", anchor="#find")
@login_required
def notify(request, code):
    policy = _policy(request, code)
    chosen = None
    if request.POST.get("scope") != "all":
        chosen = [value for value in request.POST.getlist("enterprise") if value.isdigit()]
        if not chosen:
            messages.error(request, _("请勾选要推送的企业,或选择推送全部。"))
            return redirect(reverse("policies:detail", args=[policy.code]) + "#find")
    try:
        told = notices.notify_enterprises(request.user, policy, chosen)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, request.user))
    else:
        if told:
            messages.success(request, _("已向 %(n)s 家符合条件的企业推送政策。") % {"n": told})
        else:
            messages.info(request, _("没有需要推送的企业:所选企业都已推送过。"))
    return redirect(reverse("policies:detail", args=[policy.code]) + "#find")


def _facts_help():
    return [
        {
            "code": code,
            "label": fact.label,
            "operators": " ".join(OPERATORS[fact.kind]),
            "values": "、".join(f"{label}({value})" for value, label in fact.choices)
            if fact.choices
            else {"number": _("数字"), "flag": _("是 / 否")}.get(fact.kind, ""),
        }
        for code, fact in FACTS.items()
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def edit(request, code=None):
    """Create a policy (no `code`) or edit one: the guide's fields and the condition rows, saved together by
    `save_policy` (all checked first; on an error nothing is saved and the rows stay as typed)."""
    user = request.user
    if not user.has_perm(policies.CHANGE):
        raise PermissionDenied(_("只有政策兑现部门的负责人或管理员可以编辑惠企政策。"))
    policy = _policy(request, code) if code else None
    if policy is not None and not policies.may_keep(user, policy.department_id):
        raise PermissionDenied(_("只能编辑本部门兑现的惠企政策。"))
    data = request.POST if request.method == "POST" else None
    form = PolicyForm(data, instance=policy, keeper=user)
    rows = ConditionFormSet(data, initial=None if data else initial_rows(policy), prefix="conditions")
    if data is not None and form.is_valid() and rows.is_valid():
        conditions = [found for row in rows.forms if (found := row.condition()) is not None]
        fields = {name: form.cleaned_data[name] for name in policies.FIELDS if name != "materials"}
        fields["materials"] = form.cleaned_data["materials_text"]
        try:
            saved = policies.save_policy(
                user,
                policy.code if policy else form.cleaned_data["code"],
                conditions=conditions,
                publish=form.cleaned_data["publish"],
                new=policy is None,
                **fields,
            )
        except ValidationError as error:
            _attach_rows(form, rows, error)
        except ACTION_REFUSALS as error:
            form.add_error(None, refusal_message(error, user))
        else:
            messages.success(request, _("惠企政策已保存,匹配结果正在后台更新。"))
            return redirect("policies:detail", saved.code)
    return render(
        request,
        "policies/edit.html",
        {"policy": policy, "form": form, "rows": rows, "facts": _facts_help()},
        status=400 if data is not None else 200,
    )


def _attach_rows(form, rows, error: ValidationError) -> None:
    """Errors of `save_policy`: those of a condition ("conditions.<n>", numbered among the filled rows) on its
    row of the formset, the rest on the policy's form."""
    if not hasattr(error, "error_dict"):
        attach_errors(form, error)
        return
    filled = [row for row in rows.forms if row.cleaned_data.get("fact")]
    rest = {}
    for key, messages_ in error.message_dict.items():
        number = key.removeprefix("conditions.")
        if key.startswith("conditions.") and number.isdigit() and int(number) <= len(filled):
            for message in messages_:
                filled[int(number) - 1].add_error("value", message)
        elif key == "conditions":
            for message in messages_:
                form.add_error(None, message)
        else:
            rest[key] = messages_
    if rest:
        attach_errors(form, ValidationError(rest))


urlpatterns = [
    path("", policy_list, name="list"),
    path("new/", edit, name="new"),
    path("claims/", claim_views.claim_list, name="claims"),
    path("claims/<int:pk>/", claim_views.claim_detail, name="claim"),
    path("claims/<int:pk>/materials/", claim_views.upload, name="claim_upload"),
    path("claims/<int:pk>/materials/<slug:code>/", claim_views.material_file, name="claim_material"),
    path("claims/<int:pk>/<slug:action>/", claim_views.act, name="claim_act"),
    path("<slug:code>/claim/", claim_views.start, name="claim_start"),
    path("<slug:code>/", policy_detail, name="detail"),
    path("<slug:code>/edit/", edit, name="edit"),
    path("<slug:code>/notify/", notify, name="notify"),
]
