from django.urls import path

from qadam.sentences import views

app_name = "sentences"
urlpatterns = [
    path("worklists/", views.worklist_index, name="worklists"),
    path("worklists/<slug:kind>/", views.worklist, name="worklist"),
    path("overrides/", views.override_list, name="override_list"),
    path("overrides/<int:pk>/decide/", views.override_decide, name="override_decide"),
    path("recalculations/", views.recalculation_list, name="recalculation_list"),
    path("recalculations/<int:pk>/", views.recalculation_detail, name="recalculation_detail"),
    path(
        "recalculations/<int:pk>/activate/",
        views.recalculation_activate,
        name="recalculation_activate",
    ),
    path("person/<int:person_pk>/", views.sentence_detail, name="detail"),
    path("person/<int:person_pk>/enter/", views.sentence_enter, name="enter"),
    path("person/<int:person_pk>/enter/preview/", views.sentence_preview, name="preview"),
    path("person/<int:person_pk>/adjustments/add/", views.adjustment_add, name="adjustment_add"),
    path("person/<int:person_pk>/in-force/", views.verdict_in_force, name="in_force"),
    path("person/<int:person_pk>/override/", views.override_request, name="override_request"),
    path("person/<int:person_pk>/sheet/", views.sheet, name="sheet"),
    path("person/<int:person_pk>/sheet.pdf", views.sheet_pdf, name="sheet_pdf"),
]
