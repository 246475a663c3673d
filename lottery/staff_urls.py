from django.urls import path

from lottery import staff_views

app_name = "lottery_staff"
urlpatterns = [
    path("", staff_views.round_list, name="rounds"),
    path("<int:round_id>/", staff_views.round_stats, name="stats"),
    path("<int:round_id>/apply/", staff_views.desk_apply, name="apply"),
    path("<int:round_id>/call-list/", staff_views.call_list, name="call_list"),
]
