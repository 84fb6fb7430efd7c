from django.urls import include, path

urlpatterns = [
    path("", include("qadam.core.urls")),
    path("people/", include("qadam.people.urls")),
    path("custody/", include("qadam.custody.urls")),
]
