from django.urls import path

from muqeem.bulk import views

app_name = "bulk"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("template.<str:file_format>", views.template_view, name="template"),
    path("batches/<int:batch_id>/", views.batch_view, name="batch"),
    path("batches/<int:batch_id>/progress/", views.progress_view, name="progress"),
    path("batches/<int:batch_id>/confirm/", views.confirm_view, name="confirm"),
    path("batches/<int:batch_id>/resume/", views.resume_view, name="resume"),
    path("batches/<int:batch_id>/result.xlsx", views.result_view, name="result"),
]
