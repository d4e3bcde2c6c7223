"""Top-level URL configuration.

Every URL requires a signed-in user except those named in ``settings.PUBLIC_URL_NAMES``
(login, healthz, the Telnyx webhook): see ``portal.middleware.LoginRequiredMiddleware``.
Only the auth views we use are routed (no e-mailed password reset).
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from compliance.views.find import find_view
from compliance.views.work_queue import home
from orders.views.webhooks import telnyx_webhook
from portal import views

urlpatterns = [
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", views.otp_verify, name="otp-verify"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("orders/", include("orders.urls")),
    path("webhooks/telnyx", telnyx_webhook, name="webhooks-telnyx"),
    path("compliance/", include("compliance.urls")),
    path("find/", find_view, name="find"),
    path("notifications/", include("notifications.urls")),
]

# Logs the denial as a security event (P44), then renders Django's 403 page.
handler403 = "portal.views.permission_denied"
