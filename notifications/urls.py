from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell", views.bell, name="bell"),
    path("read-all", views.mark_all_read, name="read-all"),
    path("preferences", views.preferences_view, name="preferences"),
    path("<uuid:public_id>/read", views.mark_read, name="read"),
]
