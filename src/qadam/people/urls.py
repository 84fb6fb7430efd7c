from django.urls import URLPattern

app_name = "people"
urlpatterns: list[URLPattern] = []  # filled by the module's views
