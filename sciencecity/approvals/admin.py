"""Bundled approval in the admin: every row readable, none editable.

Applications, tasks, certificates and everything hanging off them change only through the functions of
`sciencecity.approvals.services` (ARCHITECTURE.md rule 1), which check the transition tables, lock and
audit; an admin form that saved a row directly would bypass all of that. So these pages are for finding and
reading; the one write offered here, revoking certificates, is an action that calls `revoke_certificate`.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.i18n import join_list
from sciencecity.workflow.transitions import IllegalTransition

from .models import (
    Application,
    ApplicationItem,
    Certificate,
    CorrectionNotice,
    Delivery,
    LicencePermit,
    Rating,
    ReviewTask,
    SubmittedMaterial,
    TaskEvent,
    TaskPause,
)
from .services.certificates import REVOKE_PERMISSION, revoke_certificate


class ReadOnlyMixin:
    """Viewable by whoever has the view permission; never added, changed or deleted here."""

    def get_readonly_fields(self, request, obj=None):
        # Every field shown, including those a form could not hold (auto_now_add, editable=False).
        declared = tuple(super().get_readonly_fields(request, obj))
        if self.fields:
            names = tuple(self.fields)
        else:
            excluded = set(self.exclude or ())
            names = tuple(
                field.name
                for field in (*self.model._meta.concrete_fields, *self.model._meta.many_to_many)
                if not field.primary_key and field.name not in excluded
            )
        return names + tuple(name for name in declared if name not in names)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over the whole table on every page


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = True
    select_related: tuple[str, ...] = ()  # what the inline's columns read, fetched with its rows

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.select_related)


# Applications and their children.


class ApplicationItemInline(ReadOnlyInline):
    model = ApplicationItem
    fields = ("item", "outcome")
    select_related = ("item",)
    show_change_link = False


class SubmittedMaterialInline(ReadOnlyInline):
    model = SubmittedMaterial
    fields = ("spec", "source", "original_name", "is_current", "verdict", "verdict_note", "gap_due_date")
    select_related = ("spec",)


class CorrectionNoticeInline(ReadOnlyInline):
    model = CorrectionNotice
    fields = ("issued_at", "issued_by", "problems", "answered_at")
    select_related = ("issued_by",)


class ReviewTaskInline(ReadOnlyInline):
    model = ReviewTask
    fk_name = "application"
    fields = (
        "item",
        "department",
        "status",
        "assignee",
        "promised_deadline",
        "legal_deadline",
        "warning_level",
    )


class CertificateInline(ReadOnlyInline):
    model = Certificate
    fields = ("number", "name", "department", "status", "issued_at")
    select_related = ("department",)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "enterprise",
        "project",
        "bundle",
        "status",
        "submitted_at",
        "promised_deadline",
        "concluded_at",
        "delivered_at",
    )
    list_filter = ("status", "bundle__code", "submitted_at", "concluded_at")
    list_select_related = ("enterprise", "project", "bundle")
    search_fields = (
        "number",
        "enterprise__name",
        "enterprise__credit_code",
        "project__code",
        "project__name",
        "applicant__username",
        "applicant__display_name",
    )
    date_hierarchy = "created_at"
    inlines = (
        ApplicationItemInline,
        SubmittedMaterialInline,
        CorrectionNoticeInline,
        ReviewTaskInline,
        CertificateInline,
    )


@admin.register(ApplicationItem)
class ApplicationItemAdmin(ReadOnlyAdmin):
    list_display = ("application", "item", "outcome")
    list_filter = ("outcome",)
    list_select_related = ("application", "item")
    search_fields = ("application__number", "item__code", "item__name")


@admin.register(SubmittedMaterial)
class SubmittedMaterialAdmin(ReadOnlyAdmin):
    list_display = (
        "application",
        "spec",
        "source",
        "original_name",
        "size",
        "is_current",
        "verdict",
        "gap_due_date",
        "uploaded_at",
    )
    list_filter = ("verdict", "source", "is_current")
    list_select_related = ("application", "spec")
    search_fields = ("application__number", "spec__code", "spec__name", "original_name", "sha256")


@admin.register(CorrectionNotice)
class CorrectionNoticeAdmin(ReadOnlyAdmin):
    list_display = ("application", "issued_by", "issued_at", "answered_at")
    list_filter = ("issued_at",)
    list_select_related = ("application", "issued_by")
    search_fields = ("application__number",)


# Review tasks and their history.


class TaskPauseInline(ReadOnlyInline):
    model = TaskPause
    fields = ("reason", "started_on", "ended_on")
    show_change_link = False


class TaskEventInline(ReadOnlyInline):
    model = TaskEvent
    fields = ("created_at", "kind", "author", "text")
    select_related = ("author",)
    show_change_link = False


@admin.register(ReviewTask)
class ReviewTaskAdmin(ReadOnlyAdmin):
    list_display = (
        "application",
        "item",
        "department",
        "status",
        "assignee",
        "started_on",
        "promised_deadline",
        "legal_deadline",
        "warning_level",
    )
    list_filter = ("status", "warning_level", "department")
    list_select_related = ("application", "item", "department", "assignee")
    search_fields = ("application__number", "item__code", "item__name", "assignee__username")
    date_hierarchy = "created_at"
    exclude = ("depends_on",)
    readonly_fields = ("prerequisites",)
    inlines = (TaskPauseInline, TaskEventInline)

    @admin.display(description=gettext_lazy("前置任务"))
    def prerequisites(self, obj):
        return join_list(str(task) for task in obj.depends_on.select_related("application", "item")) or "—"


@admin.register(TaskPause)
class TaskPauseAdmin(ReadOnlyAdmin):
    list_display = ("task", "reason", "started_on", "ended_on")
    list_select_related = ("task__application", "task__item")
    search_fields = ("task__application__number", "reason")


@admin.register(TaskEvent)
class TaskEventAdmin(ReadOnlyAdmin):
    list_display = ("task", "kind", "author", "created_at")
    list_filter = ("kind",)
    list_select_related = ("task__application", "task__item", "author")
    search_fields = ("task__application__number", "text")


# Certificates, delivery, ratings.


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤销原因"), widget=forms.Textarea(attrs={"rows": 3}))


class LicencePermitInline(ReadOnlyInline):
    """一业一证: the permits an industry licence stands for."""

    model = LicencePermit
    fk_name = "licence"
    fields = ("position", "item", "certificate", "on_pledge")
    select_related = ("item", "certificate")
    show_change_link = False


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "name",
        "enterprise",
        "project",
        "department",
        "on_pledge",
        "status",
        "issued_at",
        "valid_until",
    )
    list_filter = ("status", "kind", "on_pledge", "department", "certificate_code")
    list_select_related = ("enterprise", "project", "department")
    search_fields = (
        "number",
        "name",
        "certificate_code",
        "enterprise__name",
        "enterprise__credit_code",
        "project__code",
        "application__number",
    )
    date_hierarchy = "issued_at"
    readonly_fields = ("verification_link", "download_link")
    inlines = [LicencePermitInline]
    actions = ("revoke_selected",)

    @admin.display(description=gettext_lazy("核验页"))
    def verification_link(self, obj):
        url = reverse("approvals:verify", kwargs={"code": obj.verification_code})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=gettext_lazy("下载证照"))
    def download_link(self, obj):
        url = reverse("approvals:certificate_pdf", kwargs={"pk": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("PDF"))

    def has_revoke_permission(self, request):
        return request.user.has_perm(REVOKE_PERMISSION)

    @admin.action(description=gettext_lazy("撤销所选证照"), permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            revoked = 0
            for certificate in queryset:
                try:
                    revoke_certificate(request.user, certificate, form.cleaned_data["reason"])
                except (IllegalTransition, PermissionDenied, ValidationError) as error:
                    message = error.messages[0] if isinstance(error, ValidationError) else str(error)
                    self.message_user(request, message, messages.WARNING)
                else:
                    revoked += 1
            if revoked:
                self.message_user(
                    request, _("已撤销 %(count)d 个证照。") % {"count": revoked}, messages.SUCCESS
                )
            return None
        return TemplateResponse(
            request,
            "approvals/admin_revoke_certificates.html",
            {
                **self.admin_site.each_context(request),
                "title": _("撤销证照"),
                "opts": self.model._meta,
                "certificates": queryset.select_related("enterprise"),
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("application", "method", "recipient", "tracking_number", "delivered_by", "delivered_at")
    list_filter = ("method", "delivered_at")
    list_select_related = ("application", "delivered_by")
    search_fields = ("application__number", "recipient", "tracking_number")
    date_hierarchy = "delivered_at"


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("application", "score", "rated_by", "rated_at")
    list_filter = ("score", "rated_at")
    list_select_related = ("application", "rated_by")
    search_fields = ("application__number", "comment")
    date_hierarchy = "rated_at"
