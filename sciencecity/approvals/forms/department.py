"""Forms of the department pages: the worklist filters and the reviewer's and head's actions on a task.

The forms only shape input; every rule about who may do what, and when, lives in `services.review`, whose
`ValidationError`s the views attach back to these forms' fields.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sciencecity.choices import ListedChoiceIterator

from ..models import ReviewTask
from ..services.deadlines import GREEN, RED, YELLOW
from ..services.review import MAX_EXTENSION_DAYS

T = ReviewTask.Status

LIGHT_CHOICES = [("", _("全部")), (GREEN, _("正常")), (YELLOW, _("临期")), (RED, _("超期"))]
WHO_CHOICES = [("all", _("全部")), ("mine", _("我承办的")), ("unclaimed", _("未认领"))]
OPEN_CHOICE = ""


class _TaskForm(forms.Form):
    """Several forms share the task page: each gets its own id prefix so every label points at its input."""

    id_prefix = "task"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class WorklistFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)
    light = forms.ChoiceField(label=_("时限"), choices=LIGHT_CHOICES, required=False)
    who = forms.ChoiceField(label=_("承办"), choices=WHO_CHOICES, required=False)
    bundle = forms.ModelChoiceField(label=_("一件事"), queryset=None, required=False, empty_label=_("全部"))
    bundle.iterator = ListedChoiceIterator
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        help_text=_("办件编号、企业名称或项目名称"),
    )

    def __init__(self, *args, bundles, **kwargs):
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(OPEN_CHOICE, _("办理中(全部未办结)")), *T.choices]
        self.fields["bundle"].queryset = bundles


class ClaimForm(_TaskForm):
    id_prefix = "claim"


class OpinionForm(_TaskForm):
    id_prefix = "opinion"
    text = forms.CharField(label=_("审查意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class InspectionForm(_TaskForm):
    id_prefix = "inspection"
    date = forms.DateField(label=_("勘查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    findings = forms.CharField(label=_("勘查情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    passed = forms.TypedChoiceField(
        label=_("勘查结论"),
        choices=[("yes", _("符合要求")), ("no", _("不符合要求"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class DecisionForm(_TaskForm):
    id_prefix = "decision"
    APPROVE, PLEDGE, REJECT = "approve", "approve_on_pledge", "reject"

    decision = forms.ChoiceField(label=_("审批决定"), widget=forms.RadioSelect)
    reasons = forms.CharField(
        label=_("意见或理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("不予许可时必须填写理由"),
    )

    def __init__(self, *args, pledge_allowed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(self.APPROVE, _("准予许可"))]
        if pledge_allowed:
            choices.append((self.PLEDGE, _("告知承诺准予许可")))
        choices.append((self.REJECT, _("不予许可")))
        self.fields["decision"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REJECT and not (data.get("reasons") or "").strip():
            self.add_error("reasons", _("请填写不予许可的理由。"))
        return data


class SupplementForm(_TaskForm):
    id_prefix = "supplement"
    text = forms.CharField(
        label=_("需要补充的材料或内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


def department_reviewers(department_id):
    """Active users of the department who hold the review permission (through a role or directly)."""
    granted = Q(
        groups__permissions__codename="review_task", groups__permissions__content_type__app_label="approvals"
    ) | Q(user_permissions__codename="review_task", user_permissions__content_type__app_label="approvals")
    return (
        get_user_model()
        .objects.filter(granted, department_id=department_id, is_active=True)
        .distinct()
        .order_by("username")
    )


class ReassignForm(_TaskForm):
    """The reviewers of the task's department to give it to: all but the current assignee, whom the
    service would refuse."""

    id_prefix = "reassign"
    assignee = forms.ModelChoiceField(label=_("改派给"), queryset=None)

    def __init__(self, *args, department_id, current_assignee_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        reviewers = department_reviewers(department_id)
        if current_assignee_id is not None:
            reviewers = reviewers.exclude(pk=current_assignee_id)
        self.fields["assignee"].queryset = reviewers


class ExtendForm(_TaskForm):
    id_prefix = "extend"
    days = forms.IntegerField(label=_("延长工作日"), min_value=1, max_value=MAX_EXTENSION_DAYS)
    reason = forms.CharField(label=_("延长理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
