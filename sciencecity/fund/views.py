"""The invest-first fund's pages (先投后股): the portfolio and its cases for the task force, the committee and
the leaders; an enterprise's own cases and its application; one page per case with the forms its reader may use
at its stage (due diligence, votes, the decision, the agreement with its tranches, milestones and disbursements,
the exit). Reads through `Investment.objects.for_user` (outside the scope: 404); writes through
`services.investments`, whose refusals come back as messages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.enterprises.models import Enterprise
from sciencecity.workdays import clock
from sciencecity.workflow.errors import ACTION_REFUSALS, fetch_in_scope, post_only, refusal_message
from sciencecity.workflow.paging import page_of

from . import selectors
from .models import Investment, Tranche, Vote
from .services import investments as fund

app_name = "fund"
PAGE_SIZE = 50
DATE = forms.DateInput(attrs={"type": "date"})
TRANCHE_ROWS = 4


class ApplyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("项目名称"), max_length=200)
    summary = forms.CharField(label=gettext_lazy("项目简介"), widget=forms.Textarea(attrs={"rows": 4}))
    requested = forms.DecimalField(
        label=gettext_lazy("申请金额(万元)"), max_digits=12, decimal_places=2, min_value=1
    )


class SignForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("投资金额(万元)"), max_digits=12, decimal_places=2, min_value=1
    )
    signed_on = forms.DateField(label=gettext_lazy("签约日期"), widget=DATE)
    trigger = forms.ChoiceField(label=gettext_lazy("转股触发条件"), choices=Investment.Trigger.choices)
    trigger_note = forms.CharField(label=gettext_lazy("触发条件说明"), max_length=300, required=False)
    valuation_cap = forms.DecimalField(
        label=gettext_lazy("估值上限(万元)"), max_digits=14, decimal_places=2, required=False, min_value=1
    )
    discount = forms.DecimalField(
        label=gettext_lazy("转股折扣(%)"),
        max_digits=5,
        decimal_places=2,
        required=False,
        min_value=0,
        max_value=90,
    )
    repayment_date = forms.DateField(label=gettext_lazy("未转股时的还款日期"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, TRANCHE_ROWS + 1):
            required = number == 1
            self.fields[f"t{number}_amount"] = forms.DecimalField(
                label=_("第 %(n)s 批金额(万元)") % {"n": number},
                max_digits=12,
                decimal_places=2,
                required=required,
                min_value=1,
            )
            self.fields[f"t{number}_milestone"] = forms.CharField(
                label=_("第 %(n)s 批拨付里程碑") % {"n": number}, max_length=300, required=required
            )
            self.fields[f"t{number}_expected_on"] = forms.DateField(
                label=_("第 %(n)s 批预计达成日期") % {"n": number}, widget=DATE, required=False
            )

    def tranches(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "amount": data[f"t{n}_amount"],
                "milestone": data[f"t{n}_milestone"],
                "expected_on": data.get(f"t{n}_expected_on"),
            }
            for n in range(1, TRANCHE_ROWS + 1)
            if data.get(f"t{n}_amount")
        ]


def _may_manage(user) -> bool:
    return user.has_perm(fund.MANAGE)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def fund_list(request):
    user = request.user
    enterprise = Enterprise.objects.filter(pk=user.enterprise_id).first() if user.enterprise_id else None
    may_apply = enterprise is not None and user.has_perm(fund.APPLY) and not is_civil_servant(user)
    form = ApplyForm(request.POST or None) if may_apply else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("只有本企业人员可以为本企业申请先投后股。"))
        if form.is_valid():
            try:
                made = fund.apply(user, enterprise, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("已提交先投后股申请,基金专班将开展尽职调查。"))
                return redirect("fund:investment", made.pk)
    status = request.GET.get("status", "")
    rows = Investment.objects.for_user(user).select_related("enterprise")
    if status in Investment.Status.values:
        rows = rows.filter(status=status)
    page = page_of(request, rows.order_by("-applied_at", "-id"), PAGE_SIZE)
    context = {
        "page": page,
        "form": form,
        "status": status,
        "statuses": Investment.Status.choices,
        "staff": is_civil_servant(user),
    }
    if context["staff"]:
        context["portfolio"] = selectors.portfolio(user, clock.today())
    return render(request, "fund/list.html", context, status=400 if request.method == "POST" else 200)


def _investment(request, pk) -> Investment:
    return fetch_in_scope(Investment.objects.for_user(request.user).select_related("enterprise"), pk)


@require_safe
@login_required
def investment_detail(request, pk):
    user = request.user
    investment = _investment(request, pk)
    manage = _may_manage(user)
    own = user.enterprise_id == investment.enterprise_id
    context = {
        "investment": investment,
        "tranches": list(investment.tranches.all()),
        "votes": list(investment.votes.select_related("member")),
        "tally": fund.tally(investment),
        "manage": manage,
        "own": own,
        "may_vote": user.has_perm(fund.VOTE) and investment.status == Investment.Status.COMMITTEE,
        "vote_choices": Vote.Choice.choices,
        "sign_form": SignForm(initial={"amount": investment.requested, "signed_on": clock.today()})
        if manage and investment.status == Investment.Status.APPROVED
        else None,
        "disbursed": fund.disbursed_of(investment),
    }
    return render(request, "fund/investment.html", context)


def _done(request, investment, perform, message):
    try:
        perform()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, request.user))
    else:
        messages.success(request, message)
    return redirect("fund:investment", investment.pk)


ACTIONS = {
    "start_diligence": lambda user, inv, data: fund.start_diligence(user, inv),
    "withdraw": lambda user, inv, data: fund.withdraw(user, inv),
    "to_committee": lambda user, inv, data: fund.to_committee(user, inv, data.get("report", "")),
    "approve": lambda user, inv, data: fund.approve(user, inv, data.get("note", "")),
    "reject": lambda user, inv, data: fund.reject(user, inv, data.get("reason", "")),
    "convert": lambda user, inv, data: fund.convert(
        user, inv, equity_percent=data.get("equity_percent", ""), note=data.get("note", "")
    ),
    "repay": lambda user, inv, data: fund.repay(
        user, inv, amount=data.get("amount", ""), note=data.get("note", "")
    ),
    "write_off": lambda user, inv, data: fund.write_off(user, inv, data.get("reason", "")),
    "vote": lambda user, inv, data: fund.vote(user, inv, data.get("choice", ""), data.get("comment", "")),
}


@post_only("fund:investment", "pk")
@login_required
def act(request, pk, action):
    investment = _investment(request, pk)
    if action == "sign":
        form = SignForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                " ".join(
                    f"{form.fields[name].label if name in form.fields else ''}:{' '.join(errors)}"
                    for name, errors in form.errors.items()
                ),
            )
            return redirect("fund:investment", investment.pk)
        data = dict(form.cleaned_data)
        terms = {
            key: data[key]
            for key in (
                "amount",
                "signed_on",
                "trigger",
                "trigger_note",
                "valuation_cap",
                "discount",
                "repayment_date",
            )
        }
        return _done(
            request,
            investment,
            lambda: fund.sign(request.user, investment, **terms, tranches=form.tranches()),
            _("协议已签订。"),
        )
    if action not in ACTIONS:
        raise PermissionDenied(_("没有这个操作。"))
    return _done(
        request,
        investment,
        lambda: ACTIONS[action](request.user, investment, request.POST),
        _("已办理:%(action)s。")
        % {"action": fund.INVESTMENTS.label(action) if action != "vote" else _("表决")},
    )


@post_only("fund:investment", "pk")
@login_required
def tranche_act(request, pk, number, action):
    investment = _investment(request, pk)
    tranche = Tranche.objects.filter(investment=investment, number=number).first()
    if tranche is None or action not in ("meet", "disburse"):
        raise PermissionDenied(_("没有这个操作。"))
    if action == "meet":
        perform = lambda: fund.meet_milestone(request.user, tranche, request.POST.get("evidence", ""))  # noqa: E731
    else:
        perform = lambda: fund.disburse(request.user, tranche, request.POST.get("reference", ""))  # noqa: E731
    return _done(
        request, investment, perform, _("已办理:%(action)s。") % {"action": fund.TRANCHES.label(action)}
    )


urlpatterns = [
    path("", fund_list, name="list"),
    path("<int:pk>/", investment_detail, name="investment"),
    path("<int:pk>/tranches/<int:number>/<slug:action>/", tranche_act, name="tranche_act"),
    path("<int:pk>/<slug:action>/", act, name="act"),
]
