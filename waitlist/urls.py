"""The resident's waiting-list pages, under /waitlist/ (English under /en/waitlist/)."""

from django.urls import path

from waitlist import views

app_name = "waitlist"
urlpatterns = [
    path("join/<int:slot_id>/", views.join, name="join"),
    path("lookup/", views.lookup, name="lookup"),
    path("leave/", views.leave, name="leave"),
    path("offer/<str:token>/", views.offer, name="offer"),
]
