"""The residents' lottery pages, under i18n_patterns like the booking pages."""

from django.urls import path

from lottery import views

app_name = "lottery"
urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("<int:round_id>/", views.round_page, name="round"),
    path("<int:round_id>/results.csv", views.results_download, name="results_csv"),
    path("<int:round_id>/places.csv", views.places_download, name="places_csv"),
    path("<int:round_id>/apply/", views.apply, name="apply"),
    path("lookup/", views.lookup, name="lookup"),
    path("lookup/change/", views.change, name="change"),
    path("lookup/withdraw/", views.withdraw, name="withdraw"),
]
