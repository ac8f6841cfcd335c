"""Administrators keep the positive and negative lists here (a retired item stays on old records)."""

from django.contrib import admin

from .models import ListItem


@admin.register(ListItem)
class ListItemAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "text", "order", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "text", "text_en")
    ordering = ("kind", "order", "code")

    def has_delete_permission(self, request, obj=None):
        return False  # records refer to it: retire it (is_active) instead
