"""The health centre's waiting-list pages, under /staff/waitlist/."""

from django.urls import path

from waitlist import staff

app_name = "waitlist_staff"
urlpatterns = [
    path("", staff.waitlist_home, name="home"),
    path("find/", staff.waitlist_find, name="find"),
    path("entries/<int:pk>/remove/", staff.waitlist_remove, name="remove"),
    path("slots/<int:pk>/", staff.waitlist_slot, name="slot"),
    path("slots/<int:pk>/add/", staff.waitlist_add, name="add"),
    path("screenings/<slug:code>/", staff.waitlist_screening, name="screening"),
    path("offers/<int:pk>/confirm/", staff.waitlist_offer_confirm, name="confirm"),
    path("offers/<int:pk>/decline/", staff.waitlist_offer_decline, name="decline"),
]
