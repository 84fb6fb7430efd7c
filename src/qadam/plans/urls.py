from django.urls import path

from qadam.plans import views

app_name = "plans"
urlpatterns = [
    path("overdue-reviews/", views.overdue_list, name="overdue_list"),
    path("person/<int:person_pk>/", views.plan_detail, name="plan_detail"),
    path("person/<int:person_pk>/start/", views.plan_start, name="plan_start"),
    path("person/<int:person_pk>/print/", views.plan_print, name="plan_print"),
    path("person/<int:person_pk>/print.pdf", views.plan_pdf, name="plan_pdf"),
    path("person/<int:person_pk>/needs/add/", views.need_add, name="need_add"),
    path("person/<int:person_pk>/needs/<int:need_pk>/goals/add/", views.goal_add, name="goal_add"),
    path("person/<int:person_pk>/goals/<int:goal_pk>/steps/add/", views.step_add, name="step_add"),
    path(
        "person/<int:person_pk>/steps/<int:step_pk>/status/",
        views.step_status,
        name="step_status",
    ),
    path(
        "person/<int:person_pk>/steps/<int:step_pk>/evidence/",
        views.evidence_add,
        name="evidence_add",
    ),
    path("person/<int:person_pk>/agreement/", views.agreement_record, name="agreement_record"),
    path("person/<int:person_pk>/review/", views.review_record, name="review_record"),
    path("person/<int:person_pk>/countersign/", views.countersign, name="countersign"),
    path("person/<int:person_pk>/hand-over/", views.hand_over, name="hand_over"),
    path("person/<int:person_pk>/pre-release/", views.pre_release_add, name="pre_release_add"),
]
