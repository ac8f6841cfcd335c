"""The forms of the project file's pages. They only shape input; every rule lives in `services` (whose
refusals come back onto the form through `workflow.errors.attach_errors`)."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.scoping import STAFF_ROLES
from sciencecity.problems.models import ProblemCategory
from sciencecity.workdays import clock

from .models import Campaign, EscortMember, Inspection, Level, Project, RoundScore, ServiceLog, YearCategory
from .services.findings import MAX_PROBLEMS

DATE = forms.DateInput(attrs={"type": "date"})
RAISED_ROWS = 3  # problem rows the report form offers (the API takes up to MAX_PROBLEMS)


class MonthField(forms.CharField):
    """A month as <input type="month"> (YYYY-MM); cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return datetime.date(int(value[:4]), int(value[5:7]), 1)
        except (ValueError, IndexError):
            raise forms.ValidationError(_("请选择月份。")) from None


class RaisedProblemsMixin:
    """Rows for the problems met (category, title, description), each of which becomes a closed-loop problem."""

    def add_problem_rows(self):
        categories = [("", "—")] + [(c.code, c.display_name) for c in ProblemCategory.objects.reportable()]
        for n in range(1, RAISED_ROWS + 1):
            self.fields[f"problem_{n}_category"] = forms.ChoiceField(
                label=_("问题 %(n)s 类别") % {"n": n}, choices=categories, required=False
            )
            self.fields[f"problem_{n}_title"] = forms.CharField(
                label=_("问题 %(n)s 标题") % {"n": n}, max_length=120, required=False
            )
            self.fields[f"problem_{n}_description"] = forms.CharField(
                label=_("问题 %(n)s 描述") % {"n": n},
                max_length=2000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def problem_rows(self):
        """The (category, title, description) bound fields of each problem row, for the template."""
        return [
            (self[f"problem_{n}_category"], self[f"problem_{n}_title"], self[f"problem_{n}_description"])
            for n in range(1, RAISED_ROWS + 1)
        ]

    def raised(self) -> list[tuple[int, str, str, str]]:
        """The rows the person filled: (row number, category code, title, description)."""
        rows = []
        for n in range(1, RAISED_ROWS + 1):
            code = self.cleaned_data.get(f"problem_{n}_category") or ""
            title = (self.cleaned_data.get(f"problem_{n}_title") or "").strip()
            description = (self.cleaned_data.get(f"problem_{n}_description") or "").strip()
            if code or title or description:
                rows.append((n, code, title, description))
        return rows[:MAX_PROBLEMS]


class ReportForm(RaisedProblemsMixin, forms.Form):
    month = MonthField(label=_("月份"))
    investment = forms.DecimalField(
        label=_("本月完成投资(万元)"), max_digits=14, decimal_places=2, min_value=0
    )
    progress_percent = forms.IntegerField(label=_("形象进度(%)"), min_value=0, max_value=100)
    progress_text = forms.CharField(
        label=_("形象进度说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    workforce = forms.IntegerField(label=_("在场施工人数"), min_value=0, max_value=100_000, initial=0)

    def __init__(self, *args, last=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("month", f"{clock.today():%Y-%m}")
        progress = self.fields["progress_percent"]
        progress.help_text = _("累计形象进度,不低于上月。")
        if last is not None:
            progress.help_text = _("累计形象进度:%(month)s 为 %(percent)s%%,本月不能低于此值。") % {
                "month": f"{last.month:%Y-%m}",
                "percent": last.progress_percent,
            }
        self.fields["month"].help_text = _("同一月份再次报送会更正该月月报(报送截止日前)。")
        self.add_problem_rows()


class InspectionForm(RaisedProblemsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("检查类型"), choices=Inspection.Kind.choices)
    inspected_on = forms.DateField(label=_("检查日期"), widget=DATE)
    score = forms.IntegerField(label=_("得分"), min_value=0, max_value=100)
    summary = forms.CharField(label=_("检查情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("inspected_on", clock.today())
        self.add_problem_rows()


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("服务类型"), choices=ServiceLog.Kind.choices)
    served_on = forms.DateField(label=_("服务日期"), widget=DATE)
    note = forms.CharField(label=_("服务内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    problem = forms.TypedChoiceField(label=_("协调的问题"), coerce=int, required=False, empty_value=None)
    score = forms.TypedChoiceField(
        label=_("评分"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—")] + [(n, str(n)) for n in range(5, 0, -1)],
    )

    def __init__(self, *args, kinds=None, problems=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("served_on", clock.today())
        if kinds is not None:
            self.fields["kind"].choices = [(k, v) for k, v in ServiceLog.Kind.choices if k in kinds]
        self.fields["problem"].choices = [("", "—")] + [(p.pk, f"{p.number} {p.title}") for p in problems]


class ConsentForm(forms.Form):
    scope = forms.CharField(label=_("授权范围"), max_length=300, initial=_("项目审批事项的申请材料准备"))
    valid_until = forms.DateField(label=_("有效期至"), required=False, widget=DATE)


class MemberForm(forms.Form):
    user = forms.TypedChoiceField(label=_("人员"), coerce=int)
    role = forms.ChoiceField(label=_("团队角色"), choices=EscortMember.Role.choices)
    duty = forms.CharField(label=_("职责"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = (
            get_user_model()
            .objects.filter(is_active=True, groups__name__in=STAFF_ROLES)
            .select_related("department")
            .distinct()
            .order_by("department__name", "display_name", "pk")
        )
        self.fields["user"].choices = [
            (u.pk, f"{u}({u.department})" if u.department_id else str(u)) for u in people
        ]


class MilestoneForm(forms.Form):
    kind = forms.ChoiceField(label=_("里程碑"))
    stage = forms.TypedChoiceField(label=_("分期"), coerce=int, required=False, empty_value=None)
    planned_on = forms.DateField(label=_("计划日期"), required=False, widget=DATE)
    actual_on = forms.DateField(label=_("实际日期"), required=False, widget=DATE)

    def __init__(self, *args, kinds=(), stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.display_name) for k in kinds]
        self.fields["stage"].choices = [("", _("整个项目"))] + [(s.pk, s.name) for s in stages]


class StageForm(forms.Form):
    name = forms.CharField(label=_("分期名称"), max_length=100)


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("年度"))
    category = forms.ChoiceField(label=_("年度类别"), choices=YearCategory.choices)
    planned = forms.DecimalField(label=_("年度计划投资(万元)"), max_digits=14, decimal_places=2)
    goal = forms.CharField(label=_("年度形象进度目标"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("year", clock.today().year)


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label=_("新阶段"), choices=Project.Phase.choices)
    on = forms.DateField(label=_("变更日期"), required=False, widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("监督记录"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class KeyProjectFilter(forms.Form):
    level = forms.ChoiceField(
        label=_("预警"), choices=[("", _("全部"))] + list(Level.choices), required=False
    )
    task_force = forms.ChoiceField(label=_("工作专班"), required=False)
    mine = forms.BooleanField(label=_("只看我护航的项目"), required=False)
    q = forms.CharField(label=_("项目名称或代码"), max_length=100, required=False)

    def __init__(self, *args, task_forces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task_force"].choices = [("", _("全部"))] + [(t, t) for t in task_forces]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("活动名称"), max_length=100)
    description = forms.CharField(
        label=_("活动说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    round_length = forms.ChoiceField(label=_("轮次"), choices=Campaign.RoundLength.choices)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    task_force = forms.ChoiceField(label=_("工作专班"), required=False)
    pioneer_places = forms.IntegerField(label=_("红旗名额"), min_value=1, max_value=100, initial=3)
    bottom_places = forms.IntegerField(label=_("约谈名额"), min_value=0, max_value=100, initial=3)

    def __init__(self, *args, task_forces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task_force"].choices = [("", _("全部重点项目"))] + [(name, name) for name in task_forces]


class ScoringRulesForm(forms.Form):
    """The weight and the score without data of each measure, one pair of fields per measure."""

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.measures = []
        for rule in rules:
            label = rule.get_measure_display()
            self.fields[f"{rule.measure}-weight"] = forms.DecimalField(
                label=_("%(measure)s 权重") % {"measure": label},
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=rule.weight,
            )
            self.fields[f"{rule.measure}-missing"] = forms.DecimalField(
                label=_("%(measure)s 缺数据时得分") % {"measure": label},
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=rule.missing_score,
            )
            self.measures.append((rule, self[f"{rule.measure}-weight"], self[f"{rule.measure}-missing"]))

    def rules(self) -> dict:
        data = self.cleaned_data
        return {
            rule.measure: {
                "weight": data[f"{rule.measure}-weight"],
                "missing_score": data[f"{rule.measure}-missing"],
            }
            for rule, _weight, _missing in self.measures
        }


class RankingFilter(forms.Form):
    distinction = forms.ChoiceField(
        label=_("评比结果"), required=False, choices=[("", _("全部"))] + RoundScore.Distinction.choices
    )
