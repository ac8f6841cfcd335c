"""Forms of the target delivery date (定日出件): the applicant's date on the edit page, the window's change.

They only shape input; whether a date can be kept is `approvals.target_dates.target_date_problems`, through
the services (`services.target_dates`), whose ValidationErrors the views attach back here.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from sciencecity.workdays import clock

from ..target_dates import earliest


class TargetDateForm(forms.Form):
    """The applicant's target date; the label is the bundle's (e.g. 交地日期)."""

    target_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, bundle, earliest=None, **kwargs):
        kwargs.setdefault("auto_id", "target_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["target_date"]
        field.label = bundle.display_target_date_label
        field.required_by_catalog = True  # required at submission: the page marks it so
        if earliest is not None:
            field.widget.attrs["min"] = earliest.isoformat()
            field.help_text = _("须为工作日;按本一件事的办理时限,今天提交最早可选 %(date)s。") % {
                "date": earliest.isoformat()
            }


class ChangeTargetDateForm(forms.Form):
    """The window moves the target date (the handover moved), with the reason."""

    target_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(
        label=_("调整原因"),
        required=False,  # required by the service, which says so beside the date's own problems
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如:出让人书面通知调整交付日期,请注明通知文号。"),
    )

    def __init__(self, *args, bundle, **kwargs):
        kwargs.setdefault("auto_id", "change_%s")
        super().__init__(*args, **kwargs)
        self.fields["target_date"].label = _("新的%(label)s") % {
            "label": bundle.display_target_date_label.lower()
        }


def target_form(application, data=None) -> TargetDateForm | None:
    """The edit page's form of the application's target date, or None when its bundle asks for none."""
    bundle = application.bundle
    if not bundle.asks_target_date:
        return None
    return TargetDateForm(
        data,
        bundle=bundle,
        earliest=earliest(bundle, clock.today()),
        initial={"target_date": application.target_date},
    )
