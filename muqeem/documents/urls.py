from django.urls import path

from muqeem.documents import views

app_name = "documents"
urlpatterns = [path("<str:token>/", views.verify_view, name="verify")]
