"""The power list in the admin: powers edited one by one, withdrawn or restored, and the whole list imported
from or exported to the spreadsheet the zone receives it as.

Every save goes through `services.save_power`, a withdrawal through `withdraw_power`, an import through
`import_powers` (all or nothing, every wrong row named): all audited. Powers are never deleted here.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.workdays import clock
from sciencecity.workflow.errors import attach_errors
from sciencecity.workflow.transitions import IllegalTransition

from . import services, sheets
from .models import DevolvedPower


class PowerForm(forms.ModelForm):
    item_codes = forms.CharField(
        label=gettext_lazy("实施事项编码"),
        required=False,
        help_text=gettext_lazy("实施该权力的服务事项编码,多个用逗号或顿号分隔;编码在各目录版本中保持不变"),
        widget=forms.TextInput(attrs={"size": 80}),
    )

    class Meta:
        model = DevolvedPower
        fields = list(services.FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["item_codes"] = "、".join(self.instance.item_codes)

    def clean_item_codes(self):
        try:
            codes = sheets.item_codes(self.cleaned_data.get("item_codes") or "")
        except sheets.CellError as error:
            raise ValidationError(str(error)) from None
        unknown = services.unknown_item_codes(codes)
        if unknown:
            raise ValidationError(
                _("事项目录中没有编码为 %(codes)s 的事项。") % {"codes": "、".join(unknown)}
            )
        return codes


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("清单文件(.xlsx)"))
    check_only = forms.BooleanField(
        label=gettext_lazy("只检查,不导入"),
        required=False,
        help_text=gettext_lazy("检查全部行,不写入任何数据"),
    )


class WithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(
        label=gettext_lazy("收回日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=gettext_lazy("收回依据或原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(DevolvedPower)
class DevolvedPowerAdmin(admin.ModelAdmin):
    form = PowerForm
    change_list_template = "admin/catalog/devolvedpower/change_list.html"
    change_form_template = "admin/catalog/devolvedpower/change_form.html"
    list_display = ("position", "code", "name", "kind", "department", "status", "devolved_on")
    list_display_links = ("code", "name")
    list_filter = ("kind", "status", "department")
    search_fields = ("code", "name", "law", "item_links__item_code")
    list_select_related = ("department",)
    list_per_page = 100
    readonly_fields = ("status", "withdrawn_on", "status_note")
    fieldsets = (
        (None, {"fields": ("position", "code", "name", "name_en", "kind", "department", "item_codes")}),
        (gettext_lazy("法律依据"), {"fields": ("law", "article", "basis")}),
        (
            gettext_lazy("下放"),
            {"fields": ("original_authority", "decision_number", "decision_title", "devolved_on")},
        ),
        (gettext_lazy("状态"), {"fields": ("status", "withdrawn_on", "status_note", "note")}),
    )

    def has_delete_permission(self, request, obj=None):
        return False  # a power is withdrawn, never deleted: the list keeps its history

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in services.FIELDS if name in form.cleaned_data}
        saved = services.save_power(
            request.user,
            DevolvedPower.objects.get(pk=obj.pk) if change else None,
            item_codes=form.cleaned_data.get("item_codes") or [],
            **values,
        )
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        pass  # the item codes were written by the service

    # --- withdraw, restore, import, export ------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="catalog_devolvedpower_import"),
            path("export/", view(self.export_view), name="catalog_devolvedpower_export"),
            path("<int:pk>/withdraw/", view(self.withdraw_view), name="catalog_devolvedpower_withdraw"),
            path("<int:pk>/restore/", view(self.restore_view), name="catalog_devolvedpower_restore"),
            *super().get_urls(),
        ]

    @staticmethod
    def may_import(user) -> bool:
        return user.has_perms([services.ADD, services.CHANGE, services.WITHDRAW])

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.may_import(request.user)}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_withdraw": request.user.has_perm(services.WITHDRAW),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _context(self, request, title, **more):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **more}

    def import_view(self, request):
        """导入清单: every row checked; with an error nothing is written and every error is listed."""
        if not self.may_import(request.user):
            raise PermissionDenied
        outcome = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            outcome = services.import_powers(
                request.user, form.cleaned_data["file"], dry_run=form.cleaned_data["check_only"]
            )
            if outcome.ok and not outcome.dry_run:
                messages.success(request, imported_message(outcome))
                return redirect("admin:catalog_devolvedpower_changelist")
        context = self._context(request, _("导入下放权力清单"), form=form, outcome=outcome)
        status = 400 if outcome is not None and not outcome.ok else 200
        return TemplateResponse(request, "admin/catalog/devolvedpower/import.html", context, status=status)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return sheets.list_response(DevolvedPower.objects.order_by("position", "code"))

    def withdraw_view(self, request, pk):
        power = get_object_or_404(DevolvedPower, pk=pk)
        if not request.user.has_perm(services.WITHDRAW):
            raise PermissionDenied
        form = WithdrawForm(request.POST or None, initial={"withdrawn_on": clock.today()})
        change_url = reverse("admin:catalog_devolvedpower_change", args=[power.pk])
        if request.method == "POST" and form.is_valid():
            try:
                services.withdraw_power(
                    request.user,
                    power,
                    on=form.cleaned_data["withdrawn_on"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                attach_errors(form, _renamed(error))
            except IllegalTransition as error:
                messages.error(request, str(error))
                return redirect(change_url)
            else:
                messages.success(request, _("已收回“%(name)s”。") % {"name": power.name})
                return redirect(change_url)
        context = self._context(request, _("收回下放权力"), form=form, power=power, original=power)
        return TemplateResponse(request, "admin/catalog/devolvedpower/withdraw.html", context)

    def restore_view(self, request, pk):
        power = get_object_or_404(DevolvedPower, pk=pk)
        change_url = reverse("admin:catalog_devolvedpower_change", args=[power.pk])
        if request.method != "POST":
            return redirect(change_url)
        try:
            services.restore_power(request.user, power, reason=request.POST.get("reason", ""))
        except IllegalTransition as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("已恢复下放“%(name)s”。") % {"name": power.name})
        return redirect(change_url)


def _renamed(error: ValidationError) -> ValidationError:
    """The service's field names as the withdrawal form's."""
    if not hasattr(error, "error_dict"):
        return error
    names = {"status_note": "reason"}
    return ValidationError({names.get(name, name): errors for name, errors in error.error_dict.items()})


def imported_message(outcome: services.ImportOutcome) -> str:
    return (
        _(
            "已导入 %(rows)s 行:新增 %(created)s 项,修改 %(updated)s 项,未变 %(unchanged)s 项,"
            "收回 %(withdrawn)s 项,恢复 %(restored)s 项。"
        )
        % outcome.counts()
    )
