from django.urls import path

from qadam.assessment import views

app_name = "assessment"
urlpatterns = [
    path("due/", views.due_list, name="due_list"),
    path("overrides/", views.override_list, name="override_list"),
    path("overrides/<int:pk>/decide/", views.override_decide, name="override_decide"),
    path("instruments/", views.instrument_list, name="instrument_list"),
    path("instruments/<int:pk>/", views.instrument_detail, name="instrument_detail"),
    path("instruments/upload/", views.instrument_upload, name="instrument_upload"),
    path("person/<int:person_pk>/", views.person_assessments, name="person_assessments"),
    path("person/<int:person_pk>/new/", views.assess, name="assess"),
    path("person/<int:person_pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/override/", views.override_request, name="override_request"),
    path("<int:pk>/plan/", views.plan_needs, name="plan_needs"),
]
