"""Read-only admin pages for the screening records: history, unit reports, notices sent."""

from django.contrib import admin

from suggestions.common import rules
from suggestions.common.admin import ReadOnlyModelAdmin
from suggestions.common.paging import EstimatedCountPaginator
from suggestions.common.scoping import status_changes_visible, visible_unit_ids
from suggestions.models import OutcomeNotice, StatusChange, UnitReport


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyModelAdmin):
    """History is read-only for everyone, administrators included."""

    list_display = ["at", "suggestion", "from_status", "to_status", "actor", "via", "reason"]
    list_filter = ["to_status", "via"]
    list_select_related = ["suggestion", "actor"]
    search_fields = ["suggestion__receipt"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator

    def get_queryset(self, request):
        return status_changes_visible(user=request.user, queryset=super().get_queryset(request))


@admin.register(UnitReport)
class UnitReportAdmin(ReadOnlyModelAdmin):
    """Read-only list; reporting and reopening happen on the desk's 报送 page (the workflow)."""

    list_display = ["unit", "campaign", "reported_at", "reported_by", "reopened_at", "reopened_by"]
    list_filter = ["campaign"]
    list_select_related = ["unit", "campaign", "reported_by", "reopened_by"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        ids = visible_unit_ids(request.user)
        return queryset if ids is None else queryset.filter(unit_id__in=ids)


@admin.register(OutcomeNotice)
class OutcomeNoticeAdmin(ReadOnlyModelAdmin):
    list_display = ["status_change", "backend", "sent_at", "error"]
    list_select_related = ["status_change"]

    def has_view_permission(self, request, obj=None):
        return rules.can_administer(request.user)
