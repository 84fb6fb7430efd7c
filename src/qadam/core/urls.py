from django.urls import path

from qadam.core import views, views_otp

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("audit/", views.audit_list, name="audit_list"),
    path("otp/enrol/", views_otp.otp_enrol, name="otp_enrol"),
    path("otp/verify/", views_otp.otp_verify, name="otp_verify"),
]
