"""The citizens' pages (namespace "suggestions")."""

from django.urls import path

from suggestions.intake import views as intake_views
from suggestions.privacy import views as privacy_views

app_name = "suggestions"

urlpatterns = [
    path("", intake_views.home, name="home"),
    path("submit/", intake_views.submit, name="submit"),
    path("submit/receipt/<str:token>/", intake_views.receipt, name="receipt"),
    path("lookup/", intake_views.lookup, name="lookup"),
    path("privacy/", privacy_views.privacy, name="privacy"),
]
