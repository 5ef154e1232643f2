from django.contrib.auth import views as auth_views
from django.urls import path

from muqeem.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("security-code/", views.security_code_view, name="security_code"),
    path(
        "activate/<uidb64>/<token>/",
        views.ActivateView.as_view(),
        name="activate",
    ),
    path(
        "activated/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/activated.html"),
        name="activated",
    ),
]
