from django.urls import path

from .apis import BorderCrossingCreateApi

urlpatterns = [path("crossings/", BorderCrossingCreateApi.as_view(), name="border-crossing-create")]
