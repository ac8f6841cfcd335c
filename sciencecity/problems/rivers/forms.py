"""The forms of the river pages. They parse input; `services` decides and refuses."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import River
from .standard import UNIT, WaterClass


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as the browsers' month input sends it (2026-10), or a day of it."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d", "%Y/%m"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


def _indicator(label):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=3,
        help_text=UNIT,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class ReadingForm(forms.Form):
    month = MonthField(label=_("监测月份"))
    water_class = forms.TypedChoiceField(label=_("水质类别"), choices=WaterClass.choices, coerce=int)
    cod = _indicator(_("化学需氧量"))
    ammonia_nitrogen = _indicator(_("氨氮"))
    total_phosphorus = _indicator(_("总磷"))
    dissolved_oxygen = _indicator(_("溶解氧"))
    note = forms.CharField(label=_("备注"), max_length=500, required=False)


class CorrectionForm(ReadingForm):
    reason = forms.CharField(label=_("更正原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["month"]


class ImportForm(forms.Form):
    month = MonthField(label=_("监测月份"))
    file = forms.FileField(
        label=_("Excel 文件"),
        help_text=_("每个断面一行:断面编码、水质类别,以及可选的化学需氧量、氨氮、总磷、溶解氧(mg/L)和备注。"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )


class SectionFilterForm(forms.Form):
    river = forms.ModelChoiceField(
        label=_("河流"),
        queryset=River.objects.filter(is_active=True),
        required=False,
        empty_label=_("全部河流"),
    )
    verdict = forms.ChoiceField(
        label=_("本月水质"),
        required=False,
        choices=[
            ("", _("全部")),
            ("met", _("达到或优于目标")),
            ("missed", _("未达标")),
            ("none", _("无近期数据")),
        ],
    )
