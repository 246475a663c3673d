from django.urls import path

from staff import desk, desk_group, no_email, views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("verify/", views.verify_view, name="verify"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("backup-codes/", views.backup_codes_view, name="backup_codes"),
    # The phone desk (health centre). /staff/ itself is its search page.
    path("desk/", desk.desk_search, name="desk"),
    path("desk/book/", desk.desk_book, name="desk_book"),
    path("desk/find/", desk.desk_find, name="desk_find"),
    # Several people at once (家族・代理予約).
    path("desk/family/", desk_group.desk_group_book, name="desk_group_book"),
    path("desk/reservations/<int:pk>/", desk.desk_reservation, name="desk_reservation"),
    path("desk/reservations/<int:pk>/move/", desk.desk_move, name="desk_move"),
    path(
        "desk/reservations/<int:pk>/drop/<int:screening_type_id>/",
        desk.desk_drop,
        name="desk_drop",
    ),
    path("desk/reservations/<int:pk>/cancel/", desk.desk_cancel, name="desk_cancel"),
    # Bookings without email, for a phone call or a postcard (health centre).
    path("no-email/", no_email.no_email_list, name="no_email"),
]
