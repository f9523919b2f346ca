from django.urls import path

from suggestions.intake import api

# Namespaced "api" at include time, so names never collide with the site's own.
urlpatterns = [
    path("suggestions/", api.suggestions_create, name="suggestions-create"),
    path("suggestions/<str:receipt>/", api.suggestions_retrieve, name="suggestions-retrieve"),
    path(
        "suggestions/<str:receipt>/implementation/",
        api.suggestions_implementation_retrieve,
        name="suggestions-implementation-retrieve",
    ),
]
