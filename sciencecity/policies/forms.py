"""The officer's policy editor: the policy's guide as a form, and its conditions as rows (条件项, 比较, 值) whose
value is typed as people write it — a number, 是/否, a choice by its code or its name, several choices separated
by commas — and turned here into the typed value that `services.conditions.check` then verifies."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.accounts.models import Department
from sciencecity.enterprises.facts import CHOICE, FACTS, FLAG, NUMBER, OPERATORS
from sciencecity.enterprises.models import Chain, Size

from .models import Policy, PolicyMatch
from .selectors import OPERATOR_LABELS
from .services.policies import FIELDS

DATE = forms.DateInput(attrs={"type": "date"})
YES = {"是", "true", "yes", "y", "1"}
NO = {"否", "false", "no", "n", "0"}
MAX_ROWS = 20


class PolicyForm(forms.ModelForm):
    code = forms.SlugField(
        label=gettext_lazy("政策编号"),
        max_length=40,
        help_text=gettext_lazy("小写字母、数字和短横线,例如 jfh-talent-01;保存后不能修改。"),
    )
    publish = forms.BooleanField(label=gettext_lazy("发布(企业可见,参与匹配)"), required=False)
    materials_text = forms.CharField(
        label=gettext_lazy("申报材料(快申快享)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "每行一项:材料名称; 接受的格式(逗号分隔,如 pdf,jpg); 大小上限 MB。例如:研发费用专项审计报告; pdf; 20"
        ),
    )

    class Meta:
        model = Policy
        fields = [name for name in FIELDS if name != "materials"]
        widgets = {
            "valid_from": DATE,
            "valid_until": DATE,
            "text": forms.Textarea(attrs={"rows": 5}),
            "requirements": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, keeper=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].initial = self.instance.code
            self.fields["code"].disabled = True
            self.fields["publish"].initial = self.instance.is_published
            self.fields["materials_text"].initial = "\n".join(
                f"{row['name']}; {','.join(row.get('formats') or [])}; {row.get('max_size_mb', 20)}"
                for row in self.instance.materials or []
            )
        departments = Department.objects.order_by("name")
        if keeper is not None and not keeper.has_perm("policies.keep_any_policy"):
            departments = departments.filter(pk=keeper.department_id)
        self.fields["department"].queryset = departments

    def clean_materials_text(self) -> list[dict]:
        """The lines as the policy's materials, each keeping the code it had (by its name) so that the
        materials already attached to claims stay attached."""
        existing = {row["name"]: row["code"] for row in (self.instance.materials or []) if self.instance.pk}
        used = set(existing.values())
        rows = []
        for number, line in enumerate(self.cleaned_data["materials_text"].splitlines(), 1):
            if not line.strip():
                continue
            parts = [part.strip() for part in re.split(r"[;;]", line)]
            name = parts[0]
            formats = [f for f in re.split(r"[,,、\s]+", parts[1] if len(parts) > 1 else "") if f]
            size_text = parts[2] if len(parts) > 2 and parts[2] else "20"
            if not size_text.isdigit():
                raise ValidationError(_("第 %(n)s 行:大小上限应为整数(MB)。") % {"n": number})
            code = existing.get(name)
            if code is None:
                code = next(f"m{n}" for n in range(1, 100) if f"m{n}" not in used)
                used.add(code)
            rows.append({"code": code, "name": name, "formats": formats, "max_size_mb": int(size_text)})
        return rows

    def validate_unique(self):
        """The code's uniqueness is the service's to say (it edits the policy of an existing code)."""


def parse_value(fact_code: str, operator: str, text: str):
    """The typed value of a condition written as text, or the text itself when it cannot be read (the
    service then names what is wrong with it)."""
    fact = FACTS.get(fact_code)
    text = (text or "").strip()
    if fact is None:
        return text
    if fact.kind == NUMBER:
        try:
            return float(text)
        except ValueError:
            return text
    if fact.kind == FLAG:
        lowered = text.lower()
        return True if lowered in YES else False if lowered in NO else text
    by_label = {str(label): code for code, label in fact.choices}
    if fact.kind == CHOICE and operator == "in":
        return [by_label.get(part, part) for part in re.split(r"[,,、\s]+", text) if part]
    return by_label.get(text, text)


def value_as_text(fact_code: str, value) -> str:
    """The stored value as the editor shows it (the inverse of `parse_value`)."""
    fact = FACTS.get(fact_code)
    if fact is None:
        return str(value)
    if fact.kind == FLAG:
        return _("是") if value else _("否")
    if fact.kind == NUMBER and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def fact_choices():
    return [("", "—")] + [(code, str(fact.label)) for code, fact in FACTS.items()]


def operator_choices():
    names = {op for ops in OPERATORS.values() for op in ops}
    return [(op, f"{OPERATOR_LABELS[op]} ({op})") for op in OPERATOR_LABELS if op in names]


class ConditionForm(forms.Form):
    fact = forms.ChoiceField(label=gettext_lazy("条件项"), required=False)
    operator = forms.ChoiceField(label=gettext_lazy("比较"), required=False)
    value = forms.CharField(label=gettext_lazy("值"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fact"].choices = fact_choices()
        self.fields["operator"].choices = operator_choices()

    def clean(self):
        data = super().clean()
        if data.get("fact") and not (data.get("value") or "").strip():
            raise ValidationError({"value": _("请填写条件的值。")})
        return data

    def condition(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("fact"):
            return None  # an empty row: ignored
        return {
            "fact": data["fact"],
            "operator": data["operator"],
            "value": parse_value(data["fact"], data["operator"], data["value"]),
        }


ConditionFormSet = forms.formset_factory(
    ConditionForm, extra=3, max_num=MAX_ROWS, validate_max=True, absolute_max=MAX_ROWS
)


def initial_rows(policy: Policy | None) -> list[dict]:
    if policy is None:
        return []
    return [
        {"fact": row.fact, "operator": row.operator, "value": value_as_text(row.fact, row.value)}
        for row in policy.conditions.all()
    ]


class FindFilter(forms.Form):
    verdict = forms.ChoiceField(label=gettext_lazy("匹配结果"), required=False)
    q = forms.CharField(label=gettext_lazy("名称或信用代码"), required=False, max_length=100)
    chain = forms.ChoiceField(label=gettext_lazy("所属产业链"), required=False)
    size = forms.ChoiceField(label=gettext_lazy("企业规模"), required=False)
    told = forms.ChoiceField(label=gettext_lazy("是否已推送"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verdict"].choices = [
            (PolicyMatch.Verdict.ELIGIBLE, PolicyMatch.Verdict.ELIGIBLE.label),
            (PolicyMatch.Verdict.UNKNOWN, PolicyMatch.Verdict.UNKNOWN.label),
        ]
        everything = [("", _("全部"))]
        self.fields["chain"].choices = everything + list(Chain.choices)
        self.fields["size"].choices = everything + list(Size.choices)
        self.fields["told"].choices = everything + [("no", _("未推送")), ("yes", _("已推送"))]
