from django.urls import path

from exports import views

app_name = "exports"
urlpatterns = [
    path("", views.batch_list, name="list"),
    path("<int:pk>/download/", views.batch_download, name="download"),
    path("<int:pk>/confirm/", views.batch_confirm, name="confirm"),
    path("<int:pk>/discard/", views.batch_discard, name="discard"),
]
