"""In the admin: the meeting requirements (三会一课), which are data. The tree, members and teams are kept on the
party-building pages, where every change goes through the services and the members' scope holds."""

from django.contrib import admin

from .models import MeetingRule


@admin.register(MeetingRule)
class MeetingRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "every_months", "organization_kinds", "remind_days", "is_active"]
    list_editable = ["every_months", "remind_days", "is_active"]
