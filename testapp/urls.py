from django.contrib import admin
from django.urls import include, path

from mozilla_django_oidc_db.views import AdminLoginFailure, AdminLogoutView

from . import views

urlpatterns = [
    path("admin/login/failure/", AdminLoginFailure.as_view(), name="admin-oidc-error"),
    # before admin/: the admin's "Log out" also ends the session at the provider
    path("admin/logout/", AdminLogoutView.as_view(), name="admin-oidc-logout"),
    path("admin/", admin.site.urls),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("citizen/login/", views.citizen_login, name="citizen-login"),
    path("citizen/", views.citizen_home, name="citizen-home"),
    path("login-failed/", views.login_failed, name="login-failed"),
]
