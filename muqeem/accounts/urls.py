from django.urls import path

from muqeem.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("security-code/", views.security_code_view, name="security_code"),
]
