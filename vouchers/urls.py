"""The staff pages of the city's list: /staff/vouchers/ (health centre, administrator)."""

from django.urls import path

from vouchers import staff_views

app_name = "vouchers_staff"
urlpatterns = [
    path("", staff_views.voucher_list, name="list"),
    path("upload/", staff_views.voucher_upload, name="upload"),
    path("commit/", staff_views.voucher_commit, name="commit"),
]
