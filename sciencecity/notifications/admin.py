"""Notifications in the admin: readable by whoever may view them, never added, changed or deleted here (they
are sent by the services of the apps and marked read by their readers)."""

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "title", "about_type", "about_id", "created_at", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter), "about_type", "created_at")
    list_select_related = ("recipient", "about_type")
    search_fields = ("title", "recipient__username", "recipient__display_name")
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over the whole table on every page
    fields = (
        "recipient",
        "kind",
        "title",
        "body",
        "title_en",
        "body_en",
        "about_type",
        "about_id",
        "dedupe_key",
        "created_at",
        "read_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
