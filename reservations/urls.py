"""The resident's pages. Mounted under i18n_patterns: Japanese at /, English at /en/."""

from django.urls import path

from reservations import views

app_name = "reservations"
urlpatterns = [
    # Cacheable by a CDN: no cookie, no session, public Cache-Control.
    path("", views.home, name="home"),
    path("screenings/<slug:code>/", views.availability, name="availability"),
    # Booking: the details form, then signed hidden state from step to step.
    path("book/<int:slot_id>/", views.book, name="book"),
    path("book/extras/", views.book_extras, name="book_extras"),
    path("book/edit/", views.book_edit, name="book_edit"),
    path("book/choose/", views.book_choose, name="book_choose"),
    path("book/confirm/", views.book_confirm, name="book_confirm"),
    # Done: found through a short-lived cookie the booking POST sets; no token in the path.
    path("book/done/", views.book_done, name="book_done"),
    path("book/done/print/", views.book_done_print, name="book_done_print"),
    path("book/done/<str:token>/", views.book_done_old_address, name="book_done_old_address"),
    # Booking for the family (reservations.views.group): several people at once.
    path("book/<int:slot_id>/family/", views.group_book, name="group_book"),
    path("book/family/edit/", views.group_edit, name="group_edit"),
    path("book/family/choose/", views.group_choose, name="group_choose"),
    path("book/family/confirm/", views.group_confirm, name="group_confirm"),
    path("book/family/language/", views.group_language, name="group_language"),
    path("book/family/done/", views.group_done, name="group_done"),
    path("book/family/done/print/", views.group_done_print, name="group_done_print"),
    # The language switch of the steps above: the same step in the other language.
    path("book/language/", views.book_language, name="book_language"),
    # Look-up with reservation number + date of birth, then cancel, drop a screening or move.
    path("lookup/", views.lookup, name="lookup"),
    path("lookup/booking/", views.manage, name="manage"),
    path("lookup/cancel/", views.cancel, name="cancel"),
    path("lookup/drop/", views.drop, name="drop"),
    path("lookup/move/", views.move, name="move"),
    path("lookup/move/times/", views.move_times, name="move_times"),
]
