"""Redemption's pages (兑现): an enterprise starts a claim from the policy's page, confirms the pre-filled one
(免申即享) or completes a draft with its materials (快申快享); the paying department works through its queue
(by time limit, the overdue first) and decides on the claim's page. Reads through `Claim.objects.for_user`
(outside the scope: 404); every write through `services.claims`, whose refusals come back as messages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.approvals.files import material_response
from sciencecity.enterprises.facts import FACTS
from sciencecity.enterprises.models import Enterprise
from sciencecity.workdays import clock
from sciencecity.workflow.errors import ACTION_REFUSALS, fetch_in_scope, post_only, refusal_message
from sciencecity.workflow.paging import page_of

from .models import Claim, ClaimMaterial, Policy
from .selectors import fact_label, value_text
from .services import claims
from .services.materials import material_rules
from .services.policies import may_serve

PAGE_SIZE = 50


class ClaimFilter(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("只看超期"), required=False)
    q = forms.CharField(label=gettext_lazy("申请编号或企业名称"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部"))] + list(Claim.Status.choices)


@require_safe
@login_required
def claim_list(request):
    """An enterprise's claims, newest first; the department's queue, the nearest time limit first."""
    user = request.user
    form = ClaimFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = Claim.objects.for_user(user).select_related("policy", "enterprise")
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("overdue"):
        rows = rows.filter(status=Claim.Status.SUBMITTED, due_on__lt=clock.today())
    query = (filters.get("q") or "").strip()
    if query:
        rows = rows.filter(Q(number=query.upper()) | Q(enterprise__name__startswith=query))
    staff = is_civil_servant(user)
    order = ("status", "due_on", "id") if staff and filters.get("status") else ("-created_at", "-id")
    page = page_of(request, rows.order_by(*order), PAGE_SIZE)
    return render(request, "policies/claims.html", {"form": form, "page": page, "staff": staff})


def _claim(request, pk) -> Claim:
    return fetch_in_scope(Claim.objects.for_user(request.user).select_related("policy", "enterprise"), pk)


def _claim_context(request, claim) -> dict:
    user = request.user
    own = bool(user.enterprise_id and user.enterprise_id == claim.enterprise_id)
    actions = [
        action
        for action in claims.TRANSITIONS.allowed_actions(claim, user)
        if (own if action in ("confirm", "submit", "withdraw") else may_serve(user, claim.policy))
    ]
    attached = {material.code: material for material in claim.claim_materials.all()}
    rules = [(rule, attached.get(rule.code)) for rule in material_rules(claim.policy)]
    facts = [
        (fact_label(code), _shown(code, value))
        for code, value in claim.facts.items()
        if value not in (None, [], "")
    ]
    return {
        "claim": claim,
        "own": own,
        "actions": [(action, claims.TRANSITIONS.label(action)) for action in actions],
        "rules": rules,
        "may_upload": own and claim.status == Claim.Status.DRAFT,
        "facts": facts,
        "missing": [fact_label(code) for code in claim.missing],
    }


def _shown(code: str, value) -> str:
    """A fact's value as people read it (是/否, choice names)."""
    fact = FACTS.get(code)
    if fact is None:
        return str(value)
    return value_text(fact, value)


@require_safe
@login_required
def claim_detail(request, pk):
    claim = _claim(request, pk)
    return render(request, "policies/claim.html", _claim_context(request, claim))


@post_only("policies:detail", "code")
@login_required
def start(request, code):
    """The enterprise starts its claim under the policy (this year's)."""
    user = request.user
    policy = Policy.objects.for_user(user).filter(code=code).first()
    if policy is None or not user.enterprise_id:
        raise Http404(_("惠企政策不存在,或您无权访问。"))
    try:
        claim = claims.start_claim(
            user,
            policy,
            Enterprise.objects.get(pk=user.enterprise_id),
            amount=request.POST.get("amount") or None,
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, user))
    else:
        return redirect("policies:claim", claim.pk)
    return redirect(reverse("policies:detail", args=[policy.code]) + "#claim")


ACTIONS = {
    "confirm": lambda user, claim, data: claims.confirm(user, claim),
    "submit": lambda user, claim, data: claims.submit(user, claim),
    "withdraw": lambda user, claim, data: claims.withdraw(user, claim),
    "return": lambda user, claim, data: claims.return_claim(user, claim, data.get("reason", "")),
    "approve": lambda user, claim, data: claims.approve(
        user, claim, amount=data.get("amount") or None, reason=data.get("reason", "")
    ),
    "refuse": lambda user, claim, data: claims.refuse(user, claim, data.get("reason", "")),
    "pay": lambda user, claim, data: claims.pay(user, claim, data.get("reference", "")),
}


@post_only("policies:claim", "pk")
@login_required
def act(request, pk, action):
    if action not in ACTIONS:
        raise Http404(_("没有这个操作。"))
    claim = _claim(request, pk)
    try:
        ACTIONS[action](request.user, claim, request.POST)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, request.user))
    else:
        messages.success(request, _("已办理:%(action)s。") % {"action": claims.TRANSITIONS.label(action)})
    return redirect("policies:claim", claim.pk)


@post_only("policies:claim", "pk", anchor="#materials")
@login_required
def upload(request, pk):
    claim = _claim(request, pk)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("请选择要上传的文件。"))
    else:
        try:
            claims.attach_material(request.user, claim, request.POST.get("code", ""), uploaded)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, request.user))
        else:
            messages.success(request, _("材料已上传。"))
    return redirect(reverse("policies:claim", args=[claim.pk]) + "#materials")


@require_safe
@login_required
def material_file(request, pk, code):
    claim = _claim(request, pk)
    material = ClaimMaterial.objects.filter(claim=claim, code=code).first()
    if material is None:
        raise Http404(_("该材料没有文件。"))
    return material_response(material)
