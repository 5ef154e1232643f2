from django.urls import path

from . import views

app_name = "authority"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("schedule/", views.schedule_view, name="schedule"),
    path("schedule/<str:key>/", views.schedule_key_view, name="schedule_key"),
    path(
        "schedule/<str:key>/<int:entry_id>/withdraw/",
        views.schedule_cancel_view,
        name="schedule_cancel",
    ),
    path("establishments/", views.establishments_view, name="establishments"),
    path("establishments/<str:moi_number>/", views.establishment_view, name="establishment"),
    path("residents/", views.residents_view, name="residents"),
    path("residents/<int:resident_id>/", views.resident_view, name="resident"),
    path(
        "residents/<int:resident_id>/correct/",
        views.resident_correct_view,
        name="resident_correct",
    ),
]
