"""Tokens in the admin: created for a user (the secret shown once), revoked with one action."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.workflow.transitions import IllegalTransition

from . import services
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "hint"]
    fields = ["user", "name", "hint", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    readonly_fields = ["hint", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A token is never edited: revoke it and create another.
        return self.fields if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        token, secret = services.create_token(request.user, obj.name, user=obj.user)
        obj.pk = token.pk
        self.message_user(
            request,
            _("令牌已创建。请立即复制,它不会再显示:%(secret)s") % {"secret": secret},
            messages.WARNING,
        )

    @admin.action(description=gettext_lazy("吊销所选令牌"), permissions=["change"])
    def revoke(self, request, queryset):
        done = 0
        for token in queryset:
            try:
                services.revoke_token(request.user, token)
                done += 1
            except IllegalTransition:
                continue
        self.message_user(request, _("已吊销 %(count)d 个令牌。") % {"count": done})
