from django.urls import path

from qadam.people import views

app_name = "people"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/timeline/", views.person_timeline, name="person_timeline"),
    path("<int:pk>/merge/", views.merge_request, name="merge_request"),
    path("<int:pk>/subject-access/", views.subject_access, name="subject_access"),
    path("merges/", views.merge_list, name="merge_list"),
    path("merges/<int:pk>/", views.merge_detail, name="merge_detail"),
    path("merges/<int:pk>/decide/", views.merge_decide, name="merge_decide"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
]
