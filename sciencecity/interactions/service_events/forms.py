"""The service events' forms: they parse and offer choices; every rule is the services' (`services`)."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.models import Department
from sciencecity.accounts.scoping import STAFF_ROLES
from sciencecity.choices import ListedChoiceIterator
from sciencecity.problems.models import ProblemCategory

from ..forms import DATE, ListItemsForm, find_enterprise
from ..models import EventParticipant, ServiceEvent
from .selectors import WHEN

TYPED = {"rows": 5, "data-user-text": ""}  # what people typed, shown as typed in either language
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class ListedModelChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator


def find_person(text: str):
    """The active civil servant named exactly by user name or by name (a name two people share must be given
    as the user name)."""
    text = (text or "").strip()
    if not text:
        raise forms.ValidationError(_("请填写工作人员的姓名或用户名。"))
    staff = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=STAFF_ROLES) | Q(is_superuser=True))
        .distinct()
    )
    found = list(staff.filter(username=text)[:1]) or list(staff.filter(display_name=text)[:2])
    if not found:
        raise forms.ValidationError(_("没有找到这位工作人员,请填写其姓名或用户名。"))
    if len(found) > 1:
        raise forms.ValidationError(_("有多位工作人员同名,请填写用户名。"))
    return found[0]


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("活动类型"), choices=ServiceEvent.Kind.choices)
    title = forms.CharField(label=_("活动名称"), max_length=120)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=DATETIME, input_formats=DATETIME_FORMATS, required=False
    )
    place = forms.CharField(label=_("地点"), max_length=200)
    department = ListedModelChoiceField(
        label=_("组织部门"),
        queryset=Department.objects.filter(is_active=True).order_by("code"),
        required=False,
        help_text=_("不选则为您所在的部门"),
    )
    description = forms.CharField(
        label=_("活动内容"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100, help_text=_("活动编号、名称或地点"))
    kind = forms.ChoiceField(label=_("活动类型"), required=False)
    when = forms.ChoiceField(label=_("时间"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)
    department = ListedModelChoiceField(
        label=_("组织部门"),
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label=_("全部部门"),
    )
    since = forms.DateField(label=_("开始日期自"), required=False, widget=DATE)
    until = forms.DateField(label=_("至"), required=False, widget=DATE)
    mine = forms.BooleanField(label=_("仅看我登记或陪跑的"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["kind"].choices = everything + list(ServiceEvent.Kind.choices)
        self.fields["status"].choices = everything + list(ServiceEvent.Status.choices)
        labels = {"upcoming": _("即将举办"), "past": _("已过开始时间")}
        self.fields["when"].choices = everything + [(value, labels[value]) for value in WHEN]
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"filter_{name}"


class EnterpriseParticipantForm(forms.Form):
    enterprise = forms.CharField(
        label=_("企业"),
        max_length=200,
        help_text=_("输入企业名称的一部分或信用代码,从提示中选择"),
        widget=forms.TextInput(attrs={"list": "enterprise-options", "autocomplete": "off"}),
    )
    representatives = forms.CharField(
        label=_("企业参加人员"), max_length=300, help_text=_("姓名和职务,如:王晓明(总经理)")
    )

    def clean_enterprise(self):
        return find_enterprise(self.cleaned_data["enterprise"])


class ExpertParticipantForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60)
    institution = forms.CharField(label=_("单位"), max_length=120, help_text=_("高校、科研院所或实验室"))
    title = forms.CharField(label=_("职务或职称"), max_length=60, required=False)


class EscortParticipantForm(forms.Form):
    person = forms.CharField(
        label=_("工作人员"),
        max_length=150,
        help_text=_("输入姓名或用户名,从提示中选择"),
        widget=forms.TextInput(attrs={"list": "person-options", "autocomplete": "off"}),
    )
    title = forms.CharField(label=_("职务或职称"), max_length=60, required=False)

    def clean_person(self):
        return find_person(self.cleaned_data["person"])


PARTICIPANT_FORMS = {
    EventParticipant.Role.ENTERPRISE: EnterpriseParticipantForm,
    EventParticipant.Role.EXPERT: ExpertParticipantForm,
    EventParticipant.Role.ESCORT: EscortParticipantForm,
}


class DemandForm(forms.Form):
    enterprise = forms.TypedChoiceField(
        label=_("提出诉求的企业"), coerce=int, widget=forms.Select(attrs={"data-user-text": ""})
    )
    category = ListedModelChoiceField(label=_("诉求类别"), queryset=ProblemCategory.objects.none())
    title = forms.CharField(label=_("诉求"), max_length=120, help_text=_("一句话说明企业需要什么"))
    description = forms.CharField(
        label=_("具体情况"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, enterprises=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(enterprise.pk, enterprise.name) for enterprise in enterprises]
        # More than one: no enterprise is chosen for the person in a hurry (a demand under the wrong name).
        self.fields["enterprise"].choices = choices if len(choices) == 1 else [("", "---------"), *choices]
        self.fields["category"].queryset = ProblemCategory.objects.reportable().order_by("order", "code")


class OutcomeForm(forms.Form):
    summary = forms.CharField(label=_("活动成果"), max_length=4000, widget=forms.Textarea(attrs=TYPED))
    agreements = forms.CharField(
        label=_("达成的意向和后续事项"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs=TYPED),
        help_text=_("每行一项,如:与重庆大学签订联合实验室合作意向"),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RegisterForm(ListItemsForm):
    """Enter the event's meetings with the enterprises into the interaction register."""

    enterprises = forms.TypedMultipleChoiceField(
        label=_("登记的企业"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["enterprises", "encouraged", "forbidden", "officials_present"]

    def __init__(self, *args, waiting=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprises"].choices = [(row.enterprise_id, row.enterprise.name) for row in waiting]
        self.fields["enterprises"].initial = [row.enterprise_id for row in waiting]
