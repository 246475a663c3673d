from django.urls import path

from lottery import staff_views

app_name = "lottery_staff"
urlpatterns = [
    path("", staff_views.round_list, name="rounds"),
    path("find/", staff_views.find, name="find"),
    path("applications/<int:pk>/withdraw/", staff_views.withdraw, name="withdraw"),
    path("<int:round_id>/", staff_views.round_stats, name="stats"),
    path("<int:round_id>/apply/", staff_views.desk_apply, name="apply"),
    path("<int:round_id>/call-list/", staff_views.call_list, name="call_list"),
]
