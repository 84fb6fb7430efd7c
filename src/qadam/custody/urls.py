from django.urls import URLPattern, path

from qadam.custody import views

app_name = "custody"

# Ledger forms for one person; each has a live-validation twin at <form>/validate/.
LEDGER_ACTIONS = (
    "transfer",
    "arrival",
    "release",
    "absence",
    "absence_return",
    "escape",
    "recapture",
    "death",
    "move",
    "extend",
)

urlpatterns: list[URLPattern] = [
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution_detail"),
    path("institutions/<int:pk>/movements/", views.movement_list, name="movement_list"),
    path("regions/<int:pk>/", views.region_detail, name="region_detail"),
    path("population/", views.population_page, name="population"),
    path("admit/", views.admit, name="admit"),
    path("admit/validate/", views.admit_validate, name="admit_validate"),
    path("movements/<int:movement_pk>/correct/", views.correct, name="correct"),
    path(
        "movements/<int:movement_pk>/correct/validate/",
        views.correct_validate,
        name="correct_validate",
    ),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
]
for _action in LEDGER_ACTIONS:
    _slug = _action.replace("_", "-")
    urlpatterns += [
        path(f"persons/<int:pk>/{_slug}/", views._ledger_route(_action), name=_action),
        path(
            f"persons/<int:pk>/{_slug}/validate/",
            views._ledger_route(_action, validate=True),
            name=f"{_action}_validate",
        ),
    ]
