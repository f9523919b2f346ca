from django.urls import path

from suggestions import views

app_name = "suggestions"

urlpatterns = [
    path("", views.home, name="home"),
    path("submit/", views.submit, name="submit"),
]
