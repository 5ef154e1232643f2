from django.urls import path, re_path

from muqeem.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("read-all/", views.mark_all_read_view, name="mark_all_read"),
    path("digest/<int:digest_id>/", views.digest_view, name="digest"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/calendar-link/", views.feed_regenerate_view, name="feed_regenerate"),
    # No login: the token is the credential (see views.feed_view).
    re_path(r"^feed/(?P<token>[A-Za-z0-9_-]{20,100})\.ics$", views.feed_view, name="feed"),
]
