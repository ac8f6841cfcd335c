"""Administrators manage users (department or enterprise, roles) and departments here, in Chinese.

Roles are groups named by their stable codes; the forms and lists show each role's label instead. Saves are
audited with the data before and after (never the password hash).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.i18n import join_list

from .models import Department, User
from .roles import role_label

USER_AUDIT_FIELDS = [
    "username",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "department",
    "enterprise",
    "is_active",
    "is_staff",
    "is_superuser",
    "oidc_subject",
]


def user_snapshot(user) -> dict:
    data = snapshot(user, fields=USER_AUDIT_FIELDS)
    data["groups"] = sorted(user.groups.values_list("name", flat=True)) if user.pk else []
    return data


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "roles", "department", "enterprise", "is_staff", "is_active")
    list_filter = ("groups", "department", "is_staff", "is_superuser", "is_active")
    list_select_related = ("department", "enterprise")
    search_fields = ("username", "display_name", "phone", "email", "enterprise__name", "department__name")
    autocomplete_fields = ("enterprise",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "phone", "email")}),
        (_("所属单位"), {"fields": ("department", "enterprise")}),
        # Set to link a local account to its identity-provider subject: from then on SSO keeps it up to date.
        (_("统一身份认证"), {"fields": ("oidc_subject",)}),
        (
            _("角色与权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("个人信息"), {"fields": ("display_name", "phone")}),
        (_("所属单位"), {"fields": ("department", "enterprise")}),
        (_("角色"), {"fields": ("groups",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("角色"))
    def roles(self, obj):
        return join_list(sorted(role_label(group.name) for group in obj.groups.all())) or "—"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = lambda group: f"{role_label(group.name)}({group.name})"
        return field

    def save_model(self, request, obj, form, change):
        obj._audit_before = user_snapshot(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Groups are saved here, after the user row: the audit event is written once both are.
        super().save_related(request, form, formsets, change)
        user = form.instance
        action = "accounts.change_user" if change else "accounts.create_user"
        before = getattr(user, "_audit_before", None)
        after = user_snapshot(user)
        if before != after:
            record(request.user, action, user, before=before, after=after)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "kind", "is_active", "member_count")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "name_en")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("members"))

    @admin.display(description=_("人员数"), ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count

    def save_model(self, request, obj, form, change):
        before = snapshot(Department.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        after = snapshot(obj)
        if before != after:
            action = "accounts.change_department" if change else "accounts.create_department"
            record(request.user, action, obj, before=before, after=after)

    def delete_model(self, request, obj):
        record(request.user, "accounts.delete_department", obj, before=snapshot(obj), after=None)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for department in queryset:
            self.delete_model(request, department)
