"""Pages of the target delivery date (定日出件, e.g. the land handover day of 交地即领证):

- the applicant's date, saved from its own section of the draft's edit page (`portal/.../edit/target-date/`);
- the window's list of the applications that wait for their day (`window/targets/`), the soonest first, each
  with its risk (`approvals.target_dates`), filtered to those at risk; and the page where the window moves a
  date when the handover moves (`window/applications/<pk>/target-date/`).

Every change goes through `services.target_dates`; an application outside the user's scope answers 404.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.catalog.models import Bundle
from sciencecity.workdays import clock
from sciencecity.workflow.errors import ACTION_REFUSALS, attach_errors, post_only, refusal_message
from sciencecity.workflow.paging import page_of

from .. import target_dates
from ..forms.target_dates import ChangeTargetDateForm, target_form
from ..models import Application
from ..services import target_dates as target_services
from . import portal, window

PAGE_SIZE = 25


# --- the applicant -------------------------------------------------------------------------------------------


@post_only("approvals:portal_edit", "pk", anchor="#target")
@portal.editor_required
def portal_save_target_date(request, pk):
    application = portal._get_application(request, pk)
    form = target_form(application, request.POST)
    if form is None:
        raise Http404
    if form.is_valid():
        try:
            target_services.set_target_date(request.user, application, form.cleaned_data["target_date"])
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            return portal._refused(request, application, error)
        else:
            return portal._saved(application, "target")
    return portal._refused_draft(request, application, "target", bound={"target_form": form})


# --- the window ----------------------------------------------------------------------------------------------


class TargetFilterForm(forms.Form):
    risk = forms.ChoiceField(label=gettext_lazy("风险"), required=False)
    bundle = forms.ChoiceField(label=gettext_lazy("一件事"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk"].choices = [
            ("", _("全部")),
            ("at_risk", _("仅看有风险的")),
            *target_dates.Risk.choices,
        ]
        seen, choices = set(), [("", _("全部"))]
        asking = Bundle.objects.exclude(target_date_label="").order_by("code", "-version__number")
        for bundle in asking:
            if bundle.code not in seen:
                seen.add(bundle.code)
                choices.append((bundle.code, bundle.display_name))
        self.fields["bundle"].choices = choices
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"filter_{name}"


def target_list(user, filters: dict, today):
    """The applications `user` may read that wait for their target date (not yet delivered), the soonest
    first, each with its `target_risk`: one query over the partial index of target dates."""
    applications = target_dates.with_target(Application.objects.for_user(user))
    risk = filters.get("risk") or ""
    if risk:
        applications = target_dates.at_risk(applications, today)
    if filters.get("bundle"):
        applications = applications.filter(bundle__code=filters["bundle"])
    applications = target_dates.annotate_risk(applications, today)
    if risk in target_dates.Risk.values:
        applications = applications.filter(target_risk=risk)
    return applications.select_related(*window.QUEUE_RELATED).order_by("target_date", "pk")


@require_safe
@window.clerk_required
def window_targets(request):
    """定日出件: the applications with a target date that are not yet delivered, the soonest first."""
    form = TargetFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = clock.today()
    context = page_of(request, target_list(request.user, filters, today), PAGE_SIZE)
    return render(
        request,
        "window/targets.html",
        {**context, "tab": "targets", "form": form, "today": today, "horizon": target_dates.horizon(today)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@window.clerk_required
def window_change_target(request, pk):
    """Move an application's target date (the handover moved), with the reason."""
    application = window._get_application(request, pk)
    bundle = application.bundle
    if not bundle.asks_target_date and application.target_date is None:
        raise Http404
    if request.method != "POST":
        form = ChangeTargetDateForm(bundle=bundle, initial={"target_date": application.target_date})
        return _render_change(request, application, form)
    form = ChangeTargetDateForm(request.POST, bundle=bundle)
    if form.is_valid():
        try:
            target_services.change_target_date(
                request.user, application, form.cleaned_data["target_date"], form.cleaned_data["reason"]
            )
        except Http404:
            raise
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, request.user))
            return redirect("approvals:window_targets")
        else:
            application = window._get_application(request, pk)
            risk = target_dates.risk_of(application)
            text = _("办件 %(number)s 的%(label)s已调整为 %(date)s,已通知申请人和审批部门。") % {
                "number": application.number,
                "label": bundle.display_target_date_label.lower(),  # inside a sentence
                "date": application.target_date.isoformat(),
            }
            if risk:
                messages.warning(
                    request, text + _("注意:%(risk)s。") % {"risk": target_dates.risk_label(risk)}
                )
            else:
                messages.success(request, text)
            return redirect("approvals:window_targets")
    messages.error(request, _("请修改下面标出的错误。"))
    return _render_change(request, application, form, status=400)


def _render_change(request, application, form, status=200):
    return render(
        request,
        "window/change_target.html",
        {"application": application, "form": form, "tab": "targets"},
        status=status,
    )


urlpatterns = [
    path(
        "portal/applications/<int:pk>/edit/target-date/",
        portal_save_target_date,
        name="portal_save_target_date",
    ),
    path("window/targets/", window_targets, name="window_targets"),
    path("window/applications/<int:pk>/target-date/", window_change_target, name="window_change_target"),
]
