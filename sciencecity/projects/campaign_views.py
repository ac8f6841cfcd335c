"""The pages of the "三比一争" campaign: the campaigns (organizers start one there), a campaign with its rules,
its rounds and its history across rounds, and a round's ranking with the pioneers (红旗) and the bottom places
(约谈), where organizers score and publish it. Every signed-in person reads what their scope allows
(`CampaignRound` and `RoundScore.objects.for_user`); every change goes through `services.campaign`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.workflow.errors import (
    ACTION_REFUSALS,
    attach_errors,
    fetch_in_scope,
    not_found,
    post_only,
    refusal_message,
)
from sciencecity.workflow.paging import page_of

from . import forms, selectors
from .models import RUN_CAMPAIGN, Campaign, CampaignRound, ScoringRule
from .services import campaign as campaigns

PAGE_SIZE = 50
MAX_ROUND_NUMBER = 32767  # the column's range: a larger number in the address is simply not found


def _campaign(request, pk) -> Campaign:
    return fetch_in_scope(Campaign.objects.for_user(request.user), pk)


def _round(request, pk, number) -> CampaignRound:
    campaign = _campaign(request, pk)
    rounds = selectors.rounds_of(request.user, campaign).select_related("campaign")
    found = rounds.filter(number=number).first() if number <= MAX_ROUND_NUMBER else None
    if found is None:
        raise not_found(CampaignRound)
    return found


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def campaign_list(request):
    user = request.user
    organizer = user.has_perm(RUN_CAMPAIGN)
    form = (
        forms.CampaignForm(request.POST or None, task_forces=selectors.task_forces()) if organizer else None
    )
    if request.method == "POST":
        if form is None:
            messages.error(request, _("只有“三比一争”活动的组织者可以进行此操作。"))
            return redirect("projects:campaigns")
        if form.is_valid():
            try:
                made = campaigns.create_campaign(user, **form.cleaned_data)
            except ValidationError as error:
                attach_errors(form, error)
            except ACTION_REFUSALS as error:
                messages.error(request, refusal_message(error, user))
            else:
                count = made.rounds.count()
                messages.success(
                    request,
                    ngettext("活动已创建,共 %(count)s 轮。", "活动已创建,共 %(count)s 轮。", count)
                    % {"count": count},
                )
                return redirect("projects:campaign", made.pk)
    return render(
        request,
        "projects/campaigns.html",
        {"campaigns": selectors.campaigns(user)[:100], "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _campaign_context(request, campaign, rules_form=None) -> dict:
    user = request.user
    rounds = list(selectors.rounds_of(user, campaign))
    shown = [round_ for round_ in rounds if round_.status != CampaignRound.Status.OPEN]
    organizer = user.has_perm(RUN_CAMPAIGN)
    if organizer and rules_form is None:
        rules_form = forms.ScoringRulesForm(rules=campaign.rules.all())
    return {
        "campaign": campaign,
        "rules_form": rules_form,
        # (rule, weight field, missing-score field): the fields for organizers, the values for the others.
        "rule_rows": rules_form.measures
        if rules_form
        else [(rule, None, None) for rule in campaign.rules.all()],
        "rounds": rounds,
        "history_rounds": shown,
        "history": selectors.history(user, campaign, shown),
    }


@require_safe
@login_required
def campaign_page(request, pk):
    return render(request, "projects/campaign.html", _campaign_context(request, _campaign(request, pk)))


@post_only("projects:campaign", "pk", anchor="#rules")
@login_required
def set_rules(request, pk):
    campaign = _campaign(request, pk)
    form = forms.ScoringRulesForm(request.POST, rules=campaign.rules.all())
    if form.is_valid():
        try:
            campaigns.set_rules(request.user, campaign, form.rules())
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, request.user))
            return redirect(reverse("projects:campaign", args=[pk]) + "#rules")
        else:
            messages.success(request, _("评分规则已保存,下次评分起按新规则计算。"))
            return redirect(reverse("projects:campaign", args=[pk]) + "#rules")
    context = _campaign_context(request, campaign, rules_form=form)
    return render(request, "projects/campaign.html", context, status=400)


@require_safe
@login_required
def round_page(request, pk, number):
    user = request.user
    round_ = _round(request, pk, number)
    form = forms.RankingFilter(request.GET or None)
    distinction = form.cleaned_data.get("distinction", "") if form.is_valid() else ""
    page = page_of(request, selectors.ranking(user, round_, distinction), PAGE_SIZE)
    return render(
        request,
        "projects/round.html",
        {
            "round": round_,
            "campaign": round_.campaign,
            "form": form,
            "page": page,
            "actions": [
                action
                for action in campaigns.ROUND_TRANSITIONS.allowed_actions(round_, user)
                if action != "score_round" or round_.has_ended
            ],
            "round_state": round_.state_label,
            "partial_view": not is_civil_servant(user) and not user.has_perm(RUN_CAMPAIGN),
            "own_enterprise": user.enterprise_id,
            "rules": round_.rules,
            "rule_rows": [
                {**rule, "name": ScoringRule.Measure(rule["measure"]).label}
                for rule in round_.rules
                if rule["measure"] in ScoringRule.Measure.values
            ],
        },
    )


def _round_action(request, pk, number, perform, done: str):
    round_ = _round(request, pk, number)
    try:
        perform(request.user, round_)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ACTION_REFUSALS as error:
        messages.error(request, refusal_message(error, request.user))
    else:
        messages.success(request, done)
    return redirect("projects:round", pk, number)


@post_only("projects:round", "pk", "number")
@login_required
def score_round(request, pk, number):
    return _round_action(request, pk, number, campaigns.score_round, _("已按评分规则评分排名。"))


@post_only("projects:round", "pk", "number")
@login_required
def publish_round(request, pk, number):
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("请先勾选确认再公布:公布后的结果不能更改。"))
        return redirect("projects:round", pk, number)
    return _round_action(
        request, pk, number, campaigns.publish_round, _("评比结果已公布,已通知红旗和约谈项目。")
    )
