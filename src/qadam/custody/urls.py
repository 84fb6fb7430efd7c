from django.urls import URLPattern

app_name = "custody"
urlpatterns: list[URLPattern] = []  # filled by the module's views
