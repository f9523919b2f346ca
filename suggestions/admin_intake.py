"""Admin for intake: partner API keys and the paper-form import (issue 3).

Kept apart from suggestions/admin.py, whose Suggestion admin belongs to screening.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from suggestions.intake import channel_key_create, channel_key_revoke
from suggestions.models import ChannelKey


@admin.register(ChannelKey)
class ChannelKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["channel"]
    fields = ["name", "channel", "prefix", "created_at", "created_by", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A key's name and channel are fixed once issued: revoke and create a new one.
        return [*self.readonly_fields, "name", "channel"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # keys are revoked, never deleted: ideas keep pointing at them

    def save_model(self, request, obj, form, change):
        if change:
            return
        key, raw = channel_key_create(
            name=form.cleaned_data["name"],
            channel=form.cleaned_data["channel"],
            created_by=request.user,
        )
        obj.pk = key.pk
        obj.refresh_from_db()
        # Shown once: only the hash is stored.
        messages.warning(
            request,
            _("新密钥（只显示这一次，请立即复制保存）：%(key)s") % {"key": raw},
        )

    @admin.action(description=_("吊销所选密钥"), permissions=["change"])
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            channel_key_revoke(channel_key=key)
        self.message_user(
            request,
            ngettext("已吊销 %(n)d 个密钥。", "已吊销 %(n)d 个密钥。", len(keys))
            % {"n": len(keys)},
        )
