from django.urls import path

from reservations import views

app_name = "reservations"
urlpatterns = [
    path("", views.home, name="home"),
]
