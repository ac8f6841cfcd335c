"""The catalog in the admin: versions with publish/copy/check/export actions, and drafts edited row by row.

Rows of a published version are read-only here (and refuse changes in the models too); to change a published
catalog, copy it into a new draft, edit, check and publish that. Every save and delete goes through
`services.save_catalog_row` / `services.delete_catalog_object`, so it is audited like any other write.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
    Bundle,
    BundleItem,
    CatalogVersion,
    FormField,
    FormRule,
    ItemDependency,
    ItemMaterial,
    ItemStep,
    MaterialSpec,
    ReplacedItem,
    ServiceItem,
    SituationQuestion,
    SituationRule,
)
from .services import copy_version_to_draft, delete_catalog_object, publish_version, save_catalog_row
from .validators import CatalogImportError
from .yaml_io import export_catalog, validate_version


def _is_published(version) -> bool:
    return version is not None and version.status == CatalogVersion.Status.PUBLISHED


class AuditedAdminMixin:
    """Route the admin's writes through the catalog services (audited, guarded)."""

    def save_model(self, request, obj, form, change):
        save_catalog_row(obj, user=request.user, change=change)

    def delete_model(self, request, obj):
        delete_catalog_object(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            delete_catalog_object(obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            delete_catalog_object(obj, user=request.user)
        for obj in instances:
            save_catalog_row(obj, user=request.user, change=obj.pk is not None)
        formset.save_m2m()


class DraftOnlyMixin:
    """A catalog row may change only while its version is a draft."""

    def row_version(self, obj):
        return obj.catalog_version() if obj is not None else None

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _is_published(self.row_version(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _is_published(self.row_version(obj))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = CatalogVersion.objects.filter(status=CatalogVersion.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DraftInline(admin.TabularInline):
    """An inline editable exactly when its parent is: the parent's permission, and a draft version."""

    extra = 0
    parent_model_name = ""

    def _parent_perm(self, request, action):
        return request.user.has_perm(f"catalog.{action}_{self.parent_model_name}")

    def has_view_permission(self, request, obj=None):
        return self._parent_perm(request, "view") or self._parent_perm(request, "change")

    def has_add_permission(self, request, obj=None):
        return self._parent_perm(request, "change") and not _is_published(_version(obj))

    def has_change_permission(self, request, obj=None):
        return self._parent_perm(request, "change") and not _is_published(_version(obj))

    def has_delete_permission(self, request, obj=None):
        return self._parent_perm(request, "change") and not _is_published(_version(obj))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        version = _version(obj)
        if version is not None:
            # Offer only the rows of the same version (a draft's rule cannot select another version's item).
            for field in formset.form.base_fields.values():
                model = getattr(getattr(field, "queryset", None), "model", None)
                if model in (ServiceItem, MaterialSpec):
                    field.queryset = model.objects.filter(version=version)
        return formset


def _version(obj):
    if obj is None:
        return None
    return obj if isinstance(obj, CatalogVersion) else obj.catalog_version()


# -- versions ---------------------------------------------------------------------------------------------


@admin.register(CatalogVersion)
class CatalogVersionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("number", "label", "status", "valid_from", "valid_to", "published_at", "published_by")
    list_display_links = ("number", "label")
    list_filter = ("status",)
    search_fields = ("label", "note")
    readonly_fields = ("number", "status", "created_at", "created_by", "published_at", "published_by")
    fields = (
        "number",
        "label",
        "status",
        "valid_from",
        "valid_to",
        "note",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    )
    actions = ["publish_selected", "copy_selected", "check_selected", "export_selected"]

    def has_add_permission(self, request):
        # Versions come from a YAML import (`manage.py catalog import`) or from copying an existing version.
        return False

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _is_published(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _is_published(obj)

    @admin.action(description=gettext_lazy("发布所选版本"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        for version in queryset.order_by("number"):
            try:
                publish_version(version, user=request.user)
            except CatalogImportError as error:
                self.message_user(
                    request,
                    _("目录版本 v%(number)s 未发布,有 %(count)s 处错误:")
                    % {"number": version.number, "count": len(error.errors)},
                    messages.ERROR,
                )
                for message in error.errors:
                    self.message_user(request, message, messages.ERROR)
            except (ValidationError, PermissionDenied) as error:
                for message in getattr(error, "messages", [str(error)]):
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("目录版本 v%(number)s 已发布,自 %(valid_from)s 起生效。")
                    % {"number": version.number, "valid_from": version.valid_from},
                    messages.SUCCESS,
                )

    def has_publish_permission(self, request):
        return request.user.has_perm("catalog.publish_catalogversion")

    @admin.action(description=gettext_lazy("复制为新草稿"), permissions=["add_draft"])
    def copy_selected(self, request, queryset):
        for version in queryset.order_by("number"):
            try:
                copy = copy_version_to_draft(version, user=request.user)
            except CatalogImportError as error:
                self.message_user(
                    request,
                    _("目录版本 v%(number)s 有错误,未能复制:") % {"number": version.number},
                    messages.ERROR,
                )
                for message in error.errors:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("已将目录版本 v%(source)s 复制为草稿 v%(number)s。")
                    % {"source": version.number, "number": copy.number},
                    messages.SUCCESS,
                )

    def has_add_draft_permission(self, request):
        return request.user.has_perm("catalog.add_catalogversion")

    @admin.action(description=gettext_lazy("检查所选版本"))
    def check_selected(self, request, queryset):
        for version in queryset.order_by("number"):
            try:
                validate_version(version)
            except CatalogImportError as error:
                self.message_user(
                    request,
                    _("目录版本 v%(number)s 有 %(count)s 处错误:")
                    % {"number": version.number, "count": len(error.errors)},
                    messages.ERROR,
                )
                for message in error.errors:
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("目录版本 v%(number)s 检查通过。") % {"number": version.number},
                    messages.SUCCESS,
                )

    @admin.action(description=gettext_lazy("导出为 YAML 文件"))
    def export_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个版本导出。"), messages.WARNING)
            return None
        version = queryset.get()
        response = HttpResponse(export_catalog(version), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="catalog-v{version.number}.yaml"'
        return response


# -- materials and items ----------------------------------------------------------------------------------


@admin.register(MaterialSpec)
class MaterialSpecAdmin(AuditedAdminMixin, DraftOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "name", "source", "source_field", "certificate_code", "max_size_mb", "version")
    list_filter = ("version", "source")
    search_fields = ("code", "name", "name_en")
    list_select_related = ("version",)


class ItemStepInline(DraftInline):
    model = ItemStep
    parent_model_name = "serviceitem"
    fields = ("position", "name", "name_en", "limit_days")


class ItemMaterialInline(DraftInline):
    model = ItemMaterial
    parent_model_name = "serviceitem"
    fields = ("material", "required", "gap_tolerated", "pledge_allowed")


class ReplacedItemInline(DraftInline):
    """三评合一: the separate items that this item's single review replaces."""

    model = ReplacedItem
    fk_name = "item"
    parent_model_name = "serviceitem"
    fields = ("position", "replaced")


@admin.register(ServiceItem)
class ServiceItemAdmin(AuditedAdminMixin, DraftOnlyMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "department",
        "stage",
        "line",
        "kind",
        "legal_limit_days",
        "promised_limit_days",
        "version",
    )
    list_filter = ("version", "department", "stage", "line", "kind")
    search_fields = ("code", "name", "name_en", "certificate_code")
    list_select_related = ("version", "department")
    inlines = [ItemStepInline, ItemMaterialInline, ReplacedItemInline]


# -- bundles ----------------------------------------------------------------------------------------------


class BundleInline(DraftInline):
    parent_model_name = "bundle"


class BundleItemInline(BundleInline):
    model = BundleItem
    fields = ("position", "item", "mandatory")


class SituationQuestionInline(BundleInline):
    model = SituationQuestion
    fields = ("position", "code", "text", "text_en", "kind", "options", "help_text", "help_text_en")


class SituationRuleInline(BundleInline):
    model = SituationRule
    fields = ("position", "conditions", "items")


class ItemDependencyInline(BundleInline):
    model = ItemDependency
    fields = ("item", "depends_on")


class FormFieldInline(BundleInline):
    model = FormField
    fields = (
        "position",
        "code",
        "label",
        "label_en",
        "kind",
        "required",
        "choices",
        "prefill",
        "min_value",
        "max_value",
        "items",
    )


class FormRuleInline(BundleInline):
    model = FormRule
    fields = ("position", "field", "operator", "other", "message", "message_en")


@admin.register(Bundle)
class BundleAdmin(AuditedAdminMixin, DraftOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "name", "lead_department", "promised_limit_days", "intake_limit_days", "version")
    list_filter = ("version", "lead_department")
    search_fields = ("code", "name", "name_en")
    list_select_related = ("version", "lead_department")
    inlines = [
        BundleItemInline,
        SituationQuestionInline,
        SituationRuleInline,
        ItemDependencyInline,
        FormFieldInline,
        FormRuleInline,
    ]


# The devolved powers' admin (registers itself on import).
from .powers import admin as _powers_admin  # noqa: E402, F401
