"""The party-building pages' forms: they parse and offer choices; every rule is the services' (`services.*`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.models import Department, User
from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.i18n import in_language
from sciencecity.problems.geo import areas
from sciencecity.problems.models import ProblemCategory
from sciencecity.workdays import clock

from .models import (
    Activity,
    Alliance,
    AllianceMember,
    Attendance,
    Officer,
    Organization,
    PartyMember,
    TeamLink,
)
from .services.organizations import MEMBER_KINDS

DATE = forms.DateInput(attrs={"type": "date"})


def _account(username: str):
    """The active platform account named `username`, or a form error."""
    username = (username or "").strip()
    if not username:
        return None
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        raise forms.ValidationError(_("没有这个平台账号。"))
    return person


class FoundForm(forms.Form):
    name = forms.CharField(label=_("组织名称"), max_length=120)
    kind = forms.ChoiceField(label=_("组织类别"), choices=Organization.Kind.choices)
    sector = forms.ChoiceField(label=_("所在单位类型"), choices=Organization.Sector.choices)
    department = forms.ModelChoiceField(
        label=_("所在机关部门"), queryset=Department.objects.order_by("name"), required=False
    )
    credit_code = forms.CharField(
        label=_("所在企业统一社会信用代码"),
        max_length=18,
        required=False,
        help_text=_("企业、施工单位的党组织填写"),
    )
    established_on = forms.DateField(label=_("成立日期"), widget=DATE, required=False)

    def clean_credit_code(self):
        from sciencecity.enterprises.models import Enterprise

        code = self.cleaned_data["credit_code"].strip().upper()
        if not code:
            return None
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("没有这个统一社会信用代码的企业。"))
        return enterprise


class RootForm(forms.Form):
    name = forms.CharField(label=_("组织名称"), max_length=120, initial="中共重庆高新区(西部科学城)党工委")
    sector = forms.ChoiceField(label=_("所在单位类型"), choices=Organization.Sector.choices)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("新名称"), max_length=120)


# Choices whose labels are data people entered (organizations', alliances' and members' names): marked so, like
# every such text on the pages, since they read the same in either language.
USER_DATA = {"data-user-text": ""}


def _organizations_choice(label, queryset):
    return forms.ModelChoiceField(label=label, queryset=queryset, widget=forms.Select(attrs=USER_DATA))


class MoveForm(forms.Form):
    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = _organizations_choice(_("新的上级组织"), parents)
        self.fields["note"] = forms.CharField(label=_("说明"), max_length=500, required=False)


class MergeForm(forms.Form):
    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"] = _organizations_choice(_("并入组织"), targets)
        self.fields["note"] = forms.CharField(label=_("说明"), max_length=500, required=False)


class AppointForm(forms.Form):
    username = forms.CharField(label=_("平台账号(用户名)"), max_length=150)
    title = forms.ChoiceField(label=_("职务"), choices=Officer.Title.choices)

    def clean_username(self):
        return _account(self.cleaned_data["username"])


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18)
    status = forms.ChoiceField(label=_("党员类别"), choices=PartyMember.Status.choices)
    joined_on = forms.DateField(label=_("入党日期"), widget=DATE)
    full_on = forms.DateField(label=_("转正日期"), widget=DATE, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    duties = forms.CharField(label=_("党内职务"), max_length=100, required=False)
    workplace = forms.CharField(label=_("工作单位及职务"), max_length=200, required=False)
    username = forms.CharField(
        label=_("平台账号(用户名)"),
        max_length=150,
        required=False,
        help_text=_("党员也是平台用户的,填写后其在平台上的工作计入本人和所在组织"),
    )

    def clean_username(self):
        return _account(self.cleaned_data["username"])


class TransferForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"] = forms.ModelChoiceField(
            label=_("转入本区党组织"),
            queryset=Organization.objects.active().filter(kind__in=MEMBER_KINDS),
            required=False,
            widget=forms.Select(attrs=USER_DATA),
        )
        self.fields["outside"] = forms.CharField(
            label=_("或转往区外(接收党组织)"), max_length=200, required=False
        )
        self.fields["on"] = forms.DateField(label=_("转接日期"), widget=DATE, required=False)
        self.fields["reason"] = forms.CharField(label=_("原因"), max_length=300, required=False)


class TeamForm(forms.Form):
    name = forms.CharField(label=_("先锋队名称"), max_length=120)
    mission = forms.CharField(label=_("使命任务"), widget=forms.Textarea(attrs={"rows": 3}))
    formed_on = forms.DateField(label=_("组建日期"), widget=DATE, required=False)

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"] = _organizations_choice(_("牵头党组织"), organizations)
        self.order_fields(["organization", "name", "mission", "formed_on"])


class LinkForm(forms.Form):
    """One link of a team: the kind, then the one target field of that kind."""

    kind = forms.ChoiceField(label=_("联系对象类别"), choices=TeamLink.Kind.choices)
    project = forms.CharField(label=_("项目代码"), max_length=24, required=False)
    enterprise = forms.CharField(label=_("企业统一社会信用代码"), max_length=18, required=False)
    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=ProblemCategory.objects.filter(is_active=True), required=False
    )
    area = forms.ChoiceField(label=_("区域"), required=False)
    bundle = forms.ModelChoiceField(label=_("一件事"), queryset=Bundle.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "—")] + [
            (area.code, in_language(area.name, area.name_en)) for area in areas()
        ]
        version = CatalogVersion.objects.effective_on(clock.today())
        self.fields["bundle"].queryset = Bundle.objects.filter(version=version).order_by("name")

    def target(self):
        """The object (or area code) the chosen kind names, or a form error on that field."""
        from sciencecity.enterprises.models import Enterprise
        from sciencecity.projects.models import Project

        data = self.cleaned_data
        kind = data["kind"]
        if kind == TeamLink.Kind.PROJECT:
            found = Project.objects.filter(code=data["project"].strip()).first()
        elif kind == TeamLink.Kind.ENTERPRISE:
            found = Enterprise.objects.filter(credit_code=data["enterprise"].strip().upper()).first()
        else:
            found = data.get(kind) or None
        if found is None:
            self.add_error(kind if kind in self.fields else None, _("请选择或填写联系对象。"))
        return found


class EnlistForm(forms.Form):
    name = forms.CharField(label=_("党员姓名"), max_length=50)
    id_tail = forms.CharField(
        label=_("身份证号码后四位"), max_length=4, required=False, help_text=_("同名党员较多时填写以区分")
    )
    role = forms.ChoiceField(label=_("队内职责"), choices=[("member", _("队员")), ("captain", _("队长"))])


class AllianceForm(forms.Form):
    name = forms.CharField(label=_("联盟名称"), max_length=120)
    project = forms.CharField(label=_("项目代码"), max_length=24)
    charter = forms.CharField(label=_("共建内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    formed_on = forms.DateField(label=_("成立日期"), widget=DATE, required=False)

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"] = _organizations_choice(_("牵头党组织"), organizations)
        self.order_fields(["lead", "name", "project", "charter", "formed_on"])

    def clean_project(self):
        from sciencecity.projects.models import Project

        project = Project.objects.filter(code=self.cleaned_data["project"].strip()).first()
        if project is None:
            raise forms.ValidationError(_("没有这个项目代码。"))
        return project


class JoinForm(forms.Form):
    side = forms.ChoiceField(label=_("所属方"), choices=AllianceMember.Side.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"] = forms.ModelChoiceField(
            label=_("党组织"),
            queryset=Organization.objects.active().exclude(kind=Organization.Kind.GROUP),
            widget=forms.Select(attrs=USER_DATA),
        )
        self.order_fields(["organization", "side"])


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("活动类别"), choices=Activity.Kind.choices)
    title = forms.CharField(label=_("活动主题"), max_length=200)
    held_on = forms.DateField(label=_("活动日期"), widget=DATE)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    online = forms.BooleanField(label=_("线上开展"), required=False)
    hours = forms.DecimalField(
        label=_("时长(小时)"), max_digits=4, decimal_places=1, min_value=0.5, max_value=24
    )
    notes = forms.CharField(label=_("活动记录"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, organization=None, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alliance"] = forms.ModelChoiceField(
            label=_("联建联盟(联建活动填写)"),
            queryset=Alliance.objects.filter(
                memberships__organization=organization, dissolved_on__isnull=True
            ),
            required=False,
        )
        choices = [(member.pk, f"{member.name}({member.organization.name})") for member in members]
        self.fields["present"] = forms.MultipleChoiceField(
            label=_("出席"),
            choices=choices,
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs=USER_DATA),
        )
        self.fields["excused"] = forms.MultipleChoiceField(
            label=_("请假"),
            choices=choices,
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs=USER_DATA),
        )
        self.member_choices = choices

    def attendance(self) -> dict[int, str]:
        """Every listed member: present, excused, or else absent."""
        present = {int(pk) for pk in self.cleaned_data["present"]}
        excused = {int(pk) for pk in self.cleaned_data["excused"]} - present
        return {
            int(pk): Attendance.Status.PRESENT
            if int(pk) in present
            else Attendance.Status.EXCUSED
            if int(pk) in excused
            else Attendance.Status.ABSENT
            for pk, _label in self.member_choices
        }
