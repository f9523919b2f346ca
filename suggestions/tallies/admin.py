"""Read-only admin for tally runs and generated reports (administrators: every permission)."""

from django.contrib import admin

from suggestions.common.admin import ReadOnlyModelAdmin
from suggestions.models import Report, TallyRun


@admin.register(TallyRun)
class TallyRunAdmin(ReadOnlyModelAdmin):
    list_display = ["campaign", "cutoff", "finished_at", "duration_ms", "rows_written"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]
    show_full_result_count = False


@admin.register(Report)
class ReportAdmin(ReadOnlyModelAdmin):
    list_display = ["unit", "scope", "campaign", "generated_at", "as_of"]
    list_filter = ["scope", "campaign"]
    list_select_related = ["unit", "campaign"]
    exclude = ["html", "xlsx"]
    show_full_result_count = False
