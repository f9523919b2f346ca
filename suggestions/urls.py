from django.urls import path

from suggestions import views, views_intake, views_privacy

app_name = "suggestions"

urlpatterns = [
    path("", views.home, name="home"),
    path("submit/", views_intake.submit, name="submit"),
    path("submit/receipt/<str:token>/", views_intake.receipt, name="receipt"),
    path("lookup/", views_intake.lookup, name="lookup"),
    path("privacy/", views_privacy.privacy, name="privacy"),
]
