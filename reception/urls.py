from django.urls import path

from reception import views

app_name = "reception"
urlpatterns = [
    path("", views.index, name="index"),
    path("roster/<int:venue_id>/<str:day>/", views.roster_page, name="roster"),
    path("roster/<int:venue_id>/<str:day>/print/", views.roster_print, name="roster_print"),
    path("attendance/<int:item_id>/", views.attendance, name="attendance"),
    path("season/", views.season_page, name="season"),
    path("season.csv", views.season_csv, name="season_csv"),
    path("call-off/", views.call_off_page, name="call_off"),
    path("call-off/<int:venue_id>/<str:day>/call-list/", views.call_list, name="call_list"),
]
