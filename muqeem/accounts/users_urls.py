from django.urls import path

from muqeem.accounts import users_views as views

app_name = "users"
urlpatterns = [
    path("", views.user_list_view, name="list"),
    path("new/", views.user_create_view, name="create"),
    path("<int:user_id>/", views.user_detail_view, name="detail"),
    path("<int:user_id>/resend/", views.user_resend_view, name="resend"),
]
