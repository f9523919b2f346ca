from django.urls import path

from suggestions.tallies import views as tallies_views

app_name = "tallies"

urlpatterns = [
    path("dashboard/", tallies_views.dashboard, name="dashboard"),
    path("dashboard/unit/<int:unit_id>/", tallies_views.dashboard_unit, name="unit"),
    path("reports/<int:unit_id>/", tallies_views.report_page, name="report"),
    path("reports/<int:unit_id>/xlsx/", tallies_views.report_xlsx, name="report_xlsx"),
    path("ideas/", tallies_views.showcase, name="showcase"),
]
