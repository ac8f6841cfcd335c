"""The enterprise file's pages (一企一档): the zone's enterprises for civil servants, and one page per enterprise
with its registration, what it keeps up to date itself (profile and yearly figures, editable there by its own
people), its qualifications (recorded there by administrators), its innovation platforms, and the sections the
capabilities contribute (its projects, applications, problems: `sections`). The zone's innovation platforms
have a page of their own. Reads go through `for_user` (outside the scope: 404); writes through `profile`."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.workdays import clock
from sciencecity.workflow.errors import (
    ACTION_REFUSALS,
    attach_errors,
    fetch_in_scope,
    post_only,
    refusal_message,
)
from sciencecity.workflow.paging import page_of

from . import profile
from .models import Chain, Enterprise, InnovationPlatform, Qualification, Size
from .sections import sections_for

app_name = "enterprises"
PAGE_SIZE = 50
DATE = forms.DateInput(attrs={"type": "date"})


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = list(profile.PROFILE_FIELDS)
        widgets = {"founded_on": DATE}


class YearForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    revenue = forms.DecimalField(label=gettext_lazy("营业收入(万元)"), max_digits=14, decimal_places=2)
    rd_spending = forms.DecimalField(label=gettext_lazy("研发投入(万元)"), max_digits=14, decimal_places=2)
    taxes = forms.DecimalField(
        label=gettext_lazy("纳税额(万元)"), max_digits=14, decimal_places=2, required=False
    )


class QualificationForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("资质"), choices=Qualification.Kind.choices)
    certificate_number = forms.CharField(label=gettext_lazy("证书编号"), max_length=60, required=False)
    valid_from = forms.DateField(label=gettext_lazy("认定日期"), widget=DATE)
    valid_until = forms.DateField(label=gettext_lazy("有效期至"), widget=DATE, required=False)


class PlatformForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("平台名称"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("平台类型"), choices=InnovationPlatform.Kind.choices)
    level = forms.ChoiceField(label=gettext_lazy("级别"), choices=InnovationPlatform.Level.choices)
    credit_code = forms.CharField(
        label=gettext_lazy("依托企业的统一社会信用代码"), max_length=18, required=False
    )
    institution = forms.CharField(label=gettext_lazy("依托单位"), max_length=200, required=False)
    recognized_on = forms.DateField(label=gettext_lazy("认定日期"), widget=DATE)
    valid_until = forms.DateField(label=gettext_lazy("有效期至"), widget=DATE, required=False)


class EnterpriseFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("名称或信用代码"), required=False, max_length=100)
    chain = forms.ChoiceField(label=gettext_lazy("所属产业链"), required=False)
    size = forms.ChoiceField(label=gettext_lazy("企业规模"), required=False)
    high_tech = forms.BooleanField(label=gettext_lazy("高新技术企业"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chain"].choices = [("", _("全部"))] + Chain.choices
        self.fields["size"].choices = [("", _("全部"))] + Size.choices


def _enterprise(request, pk) -> Enterprise:
    return fetch_in_scope(Enterprise.objects.for_user(request.user), pk)


@require_safe
@login_required
def enterprise_list(request):
    """The zone's enterprises, for civil servants; an enterprise's own people go to their file."""
    user = request.user
    if not is_civil_servant(user):
        if user.enterprise_id:
            return redirect("enterprises:file", user.enterprise_id)
        raise PermissionDenied(_("企业名录供机关工作人员使用。"))
    form = EnterpriseFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    enterprises = Enterprise.objects.for_user(user)
    if filters.get("q"):
        query = filters["q"].strip()
        enterprises = enterprises.filter(Q(name__startswith=query) | Q(credit_code=query.upper()))
    if filters.get("chain"):
        enterprises = enterprises.filter(chain=filters["chain"])
    if filters.get("size"):
        enterprises = enterprises.filter(size=filters["size"])
    if filters.get("high_tech"):
        enterprises = enterprises.filter(is_high_tech=True)
    page = page_of(request, enterprises.order_by("name", "id"), PAGE_SIZE)
    return render(request, "enterprises/list.html", {"form": form, "page": page})


@require_safe
@login_required
def my_file(request):
    """The signed-in enterprise's own file."""
    if not request.user.enterprise_id:
        return redirect("enterprises:list")
    return redirect("enterprises:file", request.user.enterprise_id)


def _file_context(request, enterprise, **forms_given) -> dict:
    user = request.user
    keeper = profile.may_keep(user, enterprise)
    today = clock.today()
    qualifications = list(enterprise.qualifications.order_by("kind", "-valid_from"))
    for row in qualifications:
        row.valid_now = row.valid_on(today)
    context = {
        "enterprise": enterprise,
        "years": list(enterprise.years.order_by("-year")[:6]),
        "qualifications": qualifications,
        "platforms": list(enterprise.platforms.order_by("level", "name")),
        "sections": sections_for(user, enterprise),
        "may_keep": keeper,
        "may_qualify": user.has_perm(profile.QUALIFY),
    }
    if keeper:
        context["profile_form"] = forms_given.get("profile_form") or ProfileForm(instance=enterprise)
        context["year_form"] = forms_given.get("year_form") or YearForm(initial={"year": today.year - 1})
    if context["may_qualify"]:
        context["qualification_form"] = forms_given.get("qualification_form") or QualificationForm()
    return context


@require_safe
@login_required
def enterprise_file(request, pk):
    enterprise = _enterprise(request, pk)
    return render(request, "enterprises/file.html", _file_context(request, enterprise))


def _act(request, enterprise, form, form_name: str, perform, done: str, anchor: str):
    """Validate `form`, run `perform(cleaned_data)`; back to the file with a message, or the page again with the
    form's errors (status 400) — nothing saved."""
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        except ACTION_REFUSALS as error:
            messages.error(request, refusal_message(error, request.user))
            return redirect(reverse("enterprises:file", args=[enterprise.pk]) + f"#{anchor}")
        else:
            messages.success(request, done)
            return redirect(reverse("enterprises:file", args=[enterprise.pk]) + f"#{anchor}")
    context = _file_context(request, enterprise, **{form_name: form})
    return render(request, "enterprises/file.html", context, status=400)


def _post_only(view):
    """An action of the file's forms (the shared `post_only`: a GET of its address shows the file)."""
    return post_only("enterprises:file", "pk")(login_required(view))


@_post_only
def edit_profile(request, pk):
    enterprise = _enterprise(request, pk)
    form = ProfileForm(request.POST, instance=Enterprise.objects.get(pk=enterprise.pk))

    def perform(data):
        profile.update_profile(request.user, enterprise, **data)

    return _act(request, enterprise, form, "profile_form", perform, _("企业档案已更新。"), "profile")


@_post_only
def set_year(request, pk):
    enterprise = _enterprise(request, pk)
    form = YearForm(request.POST)

    def perform(data):
        profile.set_year(
            request.user,
            enterprise,
            data["year"],
            revenue=data["revenue"],
            rd_spending=data["rd_spending"],
            taxes=data.get("taxes"),
        )

    return _act(request, enterprise, form, "year_form", perform, _("年度经营数据已保存。"), "years")


@_post_only
def add_qualification(request, pk):
    enterprise = _enterprise(request, pk)
    form = QualificationForm(request.POST)

    def perform(data):
        profile.add_qualification(
            request.user,
            enterprise,
            data["kind"],
            valid_from=data["valid_from"],
            valid_until=data.get("valid_until"),
            certificate_number=data.get("certificate_number", ""),
        )

    return _act(
        request, enterprise, form, "qualification_form", perform, _("企业资质已登记。"), "qualifications"
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def platforms(request):
    """The zone's innovation platforms by level; administrators register new ones here."""
    user = request.user
    may_register = user.has_perm(profile.PLATFORMS)
    form = PlatformForm(request.POST or None) if may_register else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("只有管理员可以登记创新平台。"))
        if form.is_valid():
            data = dict(form.cleaned_data)
            code = (data.pop("credit_code") or "").strip().upper()
            host = Enterprise.objects.filter(credit_code=code).first() if code else None
            if code and host is None:
                form.add_error("credit_code", _("没有统一社会信用代码为 %(code)s 的企业。") % {"code": code})
            else:
                try:
                    profile.register_platform(user, enterprise=host, **data)
                except ValidationError as error:
                    attach_errors(form, error)
                else:
                    messages.success(request, _("创新平台已登记。"))
                    return redirect("enterprises:platforms")
    level = request.GET.get("level", "")
    rows = InnovationPlatform.objects.for_user(user).select_related("enterprise")
    if level in InnovationPlatform.Level.values:
        rows = rows.filter(level=level)
    page = page_of(request, rows.order_by("level", "name", "id"), PAGE_SIZE)
    counts = {
        value: InnovationPlatform.objects.for_user(user).filter(level=value).count()
        for value in InnovationPlatform.Level.values
    }
    return render(
        request,
        "enterprises/platforms.html",
        {
            "page": page,
            "form": form,
            "level": level,
            "levels": [(value, label, counts[value]) for value, label in InnovationPlatform.Level.choices],
        },
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("", enterprise_list, name="list"),
    path("mine/", my_file, name="mine"),
    path("platforms/", platforms, name="platforms"),
    path("<int:pk>/", enterprise_file, name="file"),
    path("<int:pk>/profile/", edit_profile, name="profile"),
    path("<int:pk>/years/", set_year, name="years"),
    path("<int:pk>/qualifications/", add_qualification, name="qualifications"),
]
