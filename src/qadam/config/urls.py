from django.urls import include, path

from qadam.config.api import api
from qadam.core.admin import site as reference_admin

urlpatterns = [
    path("reference/", reference_admin.urls),
    path("", include("qadam.core.urls")),
    path("people/", include("qadam.people.urls")),
    path("custody/", include("qadam.custody.urls")),
    path("plans/", include("qadam.plans.urls")),
    path("sentences/", include("qadam.sentences.urls")),
    path("assessment/", include("qadam.assessment.urls")),
    path("api/v1/", api.urls),
]

handler403 = "qadam.core.views.error_403"
handler404 = "qadam.core.views.error_404"
handler500 = "qadam.core.views.error_500"
