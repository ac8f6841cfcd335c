"""The running numbers in the admin: readable, never edited by hand (a changed value would skip or repeat a
number; `numbers.next_value` alone moves them)."""

from django.contrib import admin

from .models import NumberSequence


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ("key", "last_value")
    search_fields = ("key",)
    fields = readonly_fields = ("key", "last_value")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
