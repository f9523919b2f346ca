from django.urls import path

from suggestions import views, views_privacy

app_name = "suggestions"

urlpatterns = [
    path("", views.home, name="home"),
    path("submit/", views.submit, name="submit"),
    path("privacy/", views_privacy.privacy, name="privacy"),
]
