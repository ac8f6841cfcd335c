"""The filters of the devolved powers' pages: what the list is narrowed to, and the period of the figures."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.models import Department
from sciencecity.catalog.powers.models import DevolvedPower, PowerKind

from ..power_usage import Period

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what a date box reads
MAX_PERIOD_DAYS = 366 * 5  # the figures of at most five years at once

IN_USE, NOT_IN_USE = "in_use", "not_in_use"


class PeriodForm(forms.Form):
    """The period of the usage figures (default: the last twelve months up to today)."""

    since = forms.DateField(label=_("统计期自"), required=False, widget=DATE)
    until = forms.DateField(label=_("至"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"filter_{name}"
        # The dates of the period the figures are of, shown where the form opens without any (an empty date
        # box beside figures "of the last twelve months" leaves one guessing which twelve).
        default = Period.last_twelve_months()
        self.fields["since"].initial, self.fields["until"].initial = default.since, default.until

    def clean(self):
        data = super().clean()
        default = Period.last_twelve_months()
        since, until = data.get("since") or default.since, data.get("until") or default.until
        if since > until:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        elif (until - since) > datetime.timedelta(days=MAX_PERIOD_DAYS):
            self.add_error("since", _("统计期不能超过五年。"))
        else:
            data["period"] = Period(since, until)
        return data

    def period(self) -> Period:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["period"]
        return Period.last_twelve_months()


class PowerFilterForm(PeriodForm):
    q = forms.CharField(
        label=_("搜索"), required=False, max_length=100, help_text=_("权力名称、编码、法律依据或事项编码")
    )
    kind = forms.ChoiceField(label=_("权力类型"), required=False)
    department = forms.ChoiceField(label=_("实施部门"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)
    use = forms.ChoiceField(label=_("使用情况"), required=False)

    field_order = ["q", "kind", "department", "status", "use", "since", "until"]

    def __init__(self, *args, figures: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部")), *PowerKind.choices]
        departments = Department.objects.filter(devolved_powers__isnull=False).distinct().order_by("code")
        self.fields["department"].choices = [("", _("全部"))] + [
            (department.code, department.display_name) for department in departments
        ]
        self.fields["status"].choices = [("", _("全部")), *DevolvedPower.Status.choices]
        self.fields["use"].choices = [
            ("", _("全部")),
            (IN_USE, _("统计期内有办件")),
            (NOT_IN_USE, _("统计期内无办件")),
        ]
        if not figures:  # the usage is the administration's: the public list has no period and no use filter
            for name in ("use", "since", "until"):
                del self.fields[name]
        self.order_fields(self.field_order)
