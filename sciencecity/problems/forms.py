"""The forms of the problem pages. They only parse input; the services decide (and refuse)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.models import Department

from . import geo
from .models import MonitoringSection, Problem, ProblemCategory
from .selectors import LIGHTS, ProblemFilter


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input (checked and re-encoded by `services.photos`, not here)."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/*"})

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def active_categories():
    return ProblemCategory.objects.reportable()


def handling_departments():
    return Department.objects.filter(is_active=True).exclude(kind=Department.Kind.WINDOW)


class ReportForm(forms.Form):
    category = forms.ModelChoiceField(label=_("问题类别"), queryset=active_categories())
    title = forms.CharField(label=_("标题"), max_length=120)
    description = forms.CharField(
        label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    photos = PhotosField(label=_("照片"), help_text=_("可拍照或从相册选择,最多 9 张"))
    latitude = forms.DecimalField(label=_("纬度"), max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label=_("经度"), max_digits=9, decimal_places=6, required=False)
    address = forms.CharField(label=_("地址或位置描述"), max_length=200, required=False)
    source = forms.ChoiceField(label=_("来源"), choices=Problem.Source.choices, required=False)
    section = forms.ModelChoiceField(
        label=_("监测断面"),
        queryset=MonitoringSection.objects.filter(is_active=True, river__is_active=True).select_related(
            "river"
        ),
        required=False,
        empty_label=_("不关联断面"),
        help_text=_("河长巡河发现的问题可关联所在的监测断面;定位后会选中最近的断面。"),
    )
    reporter_name = forms.CharField(label=_("您的称呼"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def __init__(self, *args, staff: bool = False, anonymous: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].widget.attrs["capture"] = "environment"
        self.fields["latitude"].widget = forms.HiddenInput(attrs={"id": "report-latitude"})
        self.fields["longitude"].widget = forms.HiddenInput(attrs={"id": "report-longitude"})
        if staff:
            self.fields["source"].choices = [
                choice for choice in Problem.Source.choices if choice[0] != Problem.Source.OPEN311
            ]
            self._river_sections()
        else:
            del self.fields["source"]
            del self.fields["section"]
        if not anonymous:
            del self.fields["reporter_name"]
            del self.fields["reporter_phone"]
        else:
            self.fields["reporter_phone"].required = True

    def _river_sections(self) -> None:
        field = self.fields["section"]
        field.label_from_instance = lambda s: f"{s.river.display_name} · {s.display_name}"
        sections = river_sections_near(field)
        if not sections:
            del self.fields["section"]
            return
        self.river_sections = {
            "sections": sections,
            "source": Problem.Source.RIVER_PATROL,
            # "{name}" and "{km}" are filled in by the script
            "nearest": str(_("最近的监测断面:{name},约 {km} 公里")),
        }


def river_sections_near(field) -> list[dict]:
    """The sections a patrol may choose, with their points, for static/js/nearest_section.js (which selects
    the nearest once the problem's place is known)."""
    return [
        {
            "id": s.pk,
            "lat": float(s.latitude),
            "lon": float(s.longitude),
            "name": field.label_from_instance(s),
        }
        for s in field.queryset
    ]


def department_choices():
    return [("", _("全部部门"))] + [(d.pk, d.display_name) for d in handling_departments()]


class FilterForm(forms.Form):
    """The filters of every problem list, as `selectors.ProblemFilter`."""

    q = forms.CharField(label=_("搜索"), required=False, help_text=_("问题编号、标题或地址"))
    status = forms.ChoiceField(label=_("状态"), required=False)
    light = forms.ChoiceField(label=_("时限"), required=False)
    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=ProblemCategory.objects.all(), required=False, empty_label=_("全部类别")
    )
    department = forms.ModelChoiceField(
        label=_("责任部门"), queryset=handling_departments(), required=False, empty_label=_("全部部门")
    )
    area = forms.ChoiceField(label=_("区域"), required=False)
    source = forms.ChoiceField(label=_("来源"), required=False)
    reported_from = forms.DateField(
        label=_("报告日期自"), required=False, widget=forms.DateInput({"type": "date"})
    )
    reported_to = forms.DateField(
        label=_("报告日期至"), required=False, widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args, hide=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部状态")), ("open", _("未办结"))] + list(
            Problem.Status.choices
        )
        self.fields["light"].choices = [
            ("", _("全部")),
            *zip(LIGHTS, (_("超期"), _("临期"), _("正常")), strict=True),
        ]
        self.fields["area"].choices = [("", _("全部区域"))] + [
            (a.code, geo.area_label(a)) for a in geo.areas()
        ]
        self.fields["source"].choices = [("", _("全部来源"))] + list(Problem.Source.choices)
        for name in hide:
            del self.fields[name]

    def problem_filter(self, **fixed) -> ProblemFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return ProblemFilter(
            q=data.get("q") or "",
            status=data.get("status") or "",
            light=data.get("light") or "",
            category=data["category"].pk if data.get("category") else None,
            department=data["department"].pk if data.get("department") else None,
            area=data.get("area") or "",
            source=data.get("source") or "",
            reported_from=data.get("reported_from"),
            reported_to=data.get("reported_to"),
            **fixed,
        )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    photos = PhotosField(label=_("照片"))


class DispatchForm(forms.Form):
    department = forms.ModelChoiceField(label=_("责任部门"), queryset=handling_departments())
    note = forms.CharField(label=_("说明"), max_length=2000, required=False)


class LongTermForm(forms.Form):
    plan = forms.CharField(label=_("长期整改方案"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    due_date = forms.DateField(label=_("长期整改期限"), widget=forms.DateInput({"type": "date"}))


class MergeForm(forms.Form):
    into = forms.CharField(label=_("合并到问题编号"), max_length=20)
    note = forms.CharField(label=_("说明"), max_length=2000, required=False)


class SplitForm(forms.Form):
    """Up to four parts, each a title and a department; empty rows are ignored."""

    note = forms.CharField(label=_("说明"), max_length=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, 5):
            self.fields[f"title_{n}"] = forms.CharField(
                label=_("子问题 %(n)s") % {"n": n}, max_length=120, required=False
            )
            self.fields[f"department_{n}"] = forms.ModelChoiceField(
                label=_("子问题 %(n)s 责任部门") % {"n": n}, queryset=handling_departments(), required=False
            )

    def parts(self):
        from .services.lifecycle import Part

        return [
            Part(title=self.cleaned_data[f"title_{n}"], department=self.cleaned_data[f"department_{n}"])
            for n in range(1, 5)
            if self.cleaned_data.get(f"title_{n}") or self.cleaned_data.get(f"department_{n}")
        ]


class VerifyForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("核查结论"),
        choices=[("1", _("整改到位,通过")), ("0", _("未整改到位,不通过"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("核查意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    photos = PhotosField(label=_("核查照片"))


class RateForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"),
        choices=[(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )


class FollowForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=8, min_length=8)
