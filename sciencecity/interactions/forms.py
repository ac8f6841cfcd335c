"""The register's forms: they parse and offer choices; every rule is the services' (`services`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.models import Department
from sciencecity.enterprises.models import Enterprise

from .models import Finding, Interaction, ListItem

DATE = forms.DateInput(attrs={"type": "date"})


def find_enterprise(text: str) -> Enterprise:
    """The enterprise named exactly by its unified social credit code or its full name."""
    text = (text or "").strip()
    if not text:
        raise forms.ValidationError(_("请填写企业名称或统一社会信用代码。"))
    found = list(Enterprise.objects.filter(credit_code=text.upper())[:1]) or list(
        Enterprise.objects.filter(name=text)[:2]
    )
    if not found:
        raise forms.ValidationError(_("没有找到这家企业,请填写企业全称或 18 位统一社会信用代码。"))
    if len(found) > 1:
        raise forms.ValidationError(_("有多家企业同名,请填写统一社会信用代码。"))
    return found[0]


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, item):
        return item.display_text


class ListItemsForm(forms.Form):
    """What every entry of the register says of the lists: the positive and negative list items the meeting
    concerned (one at least, as `items`) and the officials present (a meeting recorded alone, or a service
    event's meetings entered together)."""

    encouraged = ItemChoiceField(
        label=_("对应的正面清单条目"),
        queryset=ListItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    forbidden = ItemChoiceField(
        label=_("涉及的负面清单条目(如有,须如实勾选)"),
        queryset=ListItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    officials_present = forms.CharField(label=_("参加的公职人员"), max_length=500, help_text=_("姓名和职务"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = ListItem.objects.filter(is_active=True).order_by("order", "code")
        self.fields["encouraged"].queryset = active.filter(kind=ListItem.Kind.ENCOURAGED)
        self.fields["forbidden"].queryset = active.filter(kind=ListItem.Kind.FORBIDDEN)

    def clean(self):
        data = super().clean()
        data["items"] = [*data.get("encouraged", []), *data.get("forbidden", [])]
        if not data["items"] and not self.errors:
            raise forms.ValidationError(_("请至少勾选一个清单条目。"))
        return data


class InteractionForm(ListItemsForm):
    enterprise = forms.CharField(
        label=_("企业"),
        max_length=200,
        help_text=_("输入企业名称的一部分或信用代码,从提示中选择"),
        widget=forms.TextInput(attrs={"list": "enterprise-options", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("交往方式"), choices=Interaction.Kind.choices)
    occurred_on = forms.DateField(label=_("交往日期"), widget=DATE)
    place = forms.CharField(label=_("地点"), max_length=200)
    purpose = forms.CharField(label=_("事由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    enterprise_attendees = forms.CharField(label=_("企业参加人员"), max_length=500, required=False)
    outcome = forms.CharField(
        label=_("结果"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    field_order = [
        "enterprise",
        "kind",
        "occurred_on",
        "place",
        "purpose",
        "encouraged",
        "forbidden",
        "officials_present",
        "enterprise_attendees",
        "outcome",
    ]

    def clean_enterprise(self):
        return find_enterprise(self.cleaned_data["enterprise"])


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"), required=False, max_length=100, help_text=_("登记编号、企业、事由、人员或地点")
    )
    flagged = forms.BooleanField(label=_("仅看需关注的(逾期或涉及负面清单)"), required=False)
    unreviewed = forms.BooleanField(label=_("仅看尚无监督意见的"), required=False)
    mine = forms.BooleanField(label=_("仅看我登记的"), required=False)
    response = forms.ChoiceField(label=_("企业确认"), required=False)
    department = forms.ModelChoiceField(
        label=_("部门"), queryset=Department.objects.order_by("code"), required=False
    )
    since = forms.DateField(label=_("交往日期自"), required=False, widget=DATE)
    until = forms.DateField(label=_("至"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["response"].choices = [("", _("全部")), *Interaction.Response.choices]
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"filter_{name}"


class ResponseForm(forms.Form):
    note = forms.CharField(
        label=_("企业意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("提出异议时须说明实际情况"),
    )


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("意见类别"), choices=Finding.Kind.choices)
    text = forms.CharField(label=_("监督意见"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
