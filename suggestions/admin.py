from django.contrib import admin

from suggestions.models import Campaign, Topic


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "receipt_prefix", "opens_at", "closes_at", "phase", "is_active"]
    list_filter = ["phase", "is_active"]
    prepopulated_fields = {"slug": ["receipt_prefix"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]


from suggestions import admin_privacy  # noqa: E402,F401  (personal-data admin, issue 7)
