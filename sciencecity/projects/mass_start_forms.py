"""The forms of the mass starts' pages: an event's details, and its projects as lines of project codes, each
optionally followed by its investment in the event (万元), as a task force types or pastes them from the
event's list."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Project
from .services.mass_starts import MAX_PROJECTS, Entry

LINE = re.compile(r"^\s*(\d{4}-\d{6}-\d{2}-\d{2}-\d{6})(?:[\s,,、]+([0-9][0-9,.]*))?\s*$")


class MassStartForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("活动名称"), max_length=200)
    held_on = forms.DateField(label=gettext_lazy("开工日期"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=gettext_lazy("活动地点"), max_length=200)
    organizer = forms.CharField(label=gettext_lazy("主办单位"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("活动说明"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.ImageField(label=gettext_lazy("活动照片"), required=False)


class FilterForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年份"), required=False, min_value=2000, max_value=2100)
    q = forms.CharField(label=gettext_lazy("名称或地点"), required=False, max_length=100)


class ProjectsForm(forms.Form):
    lines = forms.CharField(
        label=gettext_lazy("开工项目"),
        widget=forms.Textarea(attrs={"rows": 6, "autocapitalize": "off", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "每行一个项目代码,可在代码后空一格写本次开工投资(万元);不写则按项目总投资计。"
        ),
    )

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.projects = projects if projects is not None else Project.objects.none()

    def clean_lines(self):
        """Every line a known project code, with an amount if one is given; every wrong line named at once."""
        text = self.cleaned_data["lines"]
        parsed, errors = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            match = LINE.match(line)
            if match is None:
                errors.append(_("第 %(n)s 行不是“项目代码 [开工投资]”。") % {"n": number})
                continue
            amount = None
            if match.group(2):
                try:
                    amount = Decimal(match.group(2).replace(",", ""))
                except InvalidOperation:
                    errors.append(_("第 %(n)s 行的开工投资不是金额。") % {"n": number})
                    continue
            parsed.append((number, match.group(1), amount))
        if len(parsed) > MAX_PROJECTS:
            raise forms.ValidationError(_("一次最多添加 %(n)s 个项目。") % {"n": MAX_PROJECTS})
        found = {p.code: p for p in self.projects.filter(code__in=[code for _n, code, _a in parsed])}
        entries = []
        for number, code, amount in parsed:
            if code not in found:
                errors.append(_("第 %(n)s 行:没有项目代码为 %(code)s 的项目。") % {"n": number, "code": code})
                continue
            entries.append(Entry(found[code], amount))
        if errors:
            raise forms.ValidationError(errors)
        if not entries:
            raise forms.ValidationError(_("请至少填写一个项目代码。"))
        return entries
