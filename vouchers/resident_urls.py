"""The resident's 受診券 step, mounted under i18n_patterns (Japanese at /, English at /en/)."""

from django.urls import path

from vouchers import views

app_name = "vouchers"
urlpatterns = [
    path("book/<int:slot_id>/voucher/", views.voucher_start, name="start"),
]
