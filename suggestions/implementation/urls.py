"""Staff pages of the implementation capability (namespace "implementation")."""

from django.urls import path

from suggestions.implementation import views

app_name = "implementation"

urlpatterns = [
    path("reports/briefing.docx", views.briefing, name="briefing"),
]
